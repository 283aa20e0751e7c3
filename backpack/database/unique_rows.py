"""Rows guarded by a unique constraint, added safely when requests race to add the same one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from backpack.extensions import db

Row = TypeVar("Row")


def add_or_find(row: Row, find: Callable[[], Row | None]) -> tuple[Row, bool]:
    """Add `row`, or return the equal row a concurrent request added first; say which.

    The insert runs in a savepoint, so losing the race costs only that savepoint, never the
    caller's transaction. The winner's row is read after the savepoint's context has closed:
    the session refuses queries inside a context whose savepoint was rolled back.
    """
    conflict: sa.exc.IntegrityError | None = None
    with db.session.begin_nested() as savepoint:
        db.session.add(row)
        try:
            db.session.flush()
        except sa.exc.IntegrityError as error:
            savepoint.rollback()
            conflict = error
    if conflict is None:
        return row, True
    found = find()
    if found is None:
        raise conflict  # not a race: another constraint refused the row
    return found, False
