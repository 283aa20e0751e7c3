"""Embedded proofs: the W3C and 1EdTech vectors, the 1EdTech corpus, and tampering."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backpack.openbadges.codes import ERROR_CODES, WARNING_CODES
from backpack.openbadges.credentials.canonical import canonical_nquads
from backpack.openbadges.credentials.data_integrity import verify_embedded_proofs
from backpack.openbadges.credentials.multibase import decode_multibase, ed25519_from_multikey
from backpack.openbadges.report import ProofSummary, VerificationReport
from tests.openbadges.credentials.issuer_hosts import (
    CORPUS,
    ONE_EDTECH_KEY,
    IssuerHosts,
    multikey,
    ob30,
    one_edtech_key,
    sign,
)

EDDSA = CORPUS / "vc-di-eddsa/TestVectors"
SPEC = CORPUS / "openbadges-specification/ob_v3p0/impl"


def verify(
    credential: dict[str, Any], hosts: IssuerHosts, *, issuer_id: str | None = None
) -> tuple[ProofSummary | None, VerificationReport]:
    """Verify a credential's proofs; every code reported must be documented."""
    report = VerificationReport(version="3.0")
    issuer = credential.get("issuer")
    if issuer_id is None:
        issuer_id = str(issuer["id"] if isinstance(issuer, dict) else issuer)
    summary = verify_embedded_proofs(
        credential, issuer_id=issuer_id, resources=hosts.resources(report), report=report
    )
    assert all(m.code in ERROR_CODES for m in report.errors), report.errors
    assert all(m.code in WARNING_CODES for m in report.warnings), report.warnings
    assert (summary is None) == bool(report.errors or report.unverifiable)
    return summary, report


def codes(report: VerificationReport) -> list[str]:
    return [m.code for m in report.errors]


def warning_codes(report: VerificationReport) -> set[str]:
    return {m.code for m in report.warnings}


def sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def text(path: Path) -> str:
    return path.read_text()


@pytest.mark.parametrize(
    ("folder", "suffix"),
    [("eddsa-rdfc-2022", "DataInt"), ("Ed25519Signature2020", "EdSig")],
)
def test_w3c_vectors_canonical_forms_and_hash_are_byte_equal(folder: str, suffix: str) -> None:
    signed = json.loads(text(EDDSA / folder / f"signed{suffix}.json"))
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    config = json.loads(text(EDDSA / folder / f"proofConfig{suffix}.json"))

    document = canonical_nquads(unsigned)
    options = canonical_nquads(config)

    assert document == text(EDDSA / folder / f"canonDoc{suffix}.txt")
    assert options == text(EDDSA / folder / f"proofCanon{suffix}.txt")
    combined = (sha256(options) + sha256(document)).hex()
    assert combined == text(EDDSA / folder / f"combinedHash{suffix}.txt").strip()


def test_w3c_eddsa_rdfc_2022_vector_verifies(hosts: IssuerHosts) -> None:
    signed = json.loads(text(EDDSA / "eddsa-rdfc-2022/signedDataInt.json"))
    did = signed["proof"]["verificationMethod"].split("#")[0]

    summary, report = verify(signed, hosts, issuer_id=did)

    assert summary == ProofSummary("DataIntegrityProof", "eddsa-rdfc-2022", f"{did}#{did[8:]}")
    assert report.errors == report.warnings == []
    assert hosts.server.requests == []  # a did:key needs no fetch


def test_w3c_vector_key_is_not_the_https_issuers(hosts: IssuerHosts) -> None:
    # The vector names https://vc.example/issuers/5678 as issuer but signs with a did:key.
    signed = json.loads(text(EDDSA / "eddsa-rdfc-2022/signedDataInt.json"))

    summary, report = verify(signed, hosts)

    assert summary is None
    assert codes(report) == ["key_not_authorised"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c.update(name="Alumni Credentiak"),
        lambda c: c["credentialSubject"].update(alumniOf="The School of Examplez"),
        lambda c: c.update(validFrom="2023-01-01T00:00:01Z"),
        lambda c: c["proof"].update(created="2023-02-24T23:36:39Z"),
    ],
)
def test_w3c_vector_tampered_by_one_character_fails(hosts: IssuerHosts, tamper: Any) -> None:
    signed = json.loads(text(EDDSA / "eddsa-rdfc-2022/signedDataInt.json"))
    did = signed["proof"]["verificationMethod"].split("#")[0]
    tamper(signed)

    summary, report = verify(signed, hosts, issuer_id=did)

    assert summary is None
    assert codes(report) == ["proof_invalid_signature"]


