"""The earner's home page: what is new, what waits, what needs a look, and what is shared."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import Badge, User
from backpack.services.collections import CollectionSummary, list_collections

# How many badges each part of the home page shows before "see all" takes over.
SHOWN = 6
# Verdicts that need no attention from the earner; every other one does (expired, revoked,
# invalid, unverifiable, and unchecked: imported and not verified here yet).
GOOD_VERDICTS = ("valid",)


@dataclass(frozen=True)
class Dashboard:
    """What the logged-in home page shows, read in a fixed number of queries."""

    recent: list[Badge]  # the newest badges in good standing
    accepted_count: int
    pending: list[Badge]
    pending_count: int
    attention: list[Badge]
    attention_count: int
    collections: list[CollectionSummary]

    @property
    def is_empty(self) -> bool:
        """Whether the backpack holds nothing yet, so the page should say how to start."""
        return not (self.accepted_count or self.pending_count or self.collections)


def _newest(query: sa.Select[Badge]) -> list[Badge]:
    return list(
        db.session.scalars(query.order_by(Badge.created_at.desc(), Badge.id.desc()).limit(SHOWN))
    )


def earner_dashboard(user: User) -> Dashboard:
    """The user's home page: newest, pending and doubtful badges, and their collections."""
    counts = db.session.execute(
        sa.select(
            sa.func.count().filter(Badge.status == "accepted"),
            sa.func.count().filter(Badge.status == "pending"),
            sa.func.count().filter(
                Badge.status == "accepted", Badge.verification.not_in(GOOD_VERDICTS)
            ),
        ).where(Badge.user_id == user.id)
    ).one()
    accepted_count, pending_count, attention_count = (int(n) for n in counts)
    owned = sa.select(Badge).where(Badge.user_id == user.id)
    accepted = owned.where(Badge.status == "accepted")
    # A badge that needs attention is shown there, not twice.
    any_in_good_standing = accepted_count > attention_count
    good = accepted.where(Badge.verification.in_(GOOD_VERDICTS))
    return Dashboard(
        recent=_newest(good) if any_in_good_standing else [],
        accepted_count=accepted_count,
        pending=_newest(owned.where(Badge.status == "pending")) if pending_count else [],
        pending_count=pending_count,
        attention=(
            _newest(accepted.where(Badge.verification.not_in(GOOD_VERDICTS)))
            if attention_count
            else []
        ),
        attention_count=attention_count,
        collections=list_collections(user),
    )
