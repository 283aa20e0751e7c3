"""Moodle as an Open Badges 2.1 client: it connects, pushes, and is connected an hour later."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, OAuthToken
from tests.conftest import Accounts
from tests.support.issuer import TestIssuer
from tests.support.moodle import MoodleSite, moodle_assertion, without_first_scope
from tests.support.oauth import BC, anonymous, consent

API = "/ims/ob/v2p1"
OK = {"error": None, "statusCode": 200, "statusText": "OK"}


@pytest.fixture(autouse=True)
def _http_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


def an_hour_passes(app: Flask, moodle: MoodleSite) -> None:
    """Move both clocks on by an hour: Moodle's, and the age of every token the server issued."""
    moodle.clock += 3600
    with app.app_context():
        for token in db.session.scalars(sa.select(OAuthToken)):
            token.issued_at -= timedelta(seconds=3600)
        db.session.commit()


def test_moodle_connects_pushes_and_is_still_connected_an_hour_later(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    moodle = MoodleSite(badge_app)
    moodle.discover()
    assert moodle.register().status_code == 201
    moodle.callback(consent(earner.client, moodle.login_url()))
    # What Moodle asked for, the first offered scope lost to its quirk, is what it holds.
    assert moodle.stored["scope"] == without_first_scope(moodle.scopes_supported)
    pushed = moodle.put_assertion(moodle_assertion(issuer, "ann@example.org"))
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["status"] == OK

    first_access, first_refresh = moodle.stored["token"], moodle.stored["refreshtoken"]
    an_hour_passes(badge_app, moodle)
    with anonymous(badge_app) as anyone:
        expired = anyone.get(f"{API}/profile", headers={"Authorization": f"Bearer {first_access}"})
    assert expired.status_code == 401
    pushed_later = moodle.put_assertion(moodle_assertion(issuer, "ann@example.org", badge_id=8))
    assert pushed_later.status_code == 200, pushed_later.text
    assert pushed_later.json()["status"] == OK

    assert moodle.sent == [
        "GET /.well-known/badgeconnect.json",
        "POST /oauth/register",
        "POST /oauth/token (Basic)",
        f"POST {API}/assertions (Bearer)",
        "POST /oauth/token",
        f"POST {API}/assertions (Bearer)",
    ]
    assert moodle.stored["token"] != first_access
    assert moodle.stored["refreshtoken"] != first_refresh
    with anonymous(badge_app) as anyone:
        reused = anyone.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": first_refresh,
                "client_id": moodle.client_id,
                "client_secret": moodle.client_secret,
            },
        )
    assert reused.json()["error"] == "invalid_grant"
    with badge_app.app_context():
        statuses = db.session.scalars(sa.select(Badge.status)).all()
    assert statuses == ["accepted", "accepted"]


def test_the_scope_moodle_asks_for_keeps_push_and_refresh(app: Flask) -> None:
    manifest = app.test_client().get("/.well-known/badgeconnect.json").get_json()
    offered = manifest["badgeConnectAPI"][-1]["scopesOffered"]
    asked = without_first_scope(" ".join(offered)).split()
    assert BC + "assertion.create" in asked
    assert "offline_access" in asked
