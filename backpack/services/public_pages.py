"""What a public page may show, read with a fixed number of queries whatever its size.

The rules live here, once: only accepted badges appear (never pending or rejected ones);
the owner's name only when they chose to show it, and never an email address; each badge
with the verdict of its last check, so nothing unverifiable, expired or revoked passes for
valid. A page is identified by a version: a digest of everything it shows that can change,
read in one query, so a rendered page can be reused until the version moves.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload, undefer

from backpack.extensions import db
from backpack.models import Badge, BadgeClass, BadgeShare, Collection, CollectionItem, Image, User
from backpack.models.base import utcnow
from backpack.openbadges import OpenBadgesError, identity_hash, without_badge
from backpack.services.sharing import PUBLIC_STATUS


@dataclass(frozen=True)
class PageVersion:
    """Which published thing a token opens, and a digest of what its page shows now."""

    object_id: int
    digest: str


@dataclass(frozen=True)
class PublicItem:
    """One badge as a public page shows it."""

    badge: Badge
    story: str


@dataclass(frozen=True)
class PublicCollection:
    """A published collection, with only what visitors may see."""

    collection: Collection
    owner_name: str | None
    items: list[PublicItem]


@dataclass(frozen=True)
class PublicBadge:
    """A badge shared on its own, with only what visitors may see."""

    share: BadgeShare
    badge: Badge
    owner_name: str | None


def _digest(rows: object) -> str:
    return hashlib.blake2b(repr(rows).encode(), digest_size=16).hexdigest()


def collection_version(token: str) -> PageVersion | None:
    """The version of a published collection's page, in one query; None if not published."""
    visible_badge = sa.and_(Badge.id == CollectionItem.badge_id, Badge.status == PUBLIC_STATUS)
    rows = db.session.execute(
        sa.select(
            Collection.id,
            Collection.updated_at,
            Collection.show_owner_name,
            User.name,
            Badge.id,
            CollectionItem.position,
            Badge.badge_class_id,
            Badge.verification,
            Badge.last_verified_at,
        )
        .join(User, User.id == Collection.user_id)
        .outerjoin(CollectionItem, CollectionItem.collection_id == Collection.id)
        .outerjoin(Badge, visible_badge)
        .where(Collection.share_token == token)
        .order_by(CollectionItem.position, CollectionItem.badge_id)
    ).all()
    if not rows:
        return None
    return PageVersion(rows[0][0], _digest([tuple(row) for row in rows]))


def badge_version(token: str) -> PageVersion | None:
    """The version of a shared badge's page, in one query; None if not shared or hidden."""
    row = db.session.execute(
        sa.select(
            BadgeShare.id,
            BadgeShare.updated_at,
            BadgeShare.show_owner_name,
            User.name,
            Badge.id,
            Badge.badge_class_id,
            Badge.verification,
            Badge.last_verified_at,
        )
        .join(Badge, Badge.id == BadgeShare.badge_id)
        .join(User, User.id == Badge.user_id)
        .where(BadgeShare.share_token == token, Badge.status == PUBLIC_STATUS)
    ).first()
    if row is None:
        return None
    return PageVersion(row[0], _digest(tuple(row)))


def _owner_name(show: bool, user: User) -> str | None:
    # The account's name only; display_name would fall back to an email address.
    return (user.name.strip() or None) if show else None


def load_collection(collection_id: int) -> PublicCollection:
    """A published collection's page content, in two queries whatever its size."""
    collection = db.session.scalars(
        sa.select(Collection)
        .join(User, User.id == Collection.user_id)
        .options(contains_eager(Collection.user))
        .where(Collection.id == collection_id)
    ).one()
    items = db.session.scalars(
        sa.select(CollectionItem)
        .join(Badge, Badge.id == CollectionItem.badge_id)
        .where(CollectionItem.collection_id == collection_id, Badge.status == PUBLIC_STATUS)
        .options(
            contains_eager(CollectionItem.badge).undefer(Badge.assertion),
            contains_eager(CollectionItem.badge).undefer(Badge.original_payload),
            # A 3.0 badge offers its credential baked into this picture: its type is needed.
            contains_eager(CollectionItem.badge)
            .joinedload(Badge.badge_class)
            .joinedload(BadgeClass.image),
        )
        .order_by(CollectionItem.position, CollectionItem.badge_id)
    ).all()
    return PublicCollection(
        collection,
        _owner_name(collection.show_owner_name, collection.user),
        [PublicItem(item.badge, item.story) for item in items],
    )


def load_badge(share_id: int) -> PublicBadge | None:
    """A shared badge's page content, in one query; None if it is no longer visible."""
    row = db.session.execute(
        sa.select(BadgeShare, Badge, User)
        .join(Badge, Badge.id == BadgeShare.badge_id)
        .join(User, User.id == Badge.user_id)
        .options(
            undefer(Badge.assertion),
            undefer(Badge.original_payload),
            joinedload(Badge.badge_class).joinedload(BadgeClass.image),
        )
        .where(BadgeShare.id == share_id, Badge.status == PUBLIC_STATUS)
    ).first()
    if row is None:
        return None
    share, badge, user = row
    return PublicBadge(share, badge, _owner_name(share.show_owner_name, user))


