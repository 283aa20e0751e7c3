"""Background work on huey: an embedded SqliteHuey under instance/, or RedisHuey with Redis.

Run the worker with `huey_consumer backpack.worker.queue` (see the README). The tasks are
web imports of the Mozilla ZIP (their jobs' rows are kept by `services.import_jobs`, their
body is `importers.zip_job`), the checks of badges that imports stored unchecked
(`run_badge_checks`), and the resumption of imports whose worker died
(`services.job_claims`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from backpack.extensions import db
from backpack.services import badge_checks, batch_verification, job_claims

log = logging.getLogger(__name__)
# Badges one check task verifies before it queues the next: each costs a few fetches.
CHECKS_PER_TASK = 25


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
    # Imported here: the importers use the app's services and queue (importers.pipeline
    # queues badge checks), so loading them while `backpack` is still imported is circular.
    from importers.zip_job import run_zip_job

    queue = make_queue(app)

    def import_mozilla_zip(job_id: int) -> None:
        with app.app_context():
            run_zip_job(job_id)

    def check_unchecked_badges() -> None:
        with app.app_context():
            run_badge_checks()

    def resume_lost_imports() -> None:
        with app.app_context():
            job_claims.requeue_lost_jobs()

    task = queue.task(name="import_mozilla_zip")(import_mozilla_zip)
    checks = queue.task(name="check_unchecked_badges")(check_unchecked_badges)
    # A worker that died mid-import is found when a consumer starts (a restart after a
    # crash or a deploy), and every minute (when another consumer died).
    queue.on_startup(name="resume_lost_imports")(resume_lost_imports)
    queue.periodic_task(crontab(), name="resume_lost_imports")(resume_lost_imports)
    app.extensions["tasks"] = {
        "queue": queue,
        "import_mozilla_zip": task,
        "check_unchecked_badges": checks,
    }


def queue_of(app: Flask) -> Huey:
    """The app's task queue."""
    queue: Huey = app.extensions["tasks"]["queue"]
    return queue


def queue_badge_checks() -> None:
    """Have the worker verify the badges stored unchecked, soon (after an import)."""
    if current_app.config["VERIFY_IMPORTED_BADGES"]:
        current_app.extensions["tasks"]["check_unchecked_badges"]()


def run_badge_checks() -> None:
    """Verify a batch of unchecked badges, each committed on its own; queue the next batch
    while some are left, so that other jobs (a web import) take their turn in between.

    Two workers may run batches at once and check a badge twice: that costs a fetch, and
    the second check finds the same. A check that fails here (a bug) leaves its badge
    undecided rather than unchecked, so no batch is ever chosen again and again.
    """
    batch = badge_checks.next_unchecked(CHECKS_PER_TASK)
    # Their issuers' fetches overlap; each verdict is committed as it comes.
    for _ in batch_verification.reverify_many(batch, unchecked_only=True):
        db.session.commit()
    if len(batch) == CHECKS_PER_TASK:
        queue_badge_checks()
