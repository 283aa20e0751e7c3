"""Mozilla's Backpack Connect grants (`bpc_session`) carried over by `mozilla-db` and
`mozilla-dump`: an issuer site that pushed before the migration keeps pushing after it.

The source rows are written here with the exact column shapes of mozilla-backpack.md
section 1.6 (access_time in unix seconds, tokens of 24 characters, `protocol//host`).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from backpack.extensions import db
from backpack.models import BackpackConnectGrant, Badge
from importers import mozilla_schema as schema
from importers.pipeline import Pipeline
from importers.report import ImportReport
from tests import services
from tests.conftest import TEST_PASSWORD, Accounts, Outbox
from tests.support import mozilla_instance as generated
from tests.support.issuer import TestIssuer
from tests.support.mozilla_units import instance_units

pytestmark = pytest.mark.mariadb

ANN = "ann@example.org"
# Tokens as Mozilla's `Session` made them: 24 random characters.
LIVE_ACCESS, LIVE_REFRESH = "aLiveAccessToken24chars0", "aLiveRefreshToken24char0"
OLD_ACCESS, OLD_REFRESH = "anExpiredAccessToken24ch", "aRefreshTokenOfAnOldOne1"


def user_row() -> dict[str, Any]:
    return {
        "id": 1,
        "first_name": "Ann",
        "last_name": "Example",
        "email": ANN,
        "email_is_verified": 1,
        "password": bcrypt.hashpw(TEST_PASSWORD.encode(), bcrypt.gensalt(4, prefix=b"2a")).decode(),
        "created_at": 1_400_000_000_000,
    }


def session_rows(origin: str) -> list[dict[str, Any]]:
    """A grant used ten minutes ago, one last used a day ago, and one of no account."""
    now = int(time.time())

    def row(number: int, user: int, access: str, refresh: str, when: int) -> dict[str, Any]:
        return {
            "id": number,
            "user_id": user,
            "access_time": when,
            "access_token": access,
            "refresh_token": refresh,
            "permissions": "issue",
            "origin": origin,
        }

    return [
        row(1, 1, LIVE_ACCESS, LIVE_REFRESH, now - 600),
        row(2, 1, OLD_ACCESS, OLD_REFRESH, now - 86_400),
    ]


@pytest.fixture
def issuer_origin(issuer: TestIssuer) -> str:
    # Mozilla stored `protocol + '//' + host`: node's protocol ends with its colon.
    return issuer.server.url("/").rstrip("/")


@pytest.fixture(params=["mozilla-db", "mozilla-dump"])
def source(
    request: pytest.FixtureRequest, tmp_path: Path, issuer_origin: str
) -> Iterator[list[str]]:
    """The import command's arguments for Ann and her grants, as a database or a dump."""
    admin = services.require_mariadb()
    tables = [("user", [user_row()]), ("bpc_session", session_rows(issuer_origin))]
    with generated.import_source(admin, "mozilla_grants", tables, request.param, tmp_path) as args:
        yield args


run_import = generated.run_import


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + base64.b64encode(token.encode()).decode()}


def push(api: FlaskClient, issuer: TestIssuer, access_token: str) -> int:
    assertion = issuer.award(ANN)
    answer = api.post("/api/issue", json={"badge": assertion["id"]}, headers=bearer(access_token))
    return answer.status_code