def test_w3c_proof_value_changed_by_one_character_fails(hosts: IssuerHosts) -> None:
    signed = json.loads(text(EDDSA / "eddsa-rdfc-2022/signedDataInt.json"))
    did = signed["proof"]["verificationMethod"].split("#")[0]
    value = signed["proof"]["proofValue"]
    signed["proof"]["proofValue"] = value[:10] + ("A" if value[10] != "A" else "B") + value[11:]

    summary, report = verify(signed, hosts, issuer_id=did)

    assert summary is None
    assert codes(report) == ["proof_invalid_signature"]


def test_w3c_ed25519_signature_2020_vector_is_valid_with_a_warning(hosts: IssuerHosts) -> None:
    signed = json.loads(text(EDDSA / "Ed25519Signature2020/signedEdSig.json"))
    did = signed["proof"]["verificationMethod"].split("#")[0]

    summary, report = verify(signed, hosts, issuer_id=did)

    assert summary is not None
    assert summary.type == "Ed25519Signature2020"
    assert summary.cryptosuite is None
    assert warning_codes(report) == {"proof_suite_legacy"}


def test_1edtech_specification_vector_hashes_and_signature() -> None:
    credential = json.loads(text(SPEC / "linked-data-proof-ob.credential.json"))
    proof_options = {
        "@context": credential["@context"],
        "type": "DataIntegrityProof",
        "created": "2010-01-01T19:23:24Z",
        "verificationMethod": f"https://example.edu/issuers/565049#{ONE_EDTECH_KEY}",
        "cryptosuite": "eddsa-rdfc-2022",
        "proofPurpose": "assertionMethod",
    }

    document = canonical_nquads(credential)
    options = canonical_nquads(proof_options)

    assert document == text(SPEC / "test-vectors/obv3p0/document-canon.txt")
    assert options == text(SPEC / "test-vectors/obv3p0/proof-canon.txt")
    assert sha256(document).hex().startswith("87f65a76d40146205e3b3e06cb0fbd15")
    assert sha256(options).hex().startswith("d34009cea0dbc1ca941e09dc01c8c9d3")
    signature = decode_multibase(
        "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr"
    )
    ed25519_from_multikey(ONE_EDTECH_KEY).verify(signature, sha256(options) + sha256(document))


def test_1edtech_corpus_simple_verifies_with_the_key_its_issuer_lists(hosts: IssuerHosts) -> None:
    credential = ob30("simple.json")
    issuer = credential["issuer"]["id"]
    hosts.serve_profile(issuer, ONE_EDTECH_KEY)

    summary, report = verify(credential, hosts)

    assert summary == ProofSummary(
        "DataIntegrityProof", "eddsa-rdfc-2022", f"{issuer}#{ONE_EDTECH_KEY}"
    )
    assert report.errors == report.warnings == []
    assert [r.path for r in hosts.server.requests] == ["/issuers/876543"]


def test_1edtech_corpus_did_key_method_verifies_without_a_fetch(hosts: IssuerHosts) -> None:
    summary, report = verify(ob30("simple-did-key-method.json"), hosts)

    assert summary is not None
    assert summary.verification_method is not None
    assert summary.verification_method.startswith("did:key:z6Mk")
    # Its issuer is a urn:uuid, which nothing can tie a key to: said, not refused.
    assert warning_codes(report) == {"key_not_bound_to_issuer"}
    assert hosts.server.requests == []


def test_1edtech_corpus_multiple_proofs_verify_through_the_second(hosts: IssuerHosts) -> None:
    credential = ob30("simple-multiple-proofs.json")
    hosts.serve_profile(credential["issuer"]["id"], ONE_EDTECH_KEY)

    summary, report = verify(credential, hosts)

    assert summary is not None
    assert summary.type == "DataIntegrityProof"
    assert report.errors == []


def test_1edtech_corpus_eddsa_2022_is_valid_with_a_warning(hosts: IssuerHosts) -> None:
    credential = ob30("simple-eddsa-2022.json")
    hosts.serve_profile(credential["issuer"]["id"], ONE_EDTECH_KEY)

    summary, report = verify(credential, hosts)

    assert summary is not None
    assert summary.cryptosuite == "eddsa-2022"
    assert warning_codes(report) == {"proof_suite_legacy"}


