"""Key discovery: did:key, did:web, controller documents, and what is refused."""

from __future__ import annotations

from typing import Any

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backpack.openbadges.credentials.keys import did_web_url, resolve_key
from backpack.openbadges.credentials.multibase import decode_multibase, ed25519_from_multikey
from backpack.openbadges.errors import FetchError, OpenBadgesError, SignatureError
from backpack.openbadges.issuer_resources import IssuerResources
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.safe_fetcher import Fetcher
from tests.openbadges.credentials.issuer_hosts import (
    ONE_EDTECH_KEY,
    IssuerHosts,
    multikey,
    profile,
)

ISSUER = "https://example.com/issuers/876543"
DID = "did:web:example.com:issuers:876543"


def did_document(did: str, key: str, **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {"id": f"{did}#key-1", "type": "Multikey", "controller": did, "publicKeyMultibase": key}
        ],
        "assertionMethod": [f"{did}#key-1"],
    }
    document.update(changes)
    return document


def refusal(hosts: IssuerHosts, method: str, issuer_id: str = ISSUER) -> OpenBadgesError:
    with pytest.raises(OpenBadgesError) as caught:
        resolve_key(method, issuer_id=issuer_id, resources=hosts.resources())
    return caught.value


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:example.com:issuers:876543", "https://example.com/issuers/876543/did.json"),
        ("did:web:localhost%3A8443", "https://localhost:8443/.well-known/did.json"),
        ("did:web:example.com%3A8443:a:b", "https://example.com:8443/a/b/did.json"),
    ],
)
def test_did_web_urls(did: str, url: str) -> None:
    assert did_web_url(did) == url


@pytest.mark.parametrize(
    "did",
    ["did:web:", "did:web:example.com::a", "did:web:ex/ample.com", "did:web:user@example.com",
     "did:web:example.com%3Aport", "did:web:example.com%2Fevil.org",
     "did:web:user%40example.com", "did:web:example.com%5C@evil.org"],
)  # fmt: skip
def test_malformed_did_web_is_refused(did: str) -> None:
    with pytest.raises(SignatureError) as caught:
        did_web_url(did)

    assert caught.value.code == "did_invalid"


def test_did_key_resolves_without_a_fetch(hosts: IssuerHosts) -> None:
    did = f"did:key:{ONE_EDTECH_KEY}"

    key = resolve_key(f"{did}#{ONE_EDTECH_KEY}", issuer_id=did, resources=hosts.resources())

    assert (key.id, key.controller) == (f"{did}#{ONE_EDTECH_KEY}", did)
    assert hosts.server.requests == []


def test_a_did_key_that_is_not_the_https_issuers_is_refused(hosts: IssuerHosts) -> None:
    assert refusal(hosts, f"did:key:{ONE_EDTECH_KEY}").code == "key_not_authorised"


def test_a_did_key_of_another_curve_is_refused(hosts: IssuerHosts) -> None:
    # did:key of a P-256 key (multicodec 0x1200): not what eddsa proofs are made with.
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    compressed = bytes([2 + point.y % 2]) + point.x.to_bytes(32, "big")
    did = "did:key:z" + base58.b58encode(b"\x80\x24" + compressed).decode()

    assert refusal(hosts, did, issuer_id=did).code == "public_key_invalid"


def test_did_web_resolves_through_its_document(hosts: IssuerHosts) -> None:
    hosts.serve("https://example.com/issuers/876543/did.json", did_document(DID, ONE_EDTECH_KEY))

    key = resolve_key(f"{DID}#key-1", issuer_id=DID, resources=hosts.resources())

    assert key.controller == DID
    assert [r.path for r in hosts.server.requests] == ["/issuers/876543/did.json"]


def test_did_web_key_must_be_for_assertions(hosts: IssuerHosts) -> None:
    document = did_document(DID, ONE_EDTECH_KEY, assertionMethod=[], authentication=["#key-1"])
    hosts.serve("https://example.com/issuers/876543/did.json", document)

    assert refusal(hosts, f"{DID}#key-1", issuer_id=DID).code == "key_not_authorised"


def test_did_web_document_must_be_the_dids_own(hosts: IssuerHosts) -> None:
    other = "did:web:example.com:issuers:someone-else"
    hosts.serve("https://example.com/issuers/876543/did.json", did_document(other, ONE_EDTECH_KEY))

    assert refusal(hosts, f"{DID}#key-1", issuer_id=DID).code == "did_document_invalid"


def test_did_web_at_a_private_address_is_refused_by_the_fetcher() -> None:
    # A DID is a host name like any other: the safe fetcher's default policy decides.
    report = VerificationReport()
    fetcher = Fetcher(resolver=lambda host, port: ["10.0.0.7"])
    resources = IssuerResources(fetcher, report)

    with pytest.raises(FetchError) as caught:
        resolve_key(f"{DID}#key-1", issuer_id=DID, resources=resources)

    assert caught.value.code in ("private_address", "fetch_refused")
    fetcher.close()


def test_did_web_at_loopback_is_refused_by_the_fetcher() -> None:
    report = VerificationReport()
    fetcher = Fetcher()
    did = "did:web:127.0.0.1%3A8443"

    with pytest.raises(FetchError) as caught:
        resolve_key(f"{did}#key-1", issuer_id=did, resources=IssuerResources(fetcher, report))

    assert caught.value.code in ("private_address", "fetch_refused")
    fetcher.close()


