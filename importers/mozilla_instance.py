"""A whole Mozilla Backpack instance, read from its tables, as import units.

Users come first (each followed by its additional addresses), then badges with their
images, then groups with their portfolios. The source is read through server-side cursors,
a row at a time, so memory stays flat however large the instance is.

Accounts come over as Mozilla treated them (mozilla-backpack.md section 1.1):

- The primary address (`user.email`) is the account's own, verified and primary here,
  whatever `email_is_verified` says. Mozilla added that flag in November 2017 as 0 for every
  account and never read it: log-in, password reset and badge matching trusted the primary.
  So whoever logged in there with an address and password logs in here with the same pair
  (the bcrypt hash is kept), resets the password by mail (how a Persona user, whose
  `password` is NULL, sets one), and finds the badges Mozilla showed accepted; a new sign-up
  with the address is refused as taken. No confirmation mail is sent for these addresses:
  Mozilla never asked their owners for one, and the reset mail already proves the mailbox
  to anyone who claims it. The report counts them (`unconfirmed_primaries_trusted`).
- Additional addresses keep Mozilla's flag, which Mozilla did check before matching them:
  an unconfirmed one comes over unverified, and its badges wait as pending.
- Addresses are taken as Mozilla stored them (`emails.clean_imported_address`): Mozilla's
  check was unanchored and accepted `ivy..dots@example.org`, and its owner logged in with it.
  Only new addresses typed here are held to the strict check.
- A badge Mozilla showed stays its Mozilla owner's, accepted, even when its address
  (`awarded_to_email_address`) is verified on another account here, which this one then
  can never verify; the report counts them (`badges_address_on_another_account`).
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import User
from backpack.services import accounts, collections, emails, legacy_links, sharing
from backpack.services.badge_intake import BadgeRefused
from backpack.services.bulk_intake import StoredBadge, UncheckedBadge, receive_unchecked_many
from backpack.services.bulk_rows import among
from backpack.services.errors import ServiceError
from backpack.services.row_ids import CatalogueIds
from importers import mozilla_grants
from importers import mozilla_schema as schema
from importers.pipeline import ImporterError, Outcome, Pipeline, RecordRefused, Unit
from importers.report import ADDRESS_ELSEWHERE, UNCONFIRMED_PRIMARY

Row = Mapping[str, Any]
STREAM_ROWS = 500
# Who checked a badge on its `validated_on` date, as the badge's page names it.
MOZILLA_BACKPACK = "Mozilla Backpack"


def count_units(source: sa.Engine) -> int:
    """Roughly how many units the instance holds (for the progress bar)."""
    tables = [schema.user, schema.badge, schema.group]
    if sa.inspect(source).has_table(schema.bpc_session.name):
        tables.append(schema.bpc_session)
    with source.connect() as connection:
        return sum(
            connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in tables
        )


@dataclass(frozen=True)
class Shard:
    """One of `count` parts of an instance, which separate processes import side by side.

    Accounts are parted by address, so that every claim to one address lands in one part,
    in the order of the source, and the same claim wins however many parts there are.
    Badges and groups are parted by owner, so parts share no owner."""

    index: int
    count: int

    def holds(self, user_id: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
        """Whether a row owned by this Mozilla user id is in this part (as SQL). A row with
        no owner is in the first part, where it is refused for that reason."""
        if self.count == 1:
            return sa.true()
        owner = sa.func.coalesce(sa.func.abs(user_id), 0)
        return owner % self.count == self.index

    def takes(self, address: object) -> bool:
        """Whether a claim to this address is in this part."""
        if self.count == 1:
            return True
        text = address.decode("utf-8", "replace") if isinstance(address, bytes) else str(address)
        return zlib.crc32(emails.normalise_address(text).encode()) % self.count == self.index


EVERYTHING = Shard(0, 1)


def instance_units(source: sa.Engine, pipeline: Pipeline) -> Iterator[Unit]:
    """Every unit of the instance, in the order their dependencies need (one process)."""
    for part in PARTS:
        yield from part(source, pipeline, EVERYTHING)


# The parts of an import, in order: each needs the one before it complete, in all shards.
# Every account comes before any additional address, so that when two accounts claim one
# address, which claim wins does not depend on how the units are batched or sharded: an
# account's own address is taken before another account's additional one.


def user_units(source: sa.Engine, pipeline: Pipeline, shard: Shard) -> Iterator[Unit]:
    """The accounts whose own address is in `shard`, written a batch at a time."""
    users = _UserWriter()
    for row in _stream(source, sa.select(schema.user).order_by(schema.user.c.id)):
        if shard.takes(row["email"]):
            key, label = f"user:{row['id']}", str(row["email"])
            yield Unit("users", key, label=label, writer=users, record=row)


def email_units(source: sa.Engine, pipeline: Pipeline, shard: Shard) -> Iterator[Unit]:
    """The additional addresses in `shard`; every account must have been imported before."""
    emails_ = _EmailWriter(pipeline)
    with_more = sa.or_(
        schema.user.c.additional_email_1.is_not(None),
        schema.user.c.additional_email_2.is_not(None),
    )
    query = sa.select(schema.user).where(with_more).order_by(schema.user.c.id)
    for row in _stream(source, query):
        for slot in (1, 2):
            address = row[f"additional_email_{slot}"]
            if address and shard.takes(address):
                verified = bool(row[f"additional_email_{slot}_is_verified"])
                key = f"user:{row['id']}:email:{slot}"
                record = (row["id"], str(address), verified)
                yield Unit("emails", key, label=str(address), writer=emails_, record=record)


def owned_units(source: sa.Engine, pipeline: Pipeline, shard: Shard) -> Iterator[Unit]:
    """The badges (with their images), then the groups (with their portfolios), then the
    Backpack Connect grants, of the accounts in `shard`; every account must have been
    imported before."""
    badges, groups = _BadgeWriter(pipeline), _GroupWriter(pipeline)
    query = (
        sa.select(schema.badge, schema.badge_image.c.image_data)
        .outerjoin(schema.badge_image, schema.badge_image.c.badge_hash == schema.badge.c.body_hash)
        .where(shard.holds(schema.badge.c.user_id))
    )
    # In the order they are stored: sorting a table of bodies by owner costs the source a
    # sort on disk; batches look their owners up all at once anyway.
    for row in _stream(source, query.order_by(schema.badge.c.id)):
        label = str(row["endpoint"] or row["body_hash"] or row["id"])
        yield Unit("badges", f"badge:{row['id']}", label=label, writer=badges, record=row)
    for group in _groups_with_portfolios(source, shard):
        key, label = f"group:{group['id']}", str(group["name"])
        yield Unit("collections", key, label=label, writer=groups, record=group)
    if sa.inspect(source).has_table(schema.bpc_session.name):
        sessions = sa.select(schema.bpc_session).where(shard.holds(schema.bpc_session.c.user_id))
        rows = _stream(source, sessions.order_by(schema.bpc_session.c.id))
        yield from mozilla_grants.grant_units(rows, pipeline, _owner_ids)


PORTFOLIO_TEXTS = ("title", "subtitle", "preamble", "stories")


def _groups_with_portfolios(source: sa.Engine, shard: Shard) -> Iterator[dict[str, Any]]:
    """Each group of the shard with its portfolio's texts (None where it has none).

    Merged here from two ordered reads rather than joined by the source: Mozilla's
    `portfolio.group_id` need not be indexed, and a join without that index compares every
    group with every portfolio (fifty thousand groups took the source 20 s of CPU).

    Mozilla inserted a new portfolio row at every edit of a group's portfolio and showed the
    newest (highest id), so a group with several takes its newest: each group's portfolios
    come newest first, and the merge takes the first of them.
    """
    groups = sa.select(schema.group).where(shard.holds(schema.group.c.user_id))
    texts = [schema.portfolio.c[name] for name in PORTFOLIO_TEXTS]
    portfolios = _stream(
        source,
        sa.select(schema.portfolio.c.group_id, *texts)
        .where(schema.portfolio.c.group_id.is_not(None))
        .order_by(schema.portfolio.c.group_id, schema.portfolio.c.id.desc()),
    )
    portfolio = next(portfolios, None)
    for group in _stream(source, groups.order_by(schema.group.c.id)):
        while portfolio is not None and portfolio["group_id"] < group["id"]:
            portfolio = next(portfolios, None)
        row = dict(group)
        if portfolio is not None and portfolio["group_id"] == group["id"]:
            row |= {name: portfolio[name] for name in PORTFOLIO_TEXTS}
        else:
            row |= dict.fromkeys(PORTFOLIO_TEXTS)
        yield row


Part = Callable[[sa.Engine, Pipeline, Shard], Iterator[Unit]]
PARTS: tuple[Part, ...] = (user_units, email_units, owned_units)


def _stream(source: sa.Engine, query: sa.Select[Any]) -> Iterator[Row]:
    with source.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(
            query
        )
        for row in result:
            yield cast("Row", row._mapping)


def _text(value: object) -> str:
    """A stored text as a string; RecordRefused when it is not UTF-8, or holds a NUL
    character (which PostgreSQL cannot store, and which no address, hash or link holds)."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise RecordRefused("one of its stored texts is not UTF-8") from None
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise RecordRefused("one of its stored texts holds a NUL character")
    return text


