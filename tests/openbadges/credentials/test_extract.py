"""Reading Open Badges 3.0 credentials out of JSON, VC-JWTs and baked images."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from backpack.openbadges.baking import bake, unbake
from backpack.openbadges.credentials.extract import (
    VC_1_1_CONTEXT,
    VC_2_0_CONTEXT,
    is_credential_text,
    read_credential,
)
from backpack.openbadges.errors import ParseError
from backpack.openbadges.parse import parse_badge_text
from tests.support.issuer import make_png, make_svg

OB30 = (
    Path(__file__).resolve().parents[2]
    / "data/corpus/digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
)


def unsigned_jwt(payload: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    """A compact JWS shape with a dummy signature: extraction never checks signatures."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part(header or {'alg': 'RS256'})}.{part(payload)}.c2ln"


def credential(context: str = VC_2_0_CONTEXT) -> dict[str, Any]:
    """A small credential of a data model (unsigned)."""
    return {
        "@context": [context, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://issuer.example/", "type": "Profile"},
        "validFrom" if context == VC_2_0_CONTEXT else "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:1", "type": "AchievementSubject"},
    }


def test_plain_json_is_read_with_its_data_model_from_the_first_context() -> None:
    v2 = read_credential(json.dumps(credential()))
    v1 = read_credential(json.dumps(credential(VC_1_1_CONTEXT)))

    assert (v2.data_model, v2.jwt, v2.issued) == ("2.0", None, "2024-01-01T00:00:00Z")
    assert (v1.data_model, v1.issued) == ("1.1", "2024-01-01T00:00:00Z")
    assert v2.original == json.dumps(credential())


def test_a_jwt_whose_payload_is_the_credential_carries_vc_2_0() -> None:
    token = unsigned_jwt({**credential(), "iss": "https://issuer.example/"})

    read = read_credential(f"  {token}\n")

    assert read.data_model == "2.0"
    assert read.jwt == token
    assert read.document["id"] == "urn:uuid:1"


def test_a_jwt_with_a_vc_claim_carries_vc_1_1() -> None:
    token = unsigned_jwt({"vc": credential(VC_1_1_CONTEXT), "iss": "https://issuer.example/"})

    read = read_credential(token)

    assert (read.data_model, read.document["issuanceDate"]) == ("1.1", "2024-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (unsigned_jwt({"vc": credential(VC_2_0_CONTEXT)}), "not_a_credential"),
        (unsigned_jwt(credential(VC_1_1_CONTEXT)), "not_a_credential"),
        (unsigned_jwt({"vc": "not an object"}), "not_a_credential"),
        (
            json.dumps({**credential(), "@context": ["https://example.org/other"]}),
            "credential_context",
        ),
        ("[1, 2]", "not_a_credential"),
        ("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "not_json"),
        ("{" * 200 + "}" * 200, "json_too_deep"),
    ],
)
def test_anything_else_is_refused_with_a_reason(text: str, code: str) -> None:
    with pytest.raises(ParseError) as refused:
        read_credential(text)

    assert refused.value.code == code
    assert refused.value.message


def test_credentials_are_told_apart_from_older_badges() -> None:
    assert is_credential_text(json.dumps(credential()))
    assert is_credential_text(unsigned_jwt({"vc": credential(VC_1_1_CONTEXT)}))
    assert not is_credential_text(json.dumps({"@context": "https://w3id.org/openbadges/v2"}))
    assert not is_credential_text(unsigned_jwt({"recipient": {}, "badge": "x"}))
    assert not is_credential_text("https://issuer.example/badge.json")


def test_the_older_parser_no_longer_promises_3_0_support_later() -> None:
    with pytest.raises(ParseError) as refused:
        parse_badge_text(json.dumps(credential()))

    assert "coming" not in refused.value.message
    assert "credential" in refused.value.message


@pytest.mark.parametrize(
    ("name", "model", "is_jwt"),
    [
        ("simple-json.png", "2.0", False),
        ("simple-json.svg", "2.0", False),
        ("simple-jwt.png", "2.0", True),
        ("simple-jwt.svg", "2.0", True),
        ("simple-jwt_v1.png", "1.1", True),
        ("simple-jwt_v1.svg", "1.1", True),
    ],
)
def test_1edtech_baked_credentials_are_read(name: str, model: str, is_jwt: bool) -> None:
    baked = unbake((OB30 / name).read_bytes())

    read = read_credential(baked.text)

    assert baked.keyword == "openbadgecredential"
    assert (read.data_model, read.jwt is not None) == (model, is_jwt)
    assert "OpenBadgeCredential" in read.document["type"]


def test_the_first_baked_credential_wins_in_a_png() -> None:
    first = {**credential(), "id": "urn:uuid:first"}
    image = bake(make_png(), json.dumps(first), keyword="openbadgecredential")

    assert read_credential(unbake(image).text).document["id"] == "urn:uuid:first"


def test_an_svg_credential_is_read_from_its_verify_attribute_or_its_body() -> None:
    token = unsigned_jwt(credential())
    as_jwt = bake(make_svg(), token, keyword="openbadgecredential")
    as_json = bake(make_svg(), json.dumps(credential()), keyword="openbadgecredential")

    assert read_credential(unbake(as_jwt).text).jwt == token
    assert read_credential(unbake(as_json).text).document["id"] == "urn:uuid:1"
