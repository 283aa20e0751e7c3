"""Open Badges 3.0 credentials kept like any badge: equality, the newer copy, pending and
accepted, collections, public pages, the Displayer and the export.

Built from the report the 3.0 verifier gives (tests/support/ob3_rows.py, the shapes of
OB3-SHAPES.md) and handed to the intake after verification (`keep_verified`).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backpack.extensions import db
from backpack.models import Collection, User
from backpack.services import collections, emails
from backpack.services.badge_intake import BadgeRefused, Received, keep_verified
from backpack.services.export import write_export
from tests.conftest import Accounts, post_form
from tests.sharing_helpers import add_to, create_collection, publish, share_token
from tests.support import ob3_rows
from tests.support.badge_rows import held_badges
from tests.support.ob3_rows import credential, credential_report

DAY = timedelta(days=1)


@pytest.fixture
def ann(app: Flask, accounts: Accounts) -> int:
    user_id = accounts.create("ann@example.org", name="Ann Example")
    accounts.login("ann@example.org")
    return user_id


def _keep(app: Flask, user_id: int, document: dict[str, Any], **kwargs: Any) -> Received:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        received = keep_verified(
            user,
            credential_report(document, **kwargs),
            ob3_rows.text(document),
            source="paste",
        )
        db.session.commit()
        _ = received.badge.original_payload, received.badge.badge_class.name
        db.session.expunge(received.badge)
        return received


def test_a_credential_is_kept_verbatim_with_its_view(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    document = credential()
    received = _keep(app, ann, document)
    assert received.created
    badge = received.badge
    assert badge.version == "3.0"
    assert badge.original_payload == ob3_rows.text(document)  # the bytes as issued
    assert badge.verification == "valid"
    assert badge.verification_kind == "signed"
    assert badge.status == "accepted"
    assert badge.assertion_iri == document["id"]
    assert badge.issued_on == datetime.fromisoformat(document["validFrom"])
    assert badge.badge_class.name == "Robotics Level 1"
    assert badge.last_report["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    page = client.get(f"/badges/{badge.id}")
    assert page.status_code == 200
    assert "Robotics Level 1" in page.get_data(as_text=True)


def test_an_equal_credential_is_one_badge_however_its_ids_are_escaped(app: Flask, ann: int) -> None:
    document = credential(credential_id="urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002")
    first = _keep(app, ann, document)
    escaped = credential(credential_id=" urn%3Auuid%3A91537dba-56cb-11ec-bf63-0242ac130002 ")
    escaped["validFrom"] = document["validFrom"]
    again = _keep(app, ann, escaped)
    assert not again.created
    assert again.badge.id == first.badge.id
    assert len(held_badges(app)) == 1


def test_a_newer_valid_from_replaces_the_held_copy_and_an_older_does_not(
    app: Flask, ann: int
) -> None:
    now = datetime.now(UTC)
    older = credential(valid_from=now - 30 * DAY, name="Robotics Level 1")
    newer = credential(valid_from=now - DAY, name="Robotics Level 1 (updated)")
    first = _keep(app, ann, older)
    replaced = _keep(app, ann, newer)
    assert not replaced.created
    [badge] = held_badges(app)
    assert badge.id == first.badge.id
    assert badge.original_payload == ob3_rows.text(newer)
    assert badge.badge_class.name == "Robotics Level 1 (updated)"
    assert badge.issued_on == now - DAY
    assert badge.assertion["credential"]["validFrom"] == newer["validFrom"]

    stale = _keep(app, ann, older)  # the older copy handed in again changes nothing
    assert not stale.created
    [badge] = held_badges(app)
    assert badge.original_payload == ob3_rows.text(newer)
    assert badge.badge_class.name == "Robotics Level 1 (updated)"


def test_a_newer_copy_that_does_not_verify_leaves_the_held_one(app: Flask, ann: int) -> None:
    now = datetime.now(UTC)
    older, newer = credential(valid_from=now - 30 * DAY), credential(valid_from=now - DAY)
    _keep(app, ann, older)
    with app.app_context():
        user = db.session.get(User, ann)
        assert user is not None
        report = credential_report(newer)
        report.unverifiable = True
        report.error("unreachable", "The issuer's key could not be fetched.")
        keep_verified(user, report, ob3_rows.text(newer), source="paste")
        db.session.commit()
    [badge] = held_badges(app)
    assert badge.original_payload == ob3_rows.text(older)


def test_a_credential_for_someone_else_is_refused_and_nothing_stored(app: Flask, ann: int) -> None:
    document = credential("bob@example.org")
    with app.app_context():
        user = db.session.get(User, ann)
        assert user is not None
        report = credential_report(document, matched=None)
        report.error("recipient_mismatch", "Not any of the given identities.")
        with pytest.raises(BadgeRefused) as refused:
            keep_verified(user, report, ob3_rows.text(document), source="paste")
    assert refused.value.code == "recipient_mismatch"
    assert held_badges(app) == []


def test_a_credential_for_an_unverified_address_waits_then_joins(app: Flask, ann: int) -> None:
    with app.app_context():
        user = db.session.get(User, ann)
        assert user is not None
        emails.add_email(user, "ann.work@example.org", send=False)
        db.session.commit()
    received = _keep(app, ann, credential("ann.work@example.org"), matched="ann.work@example.org")
    assert received.pending
    with app.app_context():
        user = db.session.get(User, ann)
        assert user is not None
        [email] = [e for e in user.emails if not e.is_verified]
        emails.mark_verified(email)
        db.session.commit()
    [badge] = held_badges(app)
    assert badge.status == "accepted"


def test_a_credential_is_collected_published_and_given_to_widgets(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    document = credential()
    badge_id = _keep(app, ann, document).badge.id
    collection_id = create_collection(client, "Maker skills")
    add_to(client, collection_id, badge_id)
    with app.app_context():
        collection = db.session.get(Collection, collection_id)
        assert collection is not None
        assert collections.set_story(collection, badge_id, "It followed the line twice.")
        db.session.commit()
    publish(client, collection_id)
    token = share_token(app, collection_id)
    page = client.get(f"/public/collections/{token}")
    assert page.status_code == 200
    assert "Robotics Level 1" in page.get_data(as_text=True)

    assert (
        post_form(client, "/account/", {"findable": "y"}, action="/account/displayer").status_code
        == 302
    )
    group = app.test_client().get(f"/displayer/{ann}/group/{collection_id}.json").get_json()
    [shown] = group["badges"]
    assert shown["hostedUrl"] is None
    assert shown["assertion"]["badge"]["name"] == "Robotics Level 1"
    assert shown["assertion"]["badge"]["issuer"]["name"] == "Example Institute 3"
    assert "credential" not in shown["assertion"]  # widgets read the 2.0 shape only
    assert "ann@example.org" not in json.dumps(group)


def test_the_export_carries_the_credential_as_issued(app: Flask, ann: int) -> None:
    document = credential()
    _keep(app, ann, document)
    stream = io.BytesIO()
    with app.app_context():
        user = db.session.get(User, ann)
        assert user is not None
        assert write_export(user, stream) == 1
    with zipfile.ZipFile(stream) as archive:
        [line] = archive.read("badges.jsonl").decode().splitlines()
    entry = json.loads(line)
    assert entry["version"] == "3.0"
    assert entry["payload"] == ob3_rows.text(document)
    assert entry["assertion"]["credential"]["id"] == document["id"]


def test_api_v1_lists_a_credential_by_its_credential_id(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    from tests.test_api_v1 import bearer, make_token

    document = credential()
    badge_id = _keep(app, ann, document).badge.id
    token = make_token(client, ["badges:read"])
    shown = app.test_client().get(f"/api/v1/badges/{badge_id}", headers=bearer(token))
    assert shown.status_code == 200
    body = shown.get_json()
    assert body["assertion_id"] == document["id"]
    assert body["name"] == "Robotics Level 1"
    assert body["issuer_name"] == "Example Institute 3"
    assert body["verification"] == "valid"
