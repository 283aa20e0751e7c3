"""Mozilla's issuer API: issuer.js and the /issuer/... routes a pre-2019 issuer page uses."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask

from tests.conftest import Accounts, csrf_token, post_form
from tests.support.issuer import TestIssuer


def _result(page: str) -> dict[str, Any]:
    match = re.search(r'data-result="([^"]*)"', page)
    assert match, page
    result: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return result


def test_issuer_js_defines_the_old_api(badge_app: Flask) -> None:
    answer = badge_app.test_client().get("/issuer.js")
    assert answer.status_code == 200
    assert answer.mimetype == "application/javascript"
    script = answer.get_data(as_text=True)
    assert 'var ROOT = "http://backpack.test";' in script
    assert (
        "window.OpenBadges = { issue: issue, issue_no_modal: issueNoModal, connect: connect }"
        in script
    )
    assert '"/issuer/frameless"' in script


def test_frameless_offer_is_accepted_after_confirmation(
    earner: Accounts, issuer: TestIssuer
) -> None:
    first = issuer.award("ann@example.org")["id"]
    second = issuer.award("ann@example.org", slug="welding")["id"]
    posted = earner.client.post("/issuer/frameless", data={"assertions": [first, second]})
    assert posted.status_code == 303
    page_url = posted.headers["Location"]
    assert parse_qs(urlsplit(page_url).query)["assertion"] == [first, second]
    page = earner.client.get(page_url).get_data(as_text=True)
    assert first in page
    assert 'name="decision" value="allow"' in page

    data = {"assertion": [first, second], "decision": "allow", "origin": "http://127.0.0.1"}
    result = post_form(earner.client, page_url, data, action="/issuer/frame")
    outcome = _result(result.get_data(as_text=True))
    assert outcome == {"type": "OpenBadges.issue", "errors": [], "successes": [first, second]}
    again = post_form(earner.client, page_url, data, action="/issuer/frame")
    reasons = [e["reason"] for e in _result(again.get_data(as_text=True))["errors"]]
    assert reasons == ["EXISTS", "EXISTS"]
    assert "Robotics Level 1" in earner.client.get("/badges/").get_data(as_text=True)


def test_declined_and_broken_offers_report_their_reasons(
    earner: Accounts, issuer: TestIssuer
) -> None:
    mine = issuer.award("ann@example.org")["id"]
    not_mine = issuer.award("bob@example.org", slug="welding")["id"]
    missing = issuer.server.url("/assertions/404.json")
    page = "/issuer/frame?assertion=x"
    declined = post_form(
        earner.client, page, {"assertion": [mine], "decision": "deny"}, action="/issuer/frame"
    )
    assert _result(declined.get_data(as_text=True))["errors"] == [
        {"assertion": mine, "reason": "DENIED"}
    ]
    data = {"assertion": [not_mine, missing, "{not json"], "decision": "allow"}
    broken = post_form(earner.client, page, data, action="/issuer/frame")
    reasons = [e["reason"] for e in _result(broken.get_data(as_text=True))["errors"]]
    assert reasons == ["INVALID", "INACCESSIBLE", "MALFORMED"]


def test_frame_needs_a_login_and_keeps_the_offer(badge_app: Flask) -> None:
    answer = badge_app.test_client().get("/issuer/frame?assertion=https%3A%2F%2Fi.example%2Fa")
    assert answer.status_code == 302
    assert "assertion" in answer.headers["Location"]


def test_preview_and_award_json_routes(earner: Accounts, issuer: TestIssuer) -> None:
    url = issuer.award("ann@example.org")["id"]
    preview = earner.client.get("/issuer/assertion", query_string={"assertion": url}).get_json()
    assert preview["exists"] is False
    assert preview["recipient"] == "ann@example.org"
    token = csrf_token(earner.client, "/account/")
    headers = {"X-CSRFToken": token}
    created = earner.client.post("/issuer/assertion", json={"assertion": url}, headers=headers)
    assert created.status_code == 201
    assert created.get_json()["exists"] is False
    assert earner.client.get("/issuer/assertion", query_string={"badge": url}).get_json()["exists"]
    repeat = earner.client.post("/issuer/assertion", json={"assertion": url}, headers=headers)
    assert repeat.status_code == 304
    other = issuer.award("bob@example.org", slug="x")["id"]
    refused = earner.client.post("/issuer/assertion", json={"assertion": other}, headers=headers)
    assert refused.status_code == 403
    assert refused.get_json() == {"message": "badge assertion is for a different user"}
    empty = earner.client.post("/issuer/assertion", json={}, headers=headers)
    assert empty.status_code == 400
    forged = earner.client.post("/issuer/assertion", json={"assertion": url})
    assert forged.status_code == 400  # no CSRF token


def test_json_routes_tell_a_logged_out_page_to_log_in(badge_app: Flask) -> None:
    client = badge_app.test_client()
    preview = client.get("/issuer/assertion", query_string={"assertion": "https://i.example/a"})
    assert preview.status_code == 403
    assert preview.get_json() == {
        "message": "user is not logged in, redirect to /login",
        "redirect_to": "/login",
    }


def test_a_preview_verifies_as_intake_does_with_the_issuers_documents_kept(
    earner: Accounts, issuer: TestIssuer
) -> None:
    url = issuer.award("ann@example.org")["id"]
    preview = earner.client.get("/issuer/assertion", query_string={"assertion": url})
    assert preview.status_code == 200
    headers = {"X-CSRFToken": csrf_token(earner.client, "/account/")}
    created = earner.client.post("/issuer/assertion", json={"assertion": url}, headers=headers)
    assert created.status_code == 201
    # The preview's issuer profile and badge class served the accept: asked for once.
    assert sum(r.path == "/issuer.json" for r in issuer.server.requests) == 1
    assert sum(r.path == "/badges/robotics.json" for r in issuer.server.requests) == 1


def test_a_preview_of_a_badge_intake_would_refuse_says_why(
    earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    issuer.revoke(assertion)
    preview = earner.client.get("/issuer/assertion", query_string={"assertion": assertion["id"]})
    assert preview.status_code == 400
    assert "revoked" in preview.get_json()["message"].lower()