def test_1edtech_corpus_wrong_proof_value_is_invalid(hosts: IssuerHosts) -> None:
    credential = ob30("simple-err-proof-value.json")
    key = credential["proof"][0]["verificationMethod"].split("#")[1]
    hosts.serve_profile(credential["issuer"]["id"], key)

    summary, report = verify(credential, hosts)

    assert summary is None
    assert codes(report) == ["proof_invalid_signature"]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("simple-err-proof-method-no-scheme.json", "verification_method_invalid"),
        ("simple-err-proof-method-unknown-scheme.json", "verification_method_invalid"),
        ("simple-err-proof-method-unknown-did-method.json", "did_method_unsupported"),
    ],
)
def test_1edtech_corpus_bad_methods_are_invalid(hosts: IssuerHosts, name: str, code: str) -> None:
    summary, report = verify(ob30(name), hosts)

    assert summary is None
    assert codes(report) == [code]
    assert hosts.server.requests == []


def test_1edtech_corpus_method_the_profile_does_not_list_is_invalid(hosts: IssuerHosts) -> None:
    # simple-err-proof-method.json names a mangled key as its URL's fragment. The Java
    # validator would read the key from the fragment; here the profile is fetched instead.
    credential = ob30("simple-err-proof-method.json")
    hosts.serve_profile(credential["issuer"]["id"], ONE_EDTECH_KEY)

    summary, report = verify(credential, hosts)

    assert summary is None
    assert codes(report) == ["verification_method_not_found"]


def test_a_key_in_a_url_fragment_is_never_taken_without_its_document(hosts: IssuerHosts) -> None:
    # Anyone can write their own key after the issuer's URL: the issuer's profile decides.
    impostor = Ed25519PrivateKey.generate()
    credential = ob30("simple.json")
    issuer = credential["issuer"]["id"]
    forged = sign(credential, impostor, f"{issuer}#{multikey(impostor)}")
    hosts.serve_profile(issuer, ONE_EDTECH_KEY)

    summary, report = verify(forged, hosts)

    assert summary is None
    assert codes(report) == ["verification_method_not_found"]


def test_an_unreachable_key_leaves_the_credential_unverifiable(hosts: IssuerHosts) -> None:
    hosts.server.stop()

    summary, report = verify(ob30("simple.json"), hosts)

    assert summary is None
    assert report.unverifiable
    assert report.status == "unverifiable"


def test_a_proof_for_another_purpose_is_refused(hosts: IssuerHosts) -> None:
    key = one_edtech_key()
    credential = sign(ob30("simple-did-key-method.json"), key, f"did:key:{multikey(key)}")
    credential["proof"]["proofPurpose"] = "authentication"

    summary, report = verify(credential, hosts)

    assert summary is None
    assert codes(report) == ["proof_purpose_invalid"]


def test_an_unknown_cryptosuite_is_refused(hosts: IssuerHosts) -> None:
    key = one_edtech_key()
    credential = sign(
        ob30("simple-did-key-method.json"), key, f"did:key:{multikey(key)}",
        cryptosuite="ecdsa-rdfc-2019",
    )  # fmt: skip

    summary, report = verify(credential, hosts)

    assert summary is None
    assert codes(report) == ["proof_cryptosuite_unsupported"]


def test_a_term_the_signature_does_not_cover_fails_in_safe_mode(hosts: IssuerHosts) -> None:
    # Added after signing, a term no context defines is dropped by expansion, so the
    # signature still verifies: safe mode refuses what the signature does not cover.
    credential = ob30("simple-did-key-method.json")
    credential["secretNote"] = "This earner also holds a PhD."

    summary, report = verify(credential, hosts)

    assert summary is None
    assert codes(report) == ["jsonld_dropped_term"]


DCC = CORPUS / "vc-test-fixtures"
DCC_DIDS = "https://digitalcredentials.github.io/vc-test-fixtures/dids"


@pytest.mark.parametrize(
    ("name", "warned"),
    [
        ("v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-basicOBv3.json", False),
        ("v1/dataIntegrityProof/didKey/legacy-noStatus-noExpiry.json", False),
        ("v2/ed25519/didKey/legacy-noStatus-noExpiry.json", True),
        ("v1/ed25519/didKey/legacy-noStatus-expired.json", True),
    ],
)
def test_dcc_did_key_credentials_verify(hosts: IssuerHosts, name: str, warned: bool) -> None:
    credential = json.loads(text(DCC / "verifiableCredentials" / name))

    summary, report = verify(credential, hosts)

    assert summary is not None
    assert warning_codes(report) == ({"proof_suite_legacy"} if warned else set())


