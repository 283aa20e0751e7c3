"""The job queue's store wiped (Redis restarted without persistence, the SQLite queue file
deleted) while an import waited in it: the job is queued again and runs, rather than waiting
for ever and keeping its owner from importing anything else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, ImportJob
from backpack.models.base import utcnow
from backpack.services import job_claims
from backpack.tasks import queue_of
from tests.support.import_worker import wait_for, worker
from tests.support.mozilla import body_0_5, export_zip
from tests.test_import_web import ANN, logged_in, upload


def _queued_job(app: Flask, minutes_ago: float) -> int:
    with app.app_context():
        job = db.session.scalars(sa.select(ImportJob)).one()
        job.created_at = utcnow() - timedelta(minutes=minutes_ago)
        db.session.commit()
        assert job.status == "queued"
        return job.id


def test_a_queued_import_whose_task_was_wiped_is_queued_again_and_runs(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    app = app_factory(TASKS_IMMEDIATE=False, TASKS_SQLITE_PATH=str(tmp_path / "tasks.db"))
    accounts = logged_in(app)
    assert upload(accounts, export_zip([body_0_5(n, ANN) for n in (1, 2, 3)])).status_code == 302
    job_id = _queued_job(app, minutes_ago=5)
    queue_of(app).flush()  # the store is gone, and the task with it

    with app.app_context():
        assert job_claims.requeue_lost_jobs() == [job_id]
        assert [task.args for task in queue_of(app).pending()] == [(job_id,)]

    with worker(app):
        status, _ = wait_for(app, lambda status, done: status in ("done", "failed"), 60)
    assert status == "done"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Badge)) == 3


def test_a_queued_import_still_in_the_queue_or_just_made_is_left_alone(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    app = app_factory(TASKS_IMMEDIATE=False, TASKS_SQLITE_PATH=str(tmp_path / "tasks.db"))
    accounts = logged_in(app)
    assert upload(accounts, export_zip([body_0_5(1, ANN)])).status_code == 302
    _queued_job(app, minutes_ago=5)

    with app.app_context():
        assert job_claims.requeue_lost_jobs() == []  # its task waits in the queue
        queue_of(app).flush()
        _queued_job(app, minutes_ago=0.2)
        assert job_claims.requeue_lost_jobs() == []  # its task may be on its way
        assert queue_of(app).pending() == []
