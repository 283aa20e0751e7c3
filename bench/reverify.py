"""Benchmark: `badges reverify` of many badges from many issuers, some of them slow.

    .venv/bin/python bench/reverify.py [--badges 1000] [--issuers 50] [--slow 10]
        [--slow-seconds 0.1] [--json]

Issuers live on local HTTP servers in a process of their own (so they share no GIL with the
verifier), each awarding hosted Open Badges 2.0 assertions to one earner. The badges are
added to a backpack on a scratch PostgreSQL database while every issuer is quick; then
`--slow` issuers start answering every request `--slow-seconds` late, and every badge is
verified again, once one at a time (REVERIFY_WORKERS=1, as before issue 17) and once as the
server does (the pool of `batch_verification`). It prints each run's time, badges per
second, and the share of the run the process spent waiting rather than computing
(1 - CPU time / wall time). A benchmark never fails a build: it only prints figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backpack import create_app
from backpack.extensions import db
from backpack.models import Badge, User
from backpack.services import accounts, batch_verification
from backpack.services.badge_intake import receive_badge
from bench.common import app_settings, parse_with_smoke, scratch_database
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer

EARNER = "ann@example.org"


def host_issuers(issuers: int, badges: int, slow: int, connection: Connection) -> None:
    """In a process of its own: run the issuers, send the badge URLs, slow some on request."""
    with ExitStack() as stack:
        servers = [stack.enter_context(LocalHTTPServer()) for _ in range(issuers)]
        sites = [TestIssuer(server, name=f"Issuer {n}") for n, server in enumerate(servers)]
        urls = [sites[n % issuers].award(EARNER, slug=f"b{n % 7}")["id"] for n in range(badges)]
        connection.send(urls)
        while (command := connection.recv()) != "stop":
            for server in servers[:slow]:
                server.delay = float(command)
            connection.send("ok")


def reverify_all(ids: Sequence[int], workers: int) -> dict[str, Any]:
    """Verify every badge again with `workers` at once; its time, rate and waiting share."""
    verdicts: Counter[str] = Counter()
    wall, cpu = time.perf_counter(), time.process_time()
    for done in batch_verification.reverify_many(ids, workers=workers):
        db.session.commit()
        verdicts[done.after] += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "workers": workers,
        "seconds": round(wall, 2),
        "badges_per_second": round(len(ids) / wall, 1),
        "waiting_share": round(max(0.0, 1 - cpu / wall), 2),
        "verdicts": dict(verdicts),
    }


def measure(options: argparse.Namespace) -> dict[str, Any]:
    """Seed the backpack, slow the slow issuers, and re-verify one at a time, then pooled."""
    processes = multiprocessing.get_context("fork")
    issuer_end, server_end = processes.Pipe()
    args = (options.issuers, options.badges, options.slow, server_end)
    issuers = processes.Process(target=host_issuers, args=args, daemon=True)
    issuers.start()
    try:
        urls: list[str] = issuer_end.recv()
        with scratch_database("bench_reverify") as url, tempfile.TemporaryDirectory() as tmp:
            app = create_app(app_settings(url, tmp))
            with app.app_context():
                db.create_all()
                user = accounts.create_account(EARNER, "correct horse battery", verified=True)
                db.session.commit()
                for badge_url in urls:
                    receive_badge(db.session.get(User, user.id), badge_url, source="url")
                    db.session.commit()
                ids = list(db.session.scalars(db.select(Badge.id).order_by(Badge.id)))
                issuer_end.send(str(options.slow_seconds))
                issuer_end.recv()
                one_at_a_time = reverify_all(ids, 1)
                pooled = reverify_all(ids, options.workers)
                db.session.remove()
                db.engine.dispose()
    finally:
        issuer_end.send("stop")
        issuers.join(timeout=10)
    return {
        "badges": len(ids),
        "issuers": options.issuers,
        "slow_issuers": options.slow,
        "slow_seconds": options.slow_seconds,
        "one_at_a_time": one_at_a_time,
        "pooled": pooled,
        "speedup": round(one_at_a_time["seconds"] / pooled["seconds"], 1),
    }


def print_figures(figures: dict[str, Any]) -> None:
    """Print the figures for people."""
    print(
        f"Re-verified {figures['badges']} badges from {figures['issuers']} issuers, "
        f"{figures['slow_issuers']} of them answering {figures['slow_seconds']} s late:"
    )
    for label in ("one_at_a_time", "pooled"):
        run = figures[label]
        name = label.replace("_", " ")
        print(
            f"  {name:13} ({run['workers']:2} at once): {run['seconds']:7.2f} s, "
            f"{run['badges_per_second']:7.1f} badges/s, waiting {run['waiting_share']:.0%} "
            f"of the time; verdicts {run['verdicts']}"
        )
    print(f"speed-up: {figures['speedup']}x")


def main(arguments: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--badges", type=int, default=1000, help="badges to re-verify (1000)")
    parser.add_argument("--issuers", type=int, default=50, help="issuers awarding them (50)")
    parser.add_argument("--slow", type=int, default=10, help="issuers that answer late (10)")
    parser.add_argument("--slow-seconds", type=float, default=0.1, help="their delay (0.1)")
    parser.add_argument("--workers", type=int, default=8, help="REVERIFY_WORKERS (8)")
    parser.add_argument("--json", action="store_true", help="print the figures as one object")
    options = parse_with_smoke(parser, arguments, badges=30, issuers=5, slow=1)
    figures = measure(options)
    if options.json:
        print(json.dumps(figures))
    else:
        print_figures(figures)


if __name__ == "__main__":
    main()
