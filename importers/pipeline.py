"""The one import pipeline: a source yields units, each written through the services.

Every unit (a user, an email, a badge, a collection) lands together with the record of its
source key, whole or not at all. Work is committed every `batch` units: a crash loses at
most that uncommitted tail, which is not recorded either, so running the import again redoes
exactly it. Units already recorded are skipped, which makes a second run change nothing. A
dry run does all the work and then rolls it back.

A unit is written one of two ways. A source that gives it a `writer` has it written in a
batch: consecutive units sharing one writer are handed over together, so that the services
can look up and insert a few hundred rows in a handful of statements instead of a dozen
statements each (a whole Mozilla instance is millions of rows). The writer refuses a bad unit
without writing it; if the batch as a whole fails in the database (a row another worker or
request raced in), its savepoint is rolled back and the batch tried once more, which then
finds that row; if it fails again, each of its units is handed to the same writer as a batch
of one, so one bad record never costs others. A unit without a writer (the small sources:
an export, a ZIP) has its own `apply`, run in a savepoint of its own.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from backpack.database.planner_statistics import StatisticsKeeper
from backpack.extensions import db
from backpack.openbadges import OpenBadgesError
from backpack.services import imported_records
from backpack.services.errors import ServiceError
from backpack.tasks import queue_badge_checks
from importers.report import ImportReport

log = logging.getLogger(__name__)
# How often a batch is tried as a whole before its units are written as batches of one.
BATCH_ATTEMPTS = 2


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
    # Special cases the report counts by name when the unit is new (`report.MARKS`).
    marks: tuple[str, ...] = ()


class BatchWriter(Protocol):
    """Writes many units of one kind at once, through the services' bulk functions."""

    def write(self, units: Sequence[Unit]) -> list[Outcome | ImporterError]:
        """Write every unit it can; refuse the others (returned in their place) unwritten."""

    def rollback(self) -> None:
        """The last batch was undone: forget any row ids it remembered from it."""


