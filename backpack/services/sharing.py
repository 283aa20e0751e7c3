"""Public links: publishing, unpublishing and re-linking collections and single badges.

Every collection and badge is private until its owner publishes it. A link is an
unguessable token; withdrawing it (unpublish, re-link, delete) retires the token for good,
so the old link answers 410 Gone and never shows anything again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import sqlalchemy as sa

from backpack.database.bulk_rows import among, insert_rows
from backpack.extensions import db
from backpack.models import Badge, BadgeShare, Collection, RetiredShareToken, User
from backpack.models.base import utcnow
from backpack.models.collections import new_share_token
from backpack.services.errors import ServiceError

# What a visitor may ever see: badges in the backpack proper, never pending or rejected ones.
PUBLIC_STATUS = "accepted"


class NotShareable(ServiceError):
    """A badge that cannot be shared in its present state."""

    code = "not_shareable"
    status = 409


def token_digest(token: str) -> str:
    """The digest a retired token is remembered by."""
    return hashlib.sha256(token.encode()).hexdigest()


def retire_token(user_id: int, token: str) -> None:
    """Remember a withdrawn token, so its link answers 410 Gone."""
    digest = token_digest(token)
    if db.session.get(RetiredShareToken, digest) is None:
        db.session.add(RetiredShareToken(token_sha256=digest, user_id=user_id))
    db.session.flush()


def is_retired(token: str) -> bool:
    """Whether a token belonged to a link its owner withdrew."""
    return db.session.get(RetiredShareToken, token_digest(token)) is not None


def publish_collection(collection: Collection) -> None:
    """Give a private collection a public link (a published one keeps the link it has)."""
    if collection.share_token is None:
        collection.share_token = new_share_token()
        collection.published_at = utcnow()
    db.session.flush()


def unpublish_collection(collection: Collection) -> None:
    """Make a collection private again; its link dies."""
    if collection.share_token is not None:
        retire_token(collection.user_id, collection.share_token)
    collection.share_token = None
    collection.published_at = None
    db.session.flush()


def relink_collection(collection: Collection) -> None:
    """Replace a published collection's link with a new one; the old link dies."""
    if collection.share_token is None:
        raise NotShareable("Publish the collection first; it has no link to replace.")
    retire_token(collection.user_id, collection.share_token)
    collection.share_token = new_share_token()
    collection.published_at = utcnow()
    db.session.flush()


def get_badge_share(user: User, badge_id: int) -> tuple[Badge, BadgeShare | None] | None:
    """One of the user's badges and its public link, if any; None for another user's."""
    row = db.session.execute(
        sa.select(Badge, BadgeShare)
        .outerjoin(BadgeShare, BadgeShare.badge_id == Badge.id)
        .where(Badge.id == badge_id, Badge.user_id == user.id)
    ).first()
    return (row[0], row[1]) if row is not None else None


def list_badge_shares(user: User) -> list[BadgeShare]:
    """The user's badges shared on their own, newest link first."""
    return list(
        db.session.scalars(
            sa.select(BadgeShare)
            .join(Badge, Badge.id == BadgeShare.badge_id)
            .where(Badge.user_id == user.id)
            .order_by(BadgeShare.created_at.desc(), BadgeShare.id.desc())
        )
    )


def share_badge(badge: Badge, share: BadgeShare | None) -> BadgeShare:
    """Give one accepted badge a public page of its own (an existing link is kept)."""
    if badge.status != PUBLIC_STATUS:
        raise NotShareable(
            "Only a badge in your backpack can be shared: verify its address or accept it first."
        )
    if share is None:
        share = BadgeShare(badge_id=badge.id, share_token=new_share_token())
        db.session.add(share)
    db.session.flush()
    return share


def share_badges(badge_ids: Iterable[int]) -> None:
    """`share_badge` for many at once (imports); badges not in a backpack stay private."""
    wanted = sorted(set(badge_ids))
    if not wanted:
        return
    unshared = db.session.scalars(
        sa.select(Badge.id)
        .outerjoin(BadgeShare, BadgeShare.badge_id == Badge.id)
        .where(among(Badge.id, wanted), Badge.status == PUBLIC_STATUS, BadgeShare.id.is_(None))
    ).all()
    if unshared:
        insert_rows(
            BadgeShare,
            [{"badge_id": badge_id, "share_token": new_share_token()} for badge_id in unshared],
        )


def unshare_badge(badge: Badge, share: BadgeShare) -> None:
    """Make a badge private again; its link dies."""
    retire_token(badge.user_id, share.share_token)
    db.session.delete(share)
    db.session.flush()


def relink_badge(badge: Badge, share: BadgeShare) -> None:
    """Replace a shared badge's link with a new one; the old link dies."""
    retire_token(badge.user_id, share.share_token)
    share.share_token = new_share_token()
    db.session.flush()


def set_badge_owner_name(share: BadgeShare, show: bool) -> None:
    """Choose whether a shared badge's page names its owner."""
    share.show_owner_name = show
    share.updated_at = utcnow()
    db.session.flush()


def set_findable(user: User, findable: bool) -> None:
    """Turn the Displayer API (being found by a verified address) on or off for a user."""
    user.findable_by_email = findable
    db.session.flush()
