"""Benchmark: a published collection of 50 badges against a bare Flask route.

Both are served by gunicorn with the settings `make run` uses (2 workers x 8 threads,
gthread), the backpack on PostgreSQL, and loaded by wrk at 64 concurrent connections. It
prints requests per second, latency percentiles and the two ratios the design sets as
targets: at least 0.8 of the bare route's throughput, and a p99 at most 1.5x its p99.

    make wrk                     # the load generator (Debian's package, as root)
    .venv/bin/python bench/share.py [--seconds 8] [--rounds 5] [--connections 64]

PostgreSQL is the one the tests use (BACKPACK_TEST_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/test); a scratch database is created on it and
dropped afterwards. A benchmark never fails a build: it only prints figures.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import parse_with_smoke, scratch_database

BIN = Path(sys.executable).parent
GUNICORN = ["--workers", "2", "--threads", "8"]  # as `make run`
# One wrk thread keeps the load generator's share of the two cores small; browsers send
# Accept-Encoding, so both servers are asked the same way.
WRK = ["wrk", "--threads", "1", "--latency", "--header", "Accept-Encoding: gzip, deflate"]
BADGES = 50


@dataclass(frozen=True)
class Result:
    """What wrk measured for one URL."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed(env: dict[str, str]) -> str:
    """Migrate, then store one earner with a published collection of 50 badges; its path."""
    subprocess.run(
        [BIN / "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    os.environ.update(env)
    from backpack import create_app
    from backpack.extensions import db
    from backpack.models import Badge, BadgeClass, Image, Issuer
    from backpack.services import accounts, collections, sharing

    app = create_app()
    with app.app_context():
        user = accounts.create_account(
            "earner@example.org", secrets.token_urlsafe(24), name="B", verified=True
        )
        image_bytes = _tiny_png()
        image = Image(
            sha256=hashlib.sha256(image_bytes).hexdigest(),
            mime_type="image/png",
            byte_size=len(image_bytes),
            data=image_bytes,
        )
        issuer_doc = {"id": "https://issuer.example/i.json", "type": "Issuer",
                      "name": "Bench Institute", "url": "https://issuer.example/"}  # fmt: skip
        issuer = Issuer(iri=issuer_doc["id"], content_sha256="0" * 64, name="Bench Institute",
                        url="https://issuer.example/", document=issuer_doc)  # fmt: skip
        badge_ids = []
        issued = datetime.now(UTC) - timedelta(days=30)
        for number in range(BADGES):
            class_doc = {
                "id": f"https://issuer.example/badges/{number}.json",
                "type": "BadgeClass",
                "name": f"Skill number {number}",
                "description": "Awarded for a skill shown in the workshop. " * 3,
                "criteria": {"narrative": "Show the skill to an assessor."},
                "issuer": issuer_doc,
            }
            badge_class = BadgeClass(
                iri=class_doc["id"], content_sha256=f"{number:064d}", issuer=issuer,
                image=image, name=class_doc["name"], description=class_doc["description"],
                document=class_doc,
            )  # fmt: skip
            assertion_id = f"https://issuer.example/assertions/{number}.json"
            assertion = {
                "@context": "https://w3id.org/openbadges/v2", "type": "Assertion",
                "id": assertion_id, "badge": class_doc, "issuedOn": issued.isoformat(),
                "recipient": {"type": "email", "hashed": True, "salt": "s",
                              "identity": "sha256$" + hashlib.sha256(b"x").hexdigest()},
                "verification": {"type": "HostedBadge"},
            }  # fmt: skip
            badge = Badge(
                user_id=user.id, badge_class=badge_class, image=image, status="accepted",
                verification="valid", recipient="bench@example.org",
                fingerprint=hashlib.sha256(assertion_id.encode()).hexdigest(),
                assertion_iri=assertion_id, version="2.0", verification_kind="hosted",
                source="url", source_url=assertion_id, original_payload=assertion_id,
                assertion=assertion, issued_on=issued, last_report={"valid": True},
            )  # fmt: skip
            db.session.add(badge)
            db.session.flush()
            badge_ids.append(badge.id)
        collection = collections.create_collection(user, "Fifty badges", "A benchmark.")
        collections.add_badges(collection, badge_ids)
        for badge_id in badge_ids[:10]:
            collections.set_story(collection, badge_id, "How I earned it, in a few lines.")
        sharing.publish_collection(collection)
        db.session.commit()
        path = f"/public/collections/{collection.share_token}"
        db.engine.dispose()
    return path


def _tiny_png() -> bytes:
    import io

    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 64), (36, 83, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], chdir: Path) -> Iterator[str]:
    """gunicorn serving `app_spec` on a free port; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [BIN / "gunicorn", "--bind", f"127.0.0.1:{port}", *GUNICORN, app_spec],
        cwd=chdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), 0.2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"gunicorn did not start for {app_spec}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]  # wrk's latency format
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def require_page(url: str) -> None:
    """Stop unless the URL answers 200 itself: a redirect or an error page measures nothing."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request("GET", parts.path or "/")
        status = connection.getresponse().status
    finally:
        connection.close()
    if status != 200:
        sys.exit(f"{url} answers {status}, not 200: there is no page to measure")


