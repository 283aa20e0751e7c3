"""Uploading the Mozilla ZIP on the web: a background job on huey, followed live."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

import backpack.services.import_jobs
from backpack.extensions import db
from backpack.models import Badge, ImportJob
from backpack.models.base import utcnow
from backpack.tasks import queue_of
from tests.conftest import TEST_PASSWORD, Accounts, Outbox, csrf_token, post_form
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
    assert "Could not be imported: " in page
    assert f"Verify {SCHOOL}" in page
    assert not list((Path(app.config["IMPORTS_DIR"]) / "uploads").glob("job-*.zip"))


def test_a_job_no_worker_took_within_a_minute_says_so(
    app_factory: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_factory(TASKS_IMMEDIATE=False, TASKS_SQLITE_PATH=str(tmp_path / "tasks.db"))
    accounts = logged_in(app)
    job_url = upload(accounts, export_zip(sample_badges(ANN, SCHOOL))).headers["Location"]
    assert accounts.client.get(job_url + ".json").get_json()["notice"] is None
    assert "No background worker" not in accounts.client.get(job_url).get_data(as_text=True)

    later = utcnow() + timedelta(seconds=61)
    monkeypatch.setattr(backpack.services.import_jobs, "utcnow", lambda: later)
    state = accounts.client.get(job_url + ".json").get_json()
    assert state["status"] == "queued"
    assert state["notice"].startswith("No background worker has taken this import")
    page = accounts.client.get(job_url).get_data(as_text=True)
    assert "No background worker has taken this import for over a minute" in page

    # Once a worker takes it, the notice goes.
    queue = queue_of(app)
    task = queue.dequeue()
    assert task is not None
    queue.execute(task)
    assert accounts.client.get(job_url + ".json").get_json()["notice"] is None


def test_hostile_upload_reports_each_refusal(app: Flask) -> None:
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
    "path",
    [
        "/account/import/",
        "/account/import/1",
        "/account/import/1.json",
        "/account/import/1/failures.jsonl",
    ],
)
def test_import_pages_need_a_login(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


NOT_BADGES = 60  # more failures than the page lists


def zip_of_failures(count: int = NOT_BADGES) -> bytes:
    """A ZIP of one real badge and `count` files that are not images at all."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("good.png", sample_badges(ANN, SCHOOL)[0].baked_image())
        for number in range(count):
            archive.writestr(f"notes/not-a-badge-{number:02}.png", b"just some text")
    return buffer.getvalue()


def failures_url(accounts: Accounts, job_url: str) -> Any:
    return accounts.client.get(job_url + ".json").get_json()["failures_url"]


def test_owner_downloads_every_failure_beyond_those_the_page_lists(app: Flask) -> None:
    accounts = logged_in(app)
    job_url = upload(accounts, zip_of_failures()).headers["Location"]
    state = accounts.client.get(job_url + ".json").get_json()
    assert (state["report"]["badges"], state["report"]["failed"]) == (1, NOT_BADGES)
    assert len(state["report"]["first_failures"]) < NOT_BADGES
    assert "failures_file" not in state["report"]  # the server's paths stay on the server
    link = state["failures_url"]
    assert f'href="{link}"' in accounts.client.get(job_url).get_data(as_text=True)

    response = accounts.client.get(link)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "backpack-import-" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    response.close()
    assert sorted(line["key"] for line in lines) == [
        f"notes/not-a-badge-{number:02}.png" for number in range(NOT_BADGES)
    ]
    assert all(line["reason"] == "it is not a PNG or SVG image; skipped" for line in lines)
    assert all(set(line) == {"kind", "key", "label", "reason"} for line in lines)


def test_another_user_cannot_download_a_jobs_failures(app: Flask) -> None:
    accounts = logged_in(app)
    job_url = upload(accounts, zip_of_failures(3)).headers["Location"]
    link = failures_url(accounts, job_url)
    other = Accounts(app, app.test_client(), accounts.outbox)
    other.create("bob@example.org")
    other.login("bob@example.org")
    assert other.client.get(link).status_code == 404
    response = accounts.client.get(link)
    assert response.status_code == 200
    response.close()


def test_a_job_without_failures_has_no_failures_file(app: Flask) -> None:
    accounts = logged_in(app)
    job_url = upload(accounts, export_zip(sample_badges(ANN, SCHOOL))).headers["Location"]
    assert failures_url(accounts, job_url) is None
    page = accounts.client.get(job_url).get_data(as_text=True)
    assert '<p id="import-failures-file" hidden>' in page  # shown by the script, if ever
    assert accounts.client.get(job_url + "/failures.jsonl").status_code == 404
    assert not list(Path(app.config["IMPORTS_DIR"]).glob("job-*-failures.jsonl"))


