"""Shared checks of the verification tests."""

from __future__ import annotations

from typing import Any

from backpack.openbadges.codes import ERROR_CODES, WARNING_CODES
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.openbadges.verify import verify_badge
from tests.openbadges.issuer_site import RECIPIENT


def verify(data: str | bytes, fetcher: Fetcher, **options: Any) -> VerificationReport:
    """Verify for alice@example.org unless told otherwise; every code must be documented."""
    options.setdefault("recipients", [RECIPIENT])
    report = verify_badge(data, fetcher=fetcher, **options)
    for message in report.errors:
        assert message.code in ERROR_CODES, message
    for message in report.warnings:
        assert message.code in WARNING_CODES, message
    return report


def errors(report: VerificationReport) -> list[str]:
    """The error codes of a report, in order."""
    return [message.code for message in report.errors]


def warnings(report: VerificationReport) -> set[str]:
    """The warning codes of a report."""
    return {message.code for message in report.warnings}


def message(report: VerificationReport, code: str) -> str:
    """The first error message with a code."""
    return next(m.message for m in report.errors if m.code == code)
