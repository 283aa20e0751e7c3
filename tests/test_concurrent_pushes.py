"""Concurrent pushes of one badge, as threads against gunicorn on PostgreSQL, store it once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
import sqlalchemy as sa

from tests import services
from tests.live_server import LiveServer
from tests.support.issuer import TestIssuer
from tests.support.oauth import seed_token

PUSHES = 20


@pytest.fixture
def live_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for a live server to migrate."""
    admin_url = services.require_postgres()
    name = services.unique_name("backpack_push")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgresql
def test_twenty_concurrent_pushes_of_one_assertion_store_exactly_one_badge(
    tmp_path: Path, live_database: str, issuer: TestIssuer
) -> None:
    with LiveServer(tmp_path, database_url=live_database, FETCH_ALLOW_PRIVATE="1") as server:
        token = seed_token(live_database, "ann@example.org", tmp_path)
        assertion = issuer.award("ann@example.org")
        start = threading.Barrier(PUSHES)

        def push(_: int) -> int:
            with httpx2.Client(timeout=60) as http:
                start.wait()
                answer = http.post(
                    f"{server.url}/ims/ob/v2p1/assertions",
                    json={"assertion": assertion},
                    headers={"Authorization": f"Bearer {token}"},
                )
                return answer.status_code

        with ThreadPoolExecutor(PUSHES) as pool:
            statuses = list(pool.map(push, range(PUSHES)))

    assert statuses == [200] * PUSHES
    engine = sa.create_engine(live_database)
    with engine.connect() as connection:
        badges = connection.execute(sa.text("SELECT count(*) FROM badge")).scalar()
    engine.dispose()
    assert badges == 1
