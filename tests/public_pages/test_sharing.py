"""Public pages: links that live and die, what they show, JSON-LD, oEmbed, the widget,
caching, and the visitor's "verify now".
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from backpack.extensions import db
from backpack.models import Badge, User
from backpack.openbadges.recipient import identity_hash
from tests.badge_fixtures import add_badge
from tests.conftest import Accounts, Outbox, post_form
from tests.sharing_helpers import (
    act,
    add_to,
    badge_token,
    create_collection,
    public_path,
    publish,
    share_badge,
)
from tests.support.badge_rows import make_badge
from tests.support.issuer import TestIssuer


def _set(app: Flask, badge_id: int, **values: object) -> None:
    with app.app_context():
        db.session.execute(sa.update(Badge).where(Badge.id == badge_id).values(**values))
        db.session.commit()


def _published(app: Flask, client: FlaskClient, user_id: int, *names: str) -> tuple[int, str]:
    collection_id = create_collection(client, "Maker skills", "Things I built.")
    add_to(client, collection_id, *(make_badge(app, user_id, name=n) for n in names))
    return collection_id, publish(client, collection_id)


def test_publishing_gives_an_unguessable_link_that_shows_the_badges(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    collection_id = create_collection(client, "Maker skills", "Things I built.")
    robot = make_badge(app, ann, name="Robot builder")
    add_to(client, collection_id, robot)
    act(client, collection_id, f"badges/{robot}/story", {"story": "It follows a line."})
    assert client.get(f"/collections/{collection_id}").status_code == 200
    path = publish(client, collection_id)
    assert len(path.rsplit("/", 1)[1]) >= 43
    page = visitor.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("Maker skills", "Things I built.", "Robot builder", "It follows a line.",
                 "Verified", "Verify now", "Example Institute"):  # fmt: skip
        assert text in html, text
    assert "Ann Example" not in html
    assert "ann@example.org" not in html
    assert "Set-Cookie" not in page.headers
    assert page.headers["Cache-Control"] == "public, no-cache"
    assert page.headers["X-Robots-Tag"] == "noindex"
    owner_view = client.get(f"/collections/{collection_id}").get_data(as_text=True)
    assert path in owner_view
    # The same page for every visitor: a shared cache may serve it to the next one.
    assert "Cookie" not in visitor.get(path).headers.get("Vary", "")


def test_unpublishing_and_relinking_kill_the_old_link(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    collection_id, first = _published(app, client, ann, "Robot")
    assert act(client, collection_id, "relink").status_code == 302
    second = public_path(app, collection_id)
    assert second != first
    gone = visitor.get(first)
    assert gone.status_code == 410
    assert "withdrew this page" in gone.get_data(as_text=True)
    assert visitor.get(second).status_code == 200

    act(client, collection_id, "unpublish")
    assert visitor.get(second).status_code == 410
    assert visitor.get(second + ".json").status_code == 410
    assert visitor.get(second + "/embed").status_code == 410
    act(client, collection_id, "publish")
    third = public_path(app, collection_id)
    assert third not in (first, second)
    assert visitor.get(first).status_code == 410
    assert visitor.get(third).status_code == 200


def test_deleting_a_published_collection_kills_its_link(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    collection_id, path = _published(app, client, ann, "Robot")
    act(client, collection_id, "delete")
    assert visitor.get(path).status_code == 410


@pytest.mark.parametrize(
    "path",
    [
        "/public/collections/" + "A" * 43,
        "/public/collections/short",
        "/public/collections/" + "x" * 500,
        "/public/collections/abc%27%3Cscript%3E-1234567890123",
        "/public/collections/" + "A" * 43 + ".json",
        "/public/collections/" + "A" * 43 + "/embed",
        "/public/collections/" + "A" * 43 + "/badges/1/image",
        "/public/badges/" + "B" * 43,
        "/public/badges/" + "B" * 43 + "/image",
        "/public/badges/../../etc/passwd",
    ],
)
def test_unknown_tokens_are_not_found(visitor: FlaskClient, path: str) -> None:
    response = visitor.get(path)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Traceback" not in page
    # Said for someone who followed a link, not (as Werkzeug says) for one who typed it.
    assert "If you entered the URL manually" not in page


def test_head_and_options_on_public_routes_leak_nothing(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    _, path = _published(app, client, ann, "Robot")
    head = visitor.head(path)
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["ETag"] == visitor.get(path).headers["ETag"]
    assert visitor.head("/public/collections/" + "Z" * 43).status_code == 404
    for target in (path, "/public/collections/" + "Z" * 43, "/public/oembed"):
        options = visitor.options(target)
        assert options.status_code == 200
        assert options.get_data() == b""
        assert "GET" in options.headers["Allow"]
    post = visitor.post(path)
    assert post.status_code == 405


def test_the_owner_name_appears_only_when_chosen_and_never_an_address(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    collection_id, path = _published(app, client, ann, "Robot")
    assert "Ann Example" not in visitor.get(path).get_data(as_text=True)
    act(client, collection_id, "details", {"name": "Maker skills", "show_owner_name": "y"})
    html = visitor.get(path).get_data(as_text=True)
    assert "Badges earned by Ann Example" in html
    assert "ann@example.org" not in html
    document = visitor.get(path + ".json").get_json()
    assert document["owner"] == {"name": "Ann Example"}
    # An account with no name shows none, never its address in its place.
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == ann).values(name=""))
        db.session.commit()
    html = visitor.get(path).get_data(as_text=True)
    assert "Badges earned by" not in html
    assert "ann@example.org" not in html


def test_a_plain_text_recipient_is_hashed_on_public_pages(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    collection_id = create_collection(client)
    add_to(client, collection_id, make_badge(app, ann, hashed=False))
    path = publish(client, collection_id)
    for suffix in ("", ".json", "/embed"):
        assert "ann@example.org" not in visitor.get(path + suffix).get_data(as_text=True)
    [assertion] = visitor.get(path + ".json").get_json()["badges"]
    recipient = assertion["recipient"]
    assert recipient["hashed"] is True
    assert recipient["identity"].startswith("sha256$")
    assert recipient["identity"] == identity_hash("ann@example.org", recipient["salt"])


def test_pending_and_rejected_badges_never_appear(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    collection_id = create_collection(client)
    kept, later_rejected = make_badge(app, ann, name="Kept"), make_badge(app, ann, name="Dropped")
    add_to(client, collection_id, kept, later_rejected)
    path = publish(client, collection_id)
    assert "Dropped" in visitor.get(path).get_data(as_text=True)
    post_form(client, f"/badges/{later_rejected}", {}, action=f"/badges/{later_rejected}/reject")
    html = visitor.get(path).get_data(as_text=True)
    assert "Kept" in html
    assert "Dropped" not in html
    assert "Dropped" not in visitor.get(path + ".json").get_data(as_text=True)
    _set(app, later_rejected, status="pending")
    assert "Dropped" not in visitor.get(path).get_data(as_text=True)
    image = visitor.get(f"{path}/badges/{later_rejected}/image")
    assert image.status_code == 404
    owner = client.get(f"/collections/{collection_id}").get_data(as_text=True)
    assert "Not on the public page" in owner


@pytest.mark.parametrize(
    ("verification", "label"),
    [("expired", "Expired"), ("unverifiable", "Not verified"), ("revoked", "Revoked"),
     ("invalid", "Not valid")],
)  # fmt: skip
def test_badges_that_are_not_valid_are_never_shown_as_verified(
    app: Flask,
    client: FlaskClient,
    visitor: FlaskClient,
    ann: int,
    verification: str,
    label: str,
) -> None:
    collection_id = create_collection(client)
    add_to(client, collection_id, make_badge(app, ann, verification=verification))
    path = publish(client, collection_id)
    html = visitor.get(path).get_data(as_text=True)
    assert '<span class="tag tag-' in html
    assert label in html
    assert ">Verified<" not in html
    document = visitor.get(path + ".json").get_json()
    [result] = document["verificationResults"]
    assert result["status"] == verification
    assert result["verified"] is False
    assert document["badges"][0].get("revoked", False) is (verification == "revoked")


def test_json_ld_by_content_negotiation_or_suffix(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    _, path = _published(app, client, ann, "Robot", "Maths")
    by_suffix = visitor.get(path + ".json")
    negotiated = visitor.get(path, headers={"Accept": "application/ld+json"})
    html = visitor.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert by_suffix.mimetype == negotiated.mimetype == "application/ld+json"
    assert html.mimetype == "text/html"
    assert "Accept" in negotiated.headers["Vary"]
    assert by_suffix.headers["Access-Control-Allow-Origin"] == "*"
    assert negotiated.get_json() == by_suffix.get_json()
    assert negotiated.headers["ETag"] != html.headers["ETag"]
    document = by_suffix.get_json()
    assert document["@context"] == "https://w3id.org/openbadges/v2"
    assert document["id"] == "http://backpack.test" + path
    assert [a["badge"]["name"] for a in document["badges"]] == ["Robot", "Maths"]
    for assertion in document["badges"]:
        assert assertion["type"] == "Assertion"
        assert assertion["recipient"]["hashed"] is True
        assert assertion["badge"]["issuer"]["name"] == "Example Institute"


def test_pages_carry_opengraph_twitter_and_discovery_links(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    _, path = _published(app, client, ann, "Robot")
    html = visitor.get(path).get_data(as_text=True)
    meta = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', html))
    assert meta["og:title"] == "Maker skills"
    assert meta["og:description"] == "Things I built."
    assert meta["og:url"] == "http://backpack.test" + path
    assert meta["og:image"].startswith("http://backpack.test" + path + "/badges/")
    assert meta["twitter:card"] == "summary"
    assert meta["robots"] == "noindex"
    assert f'type="application/ld+json" href="http://backpack.test{path}.json"' in html
    assert 'type="application/json+oembed"' in html
    image = visitor.get(meta["og:image"].replace("http://backpack.test", ""))
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert "sandbox" in image.headers["Content-Security-Policy"]


def test_etags_answer_304_until_something_on_the_page_changes(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    collection_id, path = _published(app, client, ann, "Robot")
    first = visitor.get(path)
    etag = first.headers["ETag"]
    again = visitor.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    [badge_id] = [int(n) for n in re.findall(r'id="badge-(\d+)"', first.get_data(as_text=True))]
    _set(app, badge_id, verification="revoked")
    changed = visitor.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Revoked" in changed.get_data(as_text=True)
    act(client, collection_id, "details", {"name": "Renamed"})
    renamed = visitor.get(path, headers={"If-None-Match": changed.headers["ETag"]})
    assert renamed.status_code == 200
    assert "Renamed" in renamed.get_data(as_text=True)


def test_oembed_describes_the_widget(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    _, path = _published(app, client, ann, "Robot")
    url = "http://backpack.test" + path
    response = visitor.get("/public/oembed", query_string={"url": url, "maxwidth": 400})
    assert response.status_code == 200
    document = response.get_json()
    assert document["type"] == "rich"
    assert document["version"] == "1.0"
    assert document["title"] == "Maker skills"
    assert document["width"] == 400
    assert f'src="{url}/embed"' in document["html"]
    assert "author_name" not in document
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    xml = visitor.get("/public/oembed", query_string={"url": url, "format": "xml"})
    assert xml.status_code == 501
    bad_urls = [
        "",
        "https://elsewhere.example" + path,
        "javascript:alert(1)",
        "http://backpack.test/collections/1",
        "http://backpack.test/public/oembed",
    ]
    for bad in bad_urls:
        answer = visitor.get("/public/oembed", query_string={"url": bad})
        assert answer.status_code in (400, 404), bad
        assert answer.get_json()["message"]


def test_the_widget_may_be_framed_by_any_site_and_has_no_forms(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    _, path = _published(app, client, ann, "Robot")
    widget = visitor.get(path + "/embed")
    assert widget.status_code == 200
    policy = widget.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy
    assert "script-src" not in policy
    html = widget.get_data(as_text=True)
    assert "Robot" in html
    assert "<form" not in html
    assert 'target="_blank" rel="noopener"' in html
    page = visitor.get(path)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_a_single_badge_is_shared_unshared_and_relinked(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    robot = make_badge(app, ann, name="Robot builder")
    settings = client.get(f"/shared-badges/{robot}").get_data(as_text=True)
    assert "Only you can see this badge" in settings
    path = share_badge(client, robot)
    html = visitor.get(path).get_data(as_text=True)
    assert "Robot builder" in html
    assert "ann@example.org" not in html
    assertion = visitor.get(path + ".json").get_json()
    assert assertion["type"] == "Assertion"
    assert assertion["badge"]["name"] == "Robot builder"
    assert visitor.get(path, headers={"Accept": "application/ld+json"}).get_json() == assertion
    assert visitor.get(path + "/image").status_code == 200
    assert "frame-ancestors *" in visitor.get(path + "/embed").headers["Content-Security-Policy"]

    post_form(client, f"/shared-badges/{robot}", {"show_owner_name": "y"},
              action=f"/shared-badges/{robot}/owner-name")  # fmt: skip
    assert "A badge earned by Ann Example" in visitor.get(path).get_data(as_text=True)

    post_form(client, f"/shared-badges/{robot}", {}, action=f"/shared-badges/{robot}/relink")
    new_path = f"/public/badges/{badge_token(app, robot)}"
    assert visitor.get(path).status_code == 410
    assert visitor.get(new_path).status_code == 200
    post_form(client, f"/shared-badges/{robot}", {}, action=f"/shared-badges/{robot}/unpublish")
    assert visitor.get(new_path).status_code == 410
    assert visitor.get(new_path + "/image").status_code == 410
    assert badge_token(app, robot) is None


def test_pending_and_rejected_badges_cannot_be_shared_alone(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    pending = make_badge(app, ann, status="pending", recipient="new@example.org")
    response = post_form(
        client, f"/shared-badges/{pending}", {}, action=f"/shared-badges/{pending}/publish",
        follow_redirects=True,
    )  # fmt: skip
    assert "Only a badge in your backpack can be shared" in response.get_data(as_text=True)
    assert badge_token(app, pending) is None
    shared = make_badge(app, ann)
    path = share_badge(client, shared)
    _set(app, shared, status="rejected")
    assert visitor.get(path).status_code == 404
    assert visitor.get(path + ".json").status_code == 404


def test_the_share_form_and_urls_refuse_another_users_badge(
    app: Flask, client: FlaskClient, accounts: Accounts, ann: int
) -> None:
    bob = accounts.create("bob@example.org", name="Bob")
    bobs = make_badge(app, bob, recipient="bob@example.org")
    assert client.get(f"/shared-badges/{bobs}").status_code == 404
    for action in ("publish", "unpublish", "relink", "owner-name"):
        response = post_form(client, "/collections/", {}, action=f"/shared-badges/{bobs}/{action}")
        assert response.status_code == 404, action
    chosen = post_form(client, "/collections/", {"badge_id": str(bobs)}, action="/shared-badges")
    assert chosen.status_code == 400
    assert badge_token(app, bobs) is None


def test_public_images_are_the_badge_class_picture_never_the_baked_upload(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    collection_id = create_collection(client)
    robot = make_badge(app, ann)
    add_to(client, collection_id, robot)
    path = publish(client, collection_id)
    with app.app_context():
        badge = db.session.get(Badge, robot)
        assert badge is not None
        class_image = badge.badge_class.image
        assert class_image is not None
        expected = class_image.data
    image = visitor.get(f"{path}/badges/{robot}/image")
    assert image.get_data() == expected
    cached = visitor.get(
        f"{path}/badges/{robot}/image", headers={"If-None-Match": image.headers["ETag"]}
    )
    assert cached.status_code == 304
    other = make_badge(app, ann, name="Not in the collection")
    assert visitor.get(f"{path}/badges/{other}/image").status_code == 404


def test_pages_work_with_the_cache_turned_off(
    app_factory: Callable[..., Flask], accounts: Accounts
) -> None:
    app = app_factory(PUBLIC_PAGE_CACHE_SIZE=0)
    client = app.test_client()
    helper = Accounts(app, client, accounts.outbox)
    user_id = helper.create("cara@example.org", name="Cara")
    helper.login("cara@example.org")
    _, path = _published(app, client, user_id, "Robot")
    visitor = app.test_client()
    first, second = visitor.get(path), visitor.get(path)
    assert first.status_code == second.status_code == 200
    assert first.headers["ETag"] == second.headers["ETag"]


def _verify_badge_app(
    app_factory: Callable[..., Flask], issuer: TestIssuer, **settings: object
) -> tuple[Flask, FlaskClient, str, int, dict[str, object]]:
    app = app_factory(FETCH_ALLOW_PRIVATE=True, FETCH_TIMEOUT=1.0, **settings)
    client = app.test_client()
    helper = Accounts(app, client, Outbox(Path(app.config["MAIL_OUTBOX_DIR"])))
    helper.create("ann@example.org")
    helper.login("ann@example.org")
    assertion = issuer.award("ann@example.org")
    add_badge(client, "url", assertion["id"])
    with app.app_context():
        badge_id = db.session.scalars(sa.select(Badge.id)).one()
    collection_id = create_collection(client)
    add_to(client, collection_id, badge_id)
    return app, client, publish(client, collection_id), badge_id, assertion


def test_verify_now_asks_the_issuer_again_but_not_too_often(
    app_factory: Callable[..., Flask], issuer: TestIssuer
) -> None:
    app, _, path, badge_id, assertion = _verify_badge_app(
        app_factory, issuer, PUBLIC_VERIFY_INTERVAL=0
    )
    visitor = app.test_client()
    assert "Verified" in visitor.get(path).get_data(as_text=True)
    issuer.revoke(assertion)
    fetches = len(issuer.server.requests)
    response = visitor.post(f"{path}/badges/{badge_id}/verify")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{path}#badge-{badge_id}")
    assert len(issuer.server.requests) > fetches
    html = visitor.get(path).get_data(as_text=True)
    assert "Revoked" in html
    assert ">Verified<" not in html
    assert visitor.get(path + ".json").get_json()["badges"][0]["revoked"] is True


def test_verify_now_waits_between_checks_of_one_badge(
    app_factory: Callable[..., Flask], issuer: TestIssuer
) -> None:
    app, _, path, badge_id, _ = _verify_badge_app(app_factory, issuer)
    visitor = app.test_client()
    # The badge was verified a moment ago, when it was added: within the pause, no fetch.
    fetches = len(issuer.server.requests)
    for _ in range(3):
        assert visitor.post(f"{path}/badges/{badge_id}/verify").status_code == 200
    assert len(issuer.server.requests) == fetches
    assert visitor.post(f"{path}/badges/999999/verify").status_code == 404
    assert visitor.post("/public/collections/" + "Q" * 43 + "/badges/1/verify").status_code == 404


def test_verify_now_soon_after_a_check_says_when_it_was_checked_and_when_it_can_be_again(
    app_factory: Callable[..., Flask], issuer: TestIssuer
) -> None:
    app, client, path, badge_id, _ = _verify_badge_app(app_factory, issuer)
    badge_path = share_badge(client, badge_id)
    with app.app_context():
        checked = db.session.get_one(Badge, badge_id).last_verified_at
    again = checked + timedelta(seconds=app.config["PUBLIC_VERIFY_INTERVAL"])
    visitor = app.test_client()
    fetches = len(issuer.server.requests)
    for verify_url, back in [
        (f"{path}/badges/{badge_id}/verify", f"{path}#badge-{badge_id}"),
        (f"{badge_path}/verify", badge_path),
    ]:
        response = visitor.post(verify_url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        text = " ".join(re.sub(r"<[^>]+>", "", html).split())
        assert "Robotics Level 1 was checked a short while ago" in text
        assert f"last checked with its issuer at {checked:%Y-%m-%d %H:%M} UTC." in text
        assert f"checked again from {again:%H:%M} UTC (in 10 minutes)" in text
        assert f'href="{back}"' in html
        assert "Set-Cookie" not in response.headers
    assert len(issuer.server.requests) == fetches


def test_verify_now_is_rate_limited_per_visitor(
    app_factory: Callable[..., Flask], issuer: TestIssuer
) -> None:
    app, _, path, badge_id, _ = _verify_badge_app(
        app_factory, issuer, RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC_VERIFY="2 per minute"
    )
    visitor = app.test_client()
    statuses = [visitor.post(f"{path}/badges/{badge_id}/verify").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert visitor.get(path).status_code == 200


def test_the_json_ld_of_a_collection_is_valid_json_with_only_public_fields(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    _, path = _published(app, client, ann, "Robot")
    body = visitor.get(path + ".json").get_data(as_text=True)
    document = json.loads(body)
    assert set(document) == {"@context", "type", "id", "name", "description", "badges",
                             "verificationResults"}  # fmt: skip


def test_with_the_default_freshness_the_owners_changes_show_at_once(
    app_factory: Callable[..., Flask], accounts: Accounts
) -> None:
    app = app_factory(PUBLIC_PAGE_FRESHNESS=0.3)
    client = app.test_client()
    helper = Accounts(app, client, accounts.outbox)
    user_id = helper.create("cara@example.org", name="Cara")
    helper.login("cara@example.org")
    collection_id, path = _published(app, client, user_id, "Robot")
    visitor = app.test_client()
    [badge_id] = [int(n) for n in re.findall(r'id="badge-(\d+)"', visitor.get(path).text)]
    act(client, collection_id, "details", {"name": "Renamed at once"})
    assert "Renamed at once" in visitor.get(path).text
    # A change made elsewhere (another process, a background job) shows within the window.
    _set(app, badge_id, status="rejected")
    time.sleep(0.35)
    assert "Robot" not in visitor.get(path).text
    act(client, collection_id, "unpublish")
    assert visitor.get(path).status_code == 410


def test_pages_are_sent_gzipped_to_clients_that_accept_it(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    _, path = _published(app, client, ann, "Robot")
    plain = visitor.get(path)
    packed = visitor.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert packed.headers["ETag"] != plain.headers["ETag"]
    again = visitor.get(
        path, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]}
    )
    assert again.status_code == 304
