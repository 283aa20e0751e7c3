"""A stored badge read without fetching anything: imports must not depend on issuers that
may be gone. The badge is parsed, upgraded, normalised and matched to the earner's
addresses; nothing is verified (it has no verdict until it is checked online). An Open
Badges 3.0 credential is read (JSON or VC-JWT, its proof not checked) into the same view
the 3.0 verifier stores."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from backpack.openbadges.credentials.extract import is_credential_text, read_credential
from backpack.openbadges.credentials.subject import match_subject
from backpack.openbadges.credentials.view import assertion_view, summary
from backpack.openbadges.errors import OpenBadgesError, ParseError
from backpack.openbadges.normalise import normalise_assertion
from backpack.openbadges.parse import parse_badge_text
from backpack.openbadges.recipient import (
    check_recipient,
)
from backpack.openbadges.report import VerificationReport, summarise
from backpack.openbadges.upgrades import upgrade_node
from backpack.openbadges.validation import is_http_url


def read_offline(
    payload: str,
    addresses: Collection[str],
    *,
    hosted_url: str | None = None,
    described_by: str | None = None,
) -> VerificationReport:
    """Parse a stored badge and match it to one of the email `addresses`, fetching nothing.

    Returns a report with the normalised `assertion` and the `matched_identity`, but no
    verdict of its own. `addresses` are best as their owners typed them (the spelling
    issuers hashed). `hosted_url` is where a 0.5 body was hosted (it becomes the id of a
    JSON badge without an http id); `described_by` is another stored copy of the badge whose
    badge class is embedded, used when this one names its class only by URL.

    Raises ParseError for a payload that is not a badge, or only its URL (code
    `needs_fetch`), and OpenBadgesError `recipient_mismatch` when no address matches.
    """
    if is_credential_text(payload):
        return _read_credential(payload, addresses)
    parsed = parse_badge_text(payload)
    if parsed.form == "url":
        raise ParseError(
            "Only the address of this badge is given, and reading offline fetches nothing.",
            code="needs_fetch",
        )
    assert parsed.document is not None
    assert parsed.version is not None
    node = upgrade_node(
        parsed.document,
        parsed.version,
        kind="Assertion",
        url=hosted_url if parsed.version == "0.5" else None,
    )
    if not is_http_url(node.get("id")) and hosted_url and parsed.form == "json":
        node["id"] = hosted_url
    assertion = normalise_assertion(node)
    if described_by and not assertion["badge"].get("name"):
        assertion["badge"] = _described_badge(described_by) or assertion["badge"]
    report = VerificationReport(
        version=parsed.version,
        assertion=assertion,
        badge=summarise(assertion),
        verification_kind="signed" if parsed.form == "jws" else "hosted",
        source_url=str(node["id"]) if is_http_url(node.get("id")) else None,
    )
    matched = check_recipient(assertion.get("recipient"), {"email": sorted(addresses)}, report)
    if matched is None:
        raise _not_theirs(report)
    return report


def _read_credential(payload: str, addresses: Collection[str]) -> VerificationReport:
    """An Open Badges 3.0 credential read offline: its view, matched on its subject."""
    credential = read_credential(payload)
    report = VerificationReport(version="3.0", verification_kind="signed", credential_text=payload)
    matched = match_subject(credential.document, {"email": sorted(addresses)}, report)
    if matched is None:
        raise _not_theirs(report)
    report.assertion = assertion_view(credential.document, matched)
    report.badge = summary(report.assertion)
    return report


def _not_theirs(report: VerificationReport) -> OpenBadgesError:
    return OpenBadgesError(report.errors[-1].message, code="recipient_mismatch")


def _described_badge(text: str) -> dict[str, Any] | None:
    try:
        parsed = parse_badge_text(text)
    except OpenBadgesError:
        return None
    if parsed.document is None or parsed.version is None:
        return None
    node = upgrade_node(parsed.document, parsed.version, kind="Assertion")
    badge = normalise_assertion(node)["badge"]
    return badge if isinstance(badge, dict) and badge.get("name") else None
