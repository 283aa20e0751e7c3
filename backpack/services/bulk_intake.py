"""Imported badges stored many at a time: `receive_unchecked` for a whole batch at once.

A Mozilla instance brings hundreds of thousands of badges, and storing each on its own
costs a dozen statements (its owner's addresses, a duplicate check, its image, issuer and
badge class, the insert). Here a batch costs about that many in all: each badge is read
offline exactly as `receive_unchecked` reads it (`read_offline`, `offline_values`), and
the lookups and inserts are made once for the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from backpack.database.bulk_rows import among, insert_rows_returning_ids
from backpack.database.row_ids import CatalogueIds
from backpack.extensions import db
from backpack.models import Badge
from backpack.services.badge_catalogue import store_badge_classes
from backpack.services.badge_intake import BadgeRefused
from backpack.services.emails import (
    HeldAddresses,
    held_addresses,
    normalise_address,
    verified_among,
)
from backpack.services.images import reference_bytes, store_images
from backpack.services.unchecked_intake import OfflineBadge, offline_values, read_offline


@dataclass(frozen=True)
class UncheckedBadge:
    """A badge an import hands in (see `receive_unchecked` for each field)."""

    user_id: int
    payload: str
    hosted_url: str | None = None
    image: bytes | None = None
    checked_at: datetime | None = None
    checked_by: str | None = None
    described_by: str | None = None
    awarded_to: str | None = None


@dataclass(frozen=True)
class StoredBadge:
    """Where a handed-in badge is now, and whether it was new."""

    badge_id: int
    created: bool
    status: str
    # Accepted as the source showed it, though its address is verified on another account.
    address_elsewhere: bool = False

    @property
    def pending(self) -> bool:
        return self.status == "pending"


def receive_unchecked_many(
    badges: Sequence[UncheckedBadge], ids: CatalogueIds
) -> list[StoredBadge | BadgeRefused]:
    """Store many imported badges, fetching nothing; for each, where it is or why it was
    refused. A refused badge writes nothing; the others are written whatever it was.
    `ids` holds the shared rows this batch found or added (a new CatalogueIds a batch)."""
    held = held_addresses(badge.user_id for badge in badges)
    elsewhere = _verified_elsewhere(badges, held)
    results: list[StoredBadge | BadgeRefused | None] = [None] * len(badges)
    read: dict[int, OfflineBadge] = {}
    accepted: dict[int, bool] = {}
    for index, badge in enumerate(badges):
        addresses = held[badge.user_id].verified if badge.user_id in held else {}
        spellings = list(held[badge.user_id].typed.values()) if badge.user_id in held else []
        if index in elsewhere:
            addresses = {**addresses, elsewhere[index]: True}
            spellings.append(elsewhere[index])
        try:
            read[index] = read_offline(
                badge.payload,
                spellings,
                hosted_url=badge.hosted_url,
                described_by=badge.described_by,
            )
        except BadgeRefused as exc:
            results[index] = exc
        else:
            accepted[index] = addresses[read[index].recipient]

    stored = _stored(badges, read)
    new: dict[tuple[int, str], int] = {}  # (owner, fingerprint) to its index here
    copies: dict[int, int] = {}  # a second copy in this batch to the first one's index
    for index, offline in read.items():
        key = (badges[index].user_id, offline.fingerprint)
        if key in stored:
            badge_id, status = stored[key]
            results[index] = StoredBadge(badge_id, created=False, status=status)
        elif key in new:
            copies[index] = new[key]
        else:
            new[key] = index

    order = list(new.values())
    rows = _rows(
        [badges[i] for i in order], [read[i] for i in order], [accepted[i] for i in order], ids
    )
    if rows:
        for index, badge_id, row in zip(
            order, insert_rows_returning_ids(Badge, rows), rows, strict=True
        ):
            shown = read[index].recipient == elsewhere.get(index)
            results[index] = StoredBadge(badge_id, True, row["status"], address_elsewhere=shown)
    for index, first in copies.items():
        original = results[first]
        assert isinstance(original, StoredBadge)
        results[index] = StoredBadge(original.badge_id, created=False, status=original.status)
    assert all(result is not None for result in results)
    return [result for result in results if result is not None]


def _verified_elsewhere(
    badges: Sequence[UncheckedBadge], held: dict[int, HeldAddresses]
) -> dict[int, str]:
    """For each badge (by index) whose `awarded_to` its owner does not hold verified but
    another account does: that address, normalised (see `receive_unchecked`)."""
    wanted: dict[int, str] = {}
    for index, badge in enumerate(badges):
        if badge.awarded_to:
            normalised = normalise_address(badge.awarded_to)
            owner = held.get(badge.user_id)
            if owner is None or not owner.verified.get(normalised):
                wanted[index] = normalised
    verified = verified_among(wanted.values())
    return {index: address for index, address in wanted.items() if address in verified}


def _stored(
    badges: Sequence[UncheckedBadge], read: dict[int, OfflineBadge]
) -> dict[tuple[int, str], tuple[int, str]]:
    """The badges of this batch that their owners hold already: id and status."""
    if not read:
        return {}
    owners = sorted({badges[index].user_id for index in read})
    fingerprints = sorted({offline.fingerprint for offline in read.values()})
    query = sa.select(Badge.user_id, Badge.fingerprint, Badge.id, Badge.status).where(
        among(Badge.user_id, owners), among(Badge.fingerprint, fingerprints)
    )
    return {
        (row.user_id, row.fingerprint): (row.id, row.status) for row in db.session.execute(query)
    }


def _rows(
    badges: Sequence[UncheckedBadge],
    read: Sequence[OfflineBadge],
    accepted: Sequence[bool],
    ids: CatalogueIds,
) -> list[dict[str, Any]]:
    """The new badges' rows, with their images and badge classes stored first."""
    if not badges:
        return []
    originals = store_images([badge.image for badge in badges], ids.images)
    named = store_images(
        [
            None if original else reference_bytes(offline.assertion.get("image"))
            for original, offline in zip(originals, read, strict=True)
        ],
        ids.images,
    )
    classes = store_badge_classes([offline.assertion.get("badge") or {} for offline in read], ids)
    rows = []
    for badge, offline, original, image, (class_id, class_image), taken in zip(
        badges, read, originals, named, classes, accepted, strict=True
    ):
        rows.append(
            {
                "user_id": badge.user_id,
                "badge_class_id": class_id,
                "image_id": original or image or class_image,
                "original_image_id": original,
                **offline_values(
                    offline,
                    accepted=taken,
                    checked_at=badge.checked_at,
                    checked_by=badge.checked_by,
                ),
            }
        )
    return rows
