"""Slow issuers cannot hold the server: pushes from them end within their budgets, and pages
that fetch nothing keep answering meanwhile (gunicorn, as `make run` serves)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2

from tests.live_server import LiveServer
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer
from tests.support.oauth import seed_token

SLOW_PUSHES = 16  # as many as the server has threads: 2 workers x 8


def test_pages_keep_answering_while_slow_issuers_are_fetched(tmp_path: Path) -> None:
    with LocalHTTPServer() as slow_site, LocalHTTPServer() as quick_site:
        quick = TestIssuer(quick_site, name="Quick Institute")
        slow = TestIssuer(slow_site)
        assertions = [slow.award("ann@example.org") for _ in range(SLOW_PUSHES)]
        for path in list(slow_site._routes):
            slow_site.stall(path, seconds=60)  # each document would take a minute
        database = f"sqlite:///{tmp_path / 'live.sqlite3'}"
        settings = {"FETCH_ALLOW_PRIVATE": "1", "VERIFICATION_SECONDS": "8"}
        with LiveServer(tmp_path, database_url=database, **settings) as server:
            token = seed_token(database, "ann@example.org", tmp_path)

            def push(assertion: dict[str, object]) -> tuple[int, float]:
                started = time.monotonic()
                with httpx2.Client(timeout=120) as http:
                    answer = http.post(
                        f"{server.url}/ims/ob/v2p1/assertions",
                        json={"assertion": assertion["id"]},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                return answer.status_code, time.monotonic() - started

            def page() -> float:
                started = time.monotonic()
                with httpx2.Client(timeout=120) as http:
                    assert http.get(f"{server.url}/login").status_code == 200
                return time.monotonic() - started

            # Warm every worker thread up with a badge from a quick issuer, which is taken.
            with ThreadPoolExecutor(SLOW_PUSHES) as pool:
                warm = pool.map(push, [quick.award("ann@example.org")] * SLOW_PUSHES)
                assert {status for status, _ in warm} == {200}

            with ThreadPoolExecutor(SLOW_PUSHES + 1) as pool:
                pushes = [pool.submit(push, assertion) for assertion in assertions]
                time.sleep(1.0)  # the pushes are waiting on the slow issuer now
                page_times = [page() for _ in range(5)]
                results = [p.result() for p in pushes]

    # Every push ended within its verification budget (plus a little), none with a 500 ...
    assert all(status == 400 for status, _ in results), results
    assert max(took for _, took in results) < 12, results
    # ... and the log-in page kept answering meanwhile: without the bound on fetches in
    # flight, every thread fetched and it waited until the slow pushes gave up (8 s).
    assert max(page_times) < 4, page_times
