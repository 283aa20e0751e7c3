"""Which web address vouches for a verified badge: the document whose site answers for it.

A hosted badge is vouched for where its assertion is hosted; a signed one by the key that
signed it (`verification.creator`, the 1.x `verify.url`), or, when it names no key, by its
issuer's profile, which lists the key (a 2.0 signed badge may leave the creator out). The
verifier has already tied each of these to the issuer (hosting scope, key ownership), so
the site of this document is the site the badge comes from.

An Open Badges 3.0 credential is vouched for by its issuer alone: the verifier has tied
the proof's key to the issuer id, while the achievement's id is only a name the credential
gives (nothing fetched it). An https issuer answers at its profile's site, a did:web issuer
at the site serving its DID document; a did:key issuer has no site, and nothing vouches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backpack.openbadges.credentials.keys import did_web_url
from backpack.openbadges.errors import OpenBadgesError
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.validation import is_http_url


@dataclass(frozen=True)
class Voucher:
    """A web address that answers for a badge, and what is found there."""

    url: str
    # "hosted assertion", "signing key", "issuer profile", "badge class" or (3.0)
    # "issuer DID document"
    role: str


def voucher_of(report: VerificationReport) -> Voucher | None:
    """The first web address that answers for the badge a report describes; None: none does."""
    assertion = report.assertion or {}
    badge = _node(assertion.get("badge"))
    if report.version == "3.0":
        return _credential_voucher(issuer_id_of(report))
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
    urls = [str(url) for url in claimed if is_http_url(url)]
    if report.version == "3.0":
        voucher = _credential_voucher(issuer_id_of(report))
        urls += [voucher.url] if voucher is not None else []
    return urls


def issuer_id_of(report: VerificationReport) -> str | None:
    """The id (URL or DID) of the issuer a verified badge names, if it names one."""
    badge = _node((report.assertion or {}).get("badge"))
    issuer = badge.get("issuer")
    found = _node(issuer).get("id") if isinstance(issuer, Mapping) else issuer
    return found if isinstance(found, str) and found else None


def _credential_voucher(issuer_id: str | None) -> Voucher | None:
    if is_http_url(issuer_id):
        return Voucher(str(issuer_id), "issuer profile")
    if issuer_id is not None and issuer_id.startswith("did:web:"):
        try:
            return Voucher(did_web_url(issuer_id), "issuer DID document")
        except OpenBadgesError:
            return None
    return None


def _node(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
