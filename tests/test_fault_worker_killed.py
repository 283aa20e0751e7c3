"""The worker killed in the middle of a web import: a new worker resumes the job and
finishes it, with every badge imported once."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, ImportJob
from tests.support.import_worker import job_state, wait_for, worker
from tests.support.mozilla import body_0_5, export_zip
from tests.test_import_web import ANN, logged_in, upload

BADGES = 600  # enough that the worker is still at it when it is killed


def test_an_import_whose_worker_was_killed_resumes_and_imports_each_badge_once(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    app = app_factory(TASKS_IMMEDIATE=False, TASKS_SQLITE_PATH=str(tmp_path / "tasks.db"))
    accounts = logged_in(app)
    data = export_zip([body_0_5(number, ANN) for number in range(1, BADGES + 1)])
    assert upload(accounts, data).status_code == 302

    with worker(app) as first:
        wait_for(app, lambda status, done: status == "running" and done >= 20, 60)
        first.send_signal(signal.SIGKILL)
        first.wait()
    status, done = job_state(app)
    assert status == "running", "the import finished before the worker was killed"
    assert done < BADGES

    with worker(app):  # a new worker, as after a restart
        status, _ = wait_for(app, lambda status, done: status in ("done", "failed"), 120)

    assert status == "done"
    with app.app_context():
        badges = db.session.scalars(sa.select(Badge.original_payload)).all()
        job = db.session.scalars(sa.select(ImportJob)).one()
        assert job.error is None
        assert job.report is not None
        assert job.report["failed"] == 0
    assert len(badges) == BADGES
    assert len(set(badges)) == BADGES
    assert not list((Path(app.config["IMPORTS_DIR"]) / "uploads").glob("job-*.zip"))