def test_an_issuer_keeps_pushing_with_the_tokens_mozilla_gave_it(
    badge_app: Flask, issuer: TestIssuer, source: list[str]
) -> None:
    report = run_import(badge_app, source)
    assert report["connect_grants"] == 2
    api = badge_app.test_client()
    # The access token Mozilla issued ten minutes ago works for the rest of its hour.
    assert push(api, issuer, LIVE_ACCESS) == 201
    # The one of a day ago has expired, but its refresh token gets a new one.
    assert push(api, issuer, OLD_ACCESS) == 401
    renewed = api.post(
        "/api/token", json={"grant_type": "refresh_token", "refresh_token": OLD_REFRESH}
    )
    assert renewed.status_code == 200
    fresh = renewed.get_json()
    assert fresh["expires"] == 3600
    assert push(api, issuer, fresh["access_token"]) == 201
    with badge_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Badge)) == 2
        stored = db.session.scalars(sa.select(BackpackConnectGrant)).all()
        # Hashed at rest, as this server's own grants are; the origin as this server writes it.
        kept = {g.access_token_hash for g in stored} | {g.refresh_token_hash for g in stored}
        assert not kept & {LIVE_ACCESS, LIVE_REFRESH, OLD_ACCESS, OLD_REFRESH}
        assert {g.origin for g in stored} == {issuer.server.url("/").rstrip("/")}


def test_a_second_import_adds_no_grant_and_keeps_rotated_tokens_working(
    badge_app: Flask, issuer: TestIssuer, source: list[str]
) -> None:
    run_import(badge_app, source)
    api = badge_app.test_client()
    renewed = api.post(
        "/api/token", json={"grant_type": "refresh_token", "refresh_token": LIVE_REFRESH}
    ).get_json()
    again = run_import(badge_app, source)
    assert again["connect_grants"] == 0
    assert again["already_imported"]["connect_grants"] == 2
    with badge_app.app_context():
        count = sa.select(sa.func.count()).select_from(BackpackConnectGrant)
        assert db.session.scalar(count) == 2
    # The rotated token stands; the old one is not brought back by the second run.
    assert push(api, issuer, renewed["access_token"]) == 201
    assert push(api, issuer, LIVE_ACCESS) == 401


def test_the_earner_sees_the_imported_grant_among_connected_apps(
    badge_app: Flask, source: list[str], issuer_origin: str
) -> None:
    run_import(badge_app, source)
    client = badge_app.test_client()
    Accounts(badge_app, client, Outbox(Path(badge_app.config["MAIL_OUTBOX_DIR"]))).login(ANN)
    page = client.get("/account/connected-apps/").get_data(as_text=True)
    assert issuer_origin in page


def test_grants_written_in_batches_of_one_are_those_whole_batches_write(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    """Batches of one write what a whole batch writes, unhonourable grants among them."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mozilla.sqlite3'}")
    schema.metadata.create_all(engine)
    sessions = session_rows("https://issuer.example")
    sessions.append(
        sessions[0] | {"id": 3, "user_id": 9, "access_token": "x", "refresh_token": "y"}
    )
    sessions.append(
        sessions[0] | {"id": 4, "origin": "ftp:", "access_token": "z", "refresh_token": "w"}
    )
    sessions.append(
        sessions[0] | {"id": 5, "permissions": "", "access_token": "v", "refresh_token": "u"}
    )
    url = engine.url.render_as_string(hide_password=False)
    generated.fill(url, [("user", [user_row()]), ("bpc_session", sessions)])
    written = []
    for batch in (1, 100):
        app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / f'{batch}.db'}")
        with app.app_context():
            db.create_all()
            pipeline = Pipeline("mozilla:test", ImportReport(), batch=batch)
            units = instance_units(engine, pipeline)
            report = pipeline.run(units).to_json()
            grants = db.session.execute(
                sa.select(
                    BackpackConnectGrant.origin,
                    BackpackConnectGrant.access_token_hash,
                    BackpackConnectGrant.refresh_token_hash,
                    BackpackConnectGrant.issued_at,
                ).order_by(BackpackConnectGrant.issued_at)
            ).all()
            written.append((report, grants))
    engine.dispose()
    assert written[0] == written[1]
    report, grants = written[0]
    assert report["connect_grants"] == 2
    reasons = {f["key"]: f["reason"] for f in report["first_failures"]}
    assert "was not imported" in reasons["bpc_session:3"]
    assert "not an http(s) origin" in reasons["bpc_session:4"]
    assert "does not grant `issue`" in reasons["bpc_session:5"]
    assert [g.origin for g in grants] == ["https://issuer.example"] * 2
