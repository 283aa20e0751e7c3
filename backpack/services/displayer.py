"""What the Mozilla Displayer API reveals: only for users who opted in, only published groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from backpack.extensions import db
from backpack.models import Badge, Collection, CollectionItem, EmailAddress, User
from backpack.services.emails import normalise_address
from backpack.services.public_pages import public_assertion
from backpack.services.sharing import PUBLIC_STATUS


@dataclass(frozen=True)
class Group:
    """A published collection as the Displayer lists it."""

    collection_id: int
    name: str
    badge_count: int


@dataclass(frozen=True)
class GroupBadges:
    """A published collection's visible badges, in order, and the link that shows them."""

    share_token: str
    badges: list[Badge]


# Displayer widgets (Moodle, WordPress) show a badge with no verdict beside it, so only
# badges whose last check found them valid are given to them; the public pages, which do
# show each verdict, list the others too.
DISPLAYED_VERDICT = "valid"


def find_user_id(address: str) -> int | None:
    """The id of the user who verified this address and opted in to be found, or None."""
    return db.session.scalar(
        sa.select(User.id)
        .join(EmailAddress, EmailAddress.user_id == User.id)
        .where(
            EmailAddress.normalised == normalise_address(address),
            EmailAddress.verified_at.is_not(None),
            User.findable_by_email.is_(True),
        )
    )


def _findable(user_id: int) -> bool:
    return bool(
        db.session.scalar(
            sa.select(User.id).where(User.id == user_id, User.findable_by_email.is_(True))
        )
    )


def groups(user_id: int) -> list[Group] | None:
    """The user's published collections and how many visible badges each has; None if hidden."""
    if not _findable(user_id):
        return None
    visible = (
        sa.select(CollectionItem.collection_id, sa.func.count().label("badges"))
        .join(Badge, Badge.id == CollectionItem.badge_id)
        .where(Badge.status == PUBLIC_STATUS, Badge.verification == DISPLAYED_VERDICT)
        .group_by(CollectionItem.collection_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Collection.id, Collection.name, sa.func.coalesce(visible.c.badges, 0))
        .outerjoin(visible, visible.c.collection_id == Collection.id)
        .where(Collection.user_id == user_id, Collection.share_token.is_not(None))
        .order_by(Collection.position, Collection.id)
    ).all()
    return [Group(row[0], row[1], int(row[2])) for row in rows]


def group_badges(user_id: int, collection_id: int) -> GroupBadges | None:
    """One published collection's visible badges, in two queries; None if hidden."""
    token = db.session.scalar(
        sa.select(Collection.share_token)
        .join(User, User.id == Collection.user_id)
        .where(
            Collection.id == collection_id,
            Collection.user_id == user_id,
            Collection.share_token.is_not(None),
            User.findable_by_email.is_(True),
        )
    )
    if token is None:
        return None
    items = db.session.scalars(
        sa.select(CollectionItem)
        .join(Badge, Badge.id == CollectionItem.badge_id)
        .where(
            CollectionItem.collection_id == collection_id,
            Badge.status == PUBLIC_STATUS,
            Badge.verification == DISPLAYED_VERDICT,
        )
        .options(contains_eager(CollectionItem.badge).undefer(Badge.assertion))
        .order_by(CollectionItem.position, CollectionItem.badge_id)
    ).all()
    return GroupBadges(token, [item.badge for item in items])


def displayer_assertion(badge: Badge) -> dict[str, Any]:
    """The badge as the Displayer's `assertion`: an Open Badges 1.0/2.0-shaped assertion.

    The Displayer's clients (Moodle, WordPress and Chamilo widgets of Mozilla's time) read
    an assertion's `badge` (name, image, description, criteria, issuer) and nothing else.
    An Open Badges 3.0 credential is given as its stored view, which has that shape (the
    achievement as the badge, its issuer as the issuer), without the credential itself:
    those clients cannot read or verify it, and its subject may name the earner's
    identifiers. Verifiers get the credential as issued from the public badge page.
    """
    document = public_assertion(badge)
    if badge.version == "3.0":
        document.pop("credential", None)
    return document
