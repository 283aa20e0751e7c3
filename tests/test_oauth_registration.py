"""Dynamic client registration (RFC 7591) under the Badge Connect rules."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import OAuthClient
from tests.support.oauth import ALL_SCOPES, BC, anonymous, registration


def _register(app: Flask, body: Any) -> Any:
    with anonymous(app) as http:
        return http.post("/oauth/register", json=body)


def test_registration_needs_no_token_and_echoes_the_metadata(app: Flask) -> None:
    answer = _register(app, registration())
    assert answer.status_code == 201
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert body["client_id"]
    assert body["client_secret"]
    assert body["client_secret_expires_at"] == 0
    assert body["redirect_uris"] == ["https://issuer.example/backpack/connected"]
    assert body["scope"] == ALL_SCOPES
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OAuthClient)) == 1


def test_registration_without_scope_gets_the_badge_connect_scopes(app: Flask) -> None:
    body = _register(app, registration(scope=None, grant_types=None)).json()
    assert body["scope"].split() == [
        BC + "assertion.readonly",
        BC + "assertion.create",
        BC + "profile.readonly",
        BC + "profile.update",
    ]
    assert body["grant_types"] == ["authorization_code"]


def test_registration_may_choose_to_send_the_secret_in_the_form(app: Flask) -> None:
    answer = _register(app, registration(token_endpoint_auth_method="client_secret_post"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["token_endpoint_auth_method"] == "client_secret_post"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"redirect_uris": ["http://issuer.example/cb"]}, "invalid_redirect_uri"),
        ({"client_uri": "http://issuer.example"}, "invalid_client_metadata"),
        ({"logo_uri": "http://issuer.example/logo.png"}, "invalid_client_metadata"),
        ({"redirect_uris": ["https://other.example/cb"]}, "invalid_redirect_uri"),
        ({"tos_uri": "https://other.example/terms"}, "invalid_client_metadata"),
        ({"policy_uri": "https://other.example/privacy"}, "invalid_client_metadata"),
        ({"redirect_uris": ["https://issuer.example/cb#here"]}, "invalid_client_metadata"),
        ({"grant_types": ["authorization_code", "password"]}, "invalid_client_metadata"),
        ({"grant_types": ["client_credentials"]}, "invalid_client_metadata"),
        ({"grant_types": ["refresh_token"]}, "invalid_client_metadata"),
        ({"response_types": ["token"]}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "none"}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
        ({"scope": "admin"}, "invalid_client_metadata"),
        ({"client_name": None}, "invalid_client_metadata"),
        ({"redirect_uris": None}, "invalid_client_metadata"),
        ({"redirect_uris": "https://issuer.example/cb"}, "invalid_client_metadata"),
    ],
)
def test_registration_breaking_the_rules_is_refused(
    app: Flask, overrides: dict[str, Any], error: str
) -> None:
    answer = _register(app, registration(**overrides))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == error
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OAuthClient)) == 0


@pytest.mark.parametrize("body", [[], "text", None])
def test_registration_with_a_body_that_is_not_an_object_is_refused(app: Flask, body: Any) -> None:
    answer = _register(app, body)
    assert answer.status_code == 400
    assert answer.json()["error"] in ("invalid_request", "invalid_client_metadata")


def test_registration_is_rate_limited(app_factory: Any) -> None:
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_OAUTH_REGISTER="2 per hour")
    statuses = [_register(app, registration()).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
