"""The badge list and detail pages, their actions, and who may see what."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, Image
from tests.badge_fixtures import add_badge
from tests.conftest import TEST_PASSWORD, Accounts, post_form
from tests.support.issuer import TestIssuer


def _badge_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Badge.id).order_by(Badge.id)))


def _act(earner: Accounts, badge_id: int, action: str) -> object:
    return post_form(
        earner.client,
        f"/badges/{badge_id}",
        {},
        action=f"/badges/{badge_id}/{action}",
        follow_redirects=True,
    )


def test_the_badge_list_pages_through_many_badges(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    for number in range(26):
        add_badge(
            earner.client, "url", issuer.award("ann@example.org", slug=f"skill-{number}")["id"]
        )
    first = earner.client.get("/badges/").get_data(as_text=True)
    assert "26 badges." in first
    assert "Page 1 of 2" in first
    assert first.count('class="badge-card"') == 24
    second = earner.client.get("/badges/?page=2").get_data(as_text=True)
    assert second.count('class="badge-card"') == 2
    assert earner.client.get("/badges/?page=99").status_code == 200


def test_the_badge_list_filters_by_status(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    add_badge(earner.client, "url", issuer.award("ann@example.org", slug="kept")["id"])
    add_badge(earner.client, "url", issuer.award("ann@example.org", slug="declined")["id"])
    declined = _badge_ids(badge_app)[1]
    _act(earner, declined, "reject")
    rejected = earner.client.get("/badges/?status=rejected").get_data(as_text=True)
    assert rejected.count('class="badge-card"') == 1
    accepted = earner.client.get("/badges/?status=accepted").get_data(as_text=True)
    assert accepted.count('class="badge-card"') == 1
    assert earner.client.get("/badges/?status=nonsense").status_code == 200


def test_a_rejected_badge_can_be_put_back(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    add_badge(earner.client, "url", issuer.award("ann@example.org")["id"])
    [badge_id] = _badge_ids(badge_app)
    assert "stays out of your backpack" in _act(earner, badge_id, "reject").get_data(as_text=True)
    assert "back in your backpack" in _act(earner, badge_id, "accept").get_data(as_text=True)


def test_deleting_a_badge_removes_it_and_its_unused_image(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    add_badge(earner.client, "url", issuer.award("ann@example.org")["id"])
    [badge_id] = _badge_ids(badge_app)
    assert "is deleted" in _act(earner, badge_id, "delete").get_data(as_text=True)
    assert _badge_ids(badge_app) == []
    with badge_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Image)) == 0


def test_another_users_badge_is_not_found_anywhere(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    add_badge(earner.client, "url", issuer.award("ann@example.org")["id"])
    [badge_id] = _badge_ids(badge_app)
    earner.logout()
    earner.create("bob@example.org", name="Bob")
    earner.login("bob@example.org")
    for path in ("", "/image", "/download"):
        assert earner.client.get(f"/badges/{badge_id}{path}").status_code == 404
    for action in ("reverify", "accept", "reject", "delete"):
        response = post_form(earner.client, "/badges/", {}, action=f"/badges/{badge_id}/{action}")
        assert response.status_code == 404
    assert _badge_ids(badge_app) == [badge_id]


def test_badge_pages_need_a_login(badge_app: Flask) -> None:
    client = badge_app.test_client()
    for path in ("/badges/", "/badges/add", "/badges/1", "/badges/1/image"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_issuer_supplied_text_is_escaped_and_bad_links_are_dropped(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    issuer.badge_class(
        "xss",
        name="<script>alert('badge')</script>",
        criteria={"id": "javascript:alert(1)", "narrative": "<img src=x onerror=alert(2)>"},
    )
    assertion = issuer.award("ann@example.org", slug="xss", evidence="javascript:alert(3)")
    # award() re-hosts the class with defaults; host the hostile one again after it.
    issuer.badge_class(
        "xss",
        name="<script>alert('badge')</script>",
        criteria={"id": "javascript:alert(1)", "narrative": "<img src=x onerror=alert(2)>"},
    )
    response = add_badge(earner.client, "url", assertion["id"], follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in page
    assert "<img src=x" not in page
    assert "javascript:" not in page


def test_account_deletion_removes_badges_and_their_images(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    add_badge(earner.client, "url", issuer.award("ann@example.org")["id"])
    response = post_form(
        earner.client, "/account/", {"password": TEST_PASSWORD}, action="/account/delete"
    )
    assert response.status_code == 302
    assert _badge_ids(badge_app) == []
    with badge_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Image)) == 0


def test_the_badge_page_says_in_words_how_the_badge_came(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    # It used to print the stored code: "Added 2026-12-03 by url".
    add_badge(earner.client, "url", issuer.award("ann@example.org")["id"])
    [badge_id] = _badge_ids(badge_app)
    page = earner.client.get(f"/badges/{badge_id}").get_data(as_text=True)
    assert " from a link</dd>" in page
    assert " by url<" not in page
