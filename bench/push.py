"""Benchmark: issuer pushes through Badge Connect `POST /ims/ob/v2p1/assertions`.

A test issuer on a local HTTP server awards hosted Open Badges 2.0 assertions (each with its
own badge class); client threads push them with one bearer token to the backpack under
gunicorn (2 workers x 8 threads, as `make run`) on PostgreSQL. Every push is verified for
real: the backpack fetches the assertion, badge class, issuer and image from the issuer.
Prints pushes per second and latency percentiles.

    .venv/bin/python bench/push.py [--count 300] [--clients 8] [--json]

PostgreSQL is the one the tests use (BACKPACK_TEST_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/test); a scratch database is created on it and
dropped afterwards. A benchmark never fails a build: it only prints figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import parse_with_smoke, scratch_database
from tests.live_server import LiveServer
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer
from tests.support.oauth import seed_token

EARNER = "ann@example.org"
WARMUP = 10


def push_all(
    url: str, token: str, assertions: Sequence[dict[str, Any]], clients: int
) -> dict[str, Any]:
    """Push every assertion from `clients` threads; the timing of each push."""
    headers = {"Authorization": f"Bearer {token}"}
    local = httpx2.Client(timeout=60, headers=headers)

    def push(assertion: dict[str, Any]) -> tuple[int, float]:
        started = time.perf_counter()
        answer = local.post(f"{url}/ims/ob/v2p1/assertions", json={"assertion": assertion})
        return answer.status_code, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(push, assertions))
    seconds = time.perf_counter() - started
    local.close()
    latencies = sorted(t for _, t in results)
    return {
        "pushes": len(results),
        "failed": sum(1 for status, _ in results if status != 200),
        "seconds": seconds,
        "pushes_per_second": len(results) / seconds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
    }


def measure(count: int, clients: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as workdir,
        scratch_database("backpack_bench_push") as database,
        LocalHTTPServer() as issuer_server,
        LiveServer(Path(workdir), database_url=database, FETCH_ALLOW_PRIVATE="1") as server,
    ):
        issuer = TestIssuer(issuer_server)
        token = seed_token(database, EARNER, Path(workdir))
        # Building the app to seed the token set up INFO logging; one line per push is noise.
        logging.getLogger("httpx2").setLevel(logging.WARNING)
        warmup = [issuer.award(EARNER, slug=f"warmup-{n}") for n in range(WARMUP)]
        push_all(server.url, token, warmup, clients)
        assertions = [issuer.award(EARNER, slug=f"badge-{n}") for n in range(count)]
        figures = push_all(server.url, token, assertions, clients)
        engine = sa.create_engine(database)
        with engine.connect() as connection:
            figures["stored"] = connection.execute(sa.text("SELECT count(*) FROM badge")).scalar()
        engine.dispose()
    figures["clients"] = clients
    return figures


def main(arguments: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=300, help="assertions to push (timed)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent pushing threads")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    options = parse_with_smoke(parser, arguments, count=10, clients=2)
    figures = measure(options.count, options.clients)
    if options.json:
        print(json.dumps(figures))
        return
    print(
        f"{figures['pushes']} pushes from {figures['clients']} clients in "
        f"{figures['seconds']:.2f} s: {figures['pushes_per_second']:.1f} pushes/s, "
        f"p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms, "
        f"{figures['failed']} failed, {figures['stored']} badges stored "
        f"({WARMUP} of them from the warm-up)"
    )


if __name__ == "__main__":
    main()
