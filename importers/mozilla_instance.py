"""A whole Mozilla Backpack instance, read from its tables, as import units.

Users come first (each followed by its additional addresses), then badges with their
images, then groups with their portfolios. The source is read through server-side cursors,
a row at a time, so memory stays flat however large the instance is.

How each stored record is read is `importers.mozilla_records`; how a batch of units is
written, `importers.mozilla_writers`.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa

from backpack.services import emails
from importers import mozilla_grants, mozilla_writers
from importers import mozilla_schema as schema
from importers.pipeline import Pipeline, Unit

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


# The parts of an import, in order: each needs the one before it complete, in all shards.
# Every account comes before any additional address, so that when two accounts claim one
# address, which claim wins does not depend on how the units are batched or sharded: an
# account's own address is taken before another account's additional one.


def user_units(source: sa.Engine, pipeline: Pipeline, shard: Shard) -> Iterator[Unit]:
    """The accounts whose own address is in `shard`, written a batch at a time."""
    users = mozilla_writers.UserWriter()
    for row in _stream(source, sa.select(schema.user).order_by(schema.user.c.id)):
        if shard.takes(row["email"]):
            key, label = f"user:{row['id']}", str(row["email"])
            yield Unit("users", key, label=label, writer=users, record=row)


def email_units(source: sa.Engine, pipeline: Pipeline, shard: Shard) -> Iterator[Unit]:
    """The additional addresses in `shard`; every account must have been imported before."""
    emails_ = mozilla_writers.EmailWriter(pipeline)
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
    badges, groups = mozilla_writers.BadgeWriter(pipeline), mozilla_writers.GroupWriter(pipeline)
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
        yield from mozilla_grants.grant_units(rows, pipeline, mozilla_writers.owner_ids)


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
