"""Mozilla Backpack Connect, as a pre-2019 issuer site used it."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from backpack.extensions import db
from backpack.models import Badge
from backpack.openbadges.baking import bake
from tests.conftest import Accounts, post_form
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer, make_svg
from tests.support.oauth import query


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + base64.b64encode(token.encode()).decode()}


def _connect(browser: FlaskClient, callback: str, decision: str = "allow") -> dict[str, str]:
    page = "/access?" + urlencode({"callback": callback, "scope": "issue"})
    shown = browser.get(page)
    assert shown.status_code == 200
    data = {"callback": callback, "scope": "issue", "decision": decision}
    answer = post_form(browser, page, data, action="/accept")
    assert answer.status_code == 303
    location = str(answer.headers["Location"])
    assert location.startswith(callback + "?")
    return query(location)


@pytest.fixture
def tokens(earner: Accounts, issuer: TestIssuer) -> dict[str, str]:
    return _connect(earner.client, issuer.server.url("/backpack-connected"))


def test_issuer_connects_pushes_reads_identity_and_refreshes(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer, tokens: dict[str, str]
) -> None:
    assert tokens["expires"] == "3600"
    assert tokens["api_root"] == "http://backpack.test/api"
    api = badge_app.test_client()

    assertion = issuer.award("ann@example.org")
    pushed = api.post(
        "/api/issue", json={"badge": assertion["id"]}, headers=_bearer(tokens["access_token"])
    )
    assert pushed.status_code == 201
    assert pushed.get_json()["exists"] is False
    assert pushed.get_json()["badge"]["id"] == assertion["id"]
    assert pushed.headers["Access-Control-Allow-Origin"] == "*"
    again = api.post(
        "/api/issue", json={"assertion": assertion["id"]}, headers=_bearer(tokens["access_token"])
    )
    assert again.status_code == 304

    identity = api.get("/api/identity", headers=_bearer(tokens["access_token"])).get_json()
    assert identity["type"] == "email"
    digest = hashlib.sha256(("ann@example.org" + identity["salt"]).encode()).hexdigest()
    assert identity["recipient"] == f"sha256${digest}"

    renewed = api.post(
        "/api/token", json={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert renewed.status_code == 200
    fresh = renewed.get_json()
    assert fresh["expires"] == 3600
    assert api.get("/api/identity", headers=_bearer(tokens["access_token"])).status_code == 401
    assert api.get("/api/identity", headers=_bearer(fresh["access_token"])).status_code == 200
    reused = api.post(
        "/api/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert reused.status_code == 400
    assert reused.get_data(as_text=True) == "invalid refresh_token"

    badges = earner.client.get("/badges/").get_data(as_text=True)
    assert "Robotics Level 1" in badges


def test_denied_connection_tells_the_issuer(earner: Accounts, issuer: TestIssuer) -> None:
    answer = _connect(earner.client, issuer.server.url("/cb"), decision="deny")
    assert answer == {"error": "access_denied"}


@pytest.mark.parametrize(
    "params",
    [
        {"callback": "javascript:alert(1)", "scope": "issue"},
        {"callback": "/relative", "scope": "issue"},
        {"callback": "https://issuer.example/cb", "scope": "admin"},
        {"scope": "issue"},
    ],
)
def test_access_with_bad_callback_or_scope_is_refused(
    earner: Accounts, params: dict[str, str]
) -> None:
    answer = earner.client.get("/access?" + urlencode(params))
    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_access_sends_a_logged_out_earner_to_log_in(earner: Accounts) -> None:
    earner.logout()
    answer = earner.client.get("/access?callback=https%3A%2F%2Fissuer.example%2Fcb&scope=issue")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "header",
    [{}, {"Authorization": "Bearer not-base64!"}, {"Authorization": "Bearer " + "dW5rbm93bg=="}],
)
def test_issue_without_a_valid_token_is_unauthorized(
    badge_app: Flask, header: dict[str, str]
) -> None:
    answer = badge_app.test_client().post("/api/issue", json={"badge": "x"}, headers=header)
    assert answer.status_code == 401
    assert answer.get_json()["status"] == "unauthorized"
    assert answer.headers["WWW-Authenticate"].startswith('Bearer realm="openbadges"')


def test_the_raw_token_without_base64_is_refused(badge_app: Flask, tokens: dict[str, str]) -> None:
    answer = badge_app.test_client().get(
        "/api/identity", headers={"Authorization": "Bearer " + tokens["access_token"]}
    )
    assert answer.status_code == 401


def test_issue_refusals(badge_app: Flask, issuer: TestIssuer, tokens: dict[str, str]) -> None:
    api = badge_app.test_client()
    auth = _bearer(tokens["access_token"])
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({}, 400, "must provide either url or signature"),
        ({"badge": "https://elsewhere.example/a.json"}, 403, "issuer origin must be identical"),
        ({"badge": issuer.award("bob@example.org")["id"]}, 403, "different user"),
    ]
    for body, status, message in cases:
        answer = api.post("/api/issue", json=body, headers=auth)
        assert answer.status_code == status, body
        assert message in answer.get_json()["message"]


def test_signed_badge_push(badge_app: Flask, issuer: TestIssuer, tokens: dict[str, str]) -> None:
    signed = issuer.award_signed("ann@example.org")
    answer = badge_app.test_client().post(
        "/api/issue", json={"badge": signed}, headers=_bearer(tokens["access_token"])
    )
    assert answer.status_code == 201


@pytest.mark.parametrize("body", [{}, {"grant_type": "password"}, {"grant_type": "refresh_token"}])
def test_token_refusals(badge_app: Flask, body: dict[str, str]) -> None:
    answer = badge_app.test_client().post("/api/token", json=body)
    assert answer.status_code == 400
    assert answer.get_data(as_text=True) in ("invalid grant_type", "invalid refresh_token")


def test_revoking_the_origin_on_connected_apps_ends_its_access(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer, tokens: dict[str, str]
) -> None:
    origin = issuer.server.url("/").rstrip("/")
    page = earner.client.get("/account/connected-apps/").get_data(as_text=True)
    assert origin in page
    post_form(
        earner.client,
        "/account/connected-apps/",
        {"kind": "backpack-connect", "key": origin},
        action="/account/connected-apps/revoke",
    )
    api = badge_app.test_client()
    assert api.get("/api/identity", headers=_bearer(tokens["access_token"])).status_code == 401
    renewed = api.post(
        "/api/token", json={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert renewed.status_code == 400


def test_mozilla_era_push_of_a_badge_hashed_from_a_case_variant_is_accepted(
    badge_app: Flask, issuer: TestIssuer, tokens: dict[str, str]
) -> None:
    # Signed as Mozilla's tools signed (alg "rs256"), to the address in title case.
    signed = issuer.award_signed_like_mozilla("Ann@Example.Org")
    answer = badge_app.test_client().post(
        "/api/issue", json={"badge": signed}, headers=_bearer(tokens["access_token"])
    )
    assert answer.status_code == 201, answer.get_json()


@pytest.fixture
def other_issuer() -> Iterator[TestIssuer]:
    """Another issuer, on a site the earner never connected."""
    with LocalHTTPServer() as server:
        yield TestIssuer(server, name="Other Academy")


def _signed_without_creator(issuer: TestIssuer, email: str) -> str:
    # Open Badges 2.0 lets a signed badge name no key: it is found in the issuer's profile.
    assertion = issuer.award(email, host=False)
    assertion["id"] = "urn:uuid:00000000-0000-4000-8000-00000000abcd"
    assertion["verification"] = {"type": "signed"}
    return issuer.sign(assertion)


def _baked_svg(assertion: dict[str, Any]) -> str:
    return bake(make_svg(), json.dumps(assertion)).decode()


def _badge_in_form(issuer: TestIssuer, form: str) -> str:
    """Ann's badge from this issuer, in one of the forms /api/issue takes."""
    if form == "hosted URL":
        return str(issuer.award("ann@example.org")["id"])
    if form == "assertion JSON":
        return json.dumps(issuer.award("ann@example.org"))
    if form == "JWS naming its key":
        return issuer.award_signed("ann@example.org")
    if form == "JWS naming no key":
        return _signed_without_creator(issuer, "ann@example.org")
    assert form == "baked SVG"
    return _baked_svg(issuer.award("ann@example.org"))


