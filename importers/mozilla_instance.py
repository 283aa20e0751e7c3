"""A whole Mozilla Backpack instance, read from its tables, as import units.

Users come first (each followed by its additional addresses), then badges with their
images, then groups with their portfolios. The source is read through server-side cursors,
a row at a time, so memory stays flat however large the instance is.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import User
from backpack.services import accounts, collections, emails, legacy_links, sharing
from backpack.services.badge_intake import receive_unchecked
from backpack.services.bulk_intake import UncheckedBadge, receive_unchecked_many
from backpack.services.errors import ServiceError
from backpack.services.row_ids import CatalogueIds
from importers import mozilla_schema as schema
from importers.pipeline import ImporterError, Outcome, Pipeline, RecordRefused, Unit
from importers.report import ImportReport

Row = sa.RowMapping
STREAM_ROWS = 500


def count_units(source: sa.Engine) -> int:
    """Roughly how many units the instance holds (for the progress bar)."""
    with source.connect() as connection:
        return sum(
            connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in (schema.user, schema.badge, schema.group)
        )


def instance_units(source: sa.Engine, pipeline: Pipeline, report: ImportReport) -> Iterator[Unit]:
    """Every unit of the instance, in the order their dependencies need.

    Every account comes before any additional address, so that when two accounts claim one
    address, which claim wins does not depend on how the units are batched: an account's
    own address is taken before another account's additional one. Units carry batch
    writers, so the pipeline writes them a batch at a time.
    """
    missing = _MissingBadges(report)
    users, emails_, badges, groups = (
        _UserWriter(),
        _EmailWriter(pipeline),
        _BadgeWriter(pipeline),
        _GroupWriter(pipeline, missing),
    )
    for row in _stream(source, sa.select(schema.user).order_by(schema.user.c.id)):
        key, label = f"user:{row['id']}", str(row["email"])
        yield Unit("users", key, _user_importer(row), label, users, row)
    with_more = sa.or_(
        schema.user.c.additional_email_1.is_not(None),
        schema.user.c.additional_email_2.is_not(None),
    )
    query = sa.select(schema.user).where(with_more).order_by(schema.user.c.id)
    for row in _stream(source, query):
        for slot in (1, 2):
            address = row[f"additional_email_{slot}"]
            if address:
                verified = bool(row[f"additional_email_{slot}_is_verified"])
                key = f"user:{row['id']}:email:{slot}"
                apply = _email_importer(pipeline, row["id"], address, verified)
                record = (row["id"], str(address), verified)
                yield Unit("emails", key, apply, str(address), emails_, record)
    owners = _Owners(pipeline)
    query = sa.select(schema.badge, schema.badge_image.c.image_data).outerjoin(
        schema.badge_image, schema.badge_image.c.badge_hash == schema.badge.c.body_hash
    )
    for row in _stream(source, query.order_by(schema.badge.c.user_id, schema.badge.c.id)):
        label = str(row["endpoint"] or row["body_hash"] or row["id"])
        apply = _badge_importer(owners, row)
        yield Unit("badges", f"badge:{row['id']}", apply, label, badges, row)
    query = sa.select(
        schema.group,
        schema.portfolio.c.title,
        schema.portfolio.c.subtitle,
        schema.portfolio.c.preamble,
        schema.portfolio.c.stories,
    ).outerjoin(schema.portfolio, schema.portfolio.c.group_id == schema.group.c.id)
    for row in _stream(source, query.order_by(schema.group.c.id)):
        apply = _group_importer(owners, row, missing)
        yield Unit("collections", f"group:{row['id']}", apply, str(row["name"]), groups, row)


def _stream(source: sa.Engine, query: sa.Select[Any]) -> Iterator[Row]:
    with source.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(
            query
        )
        for row in result:
            yield row._mapping


class _MissingBadges:
    """Counts badges listed in groups that are not here, and says so in the report's notes."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.count = 0
        self.note: str | None = None

    def add(self, count: int) -> None:
        """Count more (or, for a batch that was undone, fewer) missing badges."""
        self.count += count
        if self.note is not None:
            self.report.notes.remove(self.note)
            self.note = None
        if self.count > 0:
            self.note = (
                f"{self.count} badge(s) listed in groups were deleted or not imported; "
                "their collections hold the others."
            )
            self.report.notes.append(self.note)


