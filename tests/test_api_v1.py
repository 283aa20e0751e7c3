"""The first-party API: token and session auth, scopes, the error shape, and its operations."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from backpack.extensions import db
from backpack.models import Collection, PersonalAccessToken
from backpack.models.oauth import token_digest
from tests.conftest import Accounts, csrf_token, post_form
from tests.support.issuer import TestIssuer

TOKENS = "/account/tokens/"
ALL = [
    "badges:read",
    "badges:write",
    "collections:read",
    "collections:write",
    "emails:read",
    "emails:write",
]


def make_token(browser: FlaskClient, scopes: list[str], name: str = "script") -> str:
    """Make a personal access token on the settings page; its secret as shown once."""
    page = post_form(browser, TOKENS, {"name": name, "scope": scopes}).get_data(as_text=True)
    match = re.search(r'<code class="secret" id="new-token">([^<]+)</code>', page)
    assert match, page
    return match.group(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_is_shown_once_and_stored_hashed(badge_app: Flask, earner: Accounts) -> None:
    token = make_token(earner.client, ["badges:read"])
    assert token.startswith("bpk_")
    assert token not in earner.client.get(TOKENS).get_data(as_text=True)
    with badge_app.app_context():
        stored = db.session.scalar(sa.select(PersonalAccessToken))
        assert stored is not None
        assert stored.token_hash == token_digest(token)
        assert stored.scope == "badges:read"


def test_token_without_a_name_or_scope_is_refused(earner: Accounts) -> None:
    assert post_form(earner.client, TOKENS, {"name": "x"}).status_code == 400
    assert (
        post_form(earner.client, TOKENS, {"name": "", "scope": ["badges:read"]}).status_code == 400
    )
    bogus = post_form(earner.client, TOKENS, {"name": "x", "scope": ["admin"]})
    assert bogus.status_code == 400


def test_scopes_are_enforced_and_revocation_is_immediate(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    api = badge_app.test_client()
    token = make_token(earner.client, ["badges:read"])
    assert api.get("/api/v1/badges", headers=bearer(token)).status_code == 200
    refused = api.post(
        "/api/v1/badges",
        json={"badge": issuer.award("ann@example.org")["id"]},
        headers=bearer(token),
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "insufficient_scope"
    assert api.get("/api/v1/emails", headers=bearer(token)).status_code == 403

    page = earner.client.get(TOKENS).get_data(as_text=True)
    action = re.search(r'action="(/account/tokens/\d+/revoke)"', page)
    assert action
    post_form(earner.client, TOKENS, {}, action=action.group(1))
    gone = api.get("/api/v1/badges", headers=bearer(token))
    assert gone.status_code == 401
    assert gone.get_json() == {
        "error": "unauthenticated",
        "message": "The access token is invalid or revoked.",
    }


def test_badges_through_a_token(badge_app: Flask, earner: Accounts, issuer: TestIssuer) -> None:
    api = badge_app.test_client()
    auth = bearer(make_token(earner.client, ALL))
    url = issuer.award("ann@example.org")["id"]
    created = api.post("/api/v1/badges", json={"badge": url}, headers=auth)
    assert created.status_code == 201
    badge = created.get_json()
    assert badge["name"] == "Robotics Level 1"
    assert badge["status"] == "accepted"
    assert api.post("/api/v1/badges", json={"badge": url}, headers=auth).status_code == 200
    listed = api.get("/api/v1/badges", headers=auth).get_json()
    assert listed["total"] == 1

    rejected = api.patch(f"/api/v1/badges/{badge['id']}", json={"status": "rejected"}, headers=auth)
    assert rejected.get_json()["status"] == "rejected"
    assert api.get("/api/v1/badges?status=accepted", headers=auth).get_json()["total"] == 0
    assert api.delete(f"/api/v1/badges/{badge['id']}", headers=auth).status_code == 204
    assert api.get(f"/api/v1/badges/{badge['id']}", headers=auth).status_code == 404

    mismatch = api.post(
        "/api/v1/badges", json={"badge": issuer.award("bob@example.org")["id"]}, headers=auth
    )
    assert mismatch.status_code == 422
    assert mismatch.get_json()["error"] == "recipient_mismatch"


def test_collections_and_emails_through_a_token(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    api = badge_app.test_client()
    auth = bearer(make_token(earner.client, ALL))
    badge = api.post(
        "/api/v1/badges", json={"badge": issuer.award("ann@example.org")["id"]}, headers=auth
    ).get_json()
    made = api.post("/api/v1/collections", json={"name": "Robots"}, headers=auth)
    assert made.status_code == 201
    collection = made.get_json()
    filled = api.post(
        f"/api/v1/collections/{collection['id']}/badges",
        json={"badge_ids": [badge["id"]]},
        headers=auth,
    )
    assert filled.get_json()["badge_ids"] == [badge["id"]]
    listed = api.get("/api/v1/collections", headers=auth).get_json()["items"]
    assert [c["name"] for c in listed] == ["Robots"]
    renamed = api.patch(
        f"/api/v1/collections/{collection['id']}", json={"name": "Robotics"}, headers=auth
    )
    assert renamed.get_json()["name"] == "Robotics"
    path = f"/api/v1/collections/{collection['id']}/badges/{badge['id']}"
    assert api.delete(path, headers=auth).status_code == 204
    assert api.delete(f"/api/v1/collections/{collection['id']}", headers=auth).status_code == 204

    added = api.post("/api/v1/emails", json={"address": "ann@work.example"}, headers=auth)
    assert added.status_code == 201
    assert added.get_json()["verified"] is False
    emails = api.get("/api/v1/emails", headers=auth).get_json()["items"]
    assert [e["address"] for e in emails] == ["ann@example.org", "ann@work.example"]
    assert api.delete(f"/api/v1/emails/{emails[0]['id']}", headers=auth).status_code == 409
    assert api.delete(f"/api/v1/emails/{emails[1]['id']}", headers=auth).status_code == 204


def test_another_users_objects_are_not_found(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    api = badge_app.test_client()
    ann = bearer(make_token(earner.client, ALL))
    badge = api.post(
        "/api/v1/badges", json={"badge": issuer.award("ann@example.org")["id"]}, headers=ann
    ).get_json()
    earner.logout()
    earner.create("bob@example.org", name="Bob")
    earner.login("bob@example.org")
    bob = bearer(make_token(earner.client, ALL))
    assert api.get(f"/api/v1/badges/{badge['id']}", headers=bob).status_code == 404
    assert api.delete(f"/api/v1/badges/{badge['id']}", headers=bob).status_code == 404
    assert api.get("/api/v1/badges", headers=bob).get_json()["total"] == 0


def test_session_auth_needs_the_csrf_token_to_change_anything(earner: Accounts) -> None:
    browser = earner.client
    assert browser.get("/api/v1/emails").status_code == 200
    forged = browser.post("/api/v1/collections", json={"name": "Forged"})
    assert forged.status_code == 400
    assert forged.get_json()["error"] == "csrf"
    token = csrf_token(browser, "/account/")
    made = browser.post(
        "/api/v1/collections", json={"name": "Mine"}, headers={"X-CSRFToken": token}
    )
    assert made.status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("GET", "/api/v1/badges?limit=0", None, 422, "invalid"),
        ("GET", "/api/v1/badges?status=lost", None, 422, "invalid"),
        ("POST", "/api/v1/badges", {}, 422, "invalid"),
        ("POST", "/api/v1/badges", {"badge": 5}, 422, "invalid"),
        ("POST", "/api/v1/badges", [], 400, "bad_request"),
        ("POST", "/api/v1/badges", {"badge": "not a badge"}, 422, "unrecognised_input"),
        ("PATCH", "/api/v1/badges/999", {"status": "accepted"}, 404, "not_found"),
        ("POST", "/api/v1/collections", {"name": ""}, 422, "invalid"),
        ("POST", "/api/v1/emails", {"address": "nope"}, 400, "invalid_address"),
        ("GET", "/api/v1/nothing", None, 404, "not_found"),
        ("GET", f"/api/v1/badges/{2**40}", None, 404, "not_found"),
    ],
)
def test_errors_have_one_shape(
    badge_app: Flask,
    earner: Accounts,
    method: str,
    path: str,
    body: Any,
    status: int,
    error: str,
) -> None:
    auth = bearer(make_token(earner.client, ALL))
    answer = badge_app.test_client().open(path, method=method, json=body, headers=auth)
    assert answer.status_code == status, answer.get_data(as_text=True)
    document = answer.get_json()
    assert document["error"] == error
    assert isinstance(document["message"], str)


def test_openapi_document_describes_every_route(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "http://backpack.test/api/v1"}]
    routes = {
        (rule.rule.removeprefix("/api/v1"), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api_v1.") and rule.endpoint != "api_v1.not_found"
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    routes.discard(("/openapi.json", "get"))
    documented = {
        (re.sub(r"\{(\w+)\}", r"<int:\1>", path), method)
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert documented == routes


@pytest.mark.parametrize("number", ["2147483648", "9" * 40])
def test_ids_no_row_can_have_are_not_found_whatever_the_method(
    badge_app: Flask, earner: Accounts, number: str
) -> None:
    token = make_token(earner.client, ["badges:read", "badges:write", "collections:write"])
    api = badge_app.test_client()
    for method, path in (
        ("get", f"/api/v1/badges/{number}"),
        ("patch", f"/api/v1/badges/{number}"),
        ("delete", f"/api/v1/badges/{number}"),
        ("delete", f"/api/v1/collections/{number}"),
        ("patch", f"/api/v1/collections/{number}"),
    ):
        response = getattr(api, method)(path, headers=bearer(token), json={"status": "accepted"})
        assert response.status_code == 404, (method, path)
        assert response.get_json()["error"] == "not_found"


def test_a_nul_character_anywhere_is_a_clear_400_never_a_server_error(
    badge_app: Flask, earner: Accounts
) -> None:
    """PostgreSQL stores no U+0000: it is refused with a reason wherever it comes in."""
    token = make_token(earner.client, ALL)
    created = earner.client.post(
        "/api/v1/collections", json={"name": "Mine"}, headers=bearer(token)
    )
    assert created.status_code == 201
    path = f"/api/v1/collections/{created.get_json()['id']}"
    for method, body in (
        ("post", '{"name": "a\\u0000b"}'),
        ("patch", '{"name": "x", "description": "\\u0000"}'),
    ):
        response = getattr(earner.client, method)(
            "/api/v1/collections" if method == "post" else path,
            data=body,
            content_type="application/json",
            headers=bearer(token),
        )
        assert response.status_code == 400, response.get_data(as_text=True)
        assert "NUL" in response.get_json()["message"]
    utf16 = '{"name": "a\\u0000b"}'.encode("utf-16")
    for body in (utf16, b"[" * 100_000):
        response = earner.client.post(
            "/api/v1/collections", data=body, content_type="application/json", headers=bearer(token)
        )
        assert response.status_code == 400
    assert earner.client.get("/share/%00x").status_code == 400
    assert earner.client.get("/share/badge/%00x").status_code == 400
    listed = earner.client.get("/api/v1/badges?limit=1%00", headers=bearer(token))
    assert listed.status_code == 400
    assert "NUL" in listed.get_data(as_text=True)
    form = post_form(earner.client, "/collections/", {"name": "a\x00b", "description": ""})
    assert form.status_code == 400
    assert "NUL" in form.get_data(as_text=True)
    with badge_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Collection)) == 1


def test_adding_a_taken_address_by_api_answers_as_for_a_free_one(
    badge_app: Flask, earner: Accounts
) -> None:
    earner.create("bob@example.org", name="Bob")
    api = badge_app.test_client()
    auth = bearer(make_token(earner.client, ["emails:write"]))
    taken = api.post("/api/v1/emails", json={"address": "bob@example.org"}, headers=auth)
    free = api.post("/api/v1/emails", json={"address": "carol@example.org"}, headers=auth)
    assert taken.status_code == free.status_code == 201
    assert taken.get_json().keys() == free.get_json().keys()
    assert taken.get_json()["verified"] is free.get_json()["verified"] is False


def test_the_api_is_rate_limited_per_token_and_per_account_before_any_work(
    app_factory: Any, tmp_path: Any
) -> None:
    from pathlib import Path

    from tests.conftest import Outbox

    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_API="5 per minute")
    earner = Accounts(app, app.test_client(), Outbox(Path(app.config["MAIL_OUTBOX_DIR"])))
    earner.create("ann@example.org")
    earner.login("ann@example.org")
    first, second = (bearer(make_token(earner.client, ALL, name=n)) for n in ("a", "b"))
    api = app.test_client()
    answers = [api.get("/api/v1/emails", headers=first).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    # A second token of the same account shares the account's rate.
    limited = api.post("/api/v1/emails", json={"address": "x@example.org"}, headers=second)
    assert limited.status_code == 429
    assert limited.get_json()["error"] == "rate_limited"
    with app.app_context():
        assert earner.outbox.links_to("x@example.org") == []
