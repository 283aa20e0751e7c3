"""Imported badges, read from their stored content and kept unchecked: nothing is fetched.

Imports must not depend on issuers that may be gone, so a badge is read offline (the
library's `read_offline`), matched to its owner's addresses, and kept until the background
checks verify it. `bulk_intake` does the same for many badges at once, with the same
reading (`read_offline`) and the same columns (`offline_values`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backpack.extensions import db
from backpack.models import Badge, Image, User
from backpack.models.badges import UNCHECKED
from backpack.models.base import utcnow
from backpack.openbadges import OpenBadgesError, VerificationReport, badge_fingerprint
from backpack.openbadges import read_offline as read_offline_report
from backpack.services import emails
from backpack.services.badge_catalogue import store_badge_class
from backpack.services.badge_columns import Check, badge_columns, report_record
from backpack.services.badge_intake import NOT_YOURS, BadgeRefused, Received, find_held
from backpack.services.images import image_from_reference, store_image

_ONLY_A_URL = (
    "Only the address of this badge is stored, and imports fetch nothing; "
    "add it by its URL instead."
)

# The library's refusals of an offline reading, in the backpack's words.
_OFFLINE_WORDING = {"needs_fetch": _ONLY_A_URL, "recipient_mismatch": NOT_YOURS}


@dataclass(frozen=True)
class OfflineBadge:
    """An imported badge as read from its stored content, before anything is stored."""

    payload: str
    assertion: dict[str, Any]
    report: VerificationReport
    recipient: str  # the normalised address it matched
    fingerprint: str


def read_offline(
    payload: str,
    addresses: Collection[str],
    *,
    hosted_url: str | None = None,
    described_by: str | None = None,
) -> OfflineBadge:
    """Parse a stored badge and match it to one of `addresses`, fetching nothing
    (the library's `read_offline`).

    `addresses` are best as their owners typed them (the spelling issuers hashed); the
    badge's `recipient` is the normalised form of the one it matched. Raises BadgeRefused
    for a payload that is not a badge, or not one of these addresses'.
    """
    try:
        report = read_offline_report(
            payload, addresses, hosted_url=hosted_url, described_by=described_by
        )
    except OpenBadgesError as exc:
        raise BadgeRefused(exc.code, _OFFLINE_WORDING.get(exc.code, exc.message)) from exc
    assert report.assertion is not None
    assert report.matched_identity is not None
    return OfflineBadge(
        payload,
        report.assertion,
        report,
        report.matched_identity.strip().casefold(),
        badge_fingerprint(report.assertion),
    )


def offline_values(
    badge: OfflineBadge,
    *,
    accepted: bool,
    checked_at: datetime | None,
    checked_by: str | None = None,
) -> dict[str, Any]:
    """The columns of an imported badge's row, but for its owner, class and images.

    The badge is unchecked: nothing was asked of its issuer, so it has no verdict yet. When
    its source says when it last checked it (`checked_at`, by `checked_by`), that date is
    kept as the source's own, for the badge's page to show as such.
    """
    record = report_record(badge.report) | {"imported_unchecked": True}
    if checked_at is not None and checked_by:
        record["checked_elsewhere"] = {"by": checked_by, "at": checked_at.isoformat()}
    columns = badge_columns(
        badge.report,
        payload=badge.payload,
        recipient=badge.recipient,
        fingerprint=badge.fingerprint,
        accepted=accepted,
        source="import",
        check=Check(UNCHECKED, record, checked_at or utcnow()),
        assertion_iri=_known_as(badge.report),
    )
    return columns.as_dict()


def _known_as(report: VerificationReport) -> str | None:
    """The id an unchecked badge is known by in the APIs: a 3.0 credential's id (as intake
    keeps it); for earlier versions only an http id, the address it is hosted at."""
    if report.version == "3.0" and report.assertion is not None:
        credential_id = report.assertion.get("id")
        return credential_id if isinstance(credential_id, str) else None
    return report.source_url


def receive_unchecked(
    user: User,
    payload: str,
    *,
    hosted_url: str | None = None,
    image: bytes | None = None,
    checked_at: datetime | None = None,
    checked_by: str | None = None,
    described_by: str | None = None,
    awarded_to: str | None = None,
) -> Received:
    """Store an imported badge from its stored content, fetching nothing; it awaits checking.

    Imports must not depend on issuers that may be gone: the payload (JSON, Mozilla's stored
    body or a JWS) is parsed and matched to the user's addresses offline, kept verbatim, and
    left unchecked until the background checks (`badge_checks`) or `badges reverify` verify
    it. `hosted_url` is where a 0.5 body was hosted (Mozilla's `endpoint`); `checked_at` the
    last time the source (`checked_by`, such as "Mozilla Backpack") verified it;
    `described_by` a stored copy with the badge class embedded (Mozilla's body beside a
    JWS whose badge class is only a URL), used for the badge's name and issuer.
    `awarded_to` is the address the source showed the badge in this user's backpack for
    (Mozilla's `awarded_to_email_address`): when another account here holds it verified, so
    that this one never can, the badge is accepted all the same, as the source showed it.
    (`bulk_intake.receive_unchecked_many` is the same for many badges at once.)
    """
    addresses = {e.normalised: e.is_verified for e in user.emails}
    # Matched as typed: the spelling issuers hashed (Mozilla's case variants are tried too).
    spellings = [e.address for e in user.emails]
    elsewhere = _verified_elsewhere(addresses, awarded_to)
    if elsewhere is not None:
        addresses[elsewhere] = True
        spellings.append(elsewhere)
    offline = read_offline(payload, spellings, hosted_url=hosted_url, described_by=described_by)
    existing = find_held(user, offline.fingerprint)
    if existing is not None:
        return Received(existing, created=False)
    stored_image = _offline_image(image)
    badge_class = store_badge_class(offline.assertion.get("badge") or {})
    badge = Badge(
        user_id=user.id,
        badge_class=badge_class,
        image=stored_image
        or image_from_reference(offline.assertion.get("image"), fetch=False)
        or badge_class.image,
        original_image=stored_image,
        **offline_values(
            offline,
            accepted=addresses[offline.recipient],
            checked_at=checked_at,
            checked_by=checked_by,
        ),
    )
    db.session.add(badge)
    db.session.flush()
    return Received(badge, created=True, address_elsewhere=offline.recipient == elsewhere)


def _verified_elsewhere(held: dict[str, bool], awarded_to: str | None) -> str | None:
    """`awarded_to` (normalised) if another account holds it verified and `held` (the
    owner's addresses) does not."""
    if not awarded_to:
        return None
    normalised = emails.normalise_address(awarded_to)
    if held.get(normalised) or emails.find_verified(normalised) is None:
        return None
    return normalised


def _offline_image(data: bytes | None) -> Image | None:
    if not data:
        return None
    try:
        return store_image(data)
    except OpenBadgesError:
        return None  # a badge is never refused for its picture
