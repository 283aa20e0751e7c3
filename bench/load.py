"""Benchmark: a realistic mix of users and issuers, as `make run` and as production serve it.

The backpack runs under gunicorn as `make run` starts it (2 workers x 8 threads) in two
configurations, one after the other: `make run`'s own (development, SQLite in a scratch
folder, rate limits in each process's memory) and production's (PostgreSQL, rate limits in
Redis, an https BASE_URL). Each is seeded with earners who have badges, a published
collection and a Badge Connect token. Closed-loop client threads then make, for a fixed time,
this mix: log-ins, badge lists, badge pages, public collection pages, Badge Connect pushes
of hosted badges and uploads of baked badges, verified against a test issuer on loopback.
A second phase adds issuer platforms pushing badges of a slow issuer (2 s per document,
one assertion in five stalled past the fetch timeout), to show whether the pages that fetch
nothing keep their latency. Rate limits are on; every log-in comes from a new address, so
the limits are counted but not what is measured. Prints, per configuration and phase,
requests per second, p50/p99 per kind, 429s and errors (any other unexpected answer, or
none within 45 s).

    .venv/bin/python bench/load.py [--seconds 20] [--clients 8] [--slow-pushers 2]
                                   [--earners 40] [--json]

PostgreSQL and Redis are the ones the tests use (BACKPACK_TEST_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/test, where a scratch database is made and
dropped; BACKPACK_TEST_REDIS_URL, default redis://127.0.0.1:6379/15, where this run's keys
carry their own prefix). A benchmark never fails a build: it only prints figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import parse_with_smoke, scratch_database
from bench.load_mix import KINDS, Load
from bench.load_seed import seed_earners
from tests.live_server import LiveServer
from tests.support.http_server import LocalHTTPServer

REDIS_URL = os.environ.get("BACKPACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CONFIGURATIONS = {
    "make run": "development, SQLite, limits in memory",
    "production": "PostgreSQL, Redis, https BASE_URL",
}
PHASES = {"steady": "no slow issuer", "slow issuers": "with slow-issuer pushes"}


def serve(configuration: str, workdir: Path, stack: ExitStack) -> tuple[LiveServer, str]:
    """The backpack under gunicorn in one configuration; the server and its database URL."""
    scratch = {
        "RATELIMIT_ENABLED": "true",  # the live server's default is off
        "FETCH_ALLOW_PRIVATE": "1",  # the test issuers live on loopback
        "TASKS_SQLITE_PATH": str(workdir / "tasks.sqlite3"),
        "IMPORTS_DIR": str(workdir / "imports"),
        "SECRET_KEY": secrets.token_urlsafe(48),
    }
    if configuration == "make run":
        server = LiveServer(workdir, **scratch)
        database = server.env["BACKPACK_SQLALCHEMY_DATABASE_URI"]
    else:
        database = stack.enter_context(scratch_database("bench_load"))
        server = LiveServer(
            workdir,
            database,
            ENVIRONMENT="production",
            # A proxy ends TLS in production; gunicorn speaks plain HTTP to the clients, and
            # the https URL only makes absolute links. Nothing redirects.
            BASE_URL="https://backpack.load.example",
            REDIS_URL=REDIS_URL,
            RATELIMIT_KEY_PREFIX=f"bench-load-{secrets.token_hex(4)}",
            **scratch,
        )
    return stack.enter_context(server), database


def measure(
    configuration: str, seconds: float, clients: int, slow_pushers: int, earners: int
) -> dict[str, Any]:
    """Both phases against one configuration."""
    with (
        ExitStack() as stack,
        tempfile.TemporaryDirectory() as workdir_name,
        LocalHTTPServer() as issuer_server,
        LocalHTTPServer() as slow_server,
    ):
        workdir = Path(workdir_name)
        server, database = serve(configuration, workdir, stack)
        seeded = seed_earners(database, workdir, earners)
        logging.getLogger().setLevel(logging.WARNING)  # the seeding app's INFO lines are noise
        load = Load(server.url, seeded, issuer_server, slow_server)
        load.run(min(seconds, 3.0), clients)  # warm-up: workers started, caches filled
        figures: dict[str, Any] = {
            "steady": load.run(seconds, clients),
            "slow issuers": load.run(seconds, clients, slow_pushers),
        }
        figures["tracebacks"] = server.log.read_text().count("Traceback")
        figures["verdicts"] = stored_verdicts(database)
    return figures


def stored_verdicts(database: str) -> dict[str, int]:
    """How the pushed and uploaded badges were found: a badge whose issuer was too slow, or
    whose fetch found the server's fetch slots all taken, is stored "unverifiable" for now."""
    engine = sa.create_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT source, verification, count(*) FROM badge"
                " WHERE source IN ('push', 'upload') GROUP BY source, verification"
            )
        ).all()
    engine.dispose()
    return {f"{source} {verdict}": count for source, verdict, count in rows}


def print_report(results: dict[str, Any], seconds: float, clients: int, pushers: int) -> None:
    for configuration, phases in results.items():
        print(f"\n{configuration} ({CONFIGURATIONS[configuration]}): {clients} clients "
              f"(and {pushers} slow-issuer pushers in the second phase), "
              f"phases of {seconds:g} s; tracebacks in the server log: "
              f"{phases['tracebacks']}")  # fmt: skip
        for phase, figures in phases.items():
            if phase not in PHASES:
                continue
            print(f"  {phase} ({PHASES[phase]}): {figures['requests']} requests, "
                  f"{figures['requests_per_second']:.1f} req/s, {figures['errors']} errors, "
                  f"{figures['rate_limited']} answered 429")  # fmt: skip
            print(f"    {'kind':22}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}{'429':>6}  errors")
            for kind in (*KINDS, "push, slow issuer"):
                row = figures["kinds"].get(kind)
                if row is None:
                    continue
                errors = ", ".join(f"{n} x {label}" for label, n in row["errors"].items())
                print(f"    {kind:22}{row['requests']:>9}{row['p50_ms']:>9.0f}"
                      f"{row['p99_ms']:>9.0f}{row['rate_limited']:>6}  "
                      f"{errors or '-'}")  # fmt: skip
        steady, slowed = phases["steady"], phases["slow issuers"]
        print(f"  public page p99: {steady['kinds']['public page']['p99_ms']:.0f} ms steady, "
              f"{slowed['kinds']['public page']['p99_ms']:.0f} ms while slow issuers "
              f"are fetched")  # fmt: skip
        verdicts = ", ".join(f"{n} {what}" for what, n in sorted(phases["verdicts"].items()))
        print(f"  badges stored by pushes and uploads: {verdicts}")


def main(arguments: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument("--clients", type=int, default=8, help="client threads of the mix")
    parser.add_argument(
        "--slow-pushers", type=int, default=2, help="threads pushing slow issuers' badges"
    )
    parser.add_argument("--earners", type=int, default=40, help="seeded accounts")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    options = parse_with_smoke(parser, arguments, seconds=2, clients=2, slow_pushers=2, earners=4)
    results = {
        configuration: measure(
            configuration, options.seconds, options.clients, options.slow_pushers, options.earners
        )
        for configuration in CONFIGURATIONS
    }
    if options.json:
        print(json.dumps(results))
    else:
        print_report(results, options.seconds, options.clients, options.slow_pushers)


if __name__ == "__main__":
    main()
