"""Which web address vouches for a verified badge: the document whose site answers for it.

A hosted badge is vouched for where its assertion is hosted; a signed one by the key that
signed it (`verification.creator`, the 1.x `verify.url`), or, when it names no key, by its
issuer's profile, which lists the key (a 2.0 signed badge may leave the creator out). The
verifier has already tied each of these to the issuer (hosting scope, key ownership), so
the site of this document is the site the badge comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backpack.openbadges.report import VerificationReport
from backpack.openbadges.validation import is_http_url


@dataclass(frozen=True)
class Voucher:
    """A web address that answers for a badge, and what is found there."""

    url: str
    role: str  # "hosted assertion", "signing key", "issuer profile" or "badge class"


def voucher_of(report: VerificationReport) -> Voucher | None:
    """The first web address that answers for the badge a report describes; None: none does."""
    assertion = report.assertion or {}
    badge = _node(assertion.get("badge"))
    candidates: list[tuple[Any, str]] = []
    if report.verification_kind == "hosted":
        candidates.append((report.source_url or assertion.get("id"), "hosted assertion"))
    else:
        candidates.append((_node(assertion.get("verification")).get("creator"), "signing key"))
    candidates += [
        (_node(badge.get("issuer")).get("id"), "issuer profile"),
        (badge.get("id"), "badge class"),
    ]
    for url, role in candidates:
        if is_http_url(url):
            return Voucher(str(url), role)
    return None


def claimed_urls(report: VerificationReport) -> list[str]:
    """The web addresses of the issuer profile and badge class a badge claims."""
    badge = _node((report.assertion or {}).get("badge"))
    claimed = (_node(badge.get("issuer")).get("id"), badge.get("id"))
    return [str(url) for url in claimed if is_http_url(url)]


def _node(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
