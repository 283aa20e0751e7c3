"""Everything an import wrote, by natural keys, so that two imports can be compared."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import (
    BackpackConnectGrant,
    Badge,
    BadgeShare,
    Collection,
    ImportedRecord,
    User,
)


def snapshot() -> dict[str, Any]:
    """Everything an import wrote, by natural keys (no ids, no times of the run)."""
    fingerprint = {i: f for i, f in db.session.execute(sa.select(Badge.id, Badge.fingerprint))}
    names = {i: n for i, n in db.session.execute(sa.select(Collection.id, Collection.name))}
    users = {}
    for user in db.session.scalars(sa.select(User)):
        users[user.emails[0].normalised] = (
            user.name,
            user.created_at,
            user.password_hash,
            sorted((e.normalised, e.address, e.is_verified, e.is_primary) for e in user.emails),
        )
    badges = {}
    for badge in db.session.scalars(sa.select(Badge)):
        report = {k: v for k, v in badge.last_report.items() if k != "checked_at"}
        badges[badge.fingerprint] = (
            badge.user.emails[0].normalised,
            badge.status,
            badge.verification,
            badge.recipient,
            badge.version,
            badge.verification_kind,
            badge.source_url,
            badge.assertion_iri,
            badge.original_payload,
            badge.assertion,
            report,
            badge.issued_on,
            badge.last_verified_at,
            badge.badge_class.iri,
            badge.badge_class.content_sha256,
            badge.badge_class.issuer.iri,
            badge.image.sha256 if badge.image else None,
            badge.original_image.sha256 if badge.original_image else None,
        )
    shared = sorted(
        fingerprint[badge_id] for badge_id in db.session.scalars(sa.select(BadgeShare.badge_id))
    )
    collections = {}
    for collection in db.session.scalars(sa.select(Collection)):
        collections[collection.name] = (
            collection.user.emails[0].normalised,
            collection.description,
            collection.position,
            collection.is_published,
            [(fingerprint[i.badge_id], i.position, i.story) for i in collection.items],
        )
    records = set()
    for record in db.session.scalars(sa.select(ImportedRecord)):
        target: object = record.target_id
        if record.kind in ("badges", "share-badge", "badge-image"):
            target = fingerprint.get(record.target_id or 0)
        elif record.kind in ("collections", "share-collection"):
            target = names.get(record.target_id or 0)
        elif record.kind == "connect_grants":
            grant = db.session.get(BackpackConnectGrant, record.target_id or 0)
            target = (grant.user.emails[0].normalised, grant.origin) if grant else None
        elif record.kind in ("users", "emails"):
            target = record.target_id is not None
        records.add((record.scope, record.kind, record.key, target))
    return {
        "users": users,
        "badges": badges,
        "shared": shared,
        "collections": collections,
        "records": records,
    }
