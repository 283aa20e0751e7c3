"""Issuers and badge classes, shared between backpacks by IRI and content."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from backpack.database.bulk_rows import among, insert_rows_returning_ids
from backpack.database.row_ids import CatalogueIds, RowIds
from backpack.database.unique_rows import add_or_find
from backpack.extensions import db
from backpack.models import Badge, BadgeClass, Image, Issuer
from backpack.openbadges import OpenBadgesError
from backpack.services.images import (
    image_from_reference,
    reference_bytes,
    store_image,
    store_images,
)

Shared = TypeVar("Shared", Issuer, BadgeClass)
Value = TypeVar("Value")
SharedKey = tuple[str, str]  # (iri, content digest): what makes a shared row the same one


def content_digest(document: dict[str, Any]) -> str:
    """A stable digest of a JSON document's content."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _text(document: dict[str, Any], key: str, limit: int) -> str:
    value = document.get(key)
    return value[:limit] if isinstance(value, str) else ""


def _shared_key(document: dict[str, Any]) -> SharedKey:
    digest = content_digest(document)
    iri = document.get("id") if isinstance(document.get("id"), str) else f"urn:sha256:{digest}"
    return str(iri)[:2048], digest


def _issuer_values(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(document, "name", 500),
        "url": _text(document, "url", 2048) or None,
        "email": _text(document, "email", 320) or None,
        "document": document,
    }


def _class_values(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(document, "name", 500),
        "description": _text(document, "description", 20000),
        "document": document,
    }


def _issuer_document(badge_class: dict[str, Any]) -> dict[str, Any]:
    issuer = badge_class.get("issuer")
    return issuer if isinstance(issuer, dict) else {}


def _get_or_add(model: type[Shared], key: SharedKey, build: dict[str, Any]) -> Shared:
    iri, digest = key
    query = sa.select(model).where(model.iri == iri, model.content_sha256 == digest)
    found = db.session.scalar(query)
    if found is not None:
        return found
    row = model(iri=iri, content_sha256=digest, **build)
    stored, _ = add_or_find(row, lambda: db.session.scalar(query))
    return stored


def store_issuer(document: dict[str, Any]) -> Issuer:
    """The issuer row for this profile, shared with every badge that has the same one."""
    return _get_or_add(Issuer, _shared_key(document), _issuer_values(document))


def store_badge_class(document: dict[str, Any], *, image: bytes | None = None) -> BadgeClass:
    """The badge class row for this document, with its issuer and image stored too.

    `image` is the BadgeClass image as verification fetched and checked it; without it only
    an image given as a data URI is kept. Nothing is fetched here.
    """
    issuer = store_issuer(_issuer_document(document))
    key = _shared_key(document)
    query = sa.select(BadgeClass).where(
        BadgeClass.iri == key[0], BadgeClass.content_sha256 == key[1]
    )
    found = db.session.scalar(query)
    if found is not None:
        keep_class_image(found, image)
        return found
    build = _class_values(document) | {
        "issuer": issuer,
        "image": _stored(image) or image_from_reference(document.get("image"), fetch=False),
    }
    return _get_or_add(BadgeClass, key, build)


def keep_class_image(badge_class: BadgeClass, image: bytes | None) -> None:
    """Give a badge class stored without an image its first good copy, and its badges too.

    Every badge of the class that shows no image then shows this one, after the issuer is
    gone as well; an image stored already is never replaced.
    """
    if image is None or badge_class.image_id is not None:
        return
    stored = _stored(image)
    if stored is None:
        return
    badge_class.image = stored
    db.session.flush()
    db.session.execute(
        sa.update(Badge)
        .where(Badge.badge_class_id == badge_class.id, Badge.image_id.is_(None))
        .values(image_id=stored.id)
    )


def _stored(image: bytes | None) -> Image | None:
    if image is None:
        return None
    try:
        return store_image(image)
    except OpenBadgesError:
        return None  # verification checked it; a badge is never refused for its picture


def store_badge_classes(
    documents: Sequence[dict[str, Any]], ids: CatalogueIds
) -> list[tuple[int, int | None]]:
    """`store_badge_class` for many at once, offline (imports): for each document its badge
    class id and that class's image id. A few statements in all, whatever the count."""
    keys = [_shared_key(document) for document in documents]
    _look_up(BadgeClass, keys, ids.badge_classes)
    new = {
        key: document
        for key, document in zip(keys, documents, strict=True)
        if ids.badge_classes.get(key) is None
    }
    if new:
        issuer_ids = _store_issuers([_issuer_document(d) for d in new.values()], ids.issuers)
        image_ids = store_images(
            [reference_bytes(d.get("image")) for d in new.values()], ids.images
        )
        rows = [
            _class_values(document)
            | {"iri": key[0], "content_sha256": key[1], "issuer_id": issuer, "image_id": image}
            for (key, document), issuer, image in zip(
                new.items(), issuer_ids, image_ids, strict=True
            )
        ]
        for key, class_id, image in zip(
            new, insert_rows_returning_ids(BadgeClass, rows), image_ids, strict=True
        ):
            ids.badge_classes.add(key, (class_id, image))
    return [_known(ids.badge_classes, key) for key in keys]


def _store_issuers(documents: Sequence[dict[str, Any]], known: RowIds[int]) -> list[int]:
    keys = [_shared_key(document) for document in documents]
    _look_up(Issuer, keys, known)
    new = {
        key: document
        for key, document in zip(keys, documents, strict=True)
        if known.get(key) is None
    }
    if new:
        rows = [
            _issuer_values(document) | {"iri": key[0], "content_sha256": key[1]}
            for key, document in new.items()
        ]
        for key, issuer_id in zip(new, insert_rows_returning_ids(Issuer, rows), strict=True):
            known.add(key, issuer_id)
    return [_known(known, key) for key in keys]


def _known(known: RowIds[Value], key: SharedKey) -> Value:
    value = known.get(key)
    if value is None:  # looked up or inserted just before: cannot happen
        raise RuntimeError(f"no id for {key!r}")
    return value


def _look_up(model: type[Shared], keys: Sequence[SharedKey], known: RowIds[Any]) -> None:
    """Remember the ids of the rows among `keys` that are stored but not yet known."""
    unknown = {key for key in keys if known.get(key) is None}
    if not unknown:
        return
    columns: list[Any] = [model.id, model.iri, model.content_sha256]
    if model is BadgeClass:
        columns.append(BadgeClass.image_id)
    # By IRI: the leading column of the (iri, content_sha256) unique index.
    query = sa.select(*columns).where(among(model.iri, (iri for iri, _ in unknown)))
    for row in db.session.execute(query):
        key = (row.iri, row.content_sha256)
        if key in unknown:
            known.add(key, (row.id, row.image_id) if model is BadgeClass else row.id)
