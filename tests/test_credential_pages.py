"""Open Badges 3.0 badges on the earner's page and on public pages: every part of the
credential shown (escaped), its original published as issued or withheld when it names the
recipient in plain text, and downloads that round-trip through unbaking to the same bytes.
"""

from __future__ import annotations

import base64
import html as html_module
import json
import re
from collections.abc import Callable
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
from tests.sharing_helpers import add_to, create_collection, publish, share_badge
from tests.support.badge_rows import make_badge, make_credential_badge
from tests.support.credential_views import corpus_credential, hash_identifiers
from tests.test_public_page_queries import counted_statements

PLAIN_ADDRESSES = ("student@1edtech.edu", "somebody@gmail.com")
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhf"
    "DwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory(PUBLIC_PAGE_FRESHNESS=0)


@pytest.fixture
def ann(app: Flask, accounts: Accounts) -> int:
    user_id = accounts.create("ann@example.org", name="Ann Example")
    accounts.login("ann@example.org")
    return user_id


@pytest.fixture
def visitor(app: Flask) -> FlaskClient:
    return app.test_client()


def _text(html: str) -> str:
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _shows_complete_credential(html: str) -> None:
    text = _text(html)
    for expected in (
        "1EdTech University Degree",
        "1EdTech University Degree Description",
        "# Degree Requirements",
        "1EdTech University",
        "https://1edtech.edu/issuers/565049",
        "Degree",  # the achievement type
        "Final Project Grade: A (required: C)",
        "Final Project Grade: Mastery",
        "Final Project Grade: Completed",
        "Example Accrediting Agency endorses this badge",
        "Example Accrediting Agency endorses the issuer",
        "Example Accrediting Agency endorses the achievement",
        "1EdTech University is in good standing",
        "Final Project Report",
        "Valid from 2010-01-01 00:00 UTC",
        "Valid until 2030-01-01 00:00 UTC",
        "Not revoked",
        "DataIntegrityProof eddsa-rdfc-2022",
        "https://1edtech.edu/issuers/565049#key-1",
    ):
        assert expected in text, expected
    assert 'href="https://1edtech.edu/achievements/degree"' in html  # criteria by its id
    assert 'href="https://1edtech.edu/catalog/degree"' in html  # an alignment
    assert 'href="https://1edtech.edu/issuers/565049"' in html  # the issuer by its id
    assert "Mastery (required" not in text  # a level is not a value measured against one


