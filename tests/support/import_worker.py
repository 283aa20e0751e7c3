"""A real import worker (`huey_consumer`) for fault tests, and waiting on its job."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import ImportJob
from tests.live_server import BIN, ROOT


@contextmanager
def worker(app: Flask) -> Iterator[subprocess.Popen[bytes]]:
    """`huey_consumer backpack.worker.queue`, as deployed, on the test's database and queue."""
    settings = (
        "SQLALCHEMY_DATABASE_URI", "TASKS_SQLITE_PATH", "IMPORTS_DIR", "SECRET_KEY",
        "MAIL_OUTBOX_DIR", "REDIS_URL",
    )  # fmt: skip
    env = {
        **os.environ,
        "BACKPACK_ENVIRONMENT": "development",
        **{f"BACKPACK_{name}": str(app.config[name]) for name in settings if app.config[name]},
    }
    process = subprocess.Popen(
        [BIN / "huey_consumer", "backpack.worker.queue", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def job_state(app: Flask) -> tuple[str, int]:
    with app.app_context():
        job = db.session.scalars(sa.select(ImportJob)).one()
        state = job.status, job.done
        db.session.rollback()
        return state


def wait_for(app: Flask, done: Callable[[str, int], bool], seconds: float) -> tuple[str, int]:
    deadline = time.monotonic() + seconds
    state = job_state(app)
    while not done(*state):
        assert time.monotonic() < deadline, f"the job is still {state}"
        time.sleep(0.02)
        state = job_state(app)
    return state