def test_a_deleted_job_no_longer_serves_its_failures(app: Flask) -> None:
    accounts = logged_in(app)
    job_url = upload(accounts, zip_of_failures(3)).headers["Location"]
    link = failures_url(accounts, job_url)
    with app.app_context():
        db.session.execute(sa.delete(ImportJob))
        db.session.commit()
    assert accounts.client.get(link).status_code == 404


def test_deleting_the_account_removes_its_failures_files(app: Flask) -> None:
    accounts = logged_in(app)
    upload(accounts, zip_of_failures(3))
    folder = Path(app.config["IMPORTS_DIR"])
    assert len(list(folder.glob("job-*-failures.jsonl"))) == 1
    post_form(accounts.client, "/account/", {"password": TEST_PASSWORD}, action="/account/delete")
    assert not list(folder.glob("job-*-failures.jsonl"))

    # The next job may get the same id (SQLite reuses it): it shows nothing of the old one.
    bob = Accounts(app, app.test_client(), accounts.outbox)
    bob.create("bob@example.org")
    bob.login("bob@example.org")
    job_url = upload(bob, export_zip(sample_badges("bob@example.org", SCHOOL)[:1]))
    assert failures_url(bob, job_url.headers["Location"]) is None


def test_an_unreadable_upload_is_explained_without_the_servers_paths(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importers import mozilla_zip

    monkeypatch.setattr(mozilla_zip, "MAX_ENTRIES", 2)
    accounts = logged_in(app)
    response = upload(accounts, export_zip(sample_badges(ANN, SCHOOL)[:3]))
    state = accounts.client.get(response.headers["Location"] + ".json").get_json()
    assert state["status"] == "failed"
    assert state["error"] == "The uploaded file holds more than 2 entries; refused."
    assert app.config["IMPORTS_DIR"] not in accounts.client.get(response.headers["Location"]).text


def test_one_account_waits_for_its_import_before_queueing_another(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    app = app_factory(TASKS_IMMEDIATE=False, TASKS_SQLITE_PATH=str(tmp_path / "tasks.db"))
    accounts = logged_in(app)
    data = export_zip(sample_badges(ANN, SCHOOL))
    assert upload(accounts, data).status_code == 302
    refused = upload(accounts, data)
    assert refused.status_code == 429
    assert "Your last import has not finished yet" in refused.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ImportJob.id))) == 1

    # Someone else's import is not held back by hers.
    other = Accounts(app, app.test_client(), accounts.outbox)
    other.create("bob@example.org")
    other.login("bob@example.org")
    assert (
        upload(other, export_zip(sample_badges("bob@example.org", SCHOOL)[:1])).status_code == 302
    )

    queue = queue_of(app)
    while (task := queue.dequeue()) is not None:
        queue.execute(task)
    assert upload(accounts, data).status_code == 302


def test_an_import_over_its_time_stops_keeps_its_work_and_resumes_on_upload(
    app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importers.zip_job

    app = app_factory(IMPORT_JOB_SECONDS=240)
    accounts = logged_in(app)
    data = export_zip(sample_badges(ANN, SCHOOL))
    # Each unit seems to take a minute: the job's four minutes are up after three of them
    # (the manifest's two addresses, then one badge).
    clock = iter(range(0, 10_000, 60))
    monkeypatch.setattr(importers.zip_job, "_clock", lambda: next(clock))
    state = accounts.client.get(upload(accounts, data).headers["Location"] + ".json").get_json()
    assert state["status"] == "failed"
    assert "took longer than 4 minutes and was stopped" in state["error"]
    assert "upload the same file again" in state["error"]
    assert state["report"]["badges"] == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Badge.id))) == 1

    monkeypatch.undo()
    state = accounts.client.get(upload(accounts, data).headers["Location"] + ".json").get_json()
    assert state["status"] == "done"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Badge.id))) == 6
    state = accounts.client.get(upload(accounts, data).headers["Location"] + ".json").get_json()
    assert state["report"]["badges"] == 0  # a third upload finds everything there
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Badge.id))) == 6


def test_a_second_upload_of_the_same_zip_counts_the_badges_already_here(app: Flask) -> None:
    # Without that line the report read "imported 0, could not be imported 0" for a ZIP of
    # six badges, and an earner could not tell where they went.
    accounts = logged_in(app)
    upload(accounts, export_zip(sample_badges(ANN, SCHOOL)))
    job_url = upload(accounts, export_zip(sample_badges(ANN, SCHOOL))).headers["Location"]
    report = accounts.client.get(job_url + ".json").get_json()["report"]
    assert report["badges"] == 0
    already = report["already_imported"]["badges"]
    assert already > 0
    page = accounts.client.get(job_url).get_data(as_text=True)
    assert (
        "Already in your backpack, so not added again:"
        f' <span data-count="already_imported.badges">{already}</span>'
    ) in page