def test_an_issuer_named_by_a_did_shows_it_and_its_inline_picture(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    def did_issuer(credential: dict[str, Any]) -> None:
        credential["issuer"]["id"] = "did:web:issuer.example:badges"
        credential["issuer"]["image"] = {"id": PIXEL, "type": "Image"}

    badge_id = make_credential_badge(app, ann, edit=did_issuer)
    html = client.get(f"/badges/{badge_id}").get_data(as_text=True)
    assert '<code class="identifier">did:web:issuer.example:badges</code>' in html
    assert f'src="{PIXEL}"' in html


def test_the_earners_page_shows_every_part_of_a_3_0_credential(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    badge_id = make_credential_badge(app, ann)
    page = client.get(f"/badges/{badge_id}")
    assert page.status_code == 200
    _shows_complete_credential(page.get_data(as_text=True))
    assert "Open Badges 3.0" in _text(page.get_data(as_text=True))


def test_a_public_badge_page_shows_the_credential_but_never_a_plain_recipient(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    badge_id = make_credential_badge(app, ann)
    path = share_badge(client, badge_id)
    for suffix in ("", ".json", "/embed"):
        body = visitor.get(path + suffix).get_data(as_text=True)
        assert not any(address in body for address in PLAIN_ADDRESSES), suffix
    html = visitor.get(path).get_data(as_text=True)
    _shows_complete_credential(html)
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
        original = db.session.get(Badge, badge_id).original_payload  # type: ignore[union-attr]
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
        original = db.session.get(Badge, badge_id).original_payload  # type: ignore[union-attr]
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
    assert "Valid from 2010-01-01 00:00 UTC" in _text(html)  # VC 1.1: its issuanceDate
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
    _shows_complete_credential(html)
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
        original = db.session.get(Badge, badge_id).original_payload  # type: ignore[union-attr]
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


def _hostile(credential: dict[str, Any]) -> None:
    hash_identifiers(credential)
    achievement = credential["credentialSubject"]["achievement"]
    achievement["name"] = achievement["description"] = HOSTILE
    achievement["criteria"] = {"id": "javascript:alert(1)", "narrative": HOSTILE}
    credential["issuer"]["name"] = HOSTILE
    credential["issuer"]["id"] = "javascript:alert(1)"
    credential["issuer"]["image"] = "javascript:alert(1)"
    credential["evidence"] = [{"id": "javascript:alert(1)", "name": HOSTILE, "narrative": HOSTILE}]
    credential["endorsement"][0]["credentialSubject"]["endorsementComment"] = HOSTILE
    credential["endorsement"][0]["issuer"] = {"id": "javascript:alert(2)", "name": HOSTILE}


def test_hostile_credential_text_is_shown_as_text_everywhere(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int
) -> None:
    badge_id = make_credential_badge(app, ann, edit=_hostile)
    path = share_badge(client, badge_id)
    collection_id = create_collection(client, "Hostile")
    add_to(client, collection_id, badge_id)
    pages = [
        client.get(f"/badges/{badge_id}"),
        visitor.get(path),
        visitor.get(publish(client, collection_id)),
    ]
    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert" in html
        assert 'href="javascript:' not in html
        assert 'src="javascript:' not in html


def test_status_endorsement_checks_and_proof_come_from_the_report(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    report = {
        "valid": False,
        "version": "3.0",
        "errors": [{"code": "credential_revoked", "message": "The issuer revoked it."}],
        "warnings": [],
        "proof": {
            "type": "VC-JWT",
            "cryptosuite": "RS256",
            "verification_method": "did:web:issuer.example#key-1",
        },
        "credential_status": "revoked",
        "endorsements": [
            {"id": "http://1edtech.edu/endorsementcredential/3735", "valid": True},
            {"id": "http://1edtech.edu/endorsementcredential/3736", "valid": False},
        ],
    }
    badge_id = make_credential_badge(app, ann, verification="revoked", report=report)
    text = _text(client.get(f"/badges/{badge_id}").get_data(as_text=True))
    assert "Status Revoked The issuer's status list says it revoked this credential." in text
    assert "VC-JWT RS256" in text
    assert "key did:web:issuer.example#key-1" in text
    assert "endorses this badge (2010-01-01 00:00 UTC) Verified" in text
    assert "endorses the issuer (2010-01-01 00:00 UTC) Not verified" in text


@pytest.mark.parametrize(
    ("credential_status", "label"),
    [
        ("unreachable", "Status not checked"),
        ("unknown", "Status unknown"),
        (None, "No status list"),
    ],
)
def test_every_status_outcome_has_words(
    app: Flask, client: FlaskClient, ann: int, credential_status: str | None, label: str
) -> None:
    report = {
        "valid": True,
        "version": "3.0",
        "errors": [],
        "warnings": [],
        "proof": None,
        "credential_status": credential_status,
    }
    badge_id = make_credential_badge(app, ann, report=report)
    text = _text(client.get(f"/badges/{badge_id}").get_data(as_text=True))
    assert f"Status {label}" in text
    assert "No proof has verified it here yet." in text


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


def _unsigned_jwt(payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'EdDSA'})}.{part(payload)}.c2ln"


def test_an_endorsement_jwt_is_shown_with_its_endorser_and_comment(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    endorsement = {
        "id": "urn:uuid:5b2b0ea4-0f5f-4d8a-b0a4-0d5a3d1f3c11",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": {"id": "https://guild.example/", "name": "The Robotics Guild"},
        "validFrom": "2024-03-01T12:00:00Z",
        "credentialSubject": {"endorsementComment": "Rigorous & <well> assessed"},
    }

    def with_jwt(credential: dict[str, Any]) -> None:
        credential["endorsementJwt"] = [_unsigned_jwt(endorsement), "not a jwt", 7]

    report = {
        "valid": True,
        "version": "3.0",
        "errors": [],
        "warnings": [],
        "proof": None,
        "credential_status": "active",
        "endorsements": [{"id": endorsement["id"], "valid": True}],
    }
    badge_id = make_credential_badge(app, ann, edit=with_jwt, report=report)
    html = client.get(f"/badges/{badge_id}").get_data(as_text=True)
    assert "Rigorous &amp; &lt;well&gt; assessed" in html
    text = _text(html)
    assert "The Robotics Guild endorses this badge (2024-03-01 12:00 UTC) Verified" in text


def test_the_earner_downloads_the_original_whatever_it_names_and_nobody_else_can(
    app: Flask, client: FlaskClient, visitor: FlaskClient, ann: int, accounts: Accounts
) -> None:
    badge_id = make_credential_badge(app, ann)  # plain addresses: withheld from visitors
    older = make_badge(app, ann)
    with app.app_context():
        original = db.session.get(Badge, badge_id).original_payload  # type: ignore[union-attr]
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