FORMS = ["hosted URL", "assertion JSON", "JWS naming its key", "JWS naming no key", "baked SVG"]


def _stored_badges(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(sa.select(Badge)).all())


@pytest.mark.parametrize("form", FORMS)
def test_a_grant_cannot_push_another_issuers_badge_in_any_form(
    badge_app: Flask,
    issuer: TestIssuer,
    other_issuer: TestIssuer,
    tokens: dict[str, str],
    form: str,
) -> None:
    answer = badge_app.test_client().post(
        "/api/issue",
        json={"badge": _badge_in_form(other_issuer, form)},
        headers=_bearer(tokens["access_token"]),
    )
    assert answer.status_code == 403
    refusal = answer.get_json()
    assert refusal["message"] == "issuer origin must be identical to bearer token origin"
    assert refusal["reason"] == "origin_mismatch"
    assert issuer.server.url("/").rstrip("/") in refusal["detail"]
    assert _stored_badges(badge_app) == 0


def test_a_hosted_url_on_the_grants_site_naming_an_assertion_elsewhere_is_refused(
    badge_app: Flask, issuer: TestIssuer, other_issuer: TestIssuer, tokens: dict[str, str]
) -> None:
    foreign = other_issuer.award("ann@example.org")
    # The grant's own site serves a copy whose id is the other issuer's: that one is checked.
    issuer.server.serve_json("/relay.json", foreign)
    answer = badge_app.test_client().post(
        "/api/issue",
        json={"badge": issuer.server.url("/relay.json")},
        headers=_bearer(tokens["access_token"]),
    )
    assert answer.status_code == 403
    assert "hosted assertion" in answer.get_json()["detail"]
    assert _stored_badges(badge_app) == 0


@pytest.mark.parametrize("form", FORMS)
def test_the_grants_own_issuer_pushes_in_every_form(
    badge_app: Flask, issuer: TestIssuer, tokens: dict[str, str], form: str
) -> None:
    answer = badge_app.test_client().post(
        "/api/issue",
        json={"badge": _badge_in_form(issuer, form)},
        headers=_bearer(tokens["access_token"]),
    )
    assert answer.status_code == 201, answer.get_json()
    assert _stored_badges(badge_app) == 1


def test_an_unverifiable_badge_from_the_grants_site_claiming_another_issuer_is_refused(
    badge_app: Flask, issuer: TestIssuer, other_issuer: TestIssuer, tokens: dict[str, str]
) -> None:
    # The grant's site says it hosts the other issuer's badge, then fails to serve it: kept
    # as unverifiable, it would show the other issuer's name unchallenged.
    claimed = other_issuer.award("ann@example.org", host=False)
    claimed["id"] = issuer.server.url("/down.json")
    issuer.server.serve("/down.json", b"unavailable", status=503, content_type="text/plain")
    answer = badge_app.test_client().post(
        "/api/issue", json={"badge": json.dumps(claimed)}, headers=_bearer(tokens["access_token"])
    )
    assert answer.status_code == 403
    assert "could not be verified" in answer.get_json()["detail"]
    assert _stored_badges(badge_app) == 0
