"""Mozilla's Backpack Connect grants (`bpc_session`, mozilla-backpack.md 1.6) as import units.

An issuer site that pushed through Backpack Connect holds the grant's refresh token, and
perhaps a live access token. Each grant comes over with its tokens hashed as this server
hashes its own, so the site goes on pushing without asking the earner again: the refresh
token works at /api/token, the access token until an hour after Mozilla last issued it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from backpack.services import backpack_connect
from backpack.services.errors import ServiceError
from importers.pipeline import ImporterError, Outcome, Pipeline, RecordRefused, Unit

Row = Mapping[str, Any]
# Our user id for each Mozilla user id that was imported (the others are left out).
OwnerIds = Callable[[Pipeline, Iterable[object]], dict[object, int]]
KIND = "connect_grants"


def grant_units(rows: Iterable[Row], pipeline: Pipeline, owner_ids: OwnerIds) -> Iterator[Unit]:
    """A unit for each `bpc_session` row; every account must have been imported before."""
    grants = _GrantWriter(pipeline, owner_ids)
    for row in rows:
        key, label = f"bpc_session:{row['id']}", _plain(row["origin"])
        yield Unit(KIND, key, label=label, writer=grants, record=row)


def _plain(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _issued_at(access_time: object) -> datetime:
    """When Mozilla last issued the access token (unix seconds); long ago if unreadable, so
    that only the refresh token works."""
    if isinstance(access_time, int | float) and access_time > 0:
        try:
            return datetime.fromtimestamp(access_time, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return datetime.fromtimestamp(0, UTC)


def _grant(row: Row, user_id: int) -> backpack_connect.ImportedGrant:
    return backpack_connect.ImportedGrant(
        user_id,
        _plain(row["origin"]),
        _plain(row["access_token"]),
        _plain(row["refresh_token"]),
        _issued_at(row["access_time"]),
        _plain(row["permissions"]),
    )


def _outcome(made: tuple[int, bool] | ServiceError) -> Outcome | ImporterError:
    if isinstance(made, ServiceError):
        return RecordRefused(made.message)
    return Outcome(made[0], created=made[1])


def _not_imported(mozilla_id: object) -> RecordRefused:
    return RecordRefused(f"its owner (Mozilla user {mozilla_id}) was not imported")


class _GrantWriter:
    """Writes a batch of grants through `backpack_connect.import_grants`."""

    def __init__(self, pipeline: Pipeline, owner_ids: OwnerIds) -> None:
        self.pipeline = pipeline
        self.owner_ids = owner_ids

    def write(self, units: Sequence[Unit]) -> list[Outcome | ImporterError]:
        owners = self.owner_ids(self.pipeline, (unit.record["user_id"] for unit in units))
        results: list[Outcome | ImporterError | None] = []
        wanted: list[backpack_connect.ImportedGrant] = []
        for unit in units:
            owner = owners.get(unit.record["user_id"])
            if owner is None:
                results.append(_not_imported(unit.record["user_id"]))
            else:
                results.append(None)
                wanted.append(_grant(unit.record, owner))
        made = iter(backpack_connect.import_grants(wanted))
        return [result if result is not None else _outcome(next(made)) for result in results]

    def rollback(self) -> None:
        pass  # it remembers nothing of a batch
