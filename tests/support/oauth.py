"""An issuer platform as an OAuth client: Authlib's own client, talking to the app over WSGI."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import post_form

BASE = "http://backpack.test"
ISSUER_SITE = "https://issuer.example"
REDIRECT_URI = f"{ISSUER_SITE}/backpack/connected"
BC = "https://purl.imsglobal.org/spec/ob/v2p1/scope/"
ALL_SCOPES = " ".join(
    [
        BC + "assertion.readonly",
        BC + "assertion.create",
        BC + "profile.readonly",
        BC + "profile.update",
        "offline_access",
    ]
)


def registration(**overrides: Any) -> dict[str, Any]:
    """A Badge Connect registration request, as an issuer platform sends it."""
    request: dict[str, Any] = {
        "client_name": "Example Issuer Platform",
        "client_uri": ISSUER_SITE,
        "logo_uri": f"{ISSUER_SITE}/logo.png",
        "tos_uri": f"{ISSUER_SITE}/terms",
        "policy_uri": f"{ISSUER_SITE}/privacy",
        "software_id": "example-issuer",
        "software_version": "1.0",
        "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": ALL_SCOPES,
    }
    request.update(overrides)
    return {k: v for k, v in request.items() if v is not None}


def http(app: Flask, **kwargs: Any) -> OAuth2Client:
    """Authlib's OAuth 2 client, connected straight to the app."""
    return OAuth2Client(transport=httpx2.WSGITransport(app=app), base_url=BASE, **kwargs)


def anonymous(app: Flask) -> httpx2.Client:
    """A plain HTTP client with no token, connected straight to the app."""
    return httpx2.Client(transport=httpx2.WSGITransport(app=app), base_url=BASE)


def register(app: Flask, **overrides: Any) -> dict[str, Any]:
    """Discover the backpack from its manifest and register a client; the registration reply."""
    with anonymous(app) as platform:
        manifest = platform.get("/.well-known/badgeconnect.json").json()
        api = manifest["badgeConnectAPI"][0]
        reply = platform.post(api["registrationUrl"], json=registration(**overrides))
    assert reply.status_code == 201, reply.text
    info: dict[str, Any] = reply.json()
    return info


class Platform:
    """A registered client going through the authorization code flow with PKCE."""

    def __init__(self, app: Flask, info: dict[str, Any], scope: str = ALL_SCOPES) -> None:
        self.app, self.info = app, info
        self.client = http(
            app,
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            redirect_uri=info["redirect_uris"][0],
            scope=scope,
            token_endpoint_auth_method=info["token_endpoint_auth_method"],
        )
        self.verifier = generate_token(48)

    def authorization_url(self, **extra: Any) -> str:
        """The authorization URL, with an S256 challenge unless `extra` overrides it."""
        params = {
            "code_challenge": create_s256_code_challenge(self.verifier),
            "code_challenge_method": "S256",
        }
        params.update(extra)
        params = {k: v for k, v in params.items() if v is not None}
        url, _state = self.client.create_authorization_url("/oauth/authorize", **params)
        return str(url)

    def exchange(self, location: str, **extra: Any) -> dict[str, Any]:
        """Trade the code in the redirect for tokens."""
        extra.setdefault("code_verifier", self.verifier)
        token: dict[str, Any] = self.client.fetch_token(
            "/oauth/token", authorization_response=location, **extra
        )
        return token


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def consent(browser: FlaskClient, url: str, decision: str = "allow") -> str:
    """Open the consent page as the logged-in earner and answer it; the redirect's URL."""
    page = local(url)
    shown = browser.get(page)
    assert shown.status_code == 200, shown.get_data(as_text=True)
    answer = post_form(browser, page, {"decision": decision})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return str(answer.headers["Location"])


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def connect(
    app: Flask, browser: FlaskClient, scope: str = ALL_SCOPES
) -> tuple[Platform, dict[str, Any]]:
    """Register a platform, let the logged-in earner consent, and get its tokens."""
    platform = Platform(app, register(app), scope=scope)
    token = platform.exchange(consent(browser, platform.authorization_url()))
    return platform, token


def seed_client() -> Any:
    """A registered Badge Connect client, written straight to the database (app context)."""
    from backpack.extensions import db
    from backpack.models import OAuthClient
    from backpack.models.oauth import new_token, token_digest, unix_now
    from backpack.oauth.registration import badge_connect_metadata

    client = OAuthClient(
        client_id=new_token(),
        client_secret_hash=token_digest(new_token()),
        client_id_issued_at=unix_now(),
        client_metadata=badge_connect_metadata(registration()),
    )
    db.session.add(client)
    db.session.flush()
    return client


def seed_access_token(client: Any, user_id: int, *, expires_in: int = 3600) -> str:
    """An access token with every Badge Connect scope for a user of `client` (app context)."""
    from backpack.extensions import db
    from backpack.models import OAuthToken
    from backpack.models.oauth import new_token, token_digest

    access = new_token()
    db.session.add(
        OAuthToken(
            client_id=client.id,
            user_id=user_id,
            access_token_hash=token_digest(access),
            scope=ALL_SCOPES,
            expires_in=expires_in,
        )
    )
    return access


def seed_token(database_url: str, address: str, workdir: Path) -> str:
    """An account and a Badge Connect access token with every scope, written straight to a
    database (for live servers, where the consent page is not what is being tested)."""
    from backpack import create_app
    from backpack.extensions import db
    from backpack.services import accounts
    from tests.conftest import TEST_PASSWORD, make_test_config

    app = create_app(make_test_config(database_url, workdir))
    with app.app_context():
        user = accounts.create_account(address, TEST_PASSWORD, name="Ann", verified=True)
        access = seed_access_token(seed_client(), user.id)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return access
