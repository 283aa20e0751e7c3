"""Links from an imported backpack's old share pages to the pages that replace them.

Mozilla shared a collection at `/share/<group url>` and a badge at `/share/badge/<path>`,
and served each badge's image at `/images/badge/<body hash>.png` (or `.svg`); an import
remembers each old path beside the record it imported, and the old URL looks it up. A link
leads on only while its collection or badge is public here.

The paths share `imported_records`' table but not its use: that module is what lets an
import run once, read within one source's scope; these are addresses the public pages
answer, looked up whatever source brought them, the first import to claim a path keeping it.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from backpack.database.bulk_rows import among, insert_rows
from backpack.extensions import db
from backpack.models import BadgeShare, Collection, ImportedRecord
from backpack.services.imported_records import kept_key

COLLECTION = "share-collection"
BADGE = "share-badge"
BADGE_IMAGE = "badge-image"


def remember_links(scope: str, kind: str, links: Iterable[tuple[str, int]]) -> None:
    """Record that each old share path now means this collection or badge (imports); a path
    already known keeps what it meant."""
    wanted: dict[str, int] = {}
    for old_path, target_id in links:
        wanted.setdefault(kept_key(old_path), target_id)  # the first claim stands
    if not wanted:
        return
    known = set(
        db.session.scalars(
            sa.select(ImportedRecord.key).where(
                ImportedRecord.kind == kind, among(ImportedRecord.key, wanted)
            )
        )
    )
    new = [
        {"scope": scope, "kind": kind, "key": key, "target_id": target_id}
        for key, target_id in wanted.items()
        if key not in known
    ]
    if new:
        insert_rows(ImportedRecord, new)


def find_target(kind: str, old_path: str) -> int | None:
    """The id an old share path was imported as, if any."""
    return db.session.scalar(
        sa.select(ImportedRecord.target_id)
        .where(ImportedRecord.kind == kind, ImportedRecord.key == kept_key(old_path))
        .limit(1)
    )


def collection_token(old_path: str) -> str | None:
    """The public token of the collection an old `/share/<url>` showed, if it is public."""
    target = find_target(COLLECTION, old_path)
    collection = db.session.get(Collection, target) if target is not None else None
    return collection.share_token if collection is not None else None


def badge_token(old_path: str) -> str | None:
    """The public token of the badge an old `/share/badge/<path>` showed, if it is public."""
    target = find_target(BADGE, old_path)
    if target is None:
        return None
    return db.session.scalar(
        sa.select(BadgeShare.share_token).where(BadgeShare.badge_id == target).limit(1)
    )
