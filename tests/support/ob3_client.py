"""An Open Badges 3.0 API client: discovery, registration and consent against the app.

Built on the Badge Connect helpers of `tests.support.oauth` (Authlib's own OAuth 2 client
over WSGI): the two APIs share one authorization server, and differ in how a client finds
it and what registration requires.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import post_form
from tests.support.oauth import ISSUER_SITE, REDIRECT_URI, Platform, anonymous, consent, local

API = "/ims/ob/v3p0"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
READ = OB3 + "credential.readonly"
UPSERT = OB3 + "credential.upsert"
PROFILE_READ = OB3 + "profile.readonly"
PROFILE_UPDATE = OB3 + "profile.update"
ALL_OB3_SCOPES = " ".join([READ, UPSERT, PROFILE_READ, PROFILE_UPDATE, "offline_access"])


def ob3_registration(**overrides: Any) -> dict[str, Any]:
    """A registration request as the 3.0 security section has a client send it."""
    request: dict[str, Any] = {
        "client_name": "Example Wallet",
        "client_uri": ISSUER_SITE,
        "logo_uri": f"{ISSUER_SITE}/logo.png",
        "tos_uri": f"{ISSUER_SITE}/terms",
        "policy_uri": f"{ISSUER_SITE}/privacy",
        "software_id": "example-wallet",
        "software_version": "1.0",
        "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": ALL_OB3_SCOPES,
    }
    request.update(overrides)
    return {k: v for k, v in request.items() if v is not None}


def security_scheme(app: Flask) -> dict[str, Any]:
    """The OAuth2ACG security scheme of the app's Service Description Document."""
    with anonymous(app) as http:
        document = http.get(f"{API}/discovery").json()
    scheme: dict[str, Any] = document["components"]["securitySchemes"]["OAuth2ACG"]
    return scheme


def register_ob3(app: Flask, **overrides: Any) -> Any:
    """POST a registration to the URL discovery names; the raw answer."""
    url = security_scheme(app)["x-imssf-registrationUrl"]
    with anonymous(app) as http:
        return http.post(url, json=ob3_registration(**overrides))


def connect_ob3(
    app: Flask,
    browser: FlaskClient,
    scope: str = ALL_OB3_SCOPES,
    collections: list[int] | None = None,
) -> tuple[Platform, dict[str, Any]]:
    """Register, let the logged-in earner consent (ticking `collections`), get tokens."""
    reply = register_ob3(app)
    assert reply.status_code == 201, reply.text
    platform = Platform(app, reply.json(), scope=scope)
    url = platform.authorization_url()
    if collections is None:
        location = consent(browser, url)
    else:
        location = consent_with_collections(browser, url, collections)
    return platform, platform.exchange(location)


def consent_with_collections(browser: FlaskClient, url: str, collections: list[int]) -> str:
    """Allow on the consent page with these collections ticked; the redirect's URL."""
    page = local(url)
    shown = browser.get(page)
    assert shown.status_code == 200
    for collection_id in collections:
        assert f'value="{collection_id}"' in shown.get_data(as_text=True)
    answer = post_form(
        browser, page, {"decision": "allow", "collections": [str(c) for c in collections]}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return str(answer.headers["Location"])
