"""Revoking an app ends its whole grant, and a refresh token replayed later ends it too."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import OAuthToken
from backpack.models.oauth import token_digest
from backpack.oauth.server import REFRESH_REUSE_GRACE
from tests.conftest import Accounts, post_form
from tests.support.oauth import Platform, anonymous, connect, consent, query

API = "/ims/ob/v2p1"
PAGE = "/account/connected-apps/"


@pytest.fixture(autouse=True)
def _http_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


def _token_request(app: Flask, platform: Platform, **data: str) -> Any:
    with anonymous(app) as http:
        return http.post(
            "/oauth/token",
            data=data,
            auth=(platform.info["client_id"], platform.info["client_secret"]),
        )


def _refresh(app: Flask, platform: Platform, refresh_token: str) -> Any:
    return _token_request(app, platform, grant_type="refresh_token", refresh_token=refresh_token)


def _exchange(app: Flask, platform: Platform, location: str) -> Any:
    return _token_request(
        app,
        platform,
        grant_type="authorization_code",
        code=query(location)["code"],
        redirect_uri=platform.info["redirect_uris"][0],
        code_verifier=platform.verifier,
    )


def _profile_status(app: Flask, access_token: str) -> int:
    with anonymous(app) as http:
        answer = http.get(f"{API}/profile", headers={"Authorization": f"Bearer {access_token}"})
    return answer.status_code


def _rotated_long_ago(app: Flask, refresh_token: str) -> None:
    """Move a rotation back in time, past the grace a racing second request gets."""
    with app.app_context():
        token = db.session.scalar(
            sa.select(OAuthToken).where(
                OAuthToken.refresh_token_hash == token_digest(refresh_token)
            )
        )
        assert token is not None
        assert token.refresh_token_revoked_at is not None
        token.refresh_token_revoked_at -= REFRESH_REUSE_GRACE + timedelta(seconds=1)
        db.session.commit()


def test_a_code_issued_before_the_app_was_revoked_cannot_be_exchanged(
    badge_app: Flask, earner: Accounts
) -> None:
    platform, _ = connect(badge_app, earner.client)
    # The app asks again and the earner consents; before it trades the code, they revoke it.
    pending = consent(earner.client, platform.authorization_url())
    answer = post_form(
        earner.client, PAGE, {"kind": "oauth", "key": platform.info["client_id"]}, PAGE + "revoke"
    )
    assert answer.status_code == 302

    exchanged = _exchange(badge_app, platform, pending)
    assert exchanged.status_code == 400
    assert exchanged.json()["error"] == "invalid_grant"


def test_revoking_one_token_at_the_revocation_endpoint_ends_the_grant_and_its_codes(
    badge_app: Flask, earner: Accounts
) -> None:
    platform, token = connect(badge_app, earner.client)
    pending = consent(earner.client, platform.authorization_url())
    platform.client.revoke_token("/oauth/revoke", token["access_token"])

    assert _refresh(badge_app, platform, token["refresh_token"]).json()["error"] == "invalid_grant"
    assert _exchange(badge_app, platform, pending).json()["error"] == "invalid_grant"


def test_a_replayed_refresh_token_revokes_the_whole_grant(
    badge_app: Flask, earner: Accounts
) -> None:
    platform, first = connect(badge_app, earner.client)
    second = _refresh(badge_app, platform, first["refresh_token"]).json()
    assert _profile_status(badge_app, second["access_token"]) == 200
    pending = consent(earner.client, platform.authorization_url())
    _rotated_long_ago(badge_app, first["refresh_token"])

    replayed = _refresh(badge_app, platform, first["refresh_token"])
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_grant"

    # Whoever held the newer tokens, client or thief, holds nothing now.
    assert _profile_status(badge_app, second["access_token"]) == 401
    assert _refresh(badge_app, platform, second["refresh_token"]).json()["error"] == "invalid_grant"
    assert _exchange(badge_app, platform, pending).json()["error"] == "invalid_grant"
    assert "Example Issuer Platform" not in earner.client.get(PAGE).get_data(as_text=True)


def test_a_second_refresh_racing_the_first_is_refused_but_the_client_stays_connected(
    badge_app: Flask, earner: Accounts
) -> None:
    platform, first = connect(badge_app, earner.client)
    second = _refresh(badge_app, platform, first["refresh_token"]).json()

    # The same refresh token again within moments: the client's own second worker, not theft.
    late = _refresh(badge_app, platform, first["refresh_token"])
    assert late.json()["error"] == "invalid_grant"

    assert _profile_status(badge_app, second["access_token"]) == 200
    third = _refresh(badge_app, platform, second["refresh_token"])
    assert third.status_code == 200
    assert _profile_status(badge_app, third.json()["access_token"]) == 200


def test_another_client_replaying_a_used_refresh_token_cannot_end_the_grant(
    badge_app: Flask, earner: Accounts
) -> None:
    platform, first = connect(badge_app, earner.client)
    second = _refresh(badge_app, platform, first["refresh_token"]).json()
    _rotated_long_ago(badge_app, first["refresh_token"])
    intruder, _ = connect(badge_app, earner.client)

    replayed = _refresh(badge_app, intruder, first["refresh_token"])
    assert replayed.json()["error"] == "invalid_grant"
    assert _profile_status(badge_app, second["access_token"]) == 200


def test_refreshes_racing_with_one_token_give_one_new_pair_and_keep_the_client_connected(
    badge_app: Flask, earner: Accounts
) -> None:
    platform, first = connect(badge_app, earner.client)
    racers = 6
    start = threading.Barrier(racers)

    def refresh(_: int) -> Any:
        start.wait()
        return _refresh(badge_app, platform, first["refresh_token"])

    with ThreadPoolExecutor(racers) as pool:
        answers = list(pool.map(refresh, range(racers)))

    winners = [a.json() for a in answers if a.status_code == 200]
    losers = [a.json()["error"] for a in answers if a.status_code != 200]
    assert len(winners) == 1
    assert losers == ["invalid_grant"] * (racers - 1)
    assert _profile_status(badge_app, winners[0]["access_token"]) == 200
    assert _refresh(badge_app, platform, winners[0]["refresh_token"]).status_code == 200