def _words(value: object) -> str:
    """A stored name or story: NUL characters, which carry nothing there, are dropped."""
    if isinstance(value, str):
        value = value.replace("\x00", "")
    elif isinstance(value, bytes):
        value = value.replace(b"\x00", b"")
    return _text(value)


def _typed_name(value: object) -> str:
    """A name someone typed into a Mozilla form. Some versions stored these HTML-escaped
    (mozilla-backpack.md 1.1): it is unescaped once, so `&amp;lt;` comes back as the `&lt;`
    that was typed."""
    return html.unescape(_words(value)).strip()


def _millis(value: object) -> datetime | None:
    """A Mozilla time (milliseconds since 1970); None when absent or out of any calendar."""
    if isinstance(value, int) and value > 0:
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _account(row: Row) -> accounts.ImportedAccount:
    parts = (_typed_name(row[k]) for k in ("first_name", "last_name"))
    name = " ".join(parts).strip()
    return accounts.ImportedAccount(
        _text(row["email"]),
        _text(row["password"]),  # NULL (a Persona user who never set one): reset by mail
        name=name,
        # The account's own address, whatever `email_is_verified` says (module docstring).
        verified=True,
        created_at=_millis(row["created_at"]),
    )


def _account_marks(row: Row) -> tuple[str, ...]:
    """The special cases the report counts for an imported account."""
    return () if row["email_is_verified"] else (UNCONFIRMED_PRIMARY,)