def test_dcc_tampered_credential_fails(hosts: IssuerHosts) -> None:
    name = "v2/ed25519/didKey/legacy-noStatus-noExpiry-tampered.json"

    summary, report = verify(json.loads(text(DCC / "verifiableCredentials" / name)), hosts)

    assert summary is None
    assert codes(report) == ["proof_invalid_signature"]


@pytest.mark.parametrize(
    "name",
    [
        "v2/dataIntegrityProof/didweb/oidf-noStatus-notExpired.json",
        "v2/ed25519/didWeb/legacy-revokedStatus-noExpiry.json",
    ],
)
def test_dcc_did_web_credentials_verify_through_their_did_documents(
    hosts: IssuerHosts, name: str
) -> None:
    for did in ("legacy", "oidf"):
        hosts.serve(f"{DCC_DIDS}/{did}/did.json", json.loads(text(DCC / f"dids/{did}/did.json")))

    summary, report = verify(json.loads(text(DCC / "verifiableCredentials" / name)), hosts)

    assert summary is not None
    assert report.errors == []


def test_dcc_bad_did_web_cannot_be_resolved(hosts: IssuerHosts) -> None:
    credential = json.loads(text(DCC / "verifiableCredentials/v2/ed25519/didWeb/badDidWeb.json"))

    summary, report = verify(credential, hosts)

    assert summary is None
    assert codes(report) == ["not_found"]
    assert [r.path for r in hosts.server.requests] == ["/dcc-did-web-bad/did.json"]


def test_dcc_safe_mode_breaker_is_refused(hosts: IssuerHosts) -> None:
    # Its status entry's type has no context: expansion leaves it relative and unsigned.
    path = CORPUS / "verifier-core/src/test-fixtures/verifiableCredentials/eddsa/v2"
    credential = json.loads(text(path / "safeModeBreaker.json"))

    summary, report = verify(credential, hosts)

    assert summary is None
    assert codes(report) == ["jsonld_relative_iri"]


@pytest.mark.parametrize(
    ("name", "warnings"),
    [
        ("simple_v1.json", {"proof_suite_legacy"}),
        ("complete.json", set()),
        ("endorsement-valid.json", set()),
        ("simple-did-web-method.json", set()),
    ],
)
def test_1edtech_corpus_credentials_verify_with_their_issuers_profile(
    hosts: IssuerHosts, name: str, warnings: set[str]
) -> None:
    credential = ob30(name)
    proof = credential["proof"][0] if isinstance(credential["proof"], list) else credential["proof"]
    issuer, key = proof["verificationMethod"].split("#")
    hosts.serve_profile(issuer, key)

    summary, report = verify(credential, hosts)

    assert summary is not None
    assert report.errors == []
    assert warning_codes(report) == warnings


def test_1edtech_corpus_did_web_credential_verifies_through_its_did_document(
    hosts: IssuerHosts,
) -> None:
    credential = ob30("credential-status-revoked.json")
    did = credential["issuer"]["id"]
    method = credential["proof"]["verificationMethod"]
    hosts.serve(
        "https://dc.1edtech.org/wellspring2022/wellspring-portal/org/"
        "da1e96e9-afcc-4eed-b9a2-2ddf7353214c/did.json",
        {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": did,
            "verificationMethod": [{
                "id": method, "type": "Ed25519VerificationKey2020", "controller": did,
                "publicKeyMultibase": ONE_EDTECH_KEY,
            }],
            "assertionMethod": [method],
        },
    )  # fmt: skip

    summary, report = verify(credential, hosts)

    assert summary == ProofSummary("Ed25519Signature2020", None, method)
    assert warning_codes(report) == {"proof_suite_legacy"}


@pytest.mark.parametrize("legacy_escapes", [False, True])
def test_text_with_control_characters_verifies_however_the_signer_escaped_it(
    hosts: IssuerHosts, legacy_escapes: bool
) -> None:
    # RDFC-1.0 writes U+0007 as \u0007 and U+0008 as \b; URDNA2015 libraries wrote them raw.
    key = Ed25519PrivateKey.generate()
    credential = ob30("simple-did-key-method.json")
    credential["name"] = "Bell\u0007 and backspace\b"
    credential["credentialSubject"]["achievement"]["criteria"]["narrative"] = "Form\ffeed"
    did = f"did:key:{multikey(key)}"
    signed = sign(credential, key, did, legacy_escapes=legacy_escapes)

    summary, report = verify(signed, hosts, issuer_id=did)

    assert summary is not None
    assert report.errors == []
