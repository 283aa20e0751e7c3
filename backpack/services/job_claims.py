"""Which web import a live worker runs, and picking up those whose worker died.

huey hands a task to one worker and forgets it: a worker killed mid-import (out of memory,
a deploy, a crash) leaves its job "running" for ever. So a worker claims a job while it runs
it with an exclusive lock on a file of its own under IMPORTS_DIR, which the operating
system releases when the process ends, however it ends. A "running" job whose lock is free
has lost its worker; it is queued again, and the import's records make the second run skip
what the first committed (see importers/pipeline.py), so nothing is doubled. A "queued" job
whose task has left the queue unrun (the queue's store wiped) is queued again too.

IMPORTS_DIR is shared by the web and the workers already (the uploads live there); workers
on several machines need it on a file system with working locks (local, or NFSv4).
"""

from __future__ import annotations

import fcntl
import logging
from datetime import timedelta
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import ImportJob
from backpack.models.base import utcnow
from backpack.services.app_context import pending_task_args, queued_task, settings

log = logging.getLogger(__name__)
# The huey task that runs a web import (a restore and a pull too; named for its first kind).
IMPORT_TASK = "import_mozilla_zip"
# A job queued less than this long ago may not have reached the queue yet.
QUEUE_SETTLING_SECONDS = 60


class JobClaim:
    """This process's hold on one job while it runs it; released on close or on death."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def release(self) -> None:
        """Let another worker take the job (it will find it finished)."""
        self.stream.close()


def claim_path(job_id: int) -> Path:
    """The file whose lock says a worker runs this job."""
    return settings().imports_dir / f"job-{job_id}.claim"


def claim(job_id: int) -> JobClaim | None:
    """Hold the job for this worker, or None if a live worker holds it already."""
    path = claim_path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = path.open("ab")
    try:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        stream.close()
        return None
    return JobClaim(stream)


def is_claimed(job_id: int) -> bool:
    """Whether a live worker runs this job now."""
    held = claim(job_id)
    if held is None:
        return True
    held.release()
    return False


def requeue_lost_jobs() -> list[int]:
    """Queue again every job no worker will run; return their ids.

    Those left "running" by a worker that died, and those "queued" a while whose task is
    no longer in the queue (its store wiped: Redis restarted without persistence, the
    SQLite queue file deleted), which would otherwise wait for ever and keep their owner
    from importing anything else. A job queued twice is run once: the second run finds it
    claimed or finished.
    """
    running = db.session.scalars(sa.select(ImportJob.id).where(ImportJob.status == "running"))
    lost = [job_id for job_id in running if not is_claimed(job_id)]
    # Younger jobs are left alone: their task may be on its way into the queue.
    settled = utcnow() - timedelta(seconds=QUEUE_SETTLING_SECONDS)
    waiting = list(
        db.session.scalars(
            sa.select(ImportJob.id).where(
                ImportJob.status == "queued", ImportJob.created_at < settled
            )
        )
    )
    if waiting:
        pending = {args[0] for args in pending_task_args(IMPORT_TASK) if args}
        lost += [job_id for job_id in waiting if job_id not in pending and not is_claimed(job_id)]
    db.session.rollback()  # end the read: a job may finish while these are queued
    for job_id in lost:
        log.warning("Import job %s lost its worker or its task: queued again", job_id)
        queued_task(IMPORT_TASK)(job_id)
    return lost
