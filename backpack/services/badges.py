"""An earner's badges: listing, accepting, rejecting, deleting, re-verifying, baking."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backpack.database.bulk_rows import among
from backpack.database.keyset import in_id_batches
from backpack.extensions import db
from backpack.models import Badge, BadgeClass, EmailAddress, Image, Issuer, User
from backpack.models.badges import UNCHECKED
from backpack.models.base import utcnow
from backpack.openbadges import (
    Fetcher,
    IssuerDocumentCache,
    VerificationReport,
    bake,
    verify_badge,
)
from backpack.services.app_fetcher import app_fetcher, app_issuer_documents
from backpack.services.badge_catalogue import keep_class_image
from backpack.services.badge_columns import report_record, verdict
from backpack.services.errors import NotVerified, ServiceError
from backpack.services.issuer_copy import adopt_issuer_copy, issuer_answered

STATUSES = ("accepted", "pending", "rejected")
PAGE_SIZE = 24
CHECK_FAILED = "The badge could not be checked because of an error here."


@dataclass(frozen=True)
class BadgePage:
    """One page of an earner's badges."""

    badges: list[Badge]
    page: int
    pages: int
    total: int


def list_badges(
    user: User, *, status: str | None = None, page: int = 1, per_page: int = PAGE_SIZE
) -> BadgePage:
    """The user's badges, newest first, optionally of one status (two queries per page)."""
    total = count_badges(user, status=status)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    badges = badge_slice(user, status=status, limit=per_page, offset=(page - 1) * per_page)
    return BadgePage(badges, page, pages, total)


def _owned(user: User, status: str | None) -> sa.Select[Badge]:
    query = sa.select(Badge).where(Badge.user_id == user.id)
    return query.where(Badge.status == status) if status in STATUSES else query


def count_badges(user: User, *, status: str | None = None) -> int:
    """How many badges the user holds, optionally of one status."""
    query = _owned(user, status).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(query)) or 0


