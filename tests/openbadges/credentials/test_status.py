"""Credential status: 1EdTech revocation lists, W3C Bitstring status lists, and bad lists."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from backpack.openbadges.credentials.status import (
    MAX_LIST_BYTES,
    StatusListError,
    check_status,
    decode_status_list,
    read_status,
)
from backpack.openbadges.issuer_resources import IssuerResources
from backpack.openbadges.report import VerificationReport
from tests.openbadges.credential_issuer import ISSUER_HOST, CredentialIssuer, encode_status_list
from tests.support.http_server import LocalHTTPServer

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def issuer() -> Iterator[CredentialIssuer]:
    """A 3.0 issuer on a local TLS server."""
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        yield CredentialIssuer(server)


def status_of(issuer: CredentialIssuer, credential: dict[str, object]) -> VerificationReport:
    report = VerificationReport(version="3.0")
    fetcher = issuer.fetcher()
    check_status(credential, resources=IssuerResources(fetcher, report), report=report, now=NOW)
    fetcher.close()
    return report


def test_a_credential_on_the_1edtech_revocation_list_is_revoked(issuer: CredentialIssuer) -> None:
    kept = issuer.credential(status="revocation-list")
    revoked = issuer.credential(status="revocation-list")
    issuer.revoke(revoked)

    assert status_of(issuer, kept).credential_status == "active"
    report = status_of(issuer, revoked)
    assert (report.credential_status, report.revoked) == ("revoked", True)
    assert [m.code for m in report.errors] == ["revoked"]
    assert "Awarded in error" in report.errors[0].message


def test_an_entry_marked_not_revoked_is_not_revoked(issuer: CredentialIssuer) -> None:
    credential = issuer.credential(status="revocation-list")
    issuer.server.serve_json(
        "/revocations", {"revokedCredential": [{"id": credential["id"], "revoked": False}]}
    )

    assert status_of(issuer, credential).credential_status == "active"


def test_an_unreachable_list_is_a_warning_and_says_unreachable(issuer: CredentialIssuer) -> None:
    credential = issuer.credential(status="revocation-list")
    issuer.server.serve("/revocations", b"down", status=404)

    report = status_of(issuer, credential)

    assert (report.credential_status, report.revoked, report.errors) == ("unreachable", False, [])
    assert [m.code for m in report.warnings] == ["status_unreachable"]


def test_an_unknown_status_type_is_unknown_never_revoked(issuer: CredentialIssuer) -> None:
    credential = issuer.credential()
    credential["credentialStatus"] = {"id": issuer.url("/x"), "type": "StatusList2021Entry"}

    report = status_of(issuer, credential)

    assert (report.credential_status, report.revoked, report.errors) == ("unknown", False, [])
    assert [m.code for m in report.warnings] == ["status_unknown"]


def test_no_status_entry_leaves_the_status_unset(issuer: CredentialIssuer) -> None:
    assert status_of(issuer, issuer.credential()).credential_status is None


def test_bits_are_read_most_significant_first() -> None:
    bits = bytes([0b0001_0000, 0b0000_0001])

    assert [read_status(bits, i, 1) for i in (3, 4, 15, 0)] == [1, 0, 1, 0]
    assert read_status(bytes([0b0110_0000]), 0, 3) == 0b011
    with pytest.raises(StatusListError):
        read_status(bits, 16, 1)


def test_1edtech_test_list_has_bit_23_set() -> None:
    # The encodedList of 1EdTech's bit-string-list/testlist fixture.
    bits = decode_status_list(
        "uH4sIAAAAAAAA_-3BMQEAAAzDoMy_6cnoA9QFAAAAAAAAAAAAAAAAAAAAbD3uPa2cAEAAAA"
    )

    assert read_status(bits, 23, 1) == 1
    assert [i for i in range(len(bits) * 8) if read_status(bits, i, 1)] == [23]


@pytest.mark.parametrize(
    ("encoded", "reason"),
    [
        ("z" + "1" * 10, "multibase base64url"),
        ("u" + base64.urlsafe_b64encode(b"plain bytes").decode(), "not gzip"),
        ("u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * 64)[:-12]).decode(), "ends early"),
        (None, "multibase base64url"),
    ],
)
def test_lists_that_are_not_gzip_or_broken_are_refused(encoded: object, reason: str) -> None:
    with pytest.raises(StatusListError) as refused:
        decode_status_list(encoded)

    assert reason in refused.value.message


def test_a_gzip_bomb_list_is_refused_without_inflating_it_all() -> None:
    bomb = encode_status_list(b"\0" * (MAX_LIST_BYTES + 1024))

    assert len(bomb) < 40_000
    with pytest.raises(StatusListError) as refused:
        decode_status_list(bomb)

    assert "MiB" in refused.value.message
