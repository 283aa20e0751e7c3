"""Open Badges 3.0 badges on the earner's page and on public pages: every part of the
credential shown, from the stored credential and the last report, and all of its text
escaped (credentials are issuer input: hostile). What leaves the backpack is in
test_credential_publishing.py.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.credential_helpers import page_text, shows_complete_credential
from tests.sharing_helpers import add_to, create_collection, publish, share_badge
from tests.support.badge_rows import make_credential_badge
from tests.support.credential_views import hash_identifiers

PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhf"
    "DwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


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
    shows_complete_credential(page.get_data(as_text=True))
    assert "Open Badges 3.0" in page_text(page.get_data(as_text=True))


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
    text = page_text(client.get(f"/badges/{badge_id}").get_data(as_text=True))
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
    text = page_text(client.get(f"/badges/{badge_id}").get_data(as_text=True))
    assert f"Status {label}" in text
    assert "No proof has verified it here yet." in text


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
    text = page_text(html)
    assert "The Robotics Guild endorses this badge (2024-03-01 12:00 UTC) Verified" in text
