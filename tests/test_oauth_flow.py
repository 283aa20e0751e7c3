"""The whole Badge Connect flow, driven by Authlib's own OAuth 2 client against the app."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, OAuthClient, OAuthToken
from backpack.models.oauth import token_digest
from tests.conftest import TEST_PASSWORD, Accounts, post_form
from tests.support.issuer import TestIssuer
from tests.support.oauth import (
    ALL_SCOPES,
    REDIRECT_URI,
    Platform,
    anonymous,
    consent,
    query,
    register,
)

API = "/ims/ob/v2p1"


@pytest.fixture(autouse=True)
def _http_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test app's base URL is http://backpack.test; Authlib's client insists on https.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


def test_issuer_platform_registers_gets_consent_pushes_lists_refreshes_and_revokes(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    info = register(badge_app)
    assert info["client_secret_expires_at"] == 0
    platform = Platform(badge_app, info)

    location = consent(earner.client, platform.authorization_url())
    assert location.startswith(REDIRECT_URI + "?")
    token = platform.exchange(location)
    assert token["token_type"].lower() == "bearer"
    assert token["expires_in"] == 3600
    assert "refresh_token" in token

    assertion = issuer.award("ann@example.org")
    pushed = platform.client.post(f"{API}/assertions", json={"assertion": assertion})
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["status"] == {"error": None, "statusCode": 200, "statusText": "OK"}

    listed = platform.client.get(f"{API}/assertions")
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["assertions"]] == [assertion["id"]]
    assert listed.headers["X-Total-Count"] == "1"

    old_access = token["access_token"]
    refreshed = platform.client.refresh_token("/oauth/token")
    assert refreshed["access_token"] != old_access
    assert refreshed["refresh_token"] != token["refresh_token"]
    with anonymous(badge_app) as other:
        stale = other.get(f"{API}/assertions", headers={"Authorization": f"Bearer {old_access}"})
    assert stale.status_code == 401
    assert platform.client.get(f"{API}/profile").json()["profile"]["email"] == "ann@example.org"

    platform.client.revoke_token("/oauth/revoke", refreshed["access_token"])
    after = platform.client.get(f"{API}/assertions")
    assert after.status_code == 401
    assert after.json()["status"]["statusText"] == "UNAUTHENTICATED"
    again = platform.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
        auth=(info["client_id"], info["client_secret"]),
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"

    with badge_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Badge)) == 1


@pytest.mark.parametrize("registered", ["client_secret_basic", "client_secret_post"])
@pytest.mark.parametrize("used", ["client_secret_basic", "client_secret_post"])
def test_a_client_may_send_its_secret_either_way_whichever_it_registered(
    badge_app: Flask, earner: Accounts, registered: str, used: str
) -> None:
    info = register(badge_app, token_endpoint_auth_method=registered)
    platform = Platform(badge_app, info | {"token_endpoint_auth_method": used})
    token = platform.exchange(consent(earner.client, platform.authorization_url()))
    refreshed = platform.client.refresh_token("/oauth/token")
    assert refreshed["refresh_token"] != token["refresh_token"]
    with anonymous(badge_app) as other:
        wrong = other.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refreshed["refresh_token"],
                "client_id": info["client_id"],
                "client_secret": "not-the-secret",
            },
        )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    platform.client.revoke_token("/oauth/revoke", refreshed["access_token"])
    assert platform.client.get(f"{API}/profile").status_code == 401


def test_secrets_and_tokens_are_stored_only_as_digests(badge_app: Flask, earner: Accounts) -> None:
    info = register(badge_app)
    platform = Platform(badge_app, info)
    token = platform.exchange(consent(earner.client, platform.authorization_url()))

    with badge_app.app_context():
        client = db.session.scalar(sa.select(OAuthClient))
        stored = db.session.scalar(sa.select(OAuthToken))
        assert client is not None
        assert stored is not None
        assert client.client_secret_hash == token_digest(info["client_secret"])
        assert stored.access_token_hash == token_digest(token["access_token"])
        assert stored.refresh_token_hash == token_digest(token["refresh_token"])
        columns = [c for table in (client, stored) for c in vars(table).values()]
        for secret in (info["client_secret"], token["access_token"], token["refresh_token"]):
            assert secret not in str(columns)


def test_logged_out_earner_logs_in_first_and_comes_back_to_consent(
    badge_app: Flask, earner: Accounts
) -> None:
    platform = Platform(badge_app, register(badge_app))
    url = platform.authorization_url()
    earner.logout()

    sent = earner.client.get(url.replace("http://backpack.test", ""))
    assert sent.status_code == 302
    assert sent.headers["Location"].startswith("/login?next=")
    login_page = sent.headers["Location"]
    back = post_form(
        earner.client, login_page, {"email": "ann@example.org", "password": TEST_PASSWORD}
    )
    assert back.status_code == 302
    assert back.headers["Location"].startswith("/oauth/authorize?")
    page = earner.client.get(back.headers["Location"]).get_data(as_text=True)
    assert 'name="decision" value="allow"' in page
    assert 'name="decision" value="deny"' in page
    assert "Example Issuer Platform" in page
    assert "Add badges awarded to you to your backpack" in page
    assert "https://issuer.example/logo.png" in page


def test_consent_page_lets_the_form_lead_to_the_client_only(
    badge_app: Flask, earner: Accounts
) -> None:
    platform = Platform(badge_app, register(badge_app))
    page = earner.client.get(platform.authorization_url().replace("http://backpack.test", ""))
    policy = page.headers["Content-Security-Policy"]
    assert "form-action 'self' https://issuer.example;" in policy
    assert "frame-ancestors 'none'" in policy


def test_consent_promises_lasting_access_only_to_a_client_that_can_have_it(
    badge_app: Flask, earner: Accounts
) -> None:
    # offline_access asked for, but no refresh_token grant registered: no refresh token
    # will come, so the earner is not told the app keeps its access.
    for grant_types, promised in ((["authorization_code", "refresh_token"], True), (None, False)):
        platform = Platform(badge_app, register(badge_app, grant_types=grant_types))
        url = platform.authorization_url().replace("http://backpack.test", "")
        page = earner.client.get(url).get_data(as_text=True)
        assert "offline_access" in ALL_SCOPES
        assert ("Keep this access when you are not using the app" in page) is promised


def test_denying_sends_access_denied_to_the_client(badge_app: Flask, earner: Accounts) -> None:
    platform = Platform(badge_app, register(badge_app))
    location = consent(earner.client, platform.authorization_url(), decision="deny")
    assert location.startswith(REDIRECT_URI)
    assert query(location)["error"] == "access_denied"
    with badge_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OAuthToken)) == 0


def test_metadata_describes_the_server(client: object, app: Flask) -> None:
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

    document = app.test_client().get("/.well-known/oauth-authorization-server").get_json()
    AuthorizationServerMetadata(document).validate()
    assert document["code_challenge_methods_supported"] == ["S256"]
    for methods in (
        "token_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
    ):
        assert document[methods] == ["client_secret_basic", "client_secret_post"]
    assert document["token_endpoint"] == "http://backpack.test/oauth/token"
    assert document["registration_endpoint"] == "http://backpack.test/oauth/register"