def badge_slice(user: User, *, status: str | None, limit: int, offset: int) -> list[Badge]:
    """The user's badges, newest first, from `offset` on (the pages and the API page both)."""
    return list(
        db.session.scalars(
            _owned(user, status)
            .options(selectinload(Badge.image))
            .order_by(Badge.created_at.desc(), Badge.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def get_badge(user: User, badge_id: int) -> Badge | None:
    """One of the user's badges, or None (another user's badge is never returned)."""
    badge = db.session.get(Badge, badge_id)
    if badge is None or badge.user_id != user.id:
        return None
    return badge


def accept_badge(badge: Badge) -> None:
    """Put a rejected badge back in the backpack (its address must be verified)."""
    if not _address_verified(badge):
        raise NotVerified("Verify the address this badge was sent to first.")
    badge.status = "accepted"
    db.session.flush()


def reject_badge(badge: Badge) -> None:
    """Decline a badge: it leaves the backpack and a re-send does not bring it back."""
    badge.status = "rejected"
    db.session.flush()


def delete_badge(badge: Badge) -> None:
    """Remove a badge from the backpack for good."""
    db.session.delete(badge)
    db.session.flush()
    delete_orphans()


def release_pending(email: EmailAddress) -> int:
    """Accept the badges that waited for this address to be verified; return how many."""
    result = db.session.execute(
        sa.update(Badge)
        .where(
            Badge.user_id == email.user_id,
            Badge.recipient == email.normalised,
            Badge.status == "pending",
        )
        .values(status="accepted")
    )
    db.session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def release_pending_many(addresses: Sequence[tuple[int, str]]) -> None:
    """`release_pending` for many (user id, normalised address) pairs at once (imports)."""
    if not addresses:
        return
    owners = sorted({user_id for user_id, _ in addresses})
    waiting = db.session.execute(
        sa.select(Badge.id, Badge.user_id, Badge.recipient).where(
            among(Badge.user_id, owners), Badge.status == "pending"
        )
    ).all()
    wanted = set(addresses)
    released = [
        badge_id for badge_id, user_id, recipient in waiting if (user_id, recipient) in wanted
    ]
    if released:
        db.session.execute(
            sa.update(Badge).where(among(Badge.id, released)).values(status="accepted")
        )


def _address_verified(badge: Badge) -> bool:
    return (
        db.session.scalar(
            sa.select(EmailAddress.id).where(
                EmailAddress.user_id == badge.user_id,
                EmailAddress.normalised == badge.recipient,
                EmailAddress.verified_at.is_not(None),
            )
        )
        is not None
    )


def reverify_badge(badge: Badge) -> str:
    """Verify a stored badge again from what was received; return the new verdict.

    A badge is never dropped by re-verification, only marked (revoked, expired, ...). When
    the issuer answered, the badge shows the name, issuer and image it serves now.
    (`batch_verification.reverify_many` does the same for many badges, fetching in parallel.)
    """
    report = verify_stored(stored_input(badge), app_fetcher(), app_issuer_documents())
    return apply_report(badge, report)


@dataclass(frozen=True)
class StoredInput:
    """What verifying a stored badge again needs, read from the database beforehand, so
    that the verification itself can run in a thread with no database session."""

    badge_id: int
    payload: str
    recipient: str  # as its owner typed it: the spelling issuers hashed
    hosted_url: str | None


def stored_input(badge: Badge) -> StoredInput:
    """The input to verify a stored badge again with."""
    [item] = stored_inputs([badge])
    return item


def stored_inputs(badges: Sequence[Badge]) -> list[StoredInput]:
    """The inputs to verify these stored badges again with, in order (one query in all)."""
    typed = typed_addresses(badges)
    return [
        StoredInput(
            badge.id,
            badge.original_payload,
            typed.get((badge.user_id, badge.recipient)) or badge.recipient,
            badge.source_url,
        )
        for badge in badges
    ]


def typed_addresses(badges: Sequence[Badge]) -> dict[tuple[int, str], str]:
    """Each badge's address as its owner typed it, by (owner, normalised address), for the
    badges sent to an address on their owner's account (one query)."""
    if not badges:
        return {}
    wanted = {(badge.user_id, badge.recipient) for badge in badges}
    rows = db.session.execute(
        sa.select(EmailAddress.user_id, EmailAddress.normalised, EmailAddress.address).where(
            among(EmailAddress.user_id, {user_id for user_id, _ in wanted}),
            among(EmailAddress.normalised, {recipient for _, recipient in wanted}),
        )
    )
    return {
        (user_id, normalised): address
        for user_id, normalised, address in rows
        if (user_id, normalised) in wanted
    }


def verify_stored(
    item: StoredInput, fetcher: Fetcher, documents: IssuerDocumentCache | None
) -> VerificationReport:
    """Verify a stored badge's original payload again; touches no database."""
    # The library tries the address's case variants, as Mozilla Backpack did. A 0.5
    # assertion names no URL of its own: it is checked where it was hosted.
    return verify_badge(
        item.payload,
        recipients={"email": [item.recipient]},
        fetcher=fetcher,
        hosted_url=item.hosted_url,
        documents=documents,
        # The backpack keeps a copy of the class image: its loss later is no downgrade.
        already_held=True,
    )


def apply_report(badge: Badge, report: VerificationReport) -> str:
    """Record a fresh verification of a held badge; return its new verdict."""
    keep_class_image(badge.badge_class, report.badge_image)
    badge.verification = verdict(report)
    badge.last_report = report_record(report)
    badge.last_verified_at = utcnow()
    if issuer_answered(report):
        adopt_issuer_copy(badge, report)
    if report.refreshed_original is not None and badge.verification == "valid":
        # An Open Badges 3.0 refresh service gave a newer copy, verified: it is the one kept.
        badge.original_payload = report.refreshed_original
    db.session.flush()
    return badge.verification


def record_failed_check(badge: Badge) -> None:
    """Note that checking the badge failed here (a bug, logged): it is undecided, not
    unchecked, so the background checks move on; `badges reverify` tries it again."""
    badge.verification = "unverifiable"
    badge.last_report = {
        "valid": False,
        "unverifiable": True,
        "errors": [{"code": "internal_error", "message": CHECK_FAILED}],
        "warnings": [],
        "checked_at": utcnow().isoformat(),
    }
    badge.last_verified_at = utcnow()
    db.session.flush()


def badges_due_for_reverification(older_than: datetime, batch: int = 200) -> Iterator[Badge]:
    """Accepted and pending badges last verified before `older_than`, and every one not
    checked here yet whatever its date (an import's), in id order, in batches."""
    due = sa.or_(Badge.last_verified_at < older_than, Badge.verification == UNCHECKED)
    return in_id_batches(Badge, due, Badge.status != "rejected", batch=batch)


def baked_image(badge: Badge) -> tuple[bytes, str]:
    """The badge's image with its assertion baked in, made now from what is stored."""
    if badge.original_image is not None:
        return badge.original_image.data, badge.original_image.mime_type
    image = badge.image
    if image is None or image.mime_type not in ("image/png", "image/svg+xml"):
        raise ServiceError("This badge has no PNG or SVG image to bake it into.")
    payload = badge.original_payload
    if payload.startswith(("http://", "https://")) or badge.verification_kind == "signed":
        text = payload
    else:
        text = json.dumps(badge.assertion, ensure_ascii=False)
    # An Open Badges 3.0 credential is baked under its own keyword (`openbadgecredential`).
    keyword = "openbadgecredential" if badge.version == "3.0" else "openbadges"
    return bake(image.data, text, keyword=keyword), image.mime_type


def delete_orphans() -> None:
    """Delete images, badge classes and issuers that no badge uses any more."""
    used_classes = sa.select(Badge.badge_class_id)
    db.session.execute(sa.delete(BadgeClass).where(BadgeClass.id.not_in(used_classes)))
    used_issuers = sa.select(BadgeClass.issuer_id)
    db.session.execute(sa.delete(Issuer).where(Issuer.id.not_in(used_issuers)))
    used_images = sa.union(
        sa.select(Badge.image_id).where(Badge.image_id.is_not(None)),
        sa.select(Badge.original_image_id).where(Badge.original_image_id.is_not(None)),
        sa.select(BadgeClass.image_id).where(BadgeClass.image_id.is_not(None)),
    )
    db.session.execute(sa.delete(Image).where(Image.id.not_in(used_images)))
    db.session.flush()
