"""A badge's columns, built in one place for every way in (one at a time, in bulk, offline).

What a stored badge holds about its award (verdict, recipient, payload, dates, report)
comes from one function, so that the single intake, the bulk import and a verified copy
replacing an unchecked one can never disagree on a column.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from backpack.models.base import utcnow
from backpack.openbadges import VerificationReport, parse_datetime


@dataclass(frozen=True)
class BadgeColumns:
    """The columns of a badge row that describe the award (not its owner, class or images)."""

    status: str
    verification: str
    recipient: str
    fingerprint: str
    assertion_iri: str | None
    version: str
    verification_kind: str | None
    source: str
    source_url: str | None
    original_payload: str
    assertion: dict[str, Any]
    issued_on: datetime | None
    expires_at: datetime | None
    last_report: dict[str, Any]
    last_verified_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """The columns by name, for `Badge(**...)` or a bulk insert (not deep-copied)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


@dataclass(frozen=True)
class Check:
    """How a badge was checked: its one-word verdict, the stored report and when."""

    verification: str
    record: dict[str, Any]
    at: datetime


# What a held copy keeps when a verified copy replaces it: whose it is, which award, and
# whether it was accepted (that is decided apart: a pending copy may become accepted).
_KEPT_BY_HELD_COPY = frozenset({"status", "fingerprint"})
# The fields a verified copy replaces: every award column but those, and the badge's class
# and images (set by each way in from what it stored).
VERIFIED_COPY_FIELDS: tuple[str, ...] = (
    "badge_class",
    "image",
    "original_image",
    *(field.name for field in fields(BadgeColumns) if field.name not in _KEPT_BY_HELD_COPY),
)


def badge_columns(
    report: VerificationReport,
    *,
    payload: str,
    recipient: str,
    fingerprint: str,
    accepted: bool,
    source: str,
    check: Check,
    assertion_iri: str | None,
) -> BadgeColumns:
    """The award columns of a badge read into `report` (its `assertion` set).

    `recipient` is the normalised address it matched, `accepted` whether that address is
    verified (else the badge waits as pending), `check` its verdict, and `assertion_iri`
    the id it is known by in the Mozilla-era APIs.
    """
    assertion = report.assertion or {}
    return BadgeColumns(
        status="accepted" if accepted else "pending",
        verification=check.verification,
        recipient=recipient,
        fingerprint=fingerprint,
        assertion_iri=assertion_iri,
        version=report.version or "",
        verification_kind=report.verification_kind,
        source=source,
        source_url=report.source_url,
        original_payload=payload,
        assertion=assertion,
        issued_on=parse_time(assertion.get("issuedOn")),
        expires_at=parse_time(assertion.get("expires")),
        last_report=check.record,
        last_verified_at=check.at,
    )


def checked_now(report: VerificationReport) -> Check:
    """The check a verification just made: its verdict and report, as of now."""
    return Check(verdict(report), report_record(report), utcnow())


def verdict(report: VerificationReport) -> str:
    """The one-word verification state stored with a badge."""
    if report.unverifiable:
        return "unverifiable"
    if report.revoked:
        return "revoked"
    if report.expired:
        return "expired"
    return "valid" if report.valid else "invalid"


def report_record(report: VerificationReport) -> dict[str, Any]:
    """The report as stored with the badge (the CLI's JSON plus when and how it was checked)."""
    record = report.to_json()
    record["unverifiable"] = report.unverifiable
    record["checked_at"] = utcnow().isoformat()
    return record


def parse_time(value: object) -> datetime | None:
    """A normalised assertion's timestamp as a datetime, or None when absent or unreadable.

    The library's reading, which also refuses dates that overflow once moved to UTC: an
    unchecked (imported) badge is not validated, and such a date cannot be stored."""
    return parse_datetime(value)
