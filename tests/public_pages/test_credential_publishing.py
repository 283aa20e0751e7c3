"""Open Badges 3.0 credentials leaving the backpack: public JSON-LD carries them as issued,
public pages offer them plain or baked (round-tripping through unbaking to the same bytes),
and one that names its recipient in plain text is withheld from visitors, never from its
earner.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backpack.extensions import db
from backpack.models import Badge
from backpack.openbadges.baking import unbake
from backpack.services.public_credentials import names_recipient_in_plain_text
from backpack.services.public_pages import public_assertion
from backpack.web.page_cache import page_cache
from tests.conftest import Accounts
from tests.credential_helpers import PLAIN_ADDRESSES, page_text, shows_complete_credential
from tests.sharing_helpers import add_to, create_collection, publish, share_badge
from tests.support.badge_rows import make_badge, make_credential_badge
from tests.support.credential_views import corpus_credential, hash_identifiers
from tests.support.sql_statements import counted_statements


def test_a_public_badge_page_shows_the_credential_but_never_a_plain_recipient(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    badge_id = make_credential_badge(app, ann)
    path = share_badge(client, badge_id)
    for suffix in ("", ".json", "/embed"):
        body = visitor.get(path + suffix).get_data(as_text=True)
        assert not any(address in body for address in PLAIN_ADDRESSES), suffix
    html = visitor.get(path).get_data(as_text=True)
    shows_complete_credential(html)
    assert "credential.json" not in html
    assert "credential.png" not in html
    document = visitor.get(path + ".json").get_json()
    assert document["id"] == "http://1edtech.edu/credentials/3732"
    assert "withheld" in document
    for fmt in ("json", "png", "svg", "jws"):
        assert visitor.get(f"{path}/credential.{fmt}").status_code == 404


def test_a_credential_without_a_plain_recipient_is_offered_as_issued_and_baked(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    badge_id = make_credential_badge(app, ann, edit=hash_identifiers)
    with app.app_context():
        original = db.session.get(Badge, badge_id).original_payload
    path = share_badge(client, badge_id)
    html = visitor.get(path).get_data(as_text=True)
    assert f'href="{path}/credential.json"' in html
    assert f'href="{path}/credential.png"' in html
    assert visitor.get(path + ".json").get_json() == json.loads(original)

    plain = visitor.get(f"{path}/credential.json")
    assert plain.status_code == 200
    assert plain.get_data(as_text=True) == original.strip()
    assert "attachment" in plain.headers["Content-Disposition"]

    baked = visitor.get(f"{path}/credential.png")
    assert baked.status_code == 200
    assert baked.mimetype == "image/png"
    found = unbake(baked.get_data())
    assert (found.keyword, found.text) == ("openbadgecredential", original.strip())
    assert visitor.get(f"{path}/credential.svg").status_code == 404  # its picture is a PNG


def test_an_svg_badge_bakes_its_credential_into_an_openbadges_credential_element(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    badge_id = make_credential_badge(app, ann, image="svg", edit=hash_identifiers)
    with app.app_context():
        original = db.session.get(Badge, badge_id).original_payload
    path = share_badge(client, badge_id)
    baked = visitor.get(f"{path}/credential.svg")
    assert baked.status_code == 200
    assert baked.mimetype == "image/svg+xml"
    assert b"<openbadges:credential" in baked.get_data()
    assert unbake(baked.get_data()).text == original.strip()


def test_a_vc_jwt_is_published_and_baked_as_the_jws_string(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    token = corpus_credential("simple.jwt").strip()
    jwt_badge = make_credential_badge(app, ann, original=token)
    other = make_credential_badge(app, ann, edit=hash_identifiers)
    collection_id = create_collection(client, "Degrees")
    add_to(client, collection_id, jwt_badge, other)
    path = publish(client, collection_id)

    document = visitor.get(path + ".json").get_json()
    assert document["badges"][0] == token
    assert document["badges"][1]["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert document["badges"][1]["credentialSubject"]["achievement"]["resultDescription"]

    html = visitor.get(path).get_data(as_text=True)
    assert "Example University Degree" in html
    assert "a VC-JWT" in html
    assert "Valid from 2010-01-01 00:00 UTC" in page_text(html)  # VC 1.1: its issuanceDate
    shared = share_badge(client, jwt_badge)
    assert visitor.get(shared + ".json").get_json() == token
    base = f"{path}/badges/{jwt_badge}/credential"
    assert f'href="{base}.jws"' in html
    assert visitor.get(base + ".jws").get_data(as_text=True) == token
    assert visitor.get(base + ".json").status_code == 404
    baked = unbake(visitor.get(base + ".png").get_data())
    assert (baked.keyword, baked.text) == ("openbadgecredential", token)


def test_a_collection_withholds_a_credential_that_names_its_recipient(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    badge_id = make_credential_badge(app, ann)
    collection_id = create_collection(client, "Degrees")
    add_to(client, collection_id, badge_id)
    path = publish(client, collection_id)
    html = visitor.get(path).get_data(as_text=True)
    shows_complete_credential(html)
    body = visitor.get(path + ".json").get_data(as_text=True)
    assert not any(address in body for address in PLAIN_ADDRESSES)
    [entry] = json.loads(body)["badges"]
    assert entry["withheld"]
    assert entry["id"] == "http://1edtech.edu/credentials/3732"
    assert visitor.get(f"{path}/badges/{badge_id}/credential.json").status_code == 404


def test_the_earners_own_download_bakes_the_original_credential(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    badge_id = make_credential_badge(app, ann)
    with app.app_context():
        original = db.session.get(Badge, badge_id).original_payload
    baked = unbake(client.get(f"/badges/{badge_id}/download").get_data())
    assert (baked.keyword, baked.text) == ("openbadgecredential", original.strip())


def test_the_2_0_shaped_view_for_older_apis_leaves_the_signed_credential_out(
    app: Flask, ann: int
) -> None:
    badge_id = make_credential_badge(app, ann)
    with app.app_context():
        badge = db.session.get(Badge, badge_id)
        assert badge is not None
        document = json.dumps(public_assertion(badge))
    assert "credential" not in json.loads(document)
    assert not any(address in document for address in PLAIN_ADDRESSES)


def _collection_costs(app: Flask, client: FlaskClient, user_id: int, size: int) -> list[int]:
    collection_id = create_collection(client, f"{size} credentials")
    badge_ids = [make_credential_badge(app, user_id, edit=hash_identifiers) for _ in range(size)]
    add_to(client, collection_id, *badge_ids)
    path = publish(client, collection_id)
    visitor = app.test_client()
    costs = []
    for route in (path, path + ".json"):
        with app.app_context():
            page_cache().clear()
        with counted_statements(app) as statements:
            assert visitor.get(route).status_code == 200
        costs.append(len(statements))
    return costs


def test_a_collection_of_credentials_costs_the_same_for_2_and_8(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    assert _collection_costs(app, client, ann, 2) == _collection_costs(app, client, ann, 8)


def test_the_earner_downloads_the_original_whatever_it_names_and_nobody_else_can(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int, accounts: Accounts
) -> None:
    badge_id = make_credential_badge(app, ann)  # plain addresses: withheld from visitors
    older = make_badge(app, ann)
    with app.app_context():
        original = db.session.get(Badge, badge_id).original_payload
    page = client.get(f"/badges/{badge_id}").get_data(as_text=True)
    assert f'href="/badges/{badge_id}/credential"' in page
    download = client.get(f"/badges/{badge_id}/credential")
    assert download.status_code == 200
    assert download.get_data(as_text=True) == original.strip()
    assert download.mimetype == "application/vc+ld+json"
    assert "private" in download.headers["Cache-Control"]
    assert client.get(f"/badges/{older}/credential").status_code == 404
    assert visitor.get(f"/badges/{badge_id}/credential").status_code in (302, 401)
    accounts.logout()
    accounts.create("bob@example.org")
    accounts.login("bob@example.org")
    assert client.get(f"/badges/{badge_id}/credential").status_code == 404


@pytest.mark.parametrize(
    ("subject", "plain"),
    [
        ({"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}, False),
        ({"identifier": [{"identityHash": "sha256$ab", "hashed": True}]}, False),
        ({}, False),
        ({"id": "mailto:ann@example.org"}, True),
        ({"id": "https://ann.example/me"}, True),
        ({"id": "did:web:ann.example", "identifier": [{"identityHash": "ann@example.org"}]}, True),
        ({"identifier": {"identityHash": "ann@example.org", "hashed": False}}, True),
        ({"identifier": [{"identityHash": "sha256$ab", "hashed": "true"}]}, True),
    ],
)
def test_which_credentials_name_their_recipient_in_plain_text(
    subject: dict[str, Any], plain: bool
) -> None:
    assert names_recipient_in_plain_text({"credentialSubject": subject}) is plain
