"""Recipient identities: hashing as issuers do, and matching known addresses, URLs, phones."""

from __future__ import annotations

import hashlib

import pytest

from backpack.openbadges.recipient import (
    email_spellings,
    find_recipient,
    identity_hash,
    identity_matches,
    is_current_identity_hash,
    looks_hashed,
    match_recipient,
)

# Vectors from the reference (openbadges-specs.md section 1.4).
NOBODY_DEADSEA = "sha256$ecf5409f3f4b91ab60cc5ef4c02aef7032354375e70cf4d8e43f6a1d29891942"
TEST_SEL_GRIS = "sha256$85c4196c5516561cef673642157499b70066cb1070852b2a37fdbf3cc599b087"
A_KOSHER = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"


def hashed(identity: str, salt: str | None = None, *, kind: str = "email") -> dict[str, object]:
    recipient: dict[str, object] = {"type": kind, "hashed": True, "identity": identity}
    if salt is not None:
        recipient["salt"] = salt
    return recipient


@pytest.mark.parametrize(
    ("identity", "salt", "expected"),
    [
        ("nobody@example.org", "deadsea", NOBODY_DEADSEA),
        ("test@example.com", "sel gris", TEST_SEL_GRIS),
        ("a@example.com", "Kosher", A_KOSHER),
    ],
)
def test_identity_hash_matches_the_reference_vectors(
    identity: str, salt: str, expected: str
) -> None:
    assert identity_hash(identity, salt) == expected


def test_md5_identity_hash_is_md5_of_identity_and_salt() -> None:
    expected = hashlib.md5(b"bob@example.org" + b"salt", usedforsecurity=False).hexdigest()
    assert identity_hash("bob@example.org", "salt", alg="md5") == f"md5${expected}"


def test_identity_hash_encodes_identity_and_salt_as_utf8() -> None:
    expected = hashlib.sha256("ümlaut@heavymetal.de".encode() + "sél".encode()).hexdigest()
    assert identity_hash("ümlaut@heavymetal.de", "sél") == f"sha256${expected}"


def test_identity_hash_refuses_unknown_algorithms() -> None:
    with pytest.raises(ValueError, match="bcrypt"):
        identity_hash("a@example.org", alg="bcrypt")


def test_salted_sha256_recipient_matches_its_address() -> None:
    assert identity_matches(hashed(NOBODY_DEADSEA, "deadsea"), "nobody@example.org")


def test_hash_with_another_salt_does_not_match() -> None:
    assert not identity_matches(hashed(NOBODY_DEADSEA, "pacific"), "nobody@example.org")


def test_another_address_does_not_match_a_hash() -> None:
    assert not identity_matches(hashed(NOBODY_DEADSEA, "deadsea"), "somebody@example.org")


def test_upper_case_hex_hash_matches() -> None:
    upper = "sha256$" + NOBODY_DEADSEA.split("$")[1].upper()
    assert identity_matches(hashed(upper, "deadsea"), "nobody@example.org")


def test_unsalted_md5_hash_matches() -> None:
    assert identity_matches(hashed(identity_hash("bob@example.org", alg="md5")), "bob@example.org")


def test_email_matching_ignores_the_case_the_earner_typed() -> None:
    assert identity_matches(hashed(NOBODY_DEADSEA, "deadsea"), "Nobody@Example.ORG")


def test_email_hashed_by_the_issuer_in_mixed_case_matches_as_given() -> None:
    recipient = hashed(identity_hash("Nobody@Example.org", "s"), "s")
    assert identity_matches(recipient, "Nobody@Example.org")


def test_plain_email_matches_ignoring_case() -> None:
    recipient = {"type": "email", "hashed": False, "identity": "Alice@Example.org"}
    assert identity_matches(recipient, "alice@example.org")


def test_plain_url_identity_matches_exactly_only() -> None:
    recipient = {"type": "url", "hashed": False, "identity": "https://example.org/Alice"}
    assert identity_matches(recipient, "https://example.org/Alice")
    assert not identity_matches(recipient, "https://example.org/alice")


def test_hashed_telephone_identity_matches() -> None:
    recipient = hashed(identity_hash("+15551234567", "x"), "x", kind="telephone")
    assert identity_matches(recipient, "+15551234567")


def test_hashed_flag_written_as_a_string_is_understood() -> None:
    recipient = {"type": "email", "hashed": "true", "salt": "deadsea", "identity": NOBODY_DEADSEA}
    assert identity_matches(recipient, "nobody@example.org")


