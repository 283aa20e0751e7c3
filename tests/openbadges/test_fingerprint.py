"""What makes two copies one award: the 2.0 rules unchanged, and 3.0's equality."""

from __future__ import annotations

import hashlib
import json

from backpack.openbadges import badge_fingerprint
from tests.support.ob3_rows import credential, credential_view

ISSUER = "https://issuer3.example/profile"


def test_a_hosted_assertion_is_known_by_its_url_as_before() -> None:
    url = "https://issuer.example/assertions/1.json"
    assert badge_fingerprint({"id": url}) == hashlib.sha256(url.encode()).hexdigest()


def test_an_assertion_without_a_url_is_known_by_its_content_as_before() -> None:
    assertion = {
        "id": "urn:uuid:1",
        "badge": {"id": "https://issuer.example/badge"},
        "recipient": {"identity": "sha256$abc"},
        "issuedOn": "2024-01-01T00:00:00+00:00",
    }
    key = json.dumps(
        ["urn:uuid:1", "https://issuer.example/badge", "sha256$abc", "2024-01-01T00:00:00+00:00"],
        sort_keys=True,
    )
    assert badge_fingerprint(assertion) == hashlib.sha256(key.encode()).hexdigest()


def _fingerprint(credential_id: str, issuer_id: str = ISSUER) -> str:
    return badge_fingerprint(
        credential_view(credential(credential_id=credential_id, issuer_id=issuer_id))
    )


def test_equal_credentials_after_unescaping_and_trimming_are_one_award() -> None:
    plain = _fingerprint("https://issuer3.example/credentials/a b")
    assert _fingerprint("https://issuer3.example/credentials/a%20b") == plain
    assert _fingerprint("  https://issuer3.example/credentials/a b\n") == plain
    assert _fingerprint("https://issuer3.example/credentials/a b", f" {ISSUER}%2F") != plain
    assert _fingerprint("https://issuer3.example/credentials/a b", ISSUER + " ") == plain


def test_a_credential_of_another_issuer_or_id_is_another_award() -> None:
    one = _fingerprint("urn:uuid:1")
    assert _fingerprint("urn:uuid:2") != one
    assert _fingerprint("urn:uuid:1", "did:web:other.example") != one


def test_an_http_credential_id_is_not_taken_for_a_hosted_assertion() -> None:
    url = "https://issuer3.example/credentials/1"
    assert _fingerprint(url) != hashlib.sha256(url.encode()).hexdigest()
