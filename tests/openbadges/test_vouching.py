"""Which web address answers for a badge, for every form a badge is pushed in."""

from __future__ import annotations

from typing import Any

import pytest

from backpack.openbadges.report import VerificationKind, VerificationReport
from backpack.openbadges.vouching import Voucher, voucher_of

ISSUER = {"id": "https://issuer.example/issuer.json", "name": "Example"}
BADGE = {"id": "https://issuer.example/badge.json", "issuer": ISSUER}


def _report(
    kind: VerificationKind | None, source_url: str | None = None, **assertion: Any
) -> VerificationReport:
    return VerificationReport(
        verification_kind=kind, source_url=source_url, assertion={"badge": BADGE, **assertion}
    )


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        # Hosted: where the assertion was fetched from once verified (2.0 id, 1.x verify.url).
        (
            _report("hosted", "https://cdn.example/a/1", id="https://issuer.example/a/1"),
            Voucher("https://cdn.example/a/1", "hosted assertion"),
        ),
        # Hosted but never fetched (the issuer was down): the id it claims.
        (
            _report("hosted", id="https://issuer.example/a/1"),
            Voucher("https://issuer.example/a/1", "hosted assertion"),
        ),
        # Signed with a key URL (2.0 creator; 1.x verify.url is normalised to it).
        (
            _report(
                "signed",
                id="urn:uuid:1",
                verification={"type": "SignedBadge", "creator": "https://keys.example/k"},
            ),
            Voucher("https://keys.example/k", "signing key"),
        ),
        # Signed without a key URL: the issuer's profile lists the key.
        (
            _report("signed", id="urn:uuid:1", verification={"type": "SignedBadge"}),
            Voucher(ISSUER["id"], "issuer profile"),
        ),
    ],
)
def test_the_site_answering_for_a_badge(report: VerificationReport, expected: Voucher) -> None:
    assert voucher_of(report) == expected


def test_a_badge_naming_no_web_address_has_no_voucher() -> None:
    report = VerificationReport(
        verification_kind="signed",
        assertion={"id": "urn:uuid:1", "badge": {"issuer": {"id": "did:example:1"}}},
    )
    assert voucher_of(report) is None


def _credential_report(issuer_id: str) -> VerificationReport:
    """A 3.0 credential's report: its achievement id is a name nothing fetched."""
    achievement = {"id": "https://pusher.example/achievements/1", "issuer": {"id": issuer_id}}
    return VerificationReport(
        version="3.0", verification_kind="signed", assertion={"badge": achievement}
    )


@pytest.mark.parametrize(
    ("issuer_id", "expected"),
    [
        # The issuer's profile, whose keys the proof's key was tied to.
        (
            "https://issuer.example/profile",
            Voucher("https://issuer.example/profile", "issuer profile"),
        ),
        # A did:web: the site that serves its DID document (a port written as %3A).
        (
            "did:web:issuer.example%3A8443:org:1",
            Voucher("https://issuer.example:8443/org/1/did.json", "issuer DID document"),
        ),
        # A did:key has no site; nor has a urn. The achievement's id never stands in.
        ("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", None),
        ("urn:uuid:4f2a1c9e-0000-4000-8000-000000000001", None),
        ("did:web:bad/host", None),
    ],
)
def test_a_credential_is_vouched_for_by_its_issuer_only(
    issuer_id: str, expected: Voucher | None
) -> None:
    assert voucher_of(_credential_report(issuer_id)) == expected
