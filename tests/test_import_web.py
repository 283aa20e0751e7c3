"""Uploading the Mozilla ZIP on the web: a background job on huey, followed live."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge
from backpack.tasks import queue_of
from tests.conftest import Accounts, Outbox, csrf_token
from tests.support.mozilla import export_zip, sample_badges

ANN = "ann@example.org"
SCHOOL = "ann@school.example.edu"


def upload(accounts: Accounts, data: bytes, name: str = "mozilla.zip") -> Any:
    token = csrf_token(accounts.client, "/account/import/")
    return accounts.client.post(
        "/account/import/",
        data={"csrf_token": token, "archive": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def logged_in(app: Flask) -> Accounts:
    helper = Accounts(app, app.test_client(), Outbox(Path(app.config["MAIL_OUTBOX_DIR"])))
    helper.create(ANN)
    helper.login(ANN)
    return helper


def test_upload_runs_as_a_queued_job_with_progress_and_a_report(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    app = app_factory(TASKS_IMMEDIATE=False, TASKS_SQLITE_PATH=str(tmp_path / "tasks.db"))
    accounts = logged_in(app)
    response = upload(accounts, export_zip(sample_badges(ANN, SCHOOL)))
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert accounts.client.get(job_url + ".json").get_json()["status"] == "queued"
    page = accounts.client.get(job_url).get_data(as_text=True)
    assert "Waiting for its turn" in page

    # The worker (huey_consumer) takes the task from the SQLite queue and runs it.
    queue = queue_of(app)
    task = queue.dequeue()
    assert task is not None
    queue.execute(task)

    state = accounts.client.get(job_url + ".json").get_json()
    assert state["status"] == "done"
    assert state["done"] == state["total"] == 6
    assert state["report"]["badges"] == 6
    assert state["report"]["pending_badges"] == 1
    assert state["report"]["unverified_emails"] == [SCHOOL]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Badge.id))) == 6
    page = accounts.client.get(job_url).get_data(as_text=True)
    assert "could not be imported" in page
    assert f"Verify {SCHOOL}" in page
    assert not list((Path(app.instance_path) / "imports" / "uploads").glob("job-*.zip"))


def test_hostile_upload_reports_each_refusal(app: Flask) -> None:
    import zipfile

    accounts = logged_in(app)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../evil.png", b"x")
        archive.writestr("good.png", sample_badges(ANN, SCHOOL)[0].baked_image())
    response = upload(accounts, buffer.getvalue())
    state = accounts.client.get(response.headers["Location"] + ".json").get_json()
    assert state["status"] == "done"
    assert state["report"]["badges"] == 1
    reasons = [f["reason"] for f in state["report"]["first_failures"]]
    assert any("path traversal" in r for r in reasons)


def test_a_file_that_is_not_a_zip_is_refused_on_the_form(app: Flask) -> None:
    accounts = logged_in(app)
    response = upload(accounts, b"hello", "notes.txt")
    assert response.status_code == 400
    assert "not a ZIP file" in response.get_data(as_text=True)


def test_another_users_job_is_not_found(app: Flask) -> None:
    accounts = logged_in(app)
    location = upload(accounts, export_zip(sample_badges(ANN, SCHOOL)[:1])).headers["Location"]
    other = Accounts(app, app.test_client(), accounts.outbox)
    other.create("bob@example.org")
    other.login("bob@example.org")
    assert other.client.get(location).status_code == 404
    assert other.client.get(location + ".json").status_code == 404


@pytest.mark.parametrize(
    "path", ["/account/import/", "/account/import/1", "/account/import/1.json"]
)
def test_import_pages_need_a_login(app: Flask, path: str) -> None:
    assert app.test_client().get(path).status_code == 302
