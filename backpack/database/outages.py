"""A database outage as the app meets it: the errors that say the database is away (not
that a query is wrong), and ending the transaction such an error broke."""

from __future__ import annotations

import sqlalchemy as sa

from backpack.extensions import db

# What the driver raises while the database restarts, fails over or refuses connections
# (the pool's pre-ping replaces dead connections, so these end once it is back), and the
# pool's own time-out when every connection is busy.
DATABASE_OUTAGES: tuple[type[Exception], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
)


def end_broken_transaction() -> None:
    """Roll back the transaction an outage broke, so the session can be used again."""
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        db.session.close()  # the connection is gone already; the pool replaces it
