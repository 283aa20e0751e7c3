"""The one import pipeline: a source yields units, each written through the services.

Every unit (a user, an email, a badge, a collection) runs in its own savepoint together with
the record of its source key, so it lands whole or not at all. Work is committed every
`batch` units: a crash loses at most that uncommitted tail, which is not recorded either,
so running the import again redoes exactly it. Units already recorded are skipped, which
makes a second run change nothing. A dry run does all the work and then rolls it back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import ImportedRecord
from backpack.openbadges.errors import OpenBadgesError
from backpack.services.errors import ServiceError
from importers.report import ImportReport

log = logging.getLogger(__name__)


class ImporterError(Exception):
    """Base of the importers' errors; `message` is for the person running the import."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SourceUnreadable(ImporterError):
    """The source as a whole cannot be read (not a ZIP, no such file, bad database URL)."""


class RecordRefused(ImporterError):
    """One record of the source cannot be imported; the others go on."""


@dataclass(frozen=True)
class Outcome:
    """What a unit became: the id of the row here, and whether it was new."""

    target_id: int | None
    created: bool = True
    pending: bool = False


@dataclass(frozen=True)
class Unit:
    """One record of a source and how to write it."""

    kind: str  # users, emails, badges, collections
    key: str  # its identity in the source
    apply: Callable[[], Outcome]
    label: str = ""


@dataclass(frozen=True)
class SourceFailure:
    """A record the source itself could not turn into a unit (unreadable, refused)."""

    kind: str
    key: str
    reason: str
    label: str = ""


class Pipeline:
    """Runs the units of one source into the database, once each."""

    def __init__(
        self,
        scope: str,
        report: ImportReport,
        *,
        batch: int = 100,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.scope = scope[:300]
        self.report = report
        self.batch = max(1, batch)
        self.progress = progress
        self._since_commit = 0

    def run(self, units: Iterable[Unit | SourceFailure]) -> ImportReport:
        """Write every unit; return the report. A dry run leaves the database untouched."""
        try:
            for unit in units:
                if isinstance(unit, SourceFailure):
                    self.report.fail(unit.kind, unit.key, unit.reason, unit.label)
                else:
                    self._step(unit)
                if self.progress is not None:
                    self.progress(1)
            self._commit()
        finally:
            if self.report.dry_run:
                db.session.rollback()
            self.report.close()
        return self.report

    def target(self, kind: str, key: str) -> int | None:
        """The id of what a source record became, if it was imported (in any run)."""
        return db.session.scalar(
            sa.select(ImportedRecord.target_id).where(
                ImportedRecord.scope == self.scope,
                ImportedRecord.kind == kind,
                ImportedRecord.key == key[:255],
            )
        )

    def is_done(self, kind: str, key: str) -> bool:
        """Whether a source record was imported already."""
        return (
            db.session.scalar(
                sa.select(ImportedRecord.id).where(
                    ImportedRecord.scope == self.scope,
                    ImportedRecord.kind == kind,
                    ImportedRecord.key == key[:255],
                )
            )
            is not None
        )

    def _step(self, unit: Unit) -> None:
        if self.is_done(unit.kind, unit.key):
            self.report.skipped[unit.kind] += 1
            return
        _open_transaction()
        try:
            with db.session.begin_nested():
                outcome = unit.apply()
                db.session.add(
                    ImportedRecord(
                        scope=self.scope,
                        kind=unit.kind,
                        key=unit.key[:255],
                        target_id=outcome.target_id,
                    )
                )
                db.session.flush()
        except (ImporterError, ServiceError, OpenBadgesError) as exc:
            self.report.fail(unit.kind, unit.key, exc.message, unit.label)
            return
        except Exception:
            # A bug must not stop a long import: the record is listed and the rest goes on.
            log.exception("Import of %s %s failed unexpectedly", unit.kind, unit.key)
            self.report.fail(unit.kind, unit.key, "an internal error (logged)", unit.label)
            return
        counter = self.report.imported if outcome.created else self.report.skipped
        counter[unit.kind] += 1
        if outcome.pending:
            self.report.pending_badges += 1
        self._since_commit += 1
        if self._since_commit >= self.batch:
            self._commit()

    def _commit(self) -> None:
        self._since_commit = 0
        if self.report.dry_run:
            db.session.flush()
            db.session.expunge_all()  # keeps a long dry run's memory bounded
        else:
            db.session.commit()


def _open_transaction() -> None:
    # pysqlite opens its transaction lazily, at the first write: a SAVEPOINT issued before
    # that starts one of its own, and releasing it would commit the unit (even in a dry run).
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not getattr(raw, "in_transaction", True):
            connection.exec_driver_sql("BEGIN")
