"""The connected-apps page: every grant listed, and revoking one kills all its tokens."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import Accounts, post_form
from tests.support.oauth import BC, anonymous, connect

API = "/ims/ob/v2p1"
PAGE = "/account/connected-apps/"


@pytest.fixture(autouse=True)
def _http_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


def test_page_lists_each_app_with_its_scopes_and_last_use(
    badge_app: Flask, earner: Accounts
) -> None:
    assert "No application has access" in earner.client.get(PAGE).get_data(as_text=True)
    platform, _ = connect(badge_app, earner.client, scope=BC + "assertion.readonly")
    page = earner.client.get(PAGE).get_data(as_text=True)
    assert "Example Issuer Platform" in page
    assert "See the badges you have accepted into your backpack" in page
    assert "Add badges awarded to you" not in page
    assert "Never" in page

    platform.client.get(f"{API}/assertions")
    page = earner.client.get(PAGE).get_data(as_text=True)
    assert "Never" not in page
    assert " UTC" in page


def test_revoking_an_app_kills_all_its_tokens_at_once(badge_app: Flask, earner: Accounts) -> None:
    platform, first = connect(badge_app, earner.client)
    refreshed = platform.client.refresh_token("/oauth/token")
    _second_platform, _ = connect(badge_app, earner.client)
    info = platform.info

    answer = post_form(
        earner.client, PAGE, {"kind": "oauth", "key": info["client_id"]}, action=PAGE + "revoke"
    )
    assert answer.status_code == 302

    with anonymous(badge_app) as http:
        for access in (first["access_token"], refreshed["access_token"]):
            dead = http.get(f"{API}/profile", headers={"Authorization": f"Bearer {access}"})
            assert dead.status_code == 401
        refresh = http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
            auth=(info["client_id"], info["client_secret"]),
        )
        assert refresh.json()["error"] == "invalid_grant"
    page = earner.client.get(PAGE).get_data(as_text=True)
    assert page.count("Example Issuer Platform") == 1  # the other platform is still there


def test_nobody_else_can_revoke_an_earners_app(badge_app: Flask, earner: Accounts) -> None:
    platform, _ = connect(badge_app, earner.client)
    earner.logout()
    earner.create("bob@example.org", name="Bob")
    earner.login("bob@example.org")
    answer = post_form(
        earner.client,
        PAGE,
        {"kind": "oauth", "key": platform.info["client_id"]},
        action=PAGE + "revoke",
    )
    assert answer.status_code == 404
    assert platform.client.get(f"{API}/profile").status_code == 200


def test_page_needs_a_login(client: object, app: Flask) -> None:
    answer = app.test_client().get(PAGE)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login")
