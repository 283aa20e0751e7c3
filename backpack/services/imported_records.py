"""What each record of a foreign source became here, so that an import runs once.

An import names its source by a scope (`mozilla:<instance>`, `pull:<host>:user:<id>`) and
each of its records by a kind and a key; remembering what a record became, in the same
transaction as the row it became, is what lets a second run skip it. This is the import
pipeline's own bookkeeping, always read within one source's scope. `legacy_links` keeps
Mozilla's old share paths in the same table for another reader: the public pages, which
look a path up whatever source brought it.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from backpack.database.bulk_rows import among, insert_rows
from backpack.extensions import db
from backpack.models import ImportedRecord

KEY_MAX = 255


def kept_key(key: str) -> str:
    """A source record's key as it is kept (and found): cut to its column's length."""
    return key[:KEY_MAX]


def imported_targets(scope: str, kind: str, keys: Iterable[str]) -> dict[str, int | None]:
    """What each of these records became (an id, or None), for those imported in any run;
    keyed by `kept_key`."""
    wanted = {kept_key(key) for key in keys}
    if not wanted:
        return {}
    rows = db.session.execute(
        sa.select(ImportedRecord.key, ImportedRecord.target_id).where(
            ImportedRecord.scope == scope,
            ImportedRecord.kind == kind,
            among(ImportedRecord.key, wanted),
        )
    )
    return {key: target for key, target in rows}


def remember_imported(scope: str, kind: str, key: str, target_id: int | None) -> None:
    """Record that one record was imported as `target_id` (flushed, not committed)."""
    db.session.add(ImportedRecord(scope=scope, kind=kind, key=kept_key(key), target_id=target_id))
    db.session.flush()


def remember_imported_many(scope: str, records: Iterable[tuple[str, str, int | None]]) -> None:
    """Record many imported records at once, each as (kind, key, what it became)."""
    insert_rows(
        ImportedRecord,
        [
            {"scope": scope, "kind": kind, "key": kept_key(key), "target_id": target_id}
            for kind, key, target_id in records
        ],
    )