def collection_badge(token: str, badge_id: int) -> Badge | None:
    """A visible badge of a published collection, or None."""
    return db.session.scalar(
        sa.select(Badge)
        .join(CollectionItem, CollectionItem.badge_id == Badge.id)
        .join(Collection, Collection.id == CollectionItem.collection_id)
        .where(
            Collection.share_token == token,
            Badge.id == badge_id,
            Badge.status == PUBLIC_STATUS,
        )
    )


def shared_badge(token: str) -> Badge | None:
    """The visible badge a single-badge link shares, or None."""
    return db.session.scalar(
        sa.select(Badge)
        .join(BadgeShare, BadgeShare.badge_id == Badge.id)
        .where(BadgeShare.share_token == token, Badge.status == PUBLIC_STATUS)
    )


def badge_picture(badge_id: int, token: str, *, in_collection: bool) -> Image | None:
    """The picture a public page shows for a badge: its badge class's image, in one query.

    Never the earner's own copy: an uploaded image has the assertion baked in, and with it
    perhaps the recipient's address in plain text.
    """
    query = (
        sa.select(Image)
        .join(BadgeClass, BadgeClass.image_id == Image.id)
        .join(Badge, Badge.badge_class_id == BadgeClass.id)
        .where(Badge.id == badge_id, Badge.status == PUBLIC_STATUS)
        .options(undefer(Image.data))
    )
    if in_collection:
        query = (
            query.join(CollectionItem, CollectionItem.badge_id == Badge.id)
            .join(Collection, Collection.id == CollectionItem.collection_id)
            .where(Collection.share_token == token)
        )
    else:
        query = query.join(BadgeShare, BadgeShare.badge_id == Badge.id).where(
            BadgeShare.share_token == token
        )
    return db.session.scalar(query)


@dataclass(frozen=True)
class Picture:
    """An image as a visitor gets it."""

    data: bytes
    mime_type: str
    sha256: str


def published_picture(badge_id: int) -> Picture | None:
    """The picture of a badge that is published (shared on its own or in a published
    collection), for an old Mozilla image URL; None if it is not published.

    Its badge class's image, as the public pages show it; else, as Mozilla served, the
    earner's copy, with the baked badge taken out since it may name the recipient.
    """
    shared = sa.exists().where(BadgeShare.badge_id == Badge.id)
    collected = sa.exists().where(
        CollectionItem.badge_id == Badge.id,
        Collection.id == CollectionItem.collection_id,
        Collection.share_token.is_not(None),
    )
    badge = db.session.scalar(
        sa.select(Badge).where(
            Badge.id == badge_id, Badge.status == PUBLIC_STATUS, sa.or_(shared, collected)
        )
    )
    if badge is None:
        return None
    if badge.badge_class.image is not None:
        image = badge.badge_class.image
        return Picture(image.data, image.mime_type, image.sha256)
    own = badge.original_image or badge.image
    if own is None:
        return None
    try:
        data = without_badge(own.data)
    except OpenBadgesError:
        return None  # not an image we can read: nothing is shown rather than the unread bytes
    return Picture(data, own.mime_type, hashlib.sha256(data).hexdigest())


def public_assertion(badge: Badge) -> dict[str, Any]:
    """The badge's Open Badges 2.0 assertion as visitors may read it.

    A recipient given in plain text is hashed (a verifier who knows the address can still
    check it); an embedded data: image, which may hold a baked copy, is left out; and a
    badge whose last check found it revoked says so.
    """
    document: dict[str, Any] = copy.deepcopy(badge.assertion or {})
    recipient = document.get("recipient")
    if isinstance(recipient, dict) and not recipient.get("hashed"):
        identity = recipient.get("identity")
        if isinstance(identity, str):
            salt = badge.fingerprint[:16]
            document["recipient"] = {
                "type": recipient.get("type", "email"),
                "hashed": True,
                "salt": salt,
                "identity": identity_hash(identity, salt),
            }
    # A 3.0 badge's view carries the whole signed credential, which may name the recipient
    # in plain text and cannot be changed: the 2.0-shaped view goes without it.
    document.pop("credential", None)
    image = document.get("image")
    if isinstance(image, str) and image.startswith("data:"):
        del document["image"]
    if badge.verification == "revoked":
        document["revoked"] = True
    return document


def claim_visitor_check(badge: Badge, min_interval: timedelta) -> bool:
    """Whether a visitor's "verify now" may fetch from the issuer now (at most once a while).

    The claim is an atomic update, so concurrent visitors cannot all reach the issuer.
    """
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Badge)
        .where(Badge.id == badge.id, Badge.last_verified_at < now - min_interval)
        .values(last_verified_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return bool(getattr(claimed, "rowcount", 0))
