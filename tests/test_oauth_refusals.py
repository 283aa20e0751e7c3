"""What the authorization server refuses: each case with the error a client can act on."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from authlib.integrations.base_client.errors import OAuthError
from flask import Flask

from backpack.extensions import db
from backpack.models import OAuthAuthorizationCode, OAuthToken
from tests.conftest import Accounts
from tests.support.oauth import (
    BC,
    Platform,
    anonymous,
    connect,
    consent,
    local,
    query,
    register,
)

API = "/ims/ob/v2p1"


@pytest.fixture(autouse=True)
def _http_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.mark.parametrize(
    "pkce",
    [
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},
    ],
    ids=["missing", "plain", "method-omitted"],
)
def test_authorization_without_s256_pkce_is_refused(
    badge_app: Flask, earner: Accounts, pkce: dict[str, str | None]
) -> None:
    platform = Platform(badge_app, register(badge_app))
    answer = earner.client.get(local(platform.authorization_url(**pkce)))
    assert answer.status_code == 302
    assert query(answer.headers["Location"])["error"] == "invalid_request"


def test_wrong_code_verifier_is_refused(badge_app: Flask, earner: Accounts) -> None:
    platform = Platform(badge_app, register(badge_app))
    location = consent(earner.client, platform.authorization_url())
    with pytest.raises(OAuthError) as refused:
        platform.exchange(location, code_verifier="x" * 50)
    assert refused.value.error == "invalid_grant"


def test_code_exchange_without_verifier_is_refused(badge_app: Flask, earner: Accounts) -> None:
    platform = Platform(badge_app, register(badge_app))
    location = consent(earner.client, platform.authorization_url())
    info = platform.info
    with anonymous(badge_app) as http:
        answer = http.post(
            "/oauth/token",
            data={"grant_type": "authorization_code", "code": query(location)["code"]}
            | {"redirect_uri": info["redirect_uris"][0]},
            auth=(info["client_id"], info["client_secret"]),
        )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_a_code_works_once(badge_app: Flask, earner: Accounts) -> None:
    platform = Platform(badge_app, register(badge_app))
    location = consent(earner.client, platform.authorization_url())
    platform.exchange(location)
    with pytest.raises(OAuthError) as refused:
        platform.exchange(location)
    assert refused.value.error == "invalid_grant"


def test_an_expired_code_is_refused(badge_app: Flask, earner: Accounts) -> None:
    platform = Platform(badge_app, register(badge_app))
    location = consent(earner.client, platform.authorization_url())
    with badge_app.app_context():
        code = db.session.scalar(sa.select(OAuthAuthorizationCode))
        assert code is not None
        assert code.expires_at - code.created_at == timedelta(minutes=10)
        code.expires_at -= timedelta(minutes=11)
        db.session.commit()
    with pytest.raises(OAuthError) as refused:
        platform.exchange(location)
    assert refused.value.error == "invalid_grant"


def test_unregistered_redirect_uri_is_refused_without_redirecting(
    badge_app: Flask, earner: Accounts
) -> None:
    platform = Platform(badge_app, register(badge_app))
    for uri in ("https://issuer.example/backpack/connected/other", "https://evil.example/"):
        answer = earner.client.get(local(platform.authorization_url(redirect_uri=uri)))
        assert answer.status_code == 400
        assert "Location" not in answer.headers
        assert "Cannot connect the application" in answer.get_data(as_text=True)


def test_token_request_with_another_redirect_uri_is_refused(
    badge_app: Flask, earner: Accounts
) -> None:
    platform = Platform(badge_app, register(badge_app))
    location = consent(earner.client, platform.authorization_url())
    with pytest.raises(OAuthError) as refused:
        platform.exchange(location, redirect_uri="https://issuer.example/elsewhere")
    assert refused.value.error == "invalid_grant"


def test_wrong_client_secret_is_refused(badge_app: Flask, earner: Accounts) -> None:
    info = register(badge_app)
    platform = Platform(badge_app, info | {"client_secret": "not-the-secret"})
    location = consent(earner.client, platform.authorization_url())
    with pytest.raises(OAuthError) as refused:
        platform.exchange(location)
    assert refused.value.error == "invalid_client"


def test_scope_not_granted_is_refused_by_each_endpoint(badge_app: Flask, earner: Accounts) -> None:
    platform, _token = connect(badge_app, earner.client, scope=BC + "assertion.readonly")
    assert platform.client.get(f"{API}/assertions").status_code == 200
    for method, path, body in [
        ("POST", "assertions", {"assertion": "https://issuer.example/a/1"}),
        ("GET", "profile", None),
        ("POST", "profile", {"email": "ann@elsewhere.example"}),
    ]:
        answer = platform.client.request(method, f"{API}/{path}", json=body)
        assert answer.status_code == 403, (method, path)
        assert answer.json()["status"]["statusText"] == "PERMISSION_DENIED"


def test_no_refresh_token_without_offline_access(badge_app: Flask, earner: Accounts) -> None:
    _platform, token = connect(badge_app, earner.client, scope=BC + "assertion.readonly")
    assert "refresh_token" not in token


def test_an_expired_access_token_is_refused(badge_app: Flask, earner: Accounts) -> None:
    platform, _token = connect(badge_app, earner.client)
    with badge_app.app_context():
        stored = db.session.scalar(sa.select(OAuthToken))
        assert stored is not None
        stored.issued_at -= timedelta(seconds=3601)
        db.session.commit()
    answer = platform.client.get(f"{API}/profile")
    assert answer.status_code == 401
    assert answer.json()["status"]["statusText"] == "UNAUTHENTICATED"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization", ["", "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz"]
)
def test_missing_or_unknown_tokens_are_refused(badge_app: Flask, authorization: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with anonymous(badge_app) as http:
        answer = http.get(f"{API}/assertions", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["status"]["statusText"] == "UNAUTHENTICATED"


def test_another_users_token_sees_and_adds_only_for_that_user(
    badge_app: Flask, earner: Accounts, issuer: object
) -> None:
    from tests.support.issuer import TestIssuer

    assert isinstance(issuer, TestIssuer)
    ann_platform, _ = connect(badge_app, earner.client)
    ann_badge = issuer.award("ann@example.org")
    assert ann_platform.client.post(f"{API}/assertions", json={"assertion": ann_badge}).is_success

    earner.logout()
    earner.create("bob@example.org", name="Bob")
    earner.login("bob@example.org")
    bob_platform, _ = connect(badge_app, earner.client)
    listed = bob_platform.client.get(f"{API}/assertions").json()
    assert listed["assertions"] == []
    assert listed["signedAssertions"] == []
    pushed = bob_platform.client.post(f"{API}/assertions", json={"assertion": ann_badge})
    assert pushed.status_code == 400
    assert pushed.json()["status"]["statusText"] == "RECIPIENT_PROFILE_MISMATCH"
    assert bob_platform.client.get(f"{API}/profile").json()["profile"]["email"] == "bob@example.org"


def test_a_client_cannot_revoke_another_clients_token(badge_app: Flask, earner: Accounts) -> None:
    ann_platform, token = connect(badge_app, earner.client)
    other = register(badge_app)
    with anonymous(badge_app) as http:
        answer = http.post(
            "/oauth/revoke",
            data={"token": token["access_token"]},
            auth=(other["client_id"], other["client_secret"]),
        )
    assert answer.status_code == 400
    assert ann_platform.client.get(f"{API}/profile").status_code == 200
