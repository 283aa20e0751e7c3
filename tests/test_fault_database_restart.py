"""PostgreSQL restarted under a running server: a clean 503 meanwhile, and no restart after.

The server runs on a private PostgreSQL cluster (tests/support/private_services.py): the
machine's shared one serves other test runs and is never stopped.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from tests.conftest import Accounts
from tests.live_server import LiveServer
from tests.support.private_services import private_postgres

# One page and one address of each JSON API family, each of which reads the database.
PROBES = {
    "page": "/public/collections/",  # and a new made-up share token each time
    "api_v1": "/api/v1/badges",
    "badge_connect": "/ims/ob/v2p1/profile",
}
UNKNOWN_TOKEN = {"Authorization": "Bearer bpk_not-a-token-of-this-server"}
# What each answers while the database is up: no such share link, no such token.
ANSWER_WHEN_UP = {"page": 404, "api_v1": 401, "badge_connect": 401}


def fetch(server: LiveServer, probe: str) -> tuple[int, dict[str, str], bytes]:
    path = PROBES[probe] + (secrets.token_urlsafe(32) if probe == "page" else "")
    request = urllib.request.Request(server.url + path, headers=UNKNOWN_TOKEN)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Traffic:
    """Requests to every probe, over and over from a few threads, until stopped."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.unavailable: list[tuple[str, dict[str, str], bytes]] = []
        self.running = True
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._loop, args=(p,)) for p in PROBES]

    def _loop(self, probe: str) -> None:
        while self.running:
            status, headers, body = fetch(self.server, probe)
            with self.lock:
                self.statuses[probe, status] += 1
                if status == 503:
                    self.unavailable.append((probe, headers, body))
            time.sleep(0.02)

    def __enter__(self) -> Traffic:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.running = False
        for thread in self.threads:
            thread.join(30)


@pytest.mark.postgresql
def test_requests_during_a_database_restart_get_503_and_the_server_recovers(
    tmp_path: Path,
) -> None:
    with private_postgres() as database, LiveServer(tmp_path, database.url) as server:
        for probe, status in ANSWER_WHEN_UP.items():
            assert fetch(server, probe)[0] == status
        with Traffic(server) as traffic:
            time.sleep(0.5)
            database.stop()
            time.sleep(2)  # every probe meets the database gone, more than once
            database.start()
            time.sleep(1)
        # The server was not restarted: every worker's pool reconnects by itself.
        for _ in range(8):
            for probe, status in ANSWER_WHEN_UP.items():
                assert fetch(server, probe)[0] == status
        log = server.log.read_text()

    answered = {status for (_, status) in traffic.statuses}
    assert answered <= {404, 401, 503}, (traffic.statuses, log[-3000:])
    shapes = {probe: (headers, body) for probe, headers, body in traffic.unavailable}
    assert set(shapes) == set(PROBES), traffic.statuses
    for headers, _ in shapes.values():
        assert int(headers["Retry-After"]) > 0
    page_headers, page = shapes["page"]
    assert page_headers["Content-Type"].startswith("text/html")
    assert b"database" in page
    assert b"Traceback" not in page
    api_error = json.loads(shapes["api_v1"][1])
    assert api_error["error"] == "service_unavailable"
    assert "database" in api_error["message"]
    connect_status = json.loads(shapes["badge_connect"][1])["status"]
    assert connect_status["statusCode"] == 503
    assert "database" in connect_status["error"]


def test_a_logged_in_page_gets_503_while_the_database_is_out(
    app: Flask, accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.create()
    assert accounts.login("ann@example.org").status_code == 302

    def database_gone(*args: object) -> None:
        raise sa.exc.OperationalError("SELECT", {}, ConnectionError("server closed"))

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", database_gone)
    try:
        response = accounts.client.get("/account/")
    finally:
        with app.app_context():
            sa.event.remove(db.engine, "before_cursor_execute", database_gone)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert b"database is not reachable" in response.data
    assert accounts.client.get("/account/").status_code == 200
