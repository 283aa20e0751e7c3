"""Normalising: every version becomes one self-contained Open Badges 2.0 assertion."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from backpack.openbadges.errors import ParseError
from backpack.openbadges.normalise import normalise_assertion
from backpack.openbadges.upgrades import upgrade_node
from tests.support.normalising import normalise

V2 = "https://w3id.org/openbadges/v2"
COMPONENTS = "openbadges-validator-core/extracted_components"

# The 0.5 example of the Mozilla Backpack README (mozilla-backpack.md section 5).
README_0_5 = {
    "recipient": "bimmy@example.com",
    "evidence": "/badges/html5-basic/bimmy",
    "expires": "2013-06-01",
    "issued_on": "2011-06-01",
    "badge": {
        "version": "0.5.0",
        "name": "HTML5 Fundamental",
        "image": "/img/html5-basic.png",
        "description": "Knows the difference between a <section> and an <article>",
        "criteria": "/badges/html5-basic",
        "issuer": {
            "name": "P2PU",
            "org": "School of Webcraft",
            "contact": "admin@p2pu.org",
            "origin": "http://p2pu.org/",
        },
    },
}

# A 1.0 assertion as the Mozilla Backpack stored it: flattened around its BadgeClass and issuer.
MOZILLA_BODY = {
    "uid": "abc",
    "recipient": "sha256$" + "a" * 64,
    "_originalRecipient": {
        "type": "email", "hashed": True, "salt": "s", "identity": "sha256$" + "a" * 64,
    },
    "salt": "s",
    "issued_on": 1403784577,
    "issuedOn": 1403784577,
    "verify": {"type": "hosted", "url": "https://issuer.example/assertions/1"},
    "badge": {
        "name": "Badge",
        "description": "A badge.",
        "image": "https://issuer.example/badge.png",
        "criteria": "https://issuer.example/criteria",
        "_location": "https://issuer.example/badge.json",
        "alignment": [{"name": "Standard", "url": "https://standards.example/1"}],
        "issuer": {
            "name": "Issuer",
            "url": "https://issuer.example",
            "origin": "https://issuer.example",
            "_location": "https://issuer.example/issuer.json",
        },
    },
}  # fmt: skip


def component(corpus: Path, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((corpus / COMPONENTS / f"{name}.json").read_text())
    return document


def test_0_5_assertion_gets_the_2_0_shape_with_urls_resolved_against_the_issuer_origin() -> None:
    assertion = normalise(README_0_5, source_url="http://p2pu.org/badges/bimmy.json")
    assert assertion == {
        "@context": V2,
        "type": "Assertion",
        "id": "http://p2pu.org/badges/bimmy.json",
        "recipient": {"type": "email", "identity": "bimmy@example.com", "hashed": False},
        "badge": {
            "id": None,
            "type": "BadgeClass",
            "name": "HTML5 Fundamental",
            "description": "Knows the difference between a <section> and an <article>",
            "image": "http://p2pu.org/img/html5-basic.png",
            "criteria": {"id": "http://p2pu.org/badges/html5-basic"},
            "issuer": {
                "id": "http://p2pu.org/",
                "type": "Profile",
                "name": "P2PU: School of Webcraft",
                "url": "http://p2pu.org/",
                "email": "admin@p2pu.org",
            },
            "alignment": [],
            "tags": [],
        },
        "verification": {"type": "HostedBadge"},
        "issuedOn": "2011-06-01T00:00:00+00:00",
        "expires": "2013-06-01T00:00:00+00:00",
        "evidence": [{"id": "http://p2pu.org/badges/html5-basic/bimmy"}],
    }


def test_0_5_hashed_recipient_keeps_its_top_level_salt(corpus: Path) -> None:
    recipient = normalise(component(corpus, "0_5_1_assertion"))["recipient"]
    assert recipient == {
        "type": "email",
        "identity": "sha256$85c4196c5516561cef673642157499b70066cb1070852b2a37fdbf3cc599b087",
        "hashed": True,
        "salt": "sel gris",
    }


def test_1_0_assertion_takes_its_id_from_the_hosted_url(corpus: Path) -> None:
    assertion = normalise(component(corpus, "1_0_basic_assertion"))
    assert assertion["id"] == "http://a.com/instance"
    assert assertion["uid"] == "123abc"
    assert assertion["verification"] == {"type": "HostedBadge", "url": "http://a.com/instance"}
    assert assertion["badge"] == {"id": "http://a.com/badgeclass", "issuer": {"id": None}}


@pytest.mark.parametrize(
    ("issued_on", "expected"),
    [
        (1403784577, "2014-06-26T12:09:37+00:00"),
        ("1403784577", "2014-06-26T12:09:37+00:00"),
        ("2015-04-30", "2015-04-30T00:00:00+00:00"),
        ("2015-04-30T10:11:12", "2015-04-30T10:11:12+00:00"),
        ("2015-04-30T10:11:12+02:00", "2015-04-30T10:11:12+02:00"),
    ],
)
def test_1_x_dates_become_2_0_date_times(issued_on: object, expected: str) -> None:
    document = {
        "uid": "1",
        "recipient": {"type": "email", "hashed": False, "identity": "a@example.org"},
        "badge": "https://issuer.example/badge.json",
        "verify": {"type": "hosted", "url": "https://issuer.example/1"},
        "issuedOn": issued_on,
    }
    assert normalise(document)["issuedOn"] == expected


def test_unreadable_1_x_date_is_kept_for_validation_to_report() -> None:
    document = {
        "uid": "1",
        "recipient": {"type": "email", "hashed": False, "identity": "a@example.org"},
        "badge": "https://issuer.example/badge.json",
        "verify": {"type": "hosted", "url": "https://issuer.example/1"},
        "issuedOn": "forever ago",
    }
    assert normalise(document)["issuedOn"] == "forever ago"


def test_1_0_badge_class_alignment_gets_2_0_names() -> None:
    badge_class = {
        "name": "B",
        "alignment": [{"name": "Std", "url": "https://std.example", "description": "d"}],
    }
    node = upgrade_node(badge_class, "1.0", kind="BadgeClass", url="https://i.example/b.json")
    assert node["id"] == "https://i.example/b.json"
    assert node["alignment"] == [
        {"targetName": "Std", "targetUrl": "https://std.example", "targetDescription": "d"}
    ]


def test_1_1_assertion_is_compacted_and_upgraded(corpus: Path) -> None:
    assertion = normalise(component(corpus, "1_1_basic_assertion"))
    assert assertion["@context"] == V2
    assert assertion["verification"] == {"type": "HostedBadge"}
    assert assertion["recipient"]["salt"] == "deadsea"
    assert assertion["evidence"] == [{"id": "https://example.org/beths-robot-work.html"}]


def test_1_1_signed_key_url_becomes_the_2_0_creator() -> None:
    document = {
        "@context": "https://w3id.org/openbadges/v1",
        "type": "Assertion",
        "id": "urn:uuid:1",
        "uid": "1",
        "recipient": {"type": "email", "hashed": False, "identity": "a@example.org"},
        "badge": "https://issuer.example/badge.json",
        "verify": {"type": "signed", "url": "https://issuer.example/key.pem"},
        "issuedOn": "2016-01-01",
    }
    verification = normalise(document)["verification"]
    assert verification["type"] == "SignedBadge"
    assert verification["creator"] == "https://issuer.example/key.pem"


def test_2_0_verify_alias_and_type_aliases_are_normalised() -> None:
    document = {
        "@context": V2,
        "type": "Assertion",
        "id": "https://issuer.example/1",
        "recipient": {"type": "email", "hashed": False, "identity": "a@example.org"},
        "badge": "https://issuer.example/badge.json",
        "verify": {"type": "hosted"},
        "issuedOn": "2016-01-01T00:00:00Z",
    }
    assert normalise(document)["verification"] == {"type": "HostedBadge"}


def test_mozilla_backpack_stored_body_is_read_as_its_original_1_0_assertion() -> None:
    assertion = normalise(MOZILLA_BODY)
    assert assertion["id"] == "https://issuer.example/assertions/1"
    assert assertion["recipient"] == MOZILLA_BODY["_originalRecipient"]
    assert assertion["issuedOn"] == "2014-06-26T12:09:37+00:00"
    badge = assertion["badge"]
    assert badge["id"] == "https://issuer.example/badge.json"
    assert badge["alignment"] == [
        {"targetName": "Standard", "targetUrl": "https://standards.example/1"}
    ]
    assert badge["issuer"]["id"] == "https://issuer.example/issuer.json"
    assert badge["issuer"]["name"] == "Issuer"


def test_embedded_2_0_badge_class_and_issuer_become_the_stored_shape() -> None:
    document = {
        "@context": V2,
        "type": "Assertion",
        "id": "https://issuer.example/1",
        "recipient": {"type": "email", "hashed": False, "identity": "a@example.org"},
        "issuedOn": "2016-01-01T00:00:00Z",
        "verification": {"type": "HostedBadge"},
        "evidence": [{"id": "https://e.example/1", "narrative": "Did it"}, "https://e.example/2"],
        "badge": {
            "type": "BadgeClass",
            "id": "https://issuer.example/badge.json",
            "name": "B",
            "description": "D",
            "image": {"id": "https://issuer.example/b.png", "caption": "A hexagon"},
            "criteria": "https://issuer.example/criteria",
            "tags": "robots",
            "issuer": {
                "type": "Profile",
                "id": "https://issuer.example/issuer.json",
                "name": "I",
                "url": "https://issuer.example",
                "email": "i@issuer.example",
                "publicKey": "https://issuer.example/key.json",
            },
        },
    }
    assertion = normalise(document)
    assert assertion["evidence"] == [
        {"id": "https://e.example/1", "narrative": "Did it"},
        {"id": "https://e.example/2"},
    ]
    assert assertion["badge"]["image"] == "https://issuer.example/b.png"
    assert assertion["badge"]["criteria"] == {"id": "https://issuer.example/criteria"}
    assert assertion["badge"]["tags"] == ["robots"]
    assert assertion["badge"]["issuer"] == {
        "id": "https://issuer.example/issuer.json",
        "type": "Profile",
        "name": "I",
        "url": "https://issuer.example",
        "email": "i@issuer.example",
        "publicKey": ["https://issuer.example/key.json"],
    }


def test_fetched_badge_class_and_issuer_are_embedded(corpus: Path) -> None:
    node = upgrade_node(component(corpus, "2_0_basic_assertion"), "2.0", kind="Assertion")
    badge = upgrade_node(component(corpus, "2_0_basic_badgeclass"), "2.0", kind="BadgeClass")
    issuer = upgrade_node(component(corpus, "2_0_basic_issuer"), "2.0", kind="Issuer")
    assertion = normalise_assertion(node, badge_class=badge, issuer=issuer)
    assert assertion["badge"]["name"] == "Awesome Robotics Badge"
    assert assertion["badge"]["criteria"] == {"id": "https://example.org/robotics-badge.html"}
    assert assertion["badge"]["issuer"]["email"] == "contact@example.org"


@pytest.mark.parametrize(
    "name", ["0_5_assertion", "1_0_basic_assertion", "1_1_basic_assertion", "2_0_basic_assertion"]
)
def test_normalising_never_changes_the_original(corpus: Path, name: str) -> None:
    document = component(corpus, name)
    before = copy.deepcopy(document)
    normalise(document)
    assert document == before


def test_mozilla_body_is_not_changed_by_normalising() -> None:
    before = copy.deepcopy(MOZILLA_BODY)
    normalise(MOZILLA_BODY)
    assert before == MOZILLA_BODY


def test_open_badges_3_credential_is_not_normalised_yet() -> None:
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
    }
    with pytest.raises(ParseError) as raised:
        normalise(credential)
    assert raised.value.code == "unsupported_version"