def load(url: str, seconds: int, connections: int) -> Result:
    """Run wrk against one URL and read its summary."""
    output = subprocess.run(
        [*WRK, "--connections", str(connections), "--duration", f"{seconds}s", url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]  # wrk prints it
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1))  # type: ignore[union-attr]  # wrk prints it
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1))  # type: ignore[union-attr]  # wrk prints it
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if socket_errors:
        print(f"  wrk socket errors on {url}: {socket_errors.group(1)}")
    return Result(rate, p50, p99, int(errors.group(1)) if errors else 0)


def median(results: list[Result]) -> Result:
    """The run with the median throughput (rounds alternate, so noise hits both alike)."""
    return sorted(results, key=lambda r: r.requests_per_second)[len(results) // 2]


def main(arguments: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    args = parse_with_smoke(parser, arguments, seconds=1, rounds=1, connections=4)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `make wrk` installs Debian's (as root)")

    with scratch_database("bench_share") as database_url:
        env = {
            **os.environ,
            "BACKPACK_ENVIRONMENT": "production",
            "BACKPACK_SECRET_KEY": secrets.token_urlsafe(48),
            "BACKPACK_SQLALCHEMY_DATABASE_URI": database_url,
            # Production serves behind a proxy that ends TLS, so its public URL is https
            # (an http one is refused outside development) while gunicorn speaks plain
            # HTTP to wrk. The URL only makes the page's absolute links; nothing redirects.
            "BACKPACK_BASE_URL": "https://backpack.bench.example",
        }
        path = seed(env)
        bare_runs: list[Result] = []
        share_runs: list[Result] = []
        empty_runs: list[Result] = []
        bench_env = {**env, "PYTHONPATH": str(ROOT)}
        with (
            gunicorn("bare_app:app", env, ROOT / "bench") as bare_url,
            gunicorn("wsgi:app", env, ROOT) as share_url,
            gunicorn("empty_route_app:app", bench_env, ROOT / "bench") as empty_url,
        ):
            targets = [
                (bare_url + "/", bare_runs),
                (share_url + path, share_runs),
                (empty_url + "/bench-empty", empty_runs),
            ]
            for url, _ in targets:
                require_page(url)
                # Warm-up: workers started, pages cached.
                load(url, min(3, args.seconds), args.connections)
            for _ in range(args.rounds):
                for url, runs in targets:
                    runs.append(load(url, args.seconds, args.connections))
        bare, share, empty = median(bare_runs), median(share_runs), median(empty_runs)

    print(f"Public share page: a published collection of {BADGES} badges on PostgreSQL")
    print(f"gunicorn {' '.join(GUNICORN)} (gthread); wrk, {args.connections} connections; "
          f"median of {args.rounds} alternating rounds of {args.seconds} s")  # fmt: skip
    print(f"{'':26}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    rows = (("bare Flask route", bare), ("collection page", share), ("app's empty route", empty))
    for name, result in rows:
        print(f"{name:26}{result.requests_per_second:>10.0f}{result.p50_ms:>10.2f}"
              f"{result.p99_ms:>10.2f}{result.errors:>10}")  # fmt: skip
    throughput = share.requests_per_second / bare.requests_per_second
    latency = share.p99_ms / bare.p99_ms
    print(f"throughput ratio {throughput:.2f} (target >= 0.80): "
          f"{'met' if throughput >= 0.8 else 'NOT met'}")  # fmt: skip
    print(f"p99 ratio {latency:.2f} (target <= 1.50): {'met' if latency <= 1.5 else 'NOT met'}")
    app_share = empty.requests_per_second / bare.requests_per_second
    page_share = share.requests_per_second / empty.requests_per_second
    print(
        f"for reference: the app's own empty route does {app_share:.2f} of the bare route's "
        f"requests; the collection page does {page_share:.2f} of the empty route's"
    )


if __name__ == "__main__":
    main()
