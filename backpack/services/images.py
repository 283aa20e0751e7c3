"""Badge images: checked, stored once by SHA-256, fetched safely when only a URL is known."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from backpack.database.bulk_rows import among, insert_rows_returning_ids
from backpack.database.row_ids import RowIds
from backpack.database.unique_rows import add_or_find
from backpack.extensions import db
from backpack.models import Image
from backpack.openbadges import IMAGE_ACCEPT, OpenBadgesError, decode_data_uri, inspect_image
from backpack.services.app_fetcher import app_fetcher

log = logging.getLogger(__name__)


def _image_values(data: bytes, digest: str) -> dict[str, Any]:
    """The columns of a new image row; raises OpenBadgesError for bytes unsafe to keep."""
    info = inspect_image(data)
    return {
        "sha256": digest,
        "mime_type": info.mime_type,
        "width": info.width,
        "height": info.height,
        "byte_size": len(data),
        "data": data,
    }


def store_image(data: bytes) -> Image:
    """Store checked image bytes, or return the identical image stored already."""
    digest = hashlib.sha256(data).hexdigest()
    values = _image_values(data, digest)
    image = db.session.scalar(sa.select(Image).where(Image.sha256 == digest))
    if image is not None:
        return image
    image = Image(**values)
    stored, _ = add_or_find(
        image, lambda: db.session.scalar(sa.select(Image).where(Image.sha256 == digest))
    )
    return stored


def image_from_reference(reference: object, *, fetch: bool = True) -> Image | None:
    """Store the image a badge names (a data URI or a URL); None when it cannot be had.

    A badge is never refused for its picture: a missing or bad image leaves a placeholder.
    With `fetch=False` (imports, whose issuers may be gone) only a data URI is used.
    """
    if isinstance(reference, dict):
        reference = reference.get("id")
    if not isinstance(reference, str) or not reference:
        return None
    try:
        data = decode_data_uri(reference)
        if data is None:
            if not fetch or not reference.startswith(("http://", "https://")):
                return None
            response = app_fetcher().get(reference, accept=IMAGE_ACCEPT)
            if response.status != 200:
                log.info("Badge image %s answered HTTP %s", reference, response.status)
                return None
            data = response.content
        return store_image(data)
    except OpenBadgesError as exc:
        log.info("Badge image %s not stored: %s", reference[:200], exc.message)
        return None


def store_images(items: Sequence[bytes | None], known: RowIds[int]) -> list[int | None]:
    """`store_image` for many at once (imports): each item's image id, None where there are
    no bytes or they are not an image safe to keep. One lookup and one insert in all."""
    digests = [hashlib.sha256(data).hexdigest() if data else None for data in items]
    unknown = {digest for digest in digests if digest and known.get(digest) is None}
    if unknown:
        found = sa.select(Image.sha256, Image.id).where(among(Image.sha256, unknown))
        for found_digest, image_id in db.session.execute(found):
            known.add(found_digest, image_id)
    new: dict[str, dict[str, Any]] = {}
    for data, digest in zip(items, digests, strict=True):
        if data and digest and digest not in new and known.get(digest) is None:
            try:
                new[digest] = _image_values(data, digest)
            except OpenBadgesError:
                continue  # a badge is never refused for its picture
    if new:
        ids = insert_rows_returning_ids(Image, list(new.values()))
        for new_digest, image_id in zip(new, ids, strict=True):
            known.add(new_digest, image_id)
    return [known.get(digest) if digest else None for digest in digests]


def reference_bytes(reference: object) -> bytes | None:
    """The bytes of an image a badge names by data URI, read offline; None otherwise."""
    if isinstance(reference, dict):
        reference = reference.get("id")
    return decode_data_uri(reference) if isinstance(reference, str) else None
