"""Badge images: checked, stored once by SHA-256, fetched safely when only a URL is known."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from urllib.parse import unquote_to_bytes

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import Image
from backpack.openbadges.errors import OpenBadgesError
from backpack.openbadges.images import inspect_image
from backpack.services.fetching import app_fetcher
from backpack.services.unique_rows import add_or_find

log = logging.getLogger(__name__)
IMAGE_ACCEPT = "image/png, image/svg+xml;q=0.9, image/*;q=0.5"


def store_image(data: bytes) -> Image:
    """Store checked image bytes, or return the identical image stored already."""
    info = inspect_image(data)
    digest = hashlib.sha256(data).hexdigest()
    image = db.session.scalar(sa.select(Image).where(Image.sha256 == digest))
    if image is not None:
        return image
    image = Image(
        sha256=digest,
        mime_type=info.mime_type,
        width=info.width,
        height=info.height,
        byte_size=len(data),
        data=data,
    )
    stored, _ = add_or_find(
        image, lambda: db.session.scalar(sa.select(Image).where(Image.sha256 == digest))
    )
    return stored


def decode_data_uri(uri: str) -> bytes | None:
    """The bytes of a `data:` URI, or None when it is not one or is malformed."""
    if not uri.startswith("data:") or "," not in uri:
        return None
    header, _, payload = uri[5:].partition(",")
    try:
        if header.endswith(";base64"):
            return base64.b64decode(payload, validate=True)
        return unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return None


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