class _Owners:
    """Our user for a Mozilla user id; badges come ordered by owner, so one is remembered."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.last: tuple[int, int | None] | None = None

    def user(self, mozilla_id: int) -> User:
        if self.last is None or self.last[0] != mozilla_id:
            self.last = (mozilla_id, self.pipeline.target("users", f"user:{mozilla_id}"))
        user = db.session.get(User, self.last[1]) if self.last[1] is not None else None
        if user is None:
            raise RecordRefused(f"its owner (Mozilla user {mozilla_id}) was not imported")
        return user


def _text(value: object) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise RecordRefused("one of its stored texts is not UTF-8") from None
    return "" if value is None else str(value)


def _millis(value: object) -> datetime | None:
    """A Mozilla time (milliseconds since 1970); None when absent or out of any calendar."""
    if isinstance(value, int) and value > 0:
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _account(row: Row) -> accounts.ImportedAccount:
    name = " ".join(_text(row[k]).strip() for k in ("first_name", "last_name")).strip()
    return accounts.ImportedAccount(
        _text(row["email"]),
        _text(row["password"]),
        name=name,
        verified=bool(row["email_is_verified"]),
        created_at=_millis(row["created_at"]),
    )


def _user_importer(row: Row) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        account = _account(row)
        try:
            user = accounts.import_account(
                account.email,
                account.password_hash,
                name=account.name,
                verified=account.verified,
                created_at=account.created_at,
            )
        except ServiceError as exc:
            raise RecordRefused(f"{row['email']}: {exc.message}") from exc
        return Outcome(user.id)

    return apply


def _email_importer(
    pipeline: Pipeline, mozilla_id: int, address: str, verified: bool
) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        user = _Owners(pipeline).user(mozilla_id)
        if any(e.normalised == emails.normalise_address(address) for e in user.emails):
            return Outcome(None, created=False)
        try:
            email = emails.add_email(user, address, send=False)
            if verified:
                emails.mark_verified(email)
        except ServiceError as exc:
            raise RecordRefused(f"{address}: {exc.message}") from exc
        return Outcome(email.id)

    return apply


def _unchecked(row: Row, user_id: int) -> UncheckedBadge:
    """What the intake needs of a stored Mozilla badge; RecordRefused if unreadable."""
    try:
        body = _text(row["body"])
    except UnicodeDecodeError:
        raise RecordRefused("its stored body is not UTF-8 text") from None
    signature = _text(row["signature"])
    image = None
    if row["image_data"]:
        try:
            image = base64.b64decode(row["image_data"], validate=False)
        except (binascii.Error, ValueError):
            image = None  # a badge is never refused for its picture
    validated = row["validated_on"]
    if isinstance(validated, datetime) and validated.tzinfo is None:
        validated = validated.replace(tzinfo=UTC)
    return UncheckedBadge(
        user_id,
        signature or body,
        described_by=body if signature else None,
        hosted_url=_text(row["endpoint"]) or None,
        image=image,
        checked_at=validated if isinstance(validated, datetime) else None,
    )


def _badge_importer(owners: _Owners, row: Row) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        user = owners.user(row["user_id"])
        stored = _unchecked(row, user.id)
        received = receive_unchecked(
            user,
            stored.payload,
            described_by=stored.described_by,
            hosted_url=stored.hosted_url,
            image=stored.image,
            checked_at=stored.checked_at,
        )
        badge = received.badge
        public_path = _text(row["public_path"])
        if public_path and received.created and badge.status == "accepted":
            # Shared on Mozilla: it stays shared, and its old link leads to it.
            sharing.share_badge(badge, None)
            legacy_links.remember_link(
                owners.pipeline.scope, legacy_links.BADGE, public_path, badge.id
            )
        return Outcome(badge.id, created=received.created, pending=received.pending)

    return apply


def _json(value: object, kind: type, what: str) -> Any:
    if value is None or value == b"" or value == "":
        return kind()
    try:
        document = json.loads(value if isinstance(value, str | bytes) else str(value))
    except (ValueError, UnicodeDecodeError):
        raise RecordRefused(f"its {what} are not JSON") from None
    if not isinstance(document, kind):
        raise RecordRefused(f"its {what} are not a JSON {kind.__name__}")
    return document


def _group_texts(row: Row) -> tuple[str, str]:
    """A group's collection name and description (its portfolio's title, subtitle, preamble)."""
    parts = (_text(row[k]).strip() for k in ("title", "subtitle", "preamble"))
    description = "\n\n".join(p for p in parts if p)[:2000]
    return _text(row["name"]).strip()[:100] or "Untitled collection", description


def _group_importer(owners: _Owners, row: Row, missing: _MissingBadges) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        user = owners.user(row["user_id"])
        listed = _json(row["badges"], list, "badges")
        stories = _json(row["stories"], dict, "portfolio stories")
        name, description = _group_texts(row)
        try:
            collection = collections.create_collection(user, name, description)
        except ServiceError as exc:
            raise RecordRefused(exc.message) from exc
        ours: dict[str, int] = {}
        for mozilla_id in listed:
            target = owners.pipeline.target("badges", f"badge:{mozilla_id}")
            if target is None:
                missing.add(1)
            else:
                ours[str(mozilla_id)] = target
        owned = collections.collectable_badges(list(ours.values()))
        accepted = [i for i in ours.values() if owned.get(i) == user.id]
        if accepted:
            collections.add_badges(collection, accepted)
        for mozilla_id, story in stories.items():
            if str(mozilla_id) in ours and isinstance(story, str) and story.strip():
                collections.set_story(collection, ours[str(mozilla_id)], story[:5000])
        if row["public"]:
            sharing.publish_collection(collection)
        if row["url"]:
            scope = owners.pipeline.scope
            legacy_links.remember_link(
                scope, legacy_links.COLLECTION, _text(row["url"]), collection.id
            )
        return Outcome(collection.id)

    return apply


# Batch writers: the same work as the importers above, a batch of units at a time.

Results = list[Outcome | ImporterError]


def _owner_ids(pipeline: Pipeline, mozilla_ids: Iterable[object]) -> dict[object, int]:
    """Our user id for each Mozilla user id that was imported."""
    keys = {f"user:{mozilla_id}": mozilla_id for mozilla_id in mozilla_ids}
    found = pipeline.targets("users", keys)
    # An account imported earlier may have been deleted since: its records stay behind.
    ids = [target for target in found.values() if target is not None]
    present = set(db.session.scalars(sa.select(User.id).where(User.id.in_(ids)))) if ids else set()
    return {keys[key]: target for key, target in found.items() if target in present}


def _not_imported(mozilla_id: object) -> RecordRefused:
    return RecordRefused(f"its owner (Mozilla user {mozilla_id}) was not imported")


class _UserWriter:
    def write(self, units: Sequence[Unit]) -> Results:
        results = accounts.import_accounts([_account(unit.record) for unit in units])
        return [
            Outcome(result)
            if isinstance(result, int)
            else RecordRefused(f"{unit.record['email']}: {result.message}")
            for unit, result in zip(units, results, strict=True)
        ]

    def rollback(self) -> None:
        pass


class _EmailWriter:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def write(self, units: Sequence[Unit]) -> Results:
        owners = _owner_ids(self.pipeline, (unit.record[0] for unit in units))
        results: list[Outcome | ImporterError | None] = []
        wanted: list[emails.NewAddress] = []
        for unit in units:
            mozilla_id, address, verified = unit.record
            if mozilla_id in owners:
                results.append(None)
                wanted.append(emails.NewAddress(owners[mozilla_id], address, verified))
            else:
                results.append(_not_imported(mozilla_id))
        added = iter(emails.import_addresses(wanted))
        for index, unit in enumerate(units):
            if results[index] is None:
                result = next(added)
                results[index] = (
                    RecordRefused(f"{unit.record[1]}: {result.message}")
                    if isinstance(result, ServiceError)
                    else Outcome(result, created=result is not None)
                )
        return [result for result in results if result is not None]

    def rollback(self) -> None:
        pass


class _BadgeWriter:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def write(self, units: Sequence[Unit]) -> Results:
        owners = _owner_ids(self.pipeline, (unit.record["user_id"] for unit in units))
        results: list[Outcome | ImporterError | None] = []
        wanted: list[UncheckedBadge] = []
        for unit in units:
            mozilla_id = unit.record["user_id"]
            try:
                if mozilla_id not in owners:
                    raise _not_imported(mozilla_id)
                wanted.append(_unchecked(unit.record, owners[mozilla_id]))
            except RecordRefused as exc:
                results.append(exc)
            else:
                results.append(None)
        stored = iter(receive_unchecked_many(wanted, CatalogueIds()))
        shared: list[tuple[str, int]] = []
        for index, unit in enumerate(units):
            if results[index] is not None:
                continue
            badge = next(stored)
            if isinstance(badge, ServiceError):
                results[index] = RecordRefused(badge.message)
                continue
            results[index] = Outcome(badge.badge_id, created=badge.created, pending=badge.pending)
            public_path = _text(unit.record["public_path"])
            if public_path and badge.created and badge.status == "accepted":
                shared.append((public_path, badge.badge_id))
        # Shared on Mozilla: they stay shared, and their old links lead to them.
        sharing.share_badges(badge_id for _, badge_id in shared)
        legacy_links.remember_links(self.pipeline.scope, legacy_links.BADGE, shared)
        return [result for result in results if result is not None]

    def rollback(self) -> None:
        pass


class _GroupWriter:
    def __init__(self, pipeline: Pipeline, missing: _MissingBadges) -> None:
        self.pipeline = pipeline
        self.missing = missing
        self.counted = 0  # missing badges the last batch counted, taken back if it is undone

    def write(self, units: Sequence[Unit]) -> Results:
        self.counted = missing_here = 0
        owners = _owner_ids(self.pipeline, (unit.record["user_id"] for unit in units))
        read: dict[int, tuple[list[Any], dict[str, Any]]] = {}
        results: list[Outcome | ImporterError | None] = []
        for index, unit in enumerate(units):
            try:
                if unit.record["user_id"] not in owners:
                    raise _not_imported(unit.record["user_id"])
                read[index] = (
                    _json(unit.record["badges"], list, "badges"),
                    _json(unit.record["stories"], dict, "portfolio stories"),
                )
            except RecordRefused as exc:
                results.append(exc)
            else:
                results.append(None)
        listed = {f"badge:{m}": m for listed, _ in read.values() for m in listed}
        ours = {
            str(listed[key]): target
            for key, target in self.pipeline.targets("badges", listed).items()
            if target is not None
        }
        accepted = collections.collectable_badges(list(ours.values()))
        wanted: list[collections.ImportedCollection] = []
        for index, (badges, stories) in read.items():
            row = units[index].record
            name, description = _group_texts(row)
            missing_here += sum(1 for m in badges if str(m) not in ours)
            badge_ids = [ours[str(m)] for m in badges if str(m) in ours]
            badge_ids = [b for b in badge_ids if accepted.get(b) == owners[row["user_id"]]]
            told = {
                ours[str(m)]: story[:5000]
                for m, story in stories.items()
                if str(m) in ours and isinstance(story, str) and story.strip()
            }
            wanted.append(
                collections.ImportedCollection(
                    owners[row["user_id"]],
                    name,
                    description,
                    badge_ids,
                    told,
                    published=bool(row["public"]),
                )
            )
        made = iter(collections.import_collections(wanted))
        links: list[tuple[str, int]] = []
        for index, unit in enumerate(units):
            if results[index] is not None:
                continue
            result = next(made)
            if isinstance(result, ServiceError):
                results[index] = RecordRefused(result.message)
                continue
            results[index] = Outcome(result)
            if unit.record["url"]:
                links.append((_text(unit.record["url"]), result))
        legacy_links.remember_links(self.pipeline.scope, legacy_links.COLLECTION, links)
        self.missing.add(missing_here)
        self.counted = missing_here
        return [result for result in results if result is not None]

    def rollback(self) -> None:
        # Its groups are written again one at a time, and counted again there.
        self.missing.add(-self.counted)
        self.counted = 0