def test_issuer_profile_lists_the_key(hosts: IssuerHosts) -> None:
    hosts.serve_profile(ISSUER, ONE_EDTECH_KEY)

    key = resolve_key(f"{ISSUER}#{ONE_EDTECH_KEY}", issuer_id=ISSUER, resources=hosts.resources())

    assert key.controller == ISSUER


def test_relative_method_ids_in_a_profile(hosts: IssuerHosts) -> None:
    document = profile(ISSUER, ONE_EDTECH_KEY)
    document["verificationMethod"][0]["id"] = "#key-1"
    hosts.serve(ISSUER, document)

    key = resolve_key(f"{ISSUER}#key-1", issuer_id=ISSUER, resources=hosts.resources())

    assert key.id == f"{ISSUER}#key-1"


def test_ed25519_verification_key_2020_is_read(hosts: IssuerHosts) -> None:
    document = profile(ISSUER, ONE_EDTECH_KEY)
    document["verificationMethod"][0]["type"] = "Ed25519VerificationKey2020"
    hosts.serve(ISSUER, document)

    key = resolve_key(f"{ISSUER}#{ONE_EDTECH_KEY}", issuer_id=ISSUER, resources=hosts.resources())

    assert key.public_key == ed25519_from_multikey(ONE_EDTECH_KEY)


def test_a_profile_listing_a_key_controlled_by_someone_else(hosts: IssuerHosts) -> None:
    hosts.serve_profile(ISSUER, ONE_EDTECH_KEY, controller="https://example.edu/issuers/1")

    assert refusal(hosts, f"{ISSUER}#{ONE_EDTECH_KEY}").code == "key_not_authorised"


def test_a_document_claiming_the_issuers_id_elsewhere_is_refused(hosts: IssuerHosts) -> None:
    # Served at example.edu, it says it is example.com's profile: it cannot speak for it.
    hosts.serve("https://example.edu/profile", profile(ISSUER, ONE_EDTECH_KEY))

    assert refusal(hosts, f"https://example.edu/profile#{ONE_EDTECH_KEY}").code == "id_mismatch"


def test_a_key_document_apart_from_its_controller_must_be_claimed(hosts: IssuerHosts) -> None:
    impostor = Ed25519PrivateKey.generate()
    method = "https://example.edu/keys/1"
    key_document = {
        "id": method, "type": "Multikey", "controller": ISSUER,
        "publicKeyMultibase": multikey(impostor),
    }  # fmt: skip
    hosts.serve(method, key_document)
    hosts.serve_profile(ISSUER, ONE_EDTECH_KEY)

    assert refusal(hosts, method).code == "key_not_authorised"

    claimed = profile(ISSUER, ONE_EDTECH_KEY)
    claimed["assertionMethod"] = [method]
    hosts.serve(ISSUER, claimed)
    resources = hosts.resources()
    assert resolve_key(method, issuer_id=ISSUER, resources=resources).controller == ISSUER


def test_a_method_of_an_unknown_type_is_refused(hosts: IssuerHosts) -> None:
    document = profile(ISSUER, ONE_EDTECH_KEY)
    document["verificationMethod"][0]["type"] = "EcdsaSecp256k1VerificationKey2019"
    hosts.serve(ISSUER, document)

    assert refusal(hosts, f"{ISSUER}#{ONE_EDTECH_KEY}").code == "public_key_invalid"


@pytest.mark.parametrize(
    "value",
    [
        "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hw",  # one character short
        "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",  # secp256k1
        "u7QEgRANLa3a3xVxR6K2d6IXQKxXWt5OPgN9oGYvJHgWq1T8",  # base64url, 34 bytes but padded
        "not multibase",
    ],
)
def test_keys_of_the_wrong_type_or_size_are_refused(hosts: IssuerHosts, value: str) -> None:
    document = profile(ISSUER, "k")
    document["verificationMethod"][0]["publicKeyMultibase"] = value
    hosts.serve(ISSUER, document)

    error = refusal(hosts, f"{ISSUER}#k")

    assert error.code == "public_key_invalid"
    assert error.message


def test_a_kid_that_redirects_in_a_loop_gets_a_reason(hosts: IssuerHosts) -> None:
    hosts.server.redirect("/keys/a", "/keys/b")
    hosts.server.redirect("/keys/b", "/keys/a")

    error = refusal(hosts, "https://example.com/keys/a")

    assert isinstance(error, FetchError)
    assert error.code == "too_many_redirects"


def test_controllers_pointing_at_each_other_end_with_a_reason(hosts: IssuerHosts) -> None:
    key = multikey(Ed25519PrivateKey.generate())
    a, b = "https://example.com/keys/a", "https://example.com/keys/b"
    hosts.serve(a, {"id": a, "type": "Multikey", "controller": b, "publicKeyMultibase": key})
    hosts.serve(b, {"id": b, "type": "Multikey", "controller": a, "publicKeyMultibase": key})

    assert refusal(hosts, a, issuer_id=b).code == "key_not_authorised"
    assert len(hosts.server.requests) <= 2


def test_multibase_base64url_and_refusals() -> None:
    assert decode_multibase("uaGVsbG8") == b"hello"
    assert decode_multibase("z" + base58.b58encode(b"hello").decode()) == b"hello"
    for value in ("", "z", "x123", "uaGVsbG8=", "u!aGVsbG8", "z0OIl", "z" + "1" * 5000):
        with pytest.raises(SignatureError) as caught:
            decode_multibase(value)
        assert caught.value.code == "multibase_invalid"


def test_a_did_key_is_tied_to_no_missing_issuer(hosts: IssuerHosts) -> None:
    assert refusal(hosts, f"did:key:{ONE_EDTECH_KEY}", issuer_id="").code == "key_not_authorised"
