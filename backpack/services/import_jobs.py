"""Web imports (the Mozilla ZIP, or an earner's own export) as background jobs: keeping
the upload and queueing it, the progress and end the job writes to its row, and what its
page shows. The job's body, which runs the upload through the importers, is
`importers/zip_job.py`.

The web enqueues a job by its id only (`tasks`); the job row carries the state, the
progress and the final report, so the page that follows it needs nothing from the queue.
Its files (the upload, and every failure written one JSON object a line) live under
IMPORTS_DIR, named by the job's id.
"""

from __future__ import annotations

import logging
import sqlite3
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import ImportJob, User
from backpack.models.base import utcnow
from backpack.services.app_context import queued_task, settings
from backpack.services.job_claims import IMPORT_TASK

log = logging.getLogger(__name__)
# What a web import job reads: the ZIP Mozilla sent, or an export of this server that an
# earner brings back (`importers/upload_sources.py` opens each kind).
MOZILLA_ZIP = "mozilla-zip"
BACKPACK_EXPORT = "backpack-export"
KINDS = (MOZILLA_ZIP, BACKPACK_EXPORT)
INTERRUPTED = (
    "The import was interrupted on the server. What it imported is kept: upload the same"
    " file again to import the rest."
)


# What enqueueing raises while the queue's store is unreachable (Redis gone) or unwritable.
QUEUE_OUTAGES: tuple[type[Exception], ...] = (redis.exceptions.RedisError, sqlite3.Error, OSError)


class ImportNotStarted(Exception):
    """An upload could not be kept or its job queued: nothing of it was kept, and the user
    may try again later; `message` says why, for them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


QUEUE_UNREACHABLE = (
    "Your import could not be queued: the server's job queue is not reachable right now."
    " Nothing was kept; try again in a few minutes."
)
NO_ROOM_FOR_UPLOAD = (
    "Your file could not be kept: the server has no room left on its disk right now."
    " Nothing was kept; try again later."
)
# A queued job no worker took within this long is shown as waiting for a worker.
WORKER_NOTICE_SECONDS = 60


def start_zip_import(user: User, upload: Any, kind: str = MOZILLA_ZIP) -> ImportJob:
    """Keep an uploaded ZIP (of one of the KINDS) and queue its import; return the job to
    follow."""
    assert kind in KINDS
    return start_job(user, kind, "zip", upload.save)


def start_job(user: User, kind: str, suffix: str, keep: Callable[[Path], object]) -> ImportJob:
    """Make a job of `kind`, `keep(path)` what it will read, and queue it; return the job.

    ImportNotStarted when what it reads cannot be kept (a full disk) or the queue cannot be
    reached; then neither the job nor its file is left behind.
    """
    folder = settings().imports_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    job = ImportJob(user_id=user.id, kind=kind, upload_path="")
    db.session.add(job)
    db.session.flush()
    # SQLite hands out the id of a deleted last row again: its old file must not show here.
    failures_path(job.id).unlink(missing_ok=True)
    path = folder / f"job-{job.id}.{suffix}"
    try:
        keep(path)
    except OSError as exc:
        # A full disk: a part of the file must not wait for a worker as if it were whole.
        log.error("What import job %s reads could not be kept: %r", job.id, exc)
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise ImportNotStarted(NO_ROOM_FOR_UPLOAD) from exc
    job.upload_path = str(path)
    db.session.commit()
    try:
        queued_task(IMPORT_TASK)(job.id)
    except QUEUE_OUTAGES as exc:
        # No worker will ever hear of this job: it must not wait as "queued" for ever (nor
        # count against the user's unfinished imports), and its upload must not be kept.
        log.error("Import job %s could not be queued: %r", job.id, exc)
        db.session.delete(job)
        db.session.commit()
        path.unlink(missing_ok=True)
        raise ImportNotStarted(QUEUE_UNREACHABLE) from exc
    return job


def job_to_run(job_id: int) -> ImportJob | None:
    """A job a worker may run: queued, or running when its worker died; else None (deleted
    with its account, or already run)."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status not in ("queued", "running"):
        return None
    return job


