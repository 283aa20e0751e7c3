"""1EdTech's Open Badges 3.0 conformance fixtures, with the outcomes its Java validator expects.

Expected outcomes: OB30Tests.java and Endorsement30Tests.java of
1EdTech/digital-credentials-public-validator (ob3-host.md table E). Every URL the fixtures
name (keys at example.com, example.edu, 1edtech.edu and state.gov, the did:web document and
revocation list at dc.1edtech.org, the status list on raw.githubusercontent.com) is served
by the local HTTPS server; nothing reaches the internet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from backpack.openbadges.codes import ERROR_CODES, WARNING_CODES
from backpack.openbadges.credentials.extract import read_credential
from backpack.openbadges.credentials.verify import verify_credential
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.verify import verify_badge
from tests.openbadges.credentials.issuer_hosts import HOSTS, OB30, IssuerHosts, profile
from tests.support.http_server import LocalHTTPServer, RecordedRequest, Response

NOW = datetime(2026, 1, 1, tzinfo=UTC)
KEY_1EDTECH = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
WELLSPRING = (
    "dc.1edtech.org:wellspring2022:wellspring-portal:org:da1e96e9-afcc-4eed-b9a2-2ddf7353214c"
)
WELLSPRING_DID = f"did:web:{WELLSPRING}"
REVOKED_ID = "urn:uuid:a8a0dd1c-f0d2-4a0d-9a8e-8b0b1c1c6d2e"
TESTLIST_PATH = (
    "/1EdTech/digital-credentials-public-validator/refs/heads/main/inspector-vc/src/test/"
    "resources/ob30/bit-string-list/testlist"
)


def serve_by_host(server: LocalHTTPServer, path: str, documents: Mapping[str, Any]) -> None:
    """Answer a path with a different JSON document for each Host (one server, many hosts)."""

    def answer(request: RecordedRequest) -> Response:
        host = request.headers.get("host", "").split(":")[0]
        if host not in documents:
            return Response(404, b"not found")
        body = json.dumps(documents[host]).encode()
        return Response(200, body, {"Content-Type": "application/ld+json"})

    server.route(path, answer)


@pytest.fixture
def corpus_hosts() -> Iterator[IssuerHosts]:
    """The fixtures' hosts, serving what their credentials point at."""
    with LocalHTTPServer(tls_hostnames=list(HOSTS)) as server:
        hosts = IssuerHosts(server)
        example_com = "https://example.com/issuers/876543"
        hosts.serve(
            example_com,
            profile(
                example_com,
                KEY_1EDTECH,
                "z6MknNHHrBzPytzu6CUBP9Lg7fg4KSBjzimc2Frh693YbMiv",
                "z6MkrvfzkMnvCroEUP2DVc9SHPE48CRsvHiVSusHioxTYu1x",
            ),
        )
        serve_by_host(
            server,
            "/issuers/565049",
            {
                "example.edu": profile("https://example.edu/issuers/565049", KEY_1EDTECH),
                "1edtech.edu": profile("https://1edtech.edu/issuers/565049", KEY_1EDTECH),
                "state.gov": profile(
                    "https://state.gov/issuers/565049",
                    "z6MkoMGF38Ck9xkdqrbZt4h9eHb1qc3GhAAkoSWa4Vy3SHRN",
                    "z6MkmQ49FhpMN7V11B7Qzc6WC6Q3ymVW4xmHUsHBR2MWMMo1",
                ),
            },
        )
        wellspring_key = f"{WELLSPRING_DID}#{KEY_1EDTECH}"
        hosts.serve(
            "https://dc.1edtech.org/wellspring2022/wellspring-portal/org/"
            "da1e96e9-afcc-4eed-b9a2-2ddf7353214c/did.json",
            {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": WELLSPRING_DID,
                "verificationMethod": [
                    {
                        "id": wellspring_key,
                        "type": "Ed25519VerificationKey2020",
                        "controller": WELLSPRING_DID,
                        "publicKeyMultibase": KEY_1EDTECH,
                    }
                ],
                "assertionMethod": [wellspring_key],
            },
        )
        revoked = json.loads((OB30 / "credential-status-revoked.json").read_text())["id"]
        hosts.serve(
            "https://dc.1edtech.org/wellspring2022/wellspring-portal/api/revocations/"
            "da1e96e9-afcc-4eed-b9a2-2ddf7353214c",
            {"revokedCredential": [{"id": revoked, "revocationReason": "Issued in error"}]},
        )
        server.serve(
            TESTLIST_PATH,
            (OB30 / "bit-string-list/testlist").read_bytes(),
            content_type="application/json",
        )
        yield hosts
        hosts.fetcher.close()


def verified(name: str, hosts: IssuerHosts) -> VerificationReport:
    """verify_badge on a fixture file (bytes, as uploaded); every code must be documented."""
    report = verify_badge((OB30 / name).read_bytes(), fetcher=hosts.fetcher, now=NOW)
    assert all(m.code in ERROR_CODES for m in report.errors), report.errors
    assert all(m.code in WARNING_CODES for m in report.warnings), report.warnings
    assert report.version == "3.0"
    return report


