"""Badge Connect 2.1: the manifest, the assertions and profile endpoints, and their errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, EmailAddress
from tests.conftest import Accounts
from tests.support.badge_rows import make_badge
from tests.support.issuer import TestIssuer
from tests.support.oauth import Platform, anonymous, connect

API = "/ims/ob/v2p1"
OK = {"error": None, "statusCode": 200, "statusText": "OK"}


@pytest.fixture(autouse=True)
def _http_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def platform(badge_app: Flask, earner: Accounts) -> Platform:
    """An issuer platform Ann connected with every scope."""
    connected, _token = connect(badge_app, earner.client)
    return connected


def _ann_id(app: Flask) -> int:
    with app.app_context():
        email = db.session.scalar(
            sa.select(EmailAddress).where(EmailAddress.normalised == "ann@example.org")
        )
        assert email is not None
        return email.user_id


def test_manifest_is_served_inline_with_absolute_urls(app: Flask) -> None:
    answer = app.test_client().get("/.well-known/badgeconnect.json")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    document = answer.get_json()
    assert document["id"] == "http://backpack.test/.well-known/badgeconnect.json"
    api = document["badgeConnectAPI"][0]
    assert api["apiBase"] == "http://backpack.test/ims/ob/v2p1"
    assert api["version"] == "v2p1"
    for name in ("registrationUrl", "authorizationUrl", "tokenUrl", "tokenRevocationUrl"):
        assert api[name].startswith("http://backpack.test/")
    for name in ("termsOfServiceUrl", "privacyPolicyUrl", "name", "scopesOffered"):
        assert api[name]


def test_manifest_urls_follow_base_url(app_factory: Any) -> None:
    app = app_factory(BASE_URL="https://badges.example.edu/backpack")
    api = app.test_client().get("/.well-known/badgeconnect.json").get_json()["badgeConnectAPI"][0]
    assert api["apiBase"] == "https://badges.example.edu/backpack/ims/ob/v2p1"
    assert api["tokenUrl"] == "https://badges.example.edu/backpack/oauth/token"


def test_assertions_lists_accepted_badges_only(badge_app: Flask, platform: Platform) -> None:
    user_id = _ann_id(badge_app)
    make_badge(badge_app, user_id, name="Accepted")
    make_badge(badge_app, user_id, name="Pending", status="pending")
    make_badge(badge_app, user_id, name="Rejected", status="rejected")

    answer = platform.client.get(f"{API}/assertions")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == OK
    assert len(body["assertions"]) == 1
    assert answer.headers["X-Total-Count"] == "1"


def test_assertions_are_paged_with_link_and_total_count(
    badge_app: Flask, platform: Platform
) -> None:
    user_id = _ann_id(badge_app)
    ids = [make_badge(badge_app, user_id, name=f"Badge {n}") for n in range(5)]
    with badge_app.app_context():
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for n, badge_id in enumerate(ids):
            badge = db.session.get(Badge, badge_id)
            assert badge is not None
            badge.created_at = start + timedelta(days=n)
        db.session.commit()

    first = platform.client.get(f"{API}/assertions", params={"limit": 2})
    assert first.headers["X-Total-Count"] == "5"
    assert len(first.json()["assertions"]) == 2
    links = dict(
        (rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', first.headers["Link"])
    )
    assert set(links) == {"first", "last", "next"}
    assert "offset=2" in links["next"]
    assert "offset=4" in links["last"]

    middle = platform.client.get(f"{API}/assertions", params={"limit": 2, "offset": 2})
    assert set(re.findall(r'rel="(\w+)"', middle.headers["Link"])) == {
        "first",
        "last",
        "next",
        "prev",
    }
    last = platform.client.get(f"{API}/assertions", params={"limit": 2, "offset": 4})
    assert len(last.json()["assertions"]) == 1
    assert 'rel="next"' not in last.headers["Link"]

    seen = [
        a["id"]
        for offset in (0, 2, 4)
        for a in platform.client.get(
            f"{API}/assertions", params={"limit": 2, "offset": offset}
        ).json()["assertions"]
    ]
    assert len(set(seen)) == 5

    since = platform.client.get(f"{API}/assertions", params={"since": "2026-01-03T12:00:00Z"})
    assert since.headers["X-Total-Count"] == "2"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "1000"},
        {"limit": "ten"},
        {"limit": "²"},
        {"offset": "-1"},
        {"offset": "²"},
        {"since": "yesterday"},
        {"since": "9999-12-31T23:59:59-23:59"},
    ],
)
def test_bad_list_parameters_are_refused(platform: Platform, params: dict[str, str]) -> None:
    answer = platform.client.get(f"{API}/assertions", params=params)
    assert answer.status_code == 400
    status = answer.json()["status"]
    assert status["statusText"] == "REQUEST_VALIDATION_ERROR"
    assert status["error"]


def test_push_hosted_and_signed_assertions(
    badge_app: Flask, platform: Platform, issuer: TestIssuer
) -> None:
    hosted = issuer.award("ann@example.org")
    assert platform.client.post(f"{API}/assertions", json={"assertion": hosted}).json() == {
        "status": OK
    }
    by_url = issuer.award("ann@example.org", slug="welding")
    assert platform.client.post(f"{API}/assertions", json={"assertion": by_url["id"]}).is_success
    signed = issuer.award_signed("ann@example.org", slug="sewing")
    # With both given, the signed one counts and the unsigned one is ignored (the spec).
    both = {"assertion": {"not": "an assertion"}, "signedAssertion": signed}
    assert platform.client.post(f"{API}/assertions", json=both).is_success
    again = platform.client.post(f"{API}/assertions", json={"assertion": hosted})
    assert again.status_code == 200

    body = platform.client.get(f"{API}/assertions").json()
    assert {a["id"] for a in body["assertions"]} == {hosted["id"], by_url["id"]}
    assert body["signedAssertions"] == [signed]
    with badge_app.app_context():
        sources = db.session.scalars(sa.select(Badge.source)).all()
        assert sources == ["push", "push", "push"]


def test_push_for_someone_else_is_a_recipient_mismatch(
    platform: Platform, issuer: TestIssuer
) -> None:
    answer = platform.client.post(
        f"{API}/assertions", json={"assertion": issuer.award("bob@example.org")}
    )
    assert answer.status_code == 400
    status = answer.json()["status"]
    assert status["statusText"] == "RECIPIENT_PROFILE_MISMATCH"
    assert "someone else" in status["error"]


def test_push_of_a_broken_badge_is_invalid(platform: Platform, issuer: TestIssuer) -> None:
    for assertion in ("not a url or json", {"type": "Assertion", "id": "urn:uuid:1"}):
        answer = platform.client.post(f"{API}/assertions", json={"assertion": assertion})
        assert answer.status_code == 400
        status = answer.json()["status"]
        assert status["statusText"] == "INVALID_BADGE"
        assert status["error"]


@pytest.mark.parametrize(
    "body",
    [{}, {"assertion": None}, {"assertion": 42}, {"signedAssertion": ""}, {"signedAssertion": 7}],
)
def test_push_without_an_assertion_is_a_validation_error(
    platform: Platform, body: dict[str, Any]
) -> None:
    answer = platform.client.post(f"{API}/assertions", json=body)
    assert answer.status_code == 400
    assert answer.json()["status"]["statusText"] == "REQUEST_VALIDATION_ERROR"


def test_push_with_a_body_that_is_not_json_is_a_validation_error(platform: Platform) -> None:
    answer = platform.client.post(
        f"{API}/assertions", content=b"assertion=x", headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 400
    assert answer.json()["status"]["statusText"] == "REQUEST_VALIDATION_ERROR"


def test_profile_added_address_matches_only_after_verification(
    badge_app: Flask, earner: Accounts, platform: Platform, issuer: TestIssuer
) -> None:
    answer = platform.client.post(f"{API}/profile", json={"email": "ann@work.example"})
    assert answer.status_code == 200
    assert answer.json()["profile"]["email"] == "ann@example.org"

    pushed = platform.client.post(
        f"{API}/assertions", json={"assertion": issuer.award("ann@work.example")}
    )
    assert pushed.status_code == 200
    assert platform.client.get(f"{API}/assertions").json()["assertions"] == []
    with badge_app.app_context():
        assert db.session.scalars(sa.select(Badge.status)).all() == ["pending"]

    earner.verify_latest("ann@work.example")
    assert len(platform.client.get(f"{API}/assertions").json()["assertions"]) == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"email": ""}, {"email": "not an address"}, {"url": "https://ann.example"}, {"email": 5}],
)
def test_profile_update_validation(platform: Platform, body: dict[str, Any]) -> None:
    answer = platform.client.post(f"{API}/profile", json=body)
    assert answer.status_code == 400
    assert answer.json()["status"]["statusText"] == "REQUEST_VALIDATION_ERROR"


def test_unknown_paths_and_methods_answer_in_the_envelope(badge_app: Flask) -> None:
    with anonymous(badge_app) as http:
        missing = http.get(f"{API}/nothing-here")
        wrong = http.delete(f"{API}/assertions")
    assert missing.status_code == 404
    assert missing.json()["status"]["statusText"] == "NOT_FOUND"
    assert wrong.status_code == 405
    assert wrong.json()["status"]["statusText"] == "METHOD_NOT_ALLOWED"