def _unchecked(row: Row, user_id: int) -> UncheckedBadge:
    """What the intake needs of a stored Mozilla badge; RecordRefused if unreadable."""
    body = _text(row["body"])
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
        awarded_to=_address(row["awarded_to_email_address"]),
        checked_by=MOZILLA_BACKPACK,
    )


def _address(value: object) -> str | None:
    """A stored address, or None when it is none or unreadable (it only adds a match)."""
    try:
        return _text(value) or None
    except RecordRefused:
        return None


def _badge_marks(address_elsewhere: bool) -> tuple[str, ...]:
    return (ADDRESS_ELSEWHERE,) if address_elsewhere else ()


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
    """A group's collection name and description (its portfolio's title, subtitle, preamble).

    The name is unescaped as every typed name is. Portfolio texts were stored as typed
    (`createOrUpdate` saves the form as it came and escapes only when showing it), so they
    are taken as they are."""
    parts = (_words(row[k]).strip() for k in ("title", "subtitle", "preamble"))
    description = "\n\n".join(p for p in parts if p)[:2000]
    return _typed_name(row["name"])[:100] or "Untitled collection", description


def _collection_of(
    row: Row,
    owner: int,
    listed: list[Any],
    stories: dict[str, Any],
    found: tuple[Mapping[str, int], Mapping[int, int]],
) -> tuple[collections.ImportedCollection, int]:
    """The collection a group becomes, and how many of its badges were deleted or not
    imported. `found` is our badge id for each imported Mozilla badge id (as text), and the
    owner of each of ours.

    Every member stays in its place with its story, pending or not: until it is accepted,
    visitors do not see it, and then it appears where Mozilla showed it. Badge ids of other
    users are left out, as Mozilla's own query left them out."""
    ours, owned = found
    members = [ours[str(m)] for m in listed if owned.get(ours.get(str(m), 0)) == owner]
    told = {
        ours[str(m)]: story[:5000]
        for m, story in stories.items()
        if str(m) in ours and isinstance(story, str) and story.strip()
    }
    name, description = _group_texts(row)
    missing = sum(1 for m in listed if str(m) not in ours)
    wanted = collections.ImportedCollection(
        owner, name, description, members, told, published=bool(row["public"])
    )
    return wanted, missing


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


