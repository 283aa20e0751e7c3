"""A user's whole backpack as one portable ZIP, which `import backpack-export` restores.

The ZIP holds `backpack-export.json` (the format, the addresses and the collections with
their order and stories), `badges.jsonl` (one line per badge: the original payload exactly
as received, the stored assertion and where it came from) and `badges/<id>.png|svg`, each
badge's baked image. Badges are written in batches, so a large backpack never sits in memory.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from backpack.database.keyset import in_id_batches
from backpack.extensions import db
from backpack.models import Badge, Collection, User
from backpack.models.base import utcnow
from backpack.services.badges import baked_image
from backpack.services.errors import ServiceError

FORMAT = "backpack-export"
VERSION = 1
MANIFEST = "backpack-export.json"
BADGES = "badges.jsonl"
_EXTENSIONS = {"image/png": "png", "image/svg+xml": "svg"}


def write_export(user: User, stream: IO[bytes]) -> int:
    """Write the user's export ZIP to a binary stream; return how many badges it holds."""
    count = 0
    # One entry at a time can be written: the badge lines wait in a spool (on disk once
    # large) while the images go in, then follow them.
    with (
        zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive,
        tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as lines,
    ):
        for badge in _badges(user):
            entry = _badge_entry(badge)
            try:
                data, mime_type = baked_image(badge)
            except ServiceError:
                data, mime_type = b"", ""
            if data and mime_type in _EXTENSIONS:
                entry["image"] = f"badges/{badge.id}.{_EXTENSIONS[mime_type]}"
                archive.writestr(entry["image"], data, compress_type=zipfile.ZIP_STORED)
            lines.write((json.dumps(entry, ensure_ascii=False) + "\n").encode())
            count += 1
        lines.seek(0)
        with archive.open(BADGES, "w") as target:
            shutil.copyfileobj(lines, target)
        archive.writestr(MANIFEST, json.dumps(_manifest(user), ensure_ascii=False, indent=1))
    return count


def write_export_file(user: User, target: Path) -> int:
    """Write the user's export ZIP to `target`, whole or not at all; return its badge count.

    It is written beside `target` under a temporary name and renamed into place once
    complete, so a failed export (a full disk, an unreadable image) leaves no partial ZIP
    that looks like a backup, and a file already at `target` stays as it was.
    """
    descriptor, name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    partial = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            count = write_export(user, stream)
            stream.flush()
            os.fsync(stream.fileno())  # on disk before the rename makes it the export
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


def _badges(user: User, batch: int = 200) -> Iterator[Badge]:
    # Each batch's payloads and images leave memory before the next is read.
    return in_id_batches(
        Badge, Badge.user_id == user.id, batch=batch, after_batch=db.session.expire_all
    )


def _badge_entry(badge: Badge) -> dict[str, Any]:
    return {
        "id": badge.id,
        "payload": badge.original_payload,
        "assertion": badge.assertion,
        "source": badge.source,
        "source_url": badge.source_url,
        "status": badge.status,
        "verification": badge.verification,
        "recipient": badge.recipient,
        "version": badge.version,
        "added_at": badge.created_at.isoformat(),
        "last_verified_at": badge.last_verified_at.isoformat(),
    }


def _manifest(user: User) -> dict[str, Any]:
    collections = db.session.scalars(
        sa.select(Collection).where(Collection.user_id == user.id).order_by(Collection.position)
    )
    return {
        "format": FORMAT,
        "version": VERSION,
        "export_id": str(uuid.uuid4()),
        "exported_at": utcnow().isoformat(),
        "name": user.name,
        "emails": [
            {"address": e.address, "verified": e.is_verified, "primary": e.is_primary}
            for e in user.emails
        ],
        "collections": [
            {
                "name": c.name,
                "description": c.description,
                "published": c.is_published,
                "show_owner_name": c.show_owner_name,
                "items": [
                    {"badge": item.badge_id, "story": item.story}
                    for item in sorted(c.items, key=lambda i: i.position)
                ],
            }
            for c in collections
        ],
    }
