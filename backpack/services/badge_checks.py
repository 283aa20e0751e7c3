"""Checking the badges an import stored unchecked, a few at a time, soon after it.

An import asks no issuer anything (issuers may be gone, and hundreds of thousands of badges
would ask them all at once), so its badges arrive "not checked yet". The background queue
then verifies them in batches (`tasks.run_badge_checks`, through
`batch_verification.reverify_many`), in the order their owners are
most likely to look at them:

- accepted badges before pending ones, which nobody sees until their address is verified;
- the badges of the owners who logged in here most recently first: someone who logs in
  after a migration is looking now. Each batch is chosen afresh, so an owner who logs in
  while the checks run moves ahead of everyone who has not;
- then newest first, the order of the owner's badge list, whose top is seen first. Owners
  who have not logged in since the import come last, their newest badges first.
"""

from __future__ import annotations

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import Badge, User
from backpack.models.badges import UNCHECKED


def next_unchecked(limit: int) -> list[int]:
    """The ids of the next `limit` unchecked badges to verify, most likely looked at first."""
    accepted_first = sa.case((Badge.status == "accepted", 0), else_=1)
    return list(
        db.session.scalars(
            sa.select(Badge.id)
            .join(User, User.id == Badge.user_id)
            .where(Badge.verification == UNCHECKED, Badge.status != "rejected")
            .order_by(
                accepted_first,
                User.last_login_at.desc().nulls_last(),
                Badge.created_at.desc(),
                Badge.id.desc(),
            )
            .limit(limit)
        )
    )
