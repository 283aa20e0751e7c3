"""Who sees what: every page and API route that can show a collection or a badge, for an
anonymous visitor, another user and the owner, against a private, published or unpublished
collection holding an accepted, pending or rejected badge.

A collection shows only while published; a badge only while published and accepted; the
owner's own pages show the owner everything and nobody else anything; no response but the
owner's own pages ever holds an email address.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from backpack.extensions import db
from backpack.models import Badge
from backpack.services import legacy_links
from tests.conftest import Accounts, Outbox, post_form
from tests.sharing_helpers import act, add_to, badge_token, create_collection, share_token
from tests.support.badge_rows import make_badge

COLLECTION_NAME = "Portfolio of secrets"
BADGE_NAME = "Secret Robotics Badge"
STORY = "The story only Ann should decide to show"
OWNER_NAME = "Ann Example-Owner"
ADDRESSES = ("ann@example.org", "ann.second@example.org")
# The body hash Mozilla named the badge's image by, had the badge been imported from it.
MOZILLA_BODY_HASH = "ab" * 32


@dataclass(frozen=True)
class World:
    """One owner's collection and badge in a given state, and the links they had."""

    owner_id: int
    collection_id: int
    badge_id: int
    collection_token: str  # current or withdrawn
    badge_token: str


def _build(app: Flask, owner: FlaskClient, accounts: Accounts, state: str, status: str) -> World:
    owner_id = accounts.create(ADDRESSES[0], name=OWNER_NAME)
    accounts.login(ADDRESSES[0])
    accounts.add_email(ADDRESSES[1])
    accounts.verify_latest(ADDRESSES[1])
    post_form(owner, "/account/", {"findable": "y"}, action="/account/displayer")
    badge_id = make_badge(app, owner_id, name=BADGE_NAME, hashed=False, recipient=ADDRESSES[1])
    collection_id = create_collection(owner, COLLECTION_NAME)
    add_to(owner, collection_id, badge_id)
    act(owner, collection_id, f"badges/{badge_id}/story", {"story": STORY})
    act(owner, collection_id, "publish")
    post_form(owner, "/collections/", {}, action=f"/shared-badges/{badge_id}/publish")
    tokens = (share_token(app, collection_id), badge_token(app, badge_id))
    assert tokens[0]
    assert tokens[1]
    if state == "private":
        # Never published: its would-be links are unknown to anyone; use fresh random ones.
        act(owner, collection_id, "unpublish")
        post_form(owner, "/collections/", {}, action=f"/shared-badges/{badge_id}/unpublish")
        with app.app_context():
            db.session.execute(sa.text("DELETE FROM retired_share_token"))
            db.session.commit()
    elif state == "unpublished":
        act(owner, collection_id, "unpublish")
        post_form(owner, "/collections/", {}, action=f"/shared-badges/{badge_id}/unpublish")
    with app.app_context():
        db.session.execute(sa.update(Badge).where(Badge.id == badge_id).values(status=status))
        legacy_links.remember_links(
            "mozilla:test", legacy_links.BADGE_IMAGE, [(MOZILLA_BODY_HASH, badge_id)]
        )
        db.session.commit()
    return World(owner_id, collection_id, badge_id, tokens[0], tokens[1])


def _owner_routes(world: World) -> dict[str, str]:
    return {
        "collections list": "/collections/",
        "collection page": f"/collections/{world.collection_id}",
        "badge sharing page": f"/shared-badges/{world.badge_id}",
        "badge detail": f"/badges/{world.badge_id}",
    }


def _public_routes(world: World) -> dict[str, str]:
    c, b = f"/public/collections/{world.collection_token}", f"/public/badges/{world.badge_token}"
    return {
        "collection html": c,
        "collection json": c + ".json",
        "collection widget": c + "/embed",
        "collection oembed": f"/public/oembed?url=http://backpack.test{c}",
        "badge html": b,
        "badge json": b + ".json",
        "badge widget": b + "/embed",
        "badge oembed": f"/public/oembed?url=http://backpack.test{b}",
        "displayer groups": f"/displayer/{world.owner_id}/groups.json",
        "displayer group": f"/displayer/{world.owner_id}/group/{world.collection_id}.json",
    }


def _images(world: World) -> dict[str, str]:
    return {
        "collection image": f"/public/collections/{world.collection_token}/badges/"
        f"{world.badge_id}/image",
        "badge image": f"/public/badges/{world.badge_token}/image",
        "mozilla image url": f"/images/badge/{MOZILLA_BODY_HASH}.png",
    }


def _text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _viewer(app: Flask, accounts: Accounts, viewer: str, owner: FlaskClient) -> FlaskClient:
    if viewer == "owner":
        return owner
    client = app.test_client()
    if viewer == "other user":
        helper = Accounts(app, client, Outbox(accounts.outbox.path))
        helper.create("mallory@example.org", name="Mallory")
        helper.login("mallory@example.org")
    return client


