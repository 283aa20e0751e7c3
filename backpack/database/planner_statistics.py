"""Keeping the database's planner statistics true while a bulk import grows its tables.

PostgreSQL plans a lookup by what it last measured of a table. An import that takes an
empty database to hundreds of thousands of rows within a minute outruns autovacuum, whose
statistics still describe a near-empty table: it plans sequential scans where an index
serves, and every batch's lookups grow slower than the last. Measuring again each time a
table has doubled keeps the plans right at a cost of a few ANALYZEs in all. SQLite's
planner uses the same command.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from backpack.extensions import db

log = logging.getLogger(__name__)

# The tables each kind of imported record writes to and looks up in.
TABLES_BY_KIND = {
    "users": ("user", "email_address"),
    "emails": ("email_address",),
    "badges": ("badge", "image", "issuer", "badge_class", "badge_share"),
    "collections": ("collection", "collection_item"),
}
# Where every kind's source keys are recorded.
RECORD_TABLE = "imported_record"
FIRST_REFRESH = 500
# Past this many, a table's plans no longer change as it grows (every lookup is by index
# by then) and autovacuum keeps up; an ANALYZE of a large JSONB table costs seconds.
LAST_REFRESH = 32_000


class StatisticsKeeper:
    """Refreshes a kind's tables' statistics each time the count of that kind doubles.

    When `parts` processes share an import out evenly, one of them keeps the statistics
    for all: it counts what it wrote `parts` times over."""

    def __init__(self, first: int = FIRST_REFRESH, *, parts: int = 1) -> None:
        self.first = first
        self.parts = parts
        self.next_refresh: dict[str, int] = {}

    def written(self, counts: Mapping[str, int]) -> None:
        """Call after a commit with how many units of each kind the import has written."""
        due = []
        for kind, written in counts.items():
            count = written * self.parts
            due_at = self.next_refresh.get(kind, self.first)
            if due_at <= count and due_at <= LAST_REFRESH:
                self.next_refresh[kind] = count * 2
                due.append(kind)
        if due:
            tables = {RECORD_TABLE}.union(*(TABLES_BY_KIND.get(kind, ()) for kind in due))
            refresh(sorted(tables))


def refresh(tables: Iterable[str]) -> None:
    """Measure these tables again (PostgreSQL and SQLite; on other databases, nothing)."""
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        return
    for table in tables:
        log.debug("Refreshing the planner statistics of %s", table)
        connection.exec_driver_sql(f"ANALYZE {dialect.identifier_preparer.quote(table)}")