# Batch writers: each kind of unit written a batch at a time (a failed batch, as batches of one).

Results = list[Outcome | ImporterError]


def _owner_ids(pipeline: Pipeline, mozilla_ids: Iterable[object]) -> dict[object, int]:
    """Our user id for each Mozilla user id that was imported."""
    keys = {f"user:{mozilla_id}": mozilla_id for mozilla_id in mozilla_ids}
    found = pipeline.targets("users", keys)
    # An account imported earlier may have been deleted since: its records stay behind.
    ids = [target for target in found.values() if target is not None]
    present = (
        set(db.session.scalars(sa.select(User.id).where(among(User.id, ids)))) if ids else set()
    )
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


class _UserWriter(_StatelessWriter):
    def write(self, units: Sequence[Unit]) -> Results:
        def result(unit: Unit, made: int | ServiceError) -> Outcome | ImporterError:
            if isinstance(made, ServiceError):
                return RecordRefused(f"{unit.record['email']}: {made.message}")
            return Outcome(made, marks=_account_marks(unit.record))

        refused, wanted = _prepared(units, lambda unit: _account(unit.record))
        return _merged(units, refused, accounts.import_accounts(wanted), result)


class _EmailWriter(_StatelessWriter):
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def write(self, units: Sequence[Unit]) -> Results:
        owners = _owner_ids(self.pipeline, (unit.record[0] for unit in units))

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


class _BadgeWriter(_StatelessWriter):
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def write(self, units: Sequence[Unit]) -> Results:
        owners = _owner_ids(self.pipeline, (unit.record["user_id"] for unit in units))
        shared: list[tuple[str, int]] = []
        pictured: list[tuple[str, int]] = []

        public_paths: dict[str, tuple[str, str]] = {}

        def prepare(unit: Unit) -> UncheckedBadge:
            mozilla_id = unit.record["user_id"]
            if mozilla_id not in owners:
                raise _not_imported(mozilla_id)
            paths = (_text(unit.record["public_path"]), _text(unit.record["body_hash"]))
            public_paths[unit.key] = paths
            return _unchecked(unit.record, owners[mozilla_id])

        def result(unit: Unit, badge: StoredBadge | BadgeRefused) -> Outcome | ImporterError:
            if isinstance(badge, ServiceError):
                return RecordRefused(badge.message)
            public_path, body_hash = public_paths[unit.key]
            if public_path and badge.created and badge.status == "accepted":
                shared.append((public_path, badge.badge_id))
            if body_hash:
                pictured.append((body_hash, badge.badge_id))
            marks = _badge_marks(badge.address_elsewhere)
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


class _GroupWriter:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.counted = 0  # missing badges the last batch counted, taken back if it is undone

    def write(self, units: Sequence[Unit]) -> Results:
        self.counted = missing = 0
        owners = _owner_ids(self.pipeline, (unit.record["user_id"] for unit in units))

        urls: dict[str, str] = {}

        def prepare(unit: Unit) -> tuple[Row, int, list[Any], dict[str, Any]]:
            row = unit.record
            if row["user_id"] not in owners:
                raise _not_imported(row["user_id"])
            urls[unit.key] = _text(row["url"])
            badges = _json(row["badges"], list, "badges")
            return (
                row,
                owners[row["user_id"]],
                badges,
                _json(row["stories"], dict, "portfolio stories"),
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
            collection, absent = _collection_of(row, owner, badges, stories, found)
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
