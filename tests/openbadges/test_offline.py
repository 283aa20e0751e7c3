"""Reading a stored badge offline: parsed and matched to the earner, nothing fetched."""

from __future__ import annotations

import json

import pytest

from backpack.openbadges.errors import OpenBadgesError, ParseError
from backpack.openbadges.fingerprint import badge_fingerprint
from backpack.openbadges.offline import read_offline
from tests.support.ob3_rows import credential, credential_view

V2 = "https://w3id.org/openbadges/v2"

ASSERTION = {
    "@context": V2,
    "type": "Assertion",
    "id": "https://issuer.invalid/assertions/1",
    "recipient": {"type": "email", "hashed": False, "identity": "Ann@Example.org"},
    "badge": {
        "id": "https://issuer.invalid/badges/robotics",
        "type": "BadgeClass",
        "name": "Robotics",
        "description": "Built a robot.",
        "image": "https://issuer.invalid/robotics.png",
        "criteria": {"narrative": "Build one."},
        "issuer": {"id": "https://issuer.invalid/", "type": "Profile", "name": "Institute"},
    },
    "issuedOn": "2024-01-01T00:00:00Z",
    "verification": {"type": "hosted"},
}


def test_a_stored_badge_is_read_and_matched_without_a_verdict() -> None:
    report = read_offline(json.dumps(ASSERTION), ["ann@example.org"])
    assert report.assertion is not None
    assert report.matched_identity is not None
    assert report.matched_identity.casefold() == "ann@example.org"
    assert report.version == "2.0"
    assert report.verification_kind == "hosted"
    assert report.source_url == ASSERTION["id"]
    assert report.badge is not None
    assert report.badge.name == "Robotics"
    assert badge_fingerprint(report.assertion) == badge_fingerprint(dict(ASSERTION))


def test_someone_elses_badge_is_refused_with_the_library_code() -> None:
    with pytest.raises(OpenBadgesError) as caught:
        read_offline(json.dumps(ASSERTION), ["bob@example.org"])
    assert caught.value.code == "recipient_mismatch"


def test_only_a_url_cannot_be_read_offline() -> None:
    with pytest.raises(ParseError) as caught:
        read_offline("https://issuer.invalid/assertions/1", ["ann@example.org"])
    assert caught.value.code == "needs_fetch"


def test_text_that_is_no_badge_is_refused() -> None:
    with pytest.raises(ParseError):
        read_offline('{"hello": "world"}', ["ann@example.org"])


def test_a_3_0_credential_is_read_into_the_view_the_verifier_stores() -> None:
    document = credential("ann@example.org")
    report = read_offline(json.dumps(document), ["Ann@Example.org"])
    assert report.version == "3.0"
    assert report.verification_kind == "signed"
    assert (report.matched_identity or "").casefold() == "ann@example.org"
    assert report.assertion is not None
    assert report.assertion["credential"] == document
    assert report.assertion["badge"]["name"] == "Robotics Level 1"
    assert report.assertion["issuedOn"] == document["validFrom"]
    assert badge_fingerprint(report.assertion) == badge_fingerprint(credential_view(document))


def test_someone_elses_3_0_credential_is_refused_offline() -> None:
    with pytest.raises(OpenBadgesError) as caught:
        read_offline(json.dumps(credential("bob@example.org")), ["ann@example.org"])
    assert caught.value.code == "recipient_mismatch"
