"""The body of a web import job (the Mozilla ZIP, or an earner's own export): its upload run
through the pipeline within the job's time limit, its progress and report written to the
job's row (`backpack.services.import_jobs`).

A job is run by its id, from the queue (`backpack.tasks`); a pull from another backpack
rides the same jobs, and is run by `importers.pull.jobs`.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from backpack.extensions import db
from backpack.services import job_claims
from backpack.services.accounts import get_user
from backpack.services.app_context import settings
from backpack.services.import_jobs import (
    INTERRUPTED,
    JobProgress,
    abandon_job,
    failures_path,
    finish_job,
    finish_ran_job,
    job_to_run,
)
from importers.pipeline import ImporterError, Pipeline
from importers.pull.jobs import run_claimed_pull
from importers.report import ImportReport
from importers.time_limit import TimeLimited
from importers.upload_sources import open_source

log = logging.getLogger(__name__)
PROGRESS_EVERY = 5  # units between progress writes
_clock = time.monotonic  # what a job's time limit is measured by


def run_zip_job(job_id: int) -> None:
    """Run one queued ZIP import (or resume one whose worker died), writing its progress
    and report to the job row."""
    held = job_claims.claim(job_id)
    if held is None:
        return  # a live worker runs it
    try:
        _run_claimed_zip_job(job_id)
    finally:
        # Removed before the lock goes: a worker that claims the job after that reads it
        # finished, whichever file it locked.
        job_claims.claim_path(job_id).unlink(missing_ok=True)
        held.release()


def _run_claimed_zip_job(job_id: int) -> None:
    job = job_to_run(job_id)
    if job is None:
        return  # deleted with its account, or already run
    if job.kind == "pull":
        run_claimed_pull(job)  # a pull from another backpack rides the same job machinery
        return
    # "running" here, with the claim free, means its worker died: the import resumes.
    path = Path(job.upload_path)
    if job.status == "running" and not path.is_file():
        # It died after reading the upload whole, while finishing.
        finish_job(job_id, "failed", error=INTERRUPTED)
        return
    user = get_user(job.user_id)
    assert user is not None
    report = ImportReport()
    try:
        source = open_source(job.kind, path, user)
    except ImporterError as exc:
        finish_job(job_id, "failed", error=exc.message)
        path.unlink(missing_ok=True)
        return
    with source.archive:
        job.status, job.total = "running", source.total
        db.session.commit()
        report.open_failures(failures_path(job_id))
        counter = JobProgress(job_id)
        pipeline = Pipeline(source.scope, report, batch=PROGRESS_EVERY)
        pipeline.progress = counter.advance
        units = TimeLimited(
            source.units(pipeline, report), settings().import_job_seconds, clock=_clock
        )
        try:
            pipeline.run(units)
            if source.after is not None:
                source.after(report)
        except Exception:
            log.exception("Import job %s failed", job_id)
            abandon_job(job_id, "The import stopped because of an error here.")
            return
        finally:
            path.unlink(missing_ok=True)
    finish_ran_job(
        job_id, report.to_json(), out_of_time=_out_of_time(units.seconds) if units.stopped else None
    )


def _out_of_time(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return (
        f"The import took longer than {minutes} minute{'' if minutes == 1 else 's'} and was"
        " stopped. What it imported is kept: upload the same file again to import the rest."
    )