@pytest.mark.parametrize("status", ["accepted", "pending", "rejected"])
@pytest.mark.parametrize("state", ["private", "published", "unpublished"])
def test_who_sees_what(
    app: Flask, client: FlaskClient, accounts: Accounts, state: str, status: str
) -> None:
    world = _build(app, client, accounts, state, status)
    published = state == "published"
    badge_visible = published and status == "accepted"
    for viewer in ("anonymous", "other user", "owner"):
        browser = _viewer(app, accounts, viewer, client)
        where = f"{viewer}, {state} collection, {status} badge"

        for name, path in _owner_routes(world).items():
            response = browser.get(path)
            body = _text(response)
            if viewer == "owner":
                assert response.status_code == 200, (name, where)
                continue
            # Another user's own list opens (and lists only theirs); Ann's pages do not.
            allowed = (200, 302) if name == "collections list" else (302, 404)
            assert response.status_code in allowed, (name, where)
            for secret in (COLLECTION_NAME, BADGE_NAME, STORY, *ADDRESSES):
                assert secret not in body, (name, where, secret)

        for name, path in _public_routes(world).items():
            response = browser.get(path)
            body = _text(response)
            assert response.status_code < 500, (name, where)
            for secret in (*ADDRESSES, OWNER_NAME):
                assert secret not in body, (name, where, secret)
            # Which routes may name the collection and the badge, when they are visible.
            names_collection = name.startswith("collection") or name == "displayer groups"
            names_badge = name not in ("collection oembed", "displayer groups")
            # The owner opted in to the Displayer, so the list of groups always answers.
            opens = badge_visible if name.startswith("badge") else published
            opens = opens or name == "displayer groups"
            assert (COLLECTION_NAME in body) == (names_collection and published), (name, where)
            assert (BADGE_NAME in body) == (names_badge and badge_visible), (name, where)
            assert (response.status_code == 200) == opens, (name, where)
            tells_story = name in ("collection html", "collection widget") and badge_visible
            assert (STORY in body) == (tells_story and name == "collection html"), (name, where)

        for name, path in _images(world).items():
            response = browser.get(path)
            assert (response.status_code == 200) == badge_visible, (name, where)
            response.close()

        verify = browser.post(
            f"/public/collections/{world.collection_token}/badges/{world.badge_id}/verify"
        )
        # Checked and sent back (303), or told when it can be checked again (200).
        assert (verify.status_code in (200, 303)) == badge_visible, where
        assert verify.status_code in (200, 303, 404, 410), where
        for secret in (*ADDRESSES, OWNER_NAME, STORY):
            assert secret not in _text(verify), (where, secret)

        lookup = browser.post("/displayer/convert/email", data={"email": ADDRESSES[1]})
        # The owner opted in: the lookup gives a user number, never content or addresses.
        assert lookup.get_json() == {
            "status": "okay",
            "email": ADDRESSES[1],
            "userId": world.owner_id,
        }


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_a_member_not_accepted_is_hidden_from_visitors_and_comes_back_in_its_place(
    app: Flask, client: FlaskClient, accounts: Accounts, status: str
) -> None:
    """A published collection keeps a member that is not accepted (an import keeps a pending
    one), with its story: every public route leaves it out, the owner's editor shows it
    marked, and once accepted it is back where it was."""
    world = _build(app, client, accounts, "published", status)
    shown = make_badge(app, world.owner_id, name="Shown Beside It", hashed=False)
    add_to(client, world.collection_id, shown)  # after the hidden member, which keeps first
    public = {**_public_routes(world), **_images(world)}
    public = {name: path for name, path in public.items() if not name.startswith("badge")}
    for viewer in ("anonymous", "other user"):
        browser = _viewer(app, accounts, viewer, client)
        for name, path in public.items():
            body = _text(browser.get(path))
            for secret in (BADGE_NAME, STORY, *ADDRESSES):
                assert secret not in body, (name, viewer, secret)
        assert browser.get(public["mozilla image url"]).status_code == 404
        page = _text(browser.get(public["collection html"]))
        assert "Shown Beside It" in page
        groups = browser.get(public["displayer groups"]).get_json()["groups"]
        assert [g["badges"] for g in groups] == [1]
    editor = _text(client.get(f"/collections/{world.collection_id}"))
    label = "Waiting for you to verify its address" if status == "pending" else "Rejected"
    assert BADGE_NAME in editor
    assert label in editor
    assert STORY in editor
    with app.app_context():
        db.session.execute(
            sa.update(Badge).where(Badge.id == world.badge_id).values(status="accepted")
        )
        db.session.commit()
    page = _text(app.test_client().get(public["collection html"]))
    assert page.index(BADGE_NAME) < page.index(STORY) < page.index("Shown Beside It")
    assert app.test_client().get(public["mozilla image url"]).status_code == 200
