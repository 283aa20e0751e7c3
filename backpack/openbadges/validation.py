"""Data validation of a normalised badge: required properties, their kinds, and its dates.

The rules are the Open Badges 2.0 ones the reference verifier applies to every version
after upgrading it, relaxed where an older version never required a property (a 0.5 badge
has no issue date, a 1.0 issuer no email). Problems go into the report as messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from backpack.openbadges.parse import Version
from backpack.openbadges.recipient import (
    KNOWN_IDENTITY_TYPES,
    is_current_identity_hash,
    looks_hashed,
)
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.timestamps import parse_datetime

_IRI: Final = re.compile(r"^[a-z][a-z0-9+.-]*:\S+$", re.IGNORECASE)
_HTTP_URL: Final = re.compile(r"^https?://[^\s/?#]+\S*$", re.IGNORECASE)
_EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+$")
_IMAGE_DATA: Final = re.compile(r"^data:image/(png|svg\+xml)[;,]", re.IGNORECASE)
_VERIFICATION_TYPES: Final = ("HostedBadge", "SignedBadge")


def validate_badge(
    assertion: Mapping[str, Any], version: Version, report: VerificationReport
) -> None:
    """Check the assertion, and its BadgeClass and issuer when they were available."""
    _check_assertion(assertion, version, report)
    badge = assertion.get("badge")
    # A BadgeClass or issuer that could not be fetched is only a reference {"id"}: the
    # fetch failure is reported already, and there is nothing more to check.
    if isinstance(badge, dict) and "name" in badge:
        _check_badge_class(badge, version, report)
        issuer = badge.get("issuer")
        if isinstance(issuer, dict) and "name" in issuer:
            _check_issuer(issuer, version, report)


def check_dates(assertion: Mapping[str, Any], now: datetime, report: VerificationReport) -> None:
    """Report a badge that expired, expires before it was issued, or was issued in the future."""
    issued = parse_datetime(assertion.get("issuedOn"))
    expires = parse_datetime(assertion.get("expires"))
    if issued is not None and issued > now:
        report.error(
            "issued_in_future",
            f"The badge says it was issued on {_day(issued)}, which is in the future.",
        )
    if issued is not None and expires is not None and expires < issued:
        report.error(
            "expires_before_issued",
            f"The badge expires on {_day(expires)}, before it was issued on {_day(issued)}.",
        )
    if expires is not None and expires < now:
        report.expired = True
        report.error("expired", f"The badge expired on {_day(expires)}.")


def is_iri(value: Any) -> bool:
    """Return True for an absolute IRI (a URL, urn:uuid:..., data:...)."""
    return isinstance(value, str) and bool(_IRI.match(value))


def is_http_url(value: Any) -> bool:
    """Return True for an absolute http or https URL."""
    return isinstance(value, str) and bool(_HTTP_URL.match(value))


def _check_assertion(node: Mapping[str, Any], version: Version, report: VerificationReport) -> None:
    where = "The assertion"
    _check_type(node, ("Assertion",), "an Assertion", report)
    if version in ("1.1", "2.0"):
        _check_iri(node, "id", where, report)
    _check_recipient(node.get("recipient"), version, report)
    badge = node.get("badge")
    if not isinstance(badge, dict) or (badge.get("id") is None and "name" not in badge):
        report.error("missing_property", f"{where} names no badge (BadgeClass).")
    verification = node.get("verification")
    kind = verification.get("type") if isinstance(verification, dict) else None
    if kind is None:
        report.error("missing_property", f"{where} does not say how to verify it (verification).")
    elif kind not in _VERIFICATION_TYPES:
        report.error("invalid_property", f"{where}'s verification type {kind!r} is unknown.")
    if version != "0.5" or node.get("issuedOn") is not None:
        _check_datetime(node, "issuedOn", where, report, required=True)
    _check_datetime(node, "expires", where, report, required=False)
    image = node.get("image")
    if image is not None and not is_iri(image):
        report.error("invalid_property", f"{where}'s image is not a URL.")
    elif version == "2.0" and isinstance(image, str) and image.lower().startswith("data:"):
        report.error(
            "invalid_property",
            f"{where}'s image must be the URL of the baked image, not embedded data.",
        )
    if node.get("narrative") is not None and not isinstance(node["narrative"], str):
        report.error("invalid_property", f"{where}'s narrative is not text.")
    for item in node.get("evidence") or []:
        if not isinstance(item, dict) or not (is_iri(item.get("id")) or item.get("narrative")):
            report.error(
                "invalid_property", f"{where} has evidence that is neither a URL nor text."
            )


def _check_recipient(recipient: Any, version: Version, report: VerificationReport) -> None:
    where = "The recipient"
    if recipient is None:
        report.error("missing_property", "The assertion names no recipient.")
        return
    if not isinstance(recipient, dict):
        report.error(
            "invalid_property",
            "The recipient must be an identity object (type, identity, hashed), not a bare value.",
        )
        return
    kind, identity, hashed = (
        recipient.get("type"),
        recipient.get("identity"),
        recipient.get("hashed"),
    )
    if not isinstance(kind, str) or not kind:
        report.error("missing_property", f"{where} has no identity type (such as email).")
    elif kind not in KNOWN_IDENTITY_TYPES:
        report.warn(
            "unknown_recipient_type",
            f"{where} is identified by {kind!r}, not by email, url, telephone or id.",
        )
    if not isinstance(identity, str) or not identity:
        report.error("missing_property", f"{where} has no identity.")
        return
    if hashed is None and version in ("0.5", "1.0"):
        hashed = looks_hashed(identity)
    if not isinstance(hashed, bool):
        report.error("invalid_property", f"{where} must say whether it is hashed (true or false).")
    elif hashed:
        well_formed = is_current_identity_hash(identity) or (
            version in ("0.5", "1.0") and looks_hashed(identity)
        )
        if not well_formed:
            report.error(
                "invalid_property",
                f"{where} is marked hashed but is not an md5$ or sha256$ hash of the right length.",
            )
    elif looks_hashed(identity):
        report.error("invalid_property", f"{where} looks like a hash but is marked not hashed.")
    elif kind == "email" and not _EMAIL.match(identity):
        report.error("invalid_property", f"{where} {identity!r} is not an email address.")
    if recipient.get("salt") is not None and not isinstance(recipient["salt"], str):
        report.error("invalid_property", f"{where}'s salt is not text.")


def _check_badge_class(
    node: Mapping[str, Any], version: Version, report: VerificationReport
) -> None:
    where = "The BadgeClass"
    _check_type(node, ("BadgeClass",), "a BadgeClass", report)
    if version != "0.5":
        _check_iri(node, "id", where, report)
    _check_text(node, "name", where, report)
    _check_text(node, "description", where, report)
    image = node.get("image")
    if image is None:
        report.error("missing_property", f"{where} has no image.")
    elif not (is_http_url(image) or (isinstance(image, str) and _IMAGE_DATA.match(image))):
        report.error("invalid_property", f"{where}'s image is not a URL or a PNG/SVG data URI.")
    criteria = node.get("criteria")
    if not isinstance(criteria, dict) or not criteria:
        report.error("missing_property", f"{where} has no criteria.")
    elif not (is_iri(criteria.get("id")) or isinstance(criteria.get("narrative"), str)):
        report.error("invalid_property", f"{where}'s criteria is neither a URL nor a narrative.")
    issuer = node.get("issuer")
    if not isinstance(issuer, dict) or (issuer.get("id") is None and "name" not in issuer):
        report.error("missing_property", f"{where} names no issuer.")
    for item in node.get("alignment") or []:
        if not isinstance(item, dict) or not isinstance(item.get("targetName"), str):
            report.error("invalid_property", f"{where} has an alignment without a name.")
        elif not is_iri(item.get("targetUrl")):
            report.error(
                "invalid_property", f"{where}'s alignment {item['targetName']!r} has no URL."
            )
    if any(not isinstance(tag, str) for tag in node.get("tags") or []):
        report.error("invalid_property", f"{where} has tags that are not text.")


def _check_issuer(node: Mapping[str, Any], version: Version, report: VerificationReport) -> None:
    where = "The issuer"
    _check_type(node, ("Issuer", "Profile"), "an Issuer profile", report)
    # An issuer embedded in its BadgeClass without an id, and a 2.0 issuer without an email,
    # are what BadgeBot, Badgr exports and others publish; badgecheck and Badgr accept them
    # with a warning, and nothing is verified through either property.
    if node.get("id") is None:
        report.warn("issuer_without_id", f"{where} {_named(node)}has no id.")
    else:
        _check_iri(node, "id", where, report)
    _check_text(node, "name", where, report)
    if not is_http_url(node.get("url")):
        code = "missing_property" if node.get("url") is None else "invalid_property"
        report.error(code, f"{where} has no web site URL (url).")
    email = node.get("email")
    if email is None and version == "2.0":
        report.warn("issuer_without_email", f"{where} {_named(node)}has no contact email address.")
    elif email is not None and not (isinstance(email, str) and _EMAIL.match(email)):
        report.error("invalid_property", f"{where}'s email {email!r} is not an email address.")


def _named(node: Mapping[str, Any]) -> str:
    name = node.get("name")
    return f"{name!r} " if isinstance(name, str) and name else ""


def _check_type(
    node: Mapping[str, Any], expected: tuple[str, ...], label: str, report: VerificationReport
) -> None:
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if not any(k in expected for k in kinds):
        shown = ", ".join(str(k) for k in kinds if k is not None) or "untyped"
        report.error("wrong_type", f"Expected {label}, but the document is of type {shown}.")


def _check_iri(node: Mapping[str, Any], key: str, where: str, report: VerificationReport) -> None:
    value = node.get(key)
    if value is None:
        report.error("missing_property", f"{where} has no {key}.")
    elif not is_iri(value):
        report.error("invalid_property", f"{where}'s {key} {value!r} is not a URL or other IRI.")


def _check_text(node: Mapping[str, Any], key: str, where: str, report: VerificationReport) -> None:
    value = node.get(key)
    if value is None or value == "":
        report.error("missing_property", f"{where} has no {key}.")
    elif not isinstance(value, str):
        report.error("invalid_property", f"{where}'s {key} is not text.")


def _check_datetime(
    node: Mapping[str, Any], key: str, where: str, report: VerificationReport, *, required: bool
) -> None:
    value = node.get(key)
    if value is None:
        if required:
            report.error("missing_property", f"{where} has no {key} date.")
    elif parse_datetime(value) is None:
        report.error(
            "invalid_property",
            f"{where}'s {key} {value!r} is not a date and time with a time zone"
            " (in UTC, within the years 1 to 9999).",
        )


def _day(moment: datetime) -> str:
    return moment.isoformat()
