"""The batch writers of a Mozilla instance's units: each kind (accounts, additional addresses,
badges, groups) written a batch at a time through the services' bulk functions. A batch that
fails twice comes back to the same writer as batches of one (`importers.pipeline`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from backpack.database.row_ids import CatalogueIds
from backpack.services import accounts, collections, emails, legacy_links, sharing
from backpack.services.badge_intake import BadgeRefused
from backpack.services.bulk_intake import StoredBadge, UncheckedBadge, receive_unchecked_many
from backpack.services.errors import ServiceError
from importers.mozilla_records import (
    Row,
    account_marks,
    account_of,
    badge_marks,
    collection_of,
    json_field,
    stored_text,
    unchecked_badge,
)
from importers.pipeline import ImporterError, Outcome, Pipeline, RecordRefused, Unit


def _imported_badges(
    pipeline: Pipeline, listed: Iterable[object]
) -> tuple[dict[str, int], dict[int, int]]:
    """Our badge id for each of these Mozilla badge ids that was imported (keyed as text),
    and the owner of each of ours (two queries)."""
    keys = {f"badge:{mozilla_id}": mozilla_id for mozilla_id in listed}
    ours = {
        str(keys[key]): target
        for key, target in pipeline.targets("badges", keys).items()
        if target is not None
    }
    return ours, collections.badge_owners(sorted(set(ours.values())))


Results = list[Outcome | ImporterError]


def owner_ids(pipeline: Pipeline, mozilla_ids: Iterable[object]) -> dict[object, int]:
    """Our user id for each Mozilla user id that was imported."""
    keys = {f"user:{mozilla_id}": mozilla_id for mozilla_id in mozilla_ids}
    found = pipeline.targets("users", keys)
    # An account imported earlier may have been deleted since: its records stay behind.
    present = accounts.existing_user_ids([t for t in found.values() if t is not None])
    return {keys[key]: target for key, target in found.items() if target in present}


def _not_imported(mozilla_id: object) -> RecordRefused:
    return RecordRefused(f"its owner (Mozilla user {mozilla_id}) was not imported")


Prepared = TypeVar("Prepared")
Done = TypeVar("Done")


def _prepared(
    units: Sequence[Unit], prepare: Callable[[Unit], Prepared]
) -> tuple[list[ImporterError | None], list[Prepared]]:
    """Each unit's record made ready for a bulk service, in order; and, in each unit's
    place, why its record was refused before reaching the service (None if it was not)."""
    refused: list[ImporterError | None] = []
    ready: list[Prepared] = []
    for unit in units:
        try:
            ready.append(prepare(unit))
        except RecordRefused as exc:
            refused.append(exc)
        else:
            refused.append(None)
    return refused, ready


def _merged(
    units: Sequence[Unit],
    refused: Sequence[ImporterError | None],
    done: Iterable[Done],
    result: Callable[[Unit, Done], Outcome | ImporterError],
) -> Results:
    """Each unit's result: its refusal, or what the bulk service did with it (in order)."""
    outcomes = iter(done)
    return [
        error if error is not None else result(unit, next(outcomes))
        for unit, error in zip(units, refused, strict=True)
    ]


class _StatelessWriter:
    def rollback(self) -> None:
        pass  # it remembers nothing of a batch


class UserWriter(_StatelessWriter):
    def write(self, units: Sequence[Unit]) -> Results:
        def result(unit: Unit, made: int | ServiceError) -> Outcome | ImporterError:
            if isinstance(made, ServiceError):
                return RecordRefused(f"{unit.record['email']}: {made.message}")
            return Outcome(made, marks=account_marks(unit.record))

        refused, wanted = _prepared(units, lambda unit: account_of(unit.record))
        return _merged(units, refused, accounts.import_accounts(wanted), result)