def codes(report: VerificationReport) -> set[str]:
    return {message.code for message in report.errors}


@pytest.mark.parametrize(
    "name",
    [
        "simple.json",
        "simple-context-alias.json",
        "simple-did-key-method.json",
        "simple-multiple-proofs.json",
        "simple-json.png",
        "simple-json.svg",
        "simple-jwt.png",
        "simple-jwt.svg",
    ],
)
def test_valid_credentials_are_valid(name: str, corpus_hosts: IssuerHosts) -> None:
    report = verified(name, corpus_hosts)

    assert report.errors == []
    assert report.status == "valid"
    assert report.proof is not None
    assert report.badge is not None
    assert report.badge.issued_on
    assert report.assertion is not None
    assert report.assertion["type"] == "OpenBadgeCredential"


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        ("simple_v1.json", "vc_data_model_1_1"),
        ("simple-eddsa-2022.json", "proof_suite_legacy"),
        ("simple-jwt_v1.png", "vc_data_model_1_1"),
        ("simple-jwt_v1.svg", "vc_data_model_1_1"),
    ],
)
def test_older_credentials_are_valid_with_warnings(
    name: str, warning: str, corpus_hosts: IssuerHosts
) -> None:
    report = verified(name, corpus_hosts)

    assert report.errors == []
    assert warning in {message.code for message in report.warnings}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("simple-err-context.json", "credential_context"),
        ("simple-err-type.json", "credential_type"),
        ("simple-err-issued.json", "issued_in_future"),
        ("simple-err-expired.json", "expired"),
        ("simple-err-issuer.json", "missing_property"),
        ("simple-err-credential-subject-type.json", "wrong_type"),
        ("simple-err-credential-subject-identifier-type.json", "wrong_type"),
        ("simple-err-credential-subject-result-type.json", "wrong_type"),
        ("simple-err-credential-subject-achievement-result-description-type.json", "wrong_type"),
        ("simple-err-credential-subject-profile-type.json", "wrong_type"),
        ("simple-err-evidence-type.json", "wrong_type"),
        ("simple-err-issuer-type.json", "wrong_type"),
        ("simple-err-issuer-parentorg-type.json", "wrong_type"),
        ("simple-err-issuer-otheridentifier-type.json", "wrong_type"),
        ("simple-err-proof-method.json", "verification_method_not_found"),
        ("simple-err-proof-method-no-scheme.json", "verification_method_invalid"),
        ("simple-err-proof-method-unknown-scheme.json", "verification_method_invalid"),
        ("simple-err-proof-method-unknown-did-method.json", "did_method_unsupported"),
        ("simple-err-proof-value.json", "proof_invalid_signature"),
    ],
)
def test_broken_credentials_are_invalid_for_their_reason(
    name: str, code: str, corpus_hosts: IssuerHosts
) -> None:
    report = verified(name, corpus_hosts)

    assert report.status == "invalid"
    assert code in codes(report), report.errors


def test_a_credential_without_a_proof_is_invalid(corpus_hosts: IssuerHosts) -> None:
    report = verified("simple-noproof.json", corpus_hosts)

    assert codes(report) >= {"proof_missing"}
    assert report.proof is None


@pytest.mark.parametrize(
    "name",
    [
        "bit-string-list/credential-status-revoked.json",
        "bit-string-list/credential-status-revoked-blank-nodes.json",
    ],
)
def test_bit_23_of_the_1edtech_status_list_revokes(name: str, corpus_hosts: IssuerHosts) -> None:
    report = verified(name, corpus_hosts)

    assert codes(report) == {"revoked"}
    assert (report.revoked, report.credential_status) == (True, "revoked")


def test_the_1edtech_revocation_list_revokes(corpus_hosts: IssuerHosts) -> None:
    report = verified("credential-status-revoked.json", corpus_hosts)

    assert codes(report) == {"revoked"}
    assert (report.revoked, report.credential_status) == (True, "revoked")
    assert report.proof is not None
    assert report.proof.type == "Ed25519Signature2020"


def endorsement_report(name: str, hosts: IssuerHosts) -> VerificationReport:
    report = VerificationReport()
    verify_credential(
        read_credential((OB30 / name).read_text()),
        resources=hosts.resources(report),
        report=report,
        recipients=None,
        now=NOW,
        kind="endorsement",
    )
    return report


def test_a_valid_endorsement_credential_is_valid(corpus_hosts: IssuerHosts) -> None:
    report = endorsement_report("endorsement-valid.json", corpus_hosts)

    assert report.errors == []
    assert report.proof is not None


def test_the_endorsement_with_bad_schema_status_and_refresh_is_invalid(
    corpus_hosts: IssuerHosts,
) -> None:
    report = endorsement_report("endorsement-err-schema-status-refresh.json", corpus_hosts)

    assert report.status == "invalid"


def test_an_endorsement_is_not_a_badge(corpus_hosts: IssuerHosts) -> None:
    report = verified("endorsement-valid.json", corpus_hosts)

    assert "credential_type" in codes(report)
