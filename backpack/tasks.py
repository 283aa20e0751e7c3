"""Background work on huey: an embedded SqliteHuey under instance/, or RedisHuey with Redis.

Run the worker with `huey_consumer backpack.worker.queue` (see the README). The web enqueues
a job by its id only; the job row carries the state, the progress and the final report, so
the page that follows it needs nothing from the queue.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from backpack.extensions import db
from backpack.models import ImportJob, User
from backpack.models.base import utcnow

log = logging.getLogger(__name__)
PROGRESS_EVERY = 5  # units between progress writes


def make_queue(app: Flask) -> Huey:
    """The queue the settings choose: in-process for tests, Redis when set, else SQLite."""
    if app.config.get("TASKS_IMMEDIATE"):
        return MemoryHuey("backpack", immediate=True)
    if app.config.get("REDIS_URL"):
        return RedisHuey("backpack", url=app.config["REDIS_URL"])
    path = app.config.get("TASKS_SQLITE_PATH") or str(Path(app.instance_path) / "tasks.sqlite3")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("backpack", filename=path)


def init_tasks(app: Flask) -> None:
    """Create the app's queue and register its tasks on it."""
    queue = make_queue(app)

    def import_mozilla_zip(job_id: int) -> None:
        with app.app_context():
            run_zip_job(job_id)

    task = queue.task(name="import_mozilla_zip")(import_mozilla_zip)
    app.extensions["tasks"] = {"queue": queue, "import_mozilla_zip": task}


def queue_of(app: Flask) -> Huey:
    """The app's task queue."""
    queue: Huey = app.extensions["tasks"]["queue"]
    return queue


def start_zip_import(user: User, upload: Any) -> ImportJob:
    """Keep an uploaded Mozilla ZIP and queue its import; return the job to follow."""
    folder = Path(current_app.instance_path) / "imports" / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    job = ImportJob(user_id=user.id, kind="mozilla-zip", upload_path="")
    db.session.add(job)
    db.session.flush()
    path = folder / f"job-{job.id}.zip"
    upload.save(path)
    job.upload_path = str(path)
    db.session.commit()
    current_app.extensions["tasks"]["import_mozilla_zip"](job.id)
    return job


def run_zip_job(job_id: int) -> None:
    """Run one queued ZIP import, writing its progress and report to the job row."""
    from importers import mozilla_zip
    from importers.pipeline import ImporterError, Pipeline
    from importers.report import ImportReport

    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != "queued":
        return  # deleted with its account, or already run
    path = Path(job.upload_path)
    user = db.session.get(User, job.user_id)
    assert user is not None
    report = ImportReport()
    try:
        archive = mozilla_zip.open_archive(path)
    except ImporterError as exc:
        _finish(job_id, "failed", error=exc.message)
        path.unlink(missing_ok=True)
        return
    with archive:
        job.status, job.total = "running", mozilla_zip.count_entries(archive)
        db.session.commit()
        counter = _Progress(job_id)
        pipeline = Pipeline(mozilla_zip.scope_for(user), report, batch=PROGRESS_EVERY)
        pipeline.progress = counter.advance
        try:
            pipeline.run(mozilla_zip.zip_units(archive, user.id, report))
        except Exception:
            log.exception("Import job %s failed", job_id)
            db.session.rollback()
            _finish(job_id, "failed", error="The import stopped because of an error here.")
            return
        finally:
            path.unlink(missing_ok=True)
    _finish(job_id, "done", report=report.to_json())


class _Progress:
    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.count = 0

    def advance(self, steps: int) -> None:
        # Written in the pipeline's transaction, so it shows once that batch is committed.
        self.count += steps
        job = db.session.get(ImportJob, self.job_id)
        if job is not None:
            job.done = self.count


def _finish(
    job_id: int, status: str, *, error: str | None = None, report: dict[str, Any] | None = None
) -> None:
    job = db.session.get(ImportJob, job_id)
    if job is None:
        return
    job.status, job.error, job.report, job.finished_at = status, error, report, utcnow()
    job.done = job.total if status == "done" else job.done
    db.session.commit()


def is_zip(upload: Any) -> bool:
    """Whether an uploaded file starts like a ZIP (checked again, fully, by the worker)."""
    try:
        return zipfile.is_zipfile(upload.stream)
    finally:
        upload.stream.seek(0)
