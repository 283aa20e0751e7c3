"""Issuers and badge classes, shared between backpacks by IRI and content."""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeVar

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import BadgeClass, Issuer
from backpack.services.images import image_from_reference
from backpack.services.unique_rows import add_or_find

Shared = TypeVar("Shared", Issuer, BadgeClass)


def content_digest(document: dict[str, Any]) -> str:
    """A stable digest of a JSON document's content."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _text(document: dict[str, Any], key: str, limit: int) -> str:
    value = document.get(key)
    return value[:limit] if isinstance(value, str) else ""


def _get_or_add(model: type[Shared], iri: str, digest: str, build: dict[str, Any]) -> Shared:
    query = sa.select(model).where(model.iri == iri, model.content_sha256 == digest)
    found = db.session.scalar(query)
    if found is not None:
        return found
    row = model(iri=iri, content_sha256=digest, **build)
    stored, _ = add_or_find(row, lambda: db.session.scalar(query))
    return stored


def store_issuer(document: dict[str, Any]) -> Issuer:
    """The issuer row for this profile, shared with every badge that has the same one."""
    digest = content_digest(document)
    iri = document.get("id") if isinstance(document.get("id"), str) else f"urn:sha256:{digest}"
    return _get_or_add(
        Issuer,
        str(iri)[:2048],
        digest,
        {
            "name": _text(document, "name", 500),
            "url": _text(document, "url", 2048) or None,
            "email": _text(document, "email", 320) or None,
            "document": document,
        },
    )


def store_badge_class(document: dict[str, Any], *, fetch: bool = True) -> BadgeClass:
    """The badge class row for this document, with its issuer and image stored too.

    With `fetch=False` an image named only by URL is left out rather than fetched.
    """
    issuer_document = document.get("issuer")
    issuer = store_issuer(issuer_document if isinstance(issuer_document, dict) else {})
    digest = content_digest(document)
    iri = document.get("id") if isinstance(document.get("id"), str) else f"urn:sha256:{digest}"
    query = sa.select(BadgeClass).where(
        BadgeClass.iri == str(iri)[:2048], BadgeClass.content_sha256 == digest
    )
    found = db.session.scalar(query)
    if found is not None:
        return found
    return _get_or_add(
        BadgeClass,
        str(iri)[:2048],
        digest,
        {
            "issuer": issuer,
            "image": image_from_reference(document.get("image"), fetch=fetch),
            "name": _text(document, "name", 500),
            "description": _text(document, "description", 20000),
            "document": document,
        },
    )
