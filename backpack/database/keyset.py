"""Walking a large query's rows in id order, a batch at a time, by keyset.

An OFFSET walk reads every skipped row again and misses or repeats rows that change under
it; asking for the next `batch` rows after the last id seen costs one index range each
time and sees each row once, whatever else writes meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa

from backpack.extensions import db


class _HasId(Protocol):
    id: Any


Row = TypeVar("Row", bound=_HasId)


def in_id_batches(
    model: type[Row],
    *where: sa.ColumnElement[bool],
    batch: int = 200,
    after_batch: Callable[[], None] | None = None,
) -> Iterator[Row]:
    """Every `model` row matching `where`, in id order, `batch` rows per query.

    `after_batch` runs once a batch has been handed out, before the next is read (for
    example to let the batch's rows leave the session's memory).
    """
    id_column: Any = model.id
    last_id = 0
    while True:
        rows = db.session.scalars(
            sa.select(model).where(*where, id_column > last_id).order_by(id_column).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        if after_batch is not None:
            after_batch()