class EmailWriter(_StatelessWriter):
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def write(self, units: Sequence[Unit]) -> Results:
        owners = owner_ids(self.pipeline, (unit.record[0] for unit in units))

        def prepare(unit: Unit) -> emails.NewAddress:
            mozilla_id, address, verified = unit.record
            if mozilla_id not in owners:
                raise _not_imported(mozilla_id)
            return emails.NewAddress(owners[mozilla_id], address, verified)

        def result(unit: Unit, added: int | ServiceError | None) -> Outcome | ImporterError:
            if isinstance(added, ServiceError):
                return RecordRefused(f"{unit.record[1]}: {added.message}")
            return Outcome(added, created=added is not None)

        refused, wanted = _prepared(units, prepare)
        return _merged(units, refused, emails.import_addresses(wanted), result)


class BadgeWriter(_StatelessWriter):
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def write(self, units: Sequence[Unit]) -> Results:
        owners = owner_ids(self.pipeline, (unit.record["user_id"] for unit in units))
        shared: list[tuple[str, int]] = []
        pictured: list[tuple[str, int]] = []

        public_paths: dict[str, tuple[str, str]] = {}

        def prepare(unit: Unit) -> UncheckedBadge:
            mozilla_id = unit.record["user_id"]
            if mozilla_id not in owners:
                raise _not_imported(mozilla_id)
            paths = (stored_text(unit.record["public_path"]), stored_text(unit.record["body_hash"]))
            public_paths[unit.key] = paths
            return unchecked_badge(unit.record, owners[mozilla_id])

        def result(unit: Unit, badge: StoredBadge | BadgeRefused) -> Outcome | ImporterError:
            if isinstance(badge, ServiceError):
                return RecordRefused(badge.message)
            public_path, body_hash = public_paths[unit.key]
            if public_path and badge.created and badge.status == "accepted":
                shared.append((public_path, badge.badge_id))
            if body_hash:
                pictured.append((body_hash, badge.badge_id))
            marks = badge_marks(badge.address_elsewhere)
            return Outcome(badge.badge_id, badge.created, badge.pending, marks)

        refused, wanted = _prepared(units, prepare)
        stored = receive_unchecked_many(wanted, CatalogueIds())
        results = _merged(units, refused, stored, result)
        # Shared on Mozilla: they stay shared, and their old links lead to them.
        sharing.share_badges(badge_id for _, badge_id in shared)
        legacy_links.remember_links(self.pipeline.scope, legacy_links.BADGE, shared)
        # Their old image URLs answer while they are published here.
        legacy_links.remember_links(self.pipeline.scope, legacy_links.BADGE_IMAGE, pictured)
        return results


class GroupWriter:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.counted = 0  # missing badges the last batch counted, taken back if it is undone

    def write(self, units: Sequence[Unit]) -> Results:
        self.counted = missing = 0
        owners = owner_ids(self.pipeline, (unit.record["user_id"] for unit in units))

        urls: dict[str, str] = {}

        def prepare(unit: Unit) -> tuple[Row, int, list[Any], dict[str, Any]]:
            row = unit.record
            if row["user_id"] not in owners:
                raise _not_imported(row["user_id"])
            urls[unit.key] = stored_text(row["url"])
            badges = json_field(row["badges"], list, "badges")
            return (
                row,
                owners[row["user_id"]],
                badges,
                json_field(row["stories"], dict, "portfolio stories"),
            )

        links: list[tuple[str, int]] = []

        def result(unit: Unit, made: int | ServiceError) -> Outcome | ImporterError:
            if isinstance(made, ServiceError):
                return RecordRefused(made.message)
            if urls[unit.key]:
                links.append((urls[unit.key], made))
            return Outcome(made)

        refused, read = _prepared(units, prepare)
        found = _imported_badges(self.pipeline, (m for _, _, badges, _ in read for m in badges))
        wanted: list[collections.ImportedCollection] = []
        for row, owner, badges, stories in read:
            collection, absent = collection_of(row, owner, badges, stories, found)
            wanted.append(collection)
            missing += absent
        results = _merged(units, refused, collections.import_collections(wanted), result)
        legacy_links.remember_links(self.pipeline.scope, legacy_links.COLLECTION, links)
        # Counted once the batch is written: a batch undone before this counted nothing.
        self.pipeline.report.missing_from_collections += missing
        self.counted = missing
        return results

    def rollback(self) -> None:
        # Its groups are written again (as batches of one), and counted again then.
        self.pipeline.report.missing_from_collections -= self.counted
        self.counted = 0
