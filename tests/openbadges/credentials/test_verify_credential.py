"""Verifying credentials from the local 3.0 issuer end to end, through `verify_badge`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from backpack.openbadges.baking import bake
from backpack.openbadges.codes import ERROR_CODES, WARNING_CODES
from backpack.openbadges.credentials.view import credential_key
from backpack.openbadges.recipient import RecipientCandidates
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.openbadges.verify import verify_badge
from tests.openbadges.credential_issuer import (
    ISSUER_HOST,
    RECIPIENT,
    CredentialIssuer,
    encode_status_list,
)
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import make_svg

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def issuer() -> Iterator[CredentialIssuer]:
    """A 3.0 issuer on a local TLS server."""
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        yield CredentialIssuer(server)


@pytest.fixture
def fetcher(issuer: CredentialIssuer) -> Iterator[Fetcher]:
    fetcher = issuer.fetcher()
    yield fetcher
    fetcher.close()


def verify(
    data: Any,
    fetcher: Fetcher,
    *,
    recipients: RecipientCandidates | None = (RECIPIENT,),
) -> VerificationReport:
    """verify_badge for alice@example.org; every code reported must be documented."""
    text = data if isinstance(data, str | bytes) else json.dumps(data)
    report = verify_badge(text, fetcher=fetcher, recipients=recipients, now=NOW)
    assert all(m.code in ERROR_CODES for m in report.errors), report.errors
    assert all(m.code in WARNING_CODES for m in report.warnings), report.warnings
    return report


def errors(report: VerificationReport) -> list[str]:
    return [message.code for message in report.errors]


def warnings(report: VerificationReport) -> set[str]:
    return {message.code for message in report.warnings}


@pytest.mark.parametrize("identity", ["url", "did:web", "did:key"])
def test_a_signed_credential_is_valid_for_each_kind_of_issuer_id(
    issuer: CredentialIssuer, fetcher: Fetcher, identity: Any
) -> None:
    report = verify(issuer.sign(issuer.credential(identity=identity)), fetcher)

    assert errors(report) == []
    assert report.status == "valid"
    assert (report.version, report.verification_kind) == ("3.0", "signed")
    assert report.proof is not None
    assert report.proof.verification_method == issuer.method(identity)
    assert (report.recipient_matched, report.matched_identity) == (True, RECIPIENT)


def test_the_stored_view_is_the_credential_shaped_like_an_assertion(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    credential = issuer.sign(issuer.credential(valid_until="2030-01-01T00:00:00Z"))

    view = verify(credential, fetcher).assertion

    assert view is not None
    assert view["id"] == credential["id"]
    assert view["type"] == "OpenBadgeCredential"
    assert view["recipient"]["type"] == "email"
    assert view["recipient"]["hashed"] is True
    assert view["badge"]["name"] == "Local Teamwork"
    assert view["badge"]["criteria"] == {"narrative": "Be nominated by three peers."}
    assert view["badge"]["image"] == issuer.url("/images/badge.png")
    assert view["badge"]["issuer"]["id"] == issuer.profile_id
    assert (view["issuedOn"], view["expires"]) == (
        "2024-01-01T00:00:00Z",
        "2030-01-01T00:00:00Z",
    )
    assert view["credential"] == credential


def test_the_achievement_image_is_kept(issuer: CredentialIssuer, fetcher: Fetcher) -> None:
    report = verify(issuer.sign(issuer.credential()), fetcher)

    assert report.badge_image is not None
    assert report.badge_image.startswith(b"\x89PNG")


def test_a_missing_achievement_image_is_only_a_warning(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    issuer.server.serve("/images/badge.png", b"gone", status=404)

    report = verify(issuer.sign(issuer.credential()), fetcher)

    assert errors(report) == []
    assert "badge_image_unavailable" in warnings(report)


def test_a_vc_1_1_credential_is_valid_with_a_warning(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    report = verify(issuer.sign(issuer.credential(data_model="1.1")), fetcher)

    assert errors(report) == []
    assert "vc_data_model_1_1" in warnings(report)
    assert report.badge is not None
    assert report.badge.issued_on == "2024-01-01T00:00:00Z"


def test_a_credential_changed_after_signing_is_invalid(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    credential = issuer.sign(issuer.credential())
    credential["credentialSubject"]["achievement"]["name"] = "Something grander"

    report = verify(credential, fetcher)

    assert errors(report) == ["proof_invalid_signature"]
    assert report.proof is None


@pytest.mark.parametrize(
    ("recipients", "matched"),
    [
        ([RECIPIENT], True),
        (["Alice@Example.org"], True),  # hashed from the lower case: any spelling matches
        (["bob@example.org"], False),
        ({"id": ["did:example:other"]}, False),
    ],
)
def test_the_recipient_is_matched_through_the_hashed_identifier(
    issuer: CredentialIssuer, fetcher: Fetcher, recipients: Any, matched: bool
) -> None:
    report = verify(issuer.sign(issuer.credential()), fetcher, recipients=recipients)

    assert report.recipient_matched is matched
    assert ("recipient_mismatch" in errors(report)) is not matched


def test_an_issuer_hashing_another_spelling_is_matched_with_a_warning(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    credential = issuer.sign(issuer.credential(recipient="ALICE@EXAMPLE.ORG"))

    report = verify(credential, fetcher)

    assert report.recipient_matched is True
    assert "recipient_case_variant" in warnings(report)


def test_a_plain_identifier_and_a_subject_id_are_matched(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    plain = issuer.sign(issuer.credential(hashed=False))
    by_id = issuer.sign(issuer.credential(subject_id="did:example:alice"))

    assert verify(plain, fetcher).recipient_matched is True
    report = verify(by_id, fetcher, recipients={"id": ["did:example:alice"]})
    assert report.recipient_matched is True
    assert report.assertion is not None
    assert report.assertion["recipient"] == {
        "type": "id",
        "identity": "did:example:alice",
        "hashed": False,
    }


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"valid_until": "2025-01-01T00:00:00Z"}, "expired"),
        ({"valid_from": "2027-01-01T00:00:00Z"}, "issued_in_future"),
        ({"valid_from": "yesterday"}, "missing_property"),
    ],
)
def test_the_validity_window_is_checked(
    issuer: CredentialIssuer, fetcher: Fetcher, changes: Any, code: str
) -> None:
    report = verify(issuer.sign(issuer.credential(**changes)), fetcher)

    assert errors(report) == [code]
    assert report.expired is (code == "expired")


@pytest.mark.parametrize("status", ["revocation-list", "bitstring"])
def test_a_revoked_credential_is_revoked_by_either_list(
    issuer: CredentialIssuer, fetcher: Fetcher, status: Any
) -> None:
    kept = issuer.sign(issuer.credential(status=status))
    revoked = issuer.sign(issuer.credential(status=status))
    issuer.revoke(revoked)

    assert verify(kept, fetcher).credential_status == "active"
    report = verify(revoked, fetcher)
    assert (report.revoked, report.credential_status, errors(report)) == (
        True,
        "revoked",
        ["revoked"],
    )


def test_a_suspended_credential_is_suspended_not_revoked(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    credential = issuer.credential(status="bitstring")
    credential["credentialStatus"]["statusPurpose"] = "suspension"
    signed = issuer.sign(credential)
    issuer.revoke(credential)  # sets its bit in the list
    serve_list_subject(issuer, statusPurpose="suspension")

    report = verify(signed, fetcher)

    assert (report.revoked, report.credential_status, errors(report)) == (
        False,
        "suspended",
        ["suspended"],
    )
    assert not report.valid


def test_a_short_status_list_is_read_with_a_warning(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    credential = issuer.sign(issuer.credential(status="bitstring"))
    issuer.server.serve_json("/status/1", issuer.status_list(bits=100_000 // 8 * 8))

    report = verify(credential, fetcher)

    assert (errors(report), report.credential_status) == ([], "active")
    assert "status_list_short" in warnings(report)


def serve_list_subject(issuer: CredentialIssuer, **subject: Any) -> None:
    """Serve a status list whose credentialSubject is changed, signed again."""
    document = issuer.status_list()
    document.pop("proof")
    document["credentialSubject"] |= subject
    issuer.server.serve_json("/status/1", issuer.sign(document))


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ({"encodedList": encode_status_list(b"\0" * (17 * 1024 * 1024))}, "MiB"),
        ({"encodedList": "u" + "QUJD" * 100}, "gzip"),
        ({"statusPurpose": "suspension"}, "revocation"),
    ],
)
def test_an_unusable_status_list_is_an_error_with_a_reason(
    issuer: CredentialIssuer, fetcher: Fetcher, subject: Any, reason: str
) -> None:
    credential = issuer.sign(issuer.credential(status="bitstring"))
    serve_list_subject(issuer, **subject)

    report = verify(credential, fetcher)

    assert errors(report) == ["status_list_invalid"]
    assert reason in report.errors[0].message
    assert report.revoked is False


def test_a_status_list_with_a_forged_proof_is_not_trusted(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    credential = issuer.sign(issuer.credential(status="bitstring"))
    forged = issuer.status_list()
    forged["credentialSubject"]["encodedList"] = encode_status_list(b"\xff" * 16384)
    issuer.server.serve_json("/status/1", forged)

    report = verify(credential, fetcher)

    assert errors(report) == ["status_list_invalid"]
    assert "not proven" in report.errors[0].message
    assert report.revoked is False


def test_an_unreachable_status_list_is_a_warning(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    credential = issuer.sign(issuer.credential(status="bitstring"))
    issuer.server.serve("/status/1", b"", status=500)

    report = verify(credential, fetcher)

    assert (errors(report), report.credential_status) == ([], "unreachable")
    assert "status_unreachable" in warnings(report)


def test_a_refresh_service_replaces_the_credential_with_a_newer_valid_copy(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    held = issuer.credential(refresh_url=issuer.url("/refresh/1"))
    newer = dict(held, validFrom="2025-06-01T00:00:00Z", name="Local Teamwork, renewed")
    newer.pop("refreshService")
    issuer.server.serve_json("/refresh/1", issuer.sign(newer))

    report = verify(issuer.sign(held), fetcher)

    assert errors(report) == []
    assert "credential_refreshed" in warnings(report)
    assert report.assertion is not None
    assert report.assertion["issuedOn"] == "2025-06-01T00:00:00Z"
    assert report.refreshed_original is not None
    assert json.loads(report.refreshed_original)["name"] == "Local Teamwork, renewed"


def test_a_refreshed_copy_that_does_not_verify_is_not_kept(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    held = issuer.credential(refresh_url=issuer.url("/refresh/1"))
    forged = issuer.sign(dict(held, validFrom="2025-06-01T00:00:00Z"))
    forged["name"] = "Forged"
    issuer.server.serve_json("/refresh/1", forged)

    report = verify(issuer.sign(held), fetcher)

    assert errors(report) == []
    assert "refresh_failed" in warnings(report)
    assert report.assertion is not None
    assert report.assertion["issuedOn"] == "2024-01-01T00:00:00Z"
    assert report.refreshed_original is None


def test_an_unproven_credential_never_calls_its_refresh_service(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    credential = issuer.sign(issuer.credential(refresh_url=issuer.url("/refresh/1")))
    credential["name"] = "Changed"

    verify(credential, fetcher)

    assert not any(r.path == "/refresh/1" for r in issuer.server.requests)


def test_embedded_endorsements_are_verified_and_shown(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    endorsement = issuer.credential(type=["VerifiableCredential", "EndorsementCredential"])
    endorsement["credentialSubject"] = {
        "id": issuer.profile_id,
        "type": "EndorsementSubject",
        "endorsementComment": "In good standing",
    }
    good = issuer.sign(endorsement)
    bad = dict(good, name="Tampered")
    credential = issuer.sign(issuer.credential(endorsement=[good, bad]))

    report = verify(credential, fetcher)

    assert errors(report) == []
    assert "endorsement_invalid" in warnings(report)
    assert report.assertion is not None
    shown = report.assertion["endorsements"]
    assert [item["status"] for item in shown] == ["valid", "invalid"]
    assert shown[0]["comment"] == "In good standing"


def test_a_url_serving_a_credential_is_verified_as_3_0(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    credential = issuer.sign(issuer.credential())
    issuer.server.serve_json("/credentials/1", credential)

    report = verify(issuer.url("/credentials/1"), fetcher)

    assert (report.version, report.status) == ("3.0", "valid")
    assert report.source_url == issuer.url("/credentials/1")


def test_a_credential_with_an_undefined_term_is_refused(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    # Safe mode: a term no context defines is dropped by JSON-LD, so not signed.
    credential = issuer.credential()
    credential["notInAnyContext"] = "unsigned claim"

    report = verify(issuer.sign(credential), fetcher)

    assert report.status == "invalid"
    assert "jsonld_dropped_term" in errors(report)


def test_a_context_that_would_need_fetching_is_refused(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    credential = issuer.sign(issuer.credential())
    credential["@context"] = [*credential["@context"], issuer.url("/my-context.json")]

    report = verify(credential, fetcher)

    assert report.status == "invalid"
    assert "unknown_context" in errors(report)
    assert not any(r.path == "/my-context.json" for r in issuer.server.requests)


def test_a_context_bomb_is_refused_quickly(issuer: CredentialIssuer, fetcher: Fetcher) -> None:
    # Hundreds of inline scoped contexts, each term's values expanding under the next.
    terms = {
        f"t{i}": {
            "@id": f"https://x.example/t{i}",
            "@context": {f"u{i}": f"https://x.example/u{i}"},
        }
        for i in range(500)
    }
    credential = issuer.sign(issuer.credential())
    credential["@context"] = [*credential["@context"], terms]
    credential["t0"] = [{"t1": [{"t2": "x"}] * 50}] * 50

    started = time.monotonic()
    report = verify(credential, fetcher)

    assert time.monotonic() - started < 5
    assert errors(report) == ["jsonld_too_complex"]


def test_huge_json_ld_under_the_size_limit_is_refused(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    credential = issuer.sign(issuer.credential())
    credential["credentialSubject"]["achievement"]["tag"] = [f"tag {i}" for i in range(50_000)]

    started = time.monotonic()
    report = verify(credential, fetcher)

    assert time.monotonic() - started < 5

    assert "jsonld_too_complex" in errors(report)


def test_deeply_nested_json_is_refused(fetcher: Fetcher) -> None:
    nested: Any = "x"
    for _ in range(200):
        nested = {"a": nested}
    text = json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "deep": nested})

    report = verify(text, fetcher)

    assert errors(report) == ["json_too_deep"]


def test_a_credential_that_is_not_a_badge_says_why(fetcher: Fetcher) -> None:
    text = json.dumps(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "UniversityDegreeCredential"],
            "issuer": "https://university.example/",
            "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:1"},
        }
    )

    report = verify(text, fetcher)

    assert {"credential_type", "proof_missing"} <= set(errors(report))
    assert report.version == "3.0"


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
@pytest.mark.parametrize("data_model", ["2.0", "1.1"])
def test_a_vc_jwt_is_valid_with_each_algorithm_and_data_model(
    issuer: CredentialIssuer, fetcher: Fetcher, alg: Any, data_model: Any
) -> None:
    token = issuer.jwt(issuer.credential(data_model=data_model), alg=alg)

    report = verify(token, fetcher)

    assert errors(report) == []
    assert report.proof is not None
    assert (report.proof.type, report.proof.cryptosuite) == ("VC-JWT", alg)
    assert report.recipient_matched is True
    assert report.assertion is not None
    assert report.assertion["issuedOn"] == "2024-01-01T00:00:00Z"


def test_a_vc_jwt_with_an_embedded_jwk_or_a_did_web_kid_is_valid(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    embedded = issuer.jwt(issuer.credential(), embed_jwk=True)
    by_did = issuer.jwt(issuer.credential(identity="did:web"), alg="ES256")

    assert errors(verify(embedded, fetcher)) == []
    report = verify(by_did, fetcher)
    assert errors(report) == []
    assert report.proof is not None
    assert report.proof.verification_method == issuer.method("did:web", "es256")


def test_a_vc_jwt_whose_claims_disagree_or_signature_breaks_is_invalid(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    lying = issuer.jwt(issuer.credential(), claims={"iss": "https://elsewhere.example/"})
    header, payload, signature = issuer.jwt(issuer.credential()).split(".")
    broken = f"{header}.{payload}.{signature[:-4]}AAAA"

    assert verify(lying, fetcher).status == "invalid"
    report = verify(broken, fetcher)
    assert report.status == "invalid"
    assert report.proof is None


def test_a_vc_jwt_baked_into_an_svg_is_verified(issuer: CredentialIssuer, fetcher: Fetcher) -> None:
    token = issuer.jwt(issuer.credential(status="bitstring"), alg="ES256")
    image = bake(make_svg(), token, keyword="openbadgecredential")

    report = verify(image, fetcher)

    assert (report.version, report.status, report.credential_status) == ("3.0", "valid", "active")


def test_an_endorsement_jwt_is_verified_like_a_credential(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    endorsement = issuer.credential(type=["VerifiableCredential", "EndorsementCredential"])
    endorsement["credentialSubject"] = {"id": issuer.profile_id, "type": "EndorsementSubject"}
    token = issuer.jwt(endorsement, alg="ES256")
    credential = issuer.sign(issuer.credential(endorsementJwt=[token, "not.a.jwt"]))

    report = verify(credential, fetcher)

    assert errors(report) == []
    assert report.assertion is not None
    shown = report.assertion["endorsements"]
    assert [(item["source"], item["status"]) for item in shown] == [
        ("endorsementJwt", "valid"),
        ("endorsementJwt", "invalid"),
    ]


def test_copies_of_one_credential_compare_equal_after_unescaping_and_trimming() -> None:
    held = {"id": "urn:uuid:a%2Fb", "issuer": {"id": "https://issuer.example/i "}}
    copy = {"id": " urn:uuid:a/b", "issuer": "https://issuer.example/i"}

    assert credential_key(held) == credential_key(copy)
    assert credential_key(held) != credential_key({**copy, "id": "urn:uuid:other"})


def test_a_url_serving_a_vc_jwt_or_a_baked_image_is_verified_as_3_0(
    issuer: CredentialIssuer, fetcher: Fetcher
) -> None:
    token = issuer.jwt(issuer.credential(), alg="EdDSA")
    issuer.server.serve("/credentials/2.jwt", token.encode(), content_type="text/plain")
    image = bake(make_svg(), token, keyword="openbadgecredential")
    issuer.server.serve("/credentials/2.svg", image, content_type="image/svg+xml")

    for path in ("/credentials/2.jwt", "/credentials/2.svg"):
        report = verify(issuer.url(path), fetcher)
        assert (report.version, report.status) == ("3.0", "valid"), path


def test_issuers_under_a_path_sign_with_did_web_paths() -> None:
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        first = CredentialIssuer(server, prefix="/orgs/first")
        second = CredentialIssuer(server, prefix="/orgs/second", key_name="second")
        fetcher = first.fetcher()
        for issuer in (first, second):
            report = verify(issuer.sign(issuer.credential(identity="did:web")), fetcher)
            assert errors(report) == []
            assert issuer.did_web.endswith(":orgs:" + issuer.prefix.rsplit("/", 1)[1])
        # One issuer's key does not sign for the other.
        forged = first.sign(second.credential(identity="did:web"), method=second.method("did:web"))
        assert verify(forged, fetcher).status == "invalid"
        fetcher.close()