def test_plain_list_of_candidates_means_email_addresses() -> None:
    recipient = hashed(TEST_SEL_GRIS, "sel gris")
    assert match_recipient(recipient, ["x@example.org", "test@example.com"]) == "test@example.com"


def test_candidates_are_matched_by_identity_type() -> None:
    recipient = hashed(identity_hash("https://alice.example", "s"), "s", kind="url")
    candidates = {"email": ["https://alice.example"], "url": ["https://alice.example"]}
    assert match_recipient(recipient, candidates) == "https://alice.example"
    assert match_recipient(recipient, {"email": ["https://alice.example"]}) is None


def test_unknown_identity_type_matches_nothing() -> None:
    recipient = {"type": "schema:duns", "hashed": False, "identity": "150483782"}
    assert match_recipient(recipient, {"email": ["150483782"]}) is None


def test_hash_shapes_are_recognised() -> None:
    assert is_current_identity_hash(NOBODY_DEADSEA)
    assert is_current_identity_hash("md5$" + "A" * 32)
    assert not is_current_identity_hash("sha1$c0b19425e0f2c8021ab06c79b19144e127b0f2cb")
    assert looks_hashed("sha1$c0b19425e0f2c8021ab06c79b19144e127b0f2cb")
    assert not looks_hashed("sha256$abc")
    assert not looks_hashed("bcrypt$5$something")
    assert not looks_hashed("alice@example.org")


def test_mozillas_spellings_of_an_address() -> None:
    # lib/email-caser.js: original, lower, UPPER, Capitalised, Title per word, LOCAL@domain.
    assert email_spellings("Bob.Smith@Example.org") == [
        ("as given", "Bob.Smith@Example.org"),
        ("lower case", "bob.smith@example.org"),
        ("upper case", "BOB.SMITH@EXAMPLE.ORG"),
        ("capitalised", "Bob.smith@example.org"),
        ("title case per word", "Bob.Smith@Example.Org"),
        ("upper-case local part", "BOB.SMITH@example.org"),
    ]


def test_spellings_that_coincide_are_tried_once() -> None:
    assert [s for _, s in email_spellings("ANN@EXAMPLE.ORG")] == [
        "ANN@EXAMPLE.ORG",
        "ann@example.org",
        "Ann@example.org",
        "Ann@Example.Org",
        "ANN@example.org",
    ]


@pytest.mark.parametrize(
    ("spelling", "kind"),
    [
        ("BOB.SMITH@EXAMPLE.ORG", "upper case"),
        ("Bob.smith@example.org", "capitalised"),
        ("Bob.Smith@Example.Org", "title case per word"),
        ("BOB.SMITH@example.org", "upper-case local part"),
    ],
)
def test_hash_of_a_mozilla_case_variant_matches_the_known_address(spelling: str, kind: str) -> None:
    found = find_recipient(
        hashed(identity_hash(spelling, "salt"), "salt"), ["bob.smith@example.org"]
    )
    assert found is not None
    assert (found.identity, found.spelling, found.spelling_kind) == (
        "bob.smith@example.org",
        spelling,
        kind,
    )
    assert found.is_case_variant


def test_hash_of_the_address_as_typed_matches_when_it_is_known_as_typed() -> None:
    recipient = hashed(identity_hash("Bob.Smith@Example.org", "salt"), "salt")
    found = find_recipient(recipient, ["Bob.Smith@Example.org"])
    assert found is not None
    assert not found.is_case_variant
    # Known only in lower case, that spelling is none of Mozilla's variants of it.
    assert find_recipient(recipient, ["bob.smith@example.org"]) is None


def test_a_spelling_mozilla_did_not_try_does_not_match() -> None:
    recipient = hashed(identity_hash("bOB.sMITH@example.org", "salt"), "salt")
    assert match_recipient(recipient, ["bob.smith@example.org"]) is None


def test_case_variants_are_only_for_email_addresses() -> None:
    recipient = hashed(identity_hash("HTTPS://EXAMPLE.ORG/ME", "salt"), "salt", kind="url")
    assert match_recipient(recipient, {"url": ["https://example.org/me"]}) is None


def test_plain_addresses_match_in_any_case() -> None:
    recipient = {"type": "email", "hashed": False, "identity": "bOB.sMITH@Example.ORG"}
    found = find_recipient(recipient, ["Bob.Smith@example.org"])
    assert found is not None
    assert not found.is_case_variant