def get_job(user: User, job_id: int) -> ImportJob | None:
    """One of the user's import jobs by its id, or None (never another user's)."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.user_id != user.id:
        return None
    return job


def waits_for_a_worker(job: ImportJob) -> bool:
    """Whether a job has sat in the queue longer than a running worker would leave it, which
    says that no worker is running (or all are busy with something long)."""
    waited = utcnow() - job.created_at
    return job.status == "queued" and waited > timedelta(seconds=WORKER_NOTICE_SECONDS)


def unfinished_jobs(user: User) -> int:
    """How many of the user's web imports wait or run (a job older than its time limit
    and an hour in the queue is taken as lost with a worker, not as blocking more)."""
    lost_before = utcnow() - timedelta(seconds=settings().import_job_seconds + 3600)
    count = db.session.scalar(
        sa.select(sa.func.count(ImportJob.id)).where(
            ImportJob.user_id == user.id,
            ImportJob.status.in_(("queued", "running")),
            ImportJob.created_at > lost_before,
        )
    )
    return count or 0


class JobProgress:
    """How far a running job is, written to its row as the pipeline advances."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.count = 0

    def advance(self, steps: int) -> None:
        # Written in the pipeline's transaction, so it shows once that batch is committed.
        self.count += steps
        job = db.session.get(ImportJob, self.job_id)
        if job is not None:
            job.done = self.count


def finish_job(
    job_id: int, status: str, *, error: str | None = None, report: dict[str, Any] | None = None
) -> None:
    """Write a job's end ("done" or "failed") to its row, with its error and report."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        # The account was deleted while its import ran: nobody is left to download this.
        failures_path(job_id).unlink(missing_ok=True)
        return
    job.status, job.error, job.report, job.finished_at = status, error, report, utcnow()
    job.done = job.total if status == "done" else job.done
    db.session.commit()


def finish_ran_job(job_id: int, report: dict[str, Any], *, out_of_time: str | None) -> None:
    """End a job that ran through: "done" with its report, or "failed" with `out_of_time`
    when its time limit stopped it (what it wrote is kept either way)."""
    stored = dict(report)
    # The file's place on the server is not the owner's business: the page links to it.
    stored.pop("failures_file", None)
    if out_of_time is not None:
        finish_job(job_id, "failed", error=out_of_time, report=stored)
    else:
        finish_job(job_id, "done", report=stored)


def abandon_job(job_id: int, error: str) -> None:
    """End a job that a fault here stopped: its unfinished work is rolled back, and the
    failures file goes (only a finished job offers it)."""
    db.session.rollback()
    failures_path(job_id).unlink(missing_ok=True)
    finish_job(job_id, "failed", error=error)


def failures_path(job_id: int) -> Path:
    """Where a job writes every failure: under IMPORTS_DIR, never a web-served folder."""
    return settings().imports_dir / f"job-{job_id}-failures.jsonl"


def failures_file(job: ImportJob) -> Path | None:
    """The file listing every failure of a finished job, if it had any and still has it."""
    if not (job.report or {}).get("failed"):
        return None
    path = failures_path(job.id)
    return path if path.is_file() else None


def job_files(user: User) -> list[Path]:
    """The files the user's import jobs keep, to remove once the account is deleted.

    Listed before the deletion: the jobs' rows go with the account, and their ids with them.
    """
    jobs = db.session.scalars(sa.select(ImportJob).where(ImportJob.user_id == user.id))
    paths = []
    for job in jobs:
        paths.append(failures_path(job.id))
        if job.upload_path:
            paths.append(Path(job.upload_path))
    return paths


def remove_files(paths: list[Path]) -> None:
    """Remove files that may already be gone (a worker removes an upload once it is read)."""
    for path in paths:
        path.unlink(missing_ok=True)


def is_zip(upload: Any) -> bool:
    """Whether an uploaded file starts like a ZIP (checked again, fully, by the worker)."""
    try:
        return zipfile.is_zipfile(upload.stream)
    finally:
        upload.stream.seek(0)
