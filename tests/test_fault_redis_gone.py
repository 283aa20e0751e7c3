"""Redis gone under a running app: rate limits fall back to memory, imports are refused
with a reason; never a 500 (see RATELIMIT_IN_MEMORY_FALLBACK_ENABLED in config.example.py).

The app uses a private redis-server (tests/support/private_services.py), killed mid-test;
the machine's shared Redis serves other test runs and is never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, ImportJob
from tests.conftest import post_form
from tests.support.import_worker import wait_for, worker
from tests.support.mozilla import export_zip, sample_badges
from tests.support.private_services import private_redis
from tests.test_import_web import ANN, SCHOOL, logged_in, upload

WRONG = {"email": ANN, "password": "not the password at all"}


@pytest.mark.redis
def test_login_limits_still_hold_in_memory_while_redis_is_gone(
    app_factory: Callable[..., Flask],
) -> None:
    with private_redis() as redis:
        app = app_factory(
            RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute", REDIS_URL=redis.url
        )
        client = app.test_client()
        assert post_form(client, "/login", WRONG).status_code == 401
        redis.stop()
        # Redis gone: the limit is counted in this process's memory instead, not skipped
        # (from zero, or on from where an earlier app of this process left it).
        statuses = [post_form(client, "/login", WRONG).status_code for _ in range(4)]
        assert statuses[0] == 401
        assert set(statuses) == {401, 429}
        assert statuses[-1] == 429


@pytest.mark.redis
def test_api_requests_and_mails_are_limited_in_memory_while_redis_is_gone(
    app_factory: Callable[..., Flask],
) -> None:
    with private_redis() as redis:
        app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_API="2 per minute", REDIS_URL=redis.url)
        accounts = logged_in(app)
        assert accounts.client.get("/api/v1/badges").status_code == 200
        redis.stop()
        # Counted in memory (an earlier app of this process may have left some count there).
        statuses = [accounts.client.get("/api/v1/badges").status_code for _ in range(3)]
        assert set(statuses) <= {200, 429}
        assert statuses[-1] == 429
        # A verification mail counts against its own limits the same way.
        assert accounts.add_email("ann@elsewhere.example").status_code == 302
        assert accounts.outbox.links_to("ann@elsewhere.example")


@pytest.mark.redis
def test_an_import_uploaded_while_redis_is_gone_is_refused_with_a_reason(
    app_factory: Callable[..., Flask],
) -> None:
    with private_redis() as redis:
        app = app_factory(TASKS_IMMEDIATE=False, REDIS_URL=redis.url)
        accounts = logged_in(app)
        redis.stop()
        response = upload(accounts, export_zip(sample_badges(ANN, SCHOOL)))
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert b"could not be queued" in response.data
    with app.app_context():
        # Nothing waits for a worker that will never hear of it, and the upload is not kept.
        assert db.session.scalar(sa.select(sa.func.count(ImportJob.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(Badge.id))) == 0
    assert not list((Path(app.config["IMPORTS_DIR"]) / "uploads").glob("job-*.zip"))


@pytest.mark.redis
def test_the_worker_outlives_a_redis_restart_and_then_runs_new_imports(
    app_factory: Callable[..., Flask],
) -> None:
    with private_redis() as redis:
        app = app_factory(TASKS_IMMEDIATE=False, REDIS_URL=redis.url)
        accounts = logged_in(app)
        with worker(app) as consumer:
            time.sleep(1)
            redis.stop()
            time.sleep(3)  # the worker meets the queue gone, more than once
            assert consumer.poll() is None, "the worker exited while Redis was gone"
            redis.start()
            assert upload(accounts, export_zip(sample_badges(ANN, SCHOOL))).status_code == 302
            status, _ = wait_for(app, lambda status, done: status in ("done", "failed"), 60)
    assert status == "done"