@dataclass(frozen=True)
class Unit:
    """One record of a source and how to write it: by its `writer` (with its neighbours,
    reading `record`), or, for a source without one, by its own `apply`."""

    kind: str  # users, emails, badges, collections
    key: str  # its identity in the source
    apply: Callable[[], Outcome] | None = None
    label: str = ""
    writer: BatchWriter | None = None
    record: Any = None


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
        self._written: Counter[str] = Counter()
        self._pending: list[Unit] = []
        # Who refreshes the planner statistics as tables grow (None: someone else does).
        self.statistics: StatisticsKeeper | None = StatisticsKeeper()
        # Whether finishing queues the checks of the imported badges (False: someone else does).
        self.queues_checks = True

    def run(self, units: Iterable[Unit | SourceFailure]) -> ImportReport:
        """Write every unit; return the report. A dry run leaves the database untouched."""
        try:
            self.write(units)
        finally:
            self.finish()
        return self.report

    def write(self, units: Iterable[Unit | SourceFailure]) -> None:
        """Write every unit and commit (a dry run only flushes); more may follow."""
        for unit in units:
            if isinstance(unit, SourceFailure):
                self.report.fail(unit.kind, unit.key, unit.reason, unit.label)
                self._advance(1)
            elif unit.writer is None:
                self._write_pending()
                self._step(unit)
                self._advance(1)
            else:
                if self._pending and self._pending[0].writer is not unit.writer:
                    self._write_pending()
                self._pending.append(unit)
                if len(self._pending) >= self.batch:
                    self._write_pending()
        self._write_pending()
        self._commit()

    def finish(self) -> None:
        """The import is over: undo a dry run, or have the badges it holds checked with their
        issuers in the background (those it found from an earlier run too: that run may
        have stopped before queueing them); and close the report."""
        if self.report.dry_run:
            db.session.rollback()
        elif self.queues_checks and (
            self.report.imported["badges"] or self.report.skipped["badges"]
        ):
            queue_badge_checks()
        self.report.close()

    def target(self, kind: str, key: str) -> int | None:
        """The id of what a source record became, if it was imported (in any run)."""
        return self.targets(kind, [key]).get(imported_records.kept_key(key))

    def targets(self, kind: str, keys: Iterable[str]) -> dict[str, int | None]:
        """What each of these source records became, for those imported (in any run)."""
        return imported_records.imported_targets(self.scope, kind, keys)

    def is_done(self, kind: str, key: str) -> bool:
        """Whether a source record was imported already."""
        return imported_records.kept_key(key) in self.targets(kind, [key])

    def _step(self, unit: Unit) -> None:
        if self.is_done(unit.kind, unit.key):
            self.report.skipped[unit.kind] += 1
            return
        assert unit.apply is not None, "a unit without a writer brings its own apply"
        _open_transaction()
        try:
            with db.session.begin_nested():
                outcome = unit.apply()
                imported_records.remember_imported(
                    self.scope, unit.kind, unit.key, outcome.target_id
                )
        except Exception as exc:
            self._fail(unit, exc)
            return
        self._count(unit.kind, outcome)
        if self._since_commit >= self.batch:
            self._commit()

    def _count(self, kind: str, outcome: Outcome) -> None:
        """Count a unit written (or found there already) in the report and the batch."""
        counter = self.report.imported if outcome.created else self.report.skipped
        counter[kind] += 1
        if outcome.pending:
            self.report.pending_badges += 1
        if outcome.created:
            self.report.marked.update(outcome.marks)
        self._written[kind] += 1
        self._since_commit += 1

    def _advance(self, steps: int) -> None:
        if self.progress is not None:
            self.progress(steps)

    def _write_pending(self) -> None:
        """Write the waiting batch: one lookup of what is done, one writer call, one insert
        of the source records, all in one savepoint."""
        units, self._pending = self._pending, []
        if not units:
            return
        kind, writer = units[0].kind, units[0].writer
        assert writer is not None
        done = self.targets(kind, (unit.key for unit in units))
        todo: list[Unit] = []
        for unit in units:
            key = imported_records.kept_key(unit.key)
            if key in done:
                self.report.skipped[kind] += 1
            else:
                done[key] = None  # a key twice in one source is written once
                todo.append(unit)
        if todo:
            results = self._write_batch(writer, todo)
            if results is None:
                # Rare (a constraint the writer could not foresee): each unit on its own.
                log.info("A batch of %d %s is written one at a time", len(todo), kind)
                for unit in todo:
                    self._write_alone(writer, unit)
            else:
                self._tally(todo, results)
        self._advance(len(units))

    def _write_batch(
        self, writer: BatchWriter, units: Sequence[Unit]
    ) -> Sequence[Outcome | ImporterError] | None:
        """Write a batch in one savepoint, twice if need be; None if it failed both times.

        A batch can fail for a row another import worker (or a web request) added between
        the writer's lookups and its inserts, such as a badge class both met at once. The
        row is committed by then, so the second try finds it instead of adding it."""
        for attempt in range(BATCH_ATTEMPTS):
            _open_transaction()
            try:
                with db.session.begin_nested():
                    results = writer.write(units)
                    self._record(units, results)
            except Exception as exc:
                log.info(
                    "A batch of %d %s failed (try %d): %r", len(units), units[0].kind,
                    attempt + 1, exc,
                )  # fmt: skip
                writer.rollback()
            else:
                return results
        return None

    def _write_alone(self, writer: BatchWriter, unit: Unit) -> None:
        """Write one unit of a failed batch as a batch of one; if even that fails, the unit is
        listed as failed (with the reason, or as an internal error when it is a bug) and the
        rest goes on."""
        _open_transaction()
        try:
            with db.session.begin_nested():
                results = writer.write([unit])
                self._record([unit], results)
        except Exception as exc:
            writer.rollback()
            self._fail(unit, exc)
        else:
            self._tally([unit], results)

    def _fail(self, unit: Unit, exc: Exception) -> None:
        """List a unit that could not be written."""
        self.report.fail(unit.kind, unit.key, failure_reason(unit, exc), unit.label)

    def _record(self, units: Sequence[Unit], results: Sequence[Outcome | ImporterError]) -> None:
        assert len(units) == len(results)
        imported_records.remember_imported_many(
            self.scope,
            [
                (unit.kind, unit.key, result.target_id)
                for unit, result in zip(units, results, strict=True)
                if isinstance(result, Outcome)
            ],
        )

    def _tally(self, units: Sequence[Unit], results: Sequence[Outcome | ImporterError]) -> None:
        for unit, result in zip(units, results, strict=True):
            if isinstance(result, ImporterError):
                self.report.fail(unit.kind, unit.key, result.message, unit.label)
            else:
                self._count(unit.kind, result)
        if self._since_commit >= self.batch:
            self._commit()

    def _commit(self) -> None:
        self._since_commit = 0
        if self.report.dry_run:
            db.session.flush()
            db.session.expunge_all()  # keeps a long dry run's memory bounded
        else:
            db.session.commit()
        if self.statistics is not None:
            self.statistics.written(self._written)


def failure_reason(unit: Unit, exc: Exception) -> str:
    """What the report says of a unit that `exc` stopped: the refusal's own words, or, for
    a bug (logged with its traceback), that it was an internal error. A bug must not stop a
    long import: the record is listed and the rest goes on."""
    if isinstance(exc, ImporterError | ServiceError | OpenBadgesError):
        return exc.message
    log.error("Import of %s %s failed unexpectedly", unit.kind, unit.key, exc_info=exc)
    return "an internal error (logged)"


def _open_transaction() -> None:
    # pysqlite opens its transaction lazily, at the first write: a SAVEPOINT issued before
    # that starts one of its own, and releasing it would commit the unit (even in a dry run).
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not getattr(raw, "in_transaction", True):
            connection.exec_driver_sql("BEGIN")
