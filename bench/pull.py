"""Benchmark: pulling an earner's badges from another backpack over its API.

    .venv/bin/python bench/pull.py [--badges 1000] [--json]

The other backpack is the Badge Connect stand-in of the tests (`tests/support/ob3_backpack.py`,
in a process of its own, so it shares no GIL with the puller), holding `--badges` hosted
Open Badges 2.0 assertions from a local issuer in the same process. The pulling backpack,
on a scratch PostgreSQL database, registers, is given consent, trades the code, then lists
every page and verifies and stores each badge through the one intake, as a pull job does.
It prints the badges pulled per second and the pulling process's peak memory. A benchmark
never fails a build: it only prints figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backpack import create_app
from backpack.extensions import db
from backpack.models import User
from backpack.services import accounts
from backpack.services.app_fetcher import app_fetcher
from bench.common import app_settings, parse_with_smoke, scratch_database
from importers.pull import jobs, ob3
from importers.pull.core import run_pull
from importers.pull.remote import PullLimits, Remote
from importers.report import ImportReport
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer
from tests.support.ob3_backpack import Ob3Backpack

EARNER = "ann@example.org"


def host_provider(badges: int, connection: Connection) -> None:
    """In a process of its own: the issuer and the other backpack; consent on request."""
    with LocalHTTPServer() as issuer_server, LocalHTTPServer() as server:
        issuer = TestIssuer(issuer_server)
        held = [issuer.award(EARNER, slug=f"b{n % 7}") for n in range(badges)]
        provider = Ob3Backpack(server, held, page_size=100, badge_connect=True)
        connection.send(server.url("/"))
        while (command := connection.recv()) != "stop":
            connection.send(provider.consent(command))


def measure(options: argparse.Namespace) -> dict[str, Any]:
    """Connect, pull every badge once, and time it."""
    processes = multiprocessing.get_context("fork")
    mine, theirs = processes.Pipe()
    provider = processes.Process(target=host_provider, args=(options.badges, theirs), daemon=True)
    provider.start()
    try:
        address = mine.recv()
        with scratch_database("bench_pull") as url, tempfile.TemporaryDirectory() as tmp:
            app = create_app(app_settings(url, tmp, VERIFY_IMPORTED_BADGES=False))
            with app.app_context(), app.test_request_context():
                db.create_all()
                user = accounts.create_account(EARNER, "correct horse battery", verified=True)
                db.session.commit()
                figures = _pull(db.session.get(User, user.id), address, mine, options.badges)
                db.session.remove()
                db.engine.dispose()
    finally:
        mine.send("stop")
        provider.join(timeout=10)
    return figures


def _pull(user: User, address: str, provider: Connection, badges: int) -> dict[str, Any]:
    limits = PullLimits(pages=badges // 100 + 20, items=badges + 10)
    remote = Remote(app_fetcher(), limits)
    provider.send(ob3.consent_address(remote, user, address.rstrip("/"), "badge-connect"))
    query = parse_qs(urlsplit(provider.recv()).query)
    grant = ob3.pending_grant(user, query["state"][0])
    assert grant is not None
    ob3.finish_authorization(remote, grant, query["code"][0])
    db.session.commit()
    started, cpu = time.perf_counter(), time.process_time()
    source, listed = jobs.list_spec(jobs.grant_spec(grant), user, remote)
    listed_after = time.perf_counter() - started
    report = run_pull(user, source, listed, ImportReport(), batch=50)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "badges": badges,
        "pulled": report.imported["badges"],
        "failed": sum(report.failed.values()),
        "seconds": round(wall, 2),
        "listing_seconds": round(listed_after, 2),
        "badges_per_second": round(report.imported["badges"] / wall, 1),
        "waiting_share": round(max(0.0, 1 - cpu / wall), 2),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(arguments: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--badges", type=int, default=1000, help="badges to pull (1000)")
    parser.add_argument("--json", action="store_true", help="print the figures as one object")
    options = parse_with_smoke(parser, arguments, badges=30)
    figures = measure(options)
    if options.json:
        print(json.dumps(figures))
    else:
        print(
            f"Pulled {figures['pulled']} of {figures['badges']} badges in {figures['seconds']} s"
            f" (listing {figures['listing_seconds']} s): {figures['badges_per_second']} badges/s,"
            f" waiting {figures['waiting_share']:.0%} of the time; failed {figures['failed']};"
            f" peak memory {figures['peak_memory_mb']} MB"
        )


if __name__ == "__main__":
    main()
