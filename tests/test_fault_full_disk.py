"""A full disk while exporting or importing: a clear error or note, nothing half-written.

The full disk is a small tmpfs of the test's own (tests/support/full_disk.py), filled up.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import ImportJob
from backpack.web import export
from importers.zip_job import run_zip_job
from tests.support.full_disk import fill, small_file_system
from tests.support.mozilla import export_zip, sample_badges
from tests.test_import_web import ANN, SCHOOL, logged_in, upload, zip_of_failures


@pytest.fixture
def full_disk() -> Iterator[Path]:
    with small_file_system() as file_system:
        yield file_system


def test_users_export_to_a_full_disk_says_so_and_leaves_no_partial_file(
    app: Flask, full_disk: Path
) -> None:
    logged_in(app)
    fill(full_disk)
    target = full_disk / "ann.zip"
    result = app.test_cli_runner().invoke(args=["users", "export", ANN, "--output", str(target)])
    assert result.exit_code == 1
    assert f"Cannot write {target}: No space left on device" in result.output
    assert sorted(path.name for path in full_disk.iterdir()) == ["filler"]


def test_web_export_without_room_for_its_file_answers_503(
    app: Flask, full_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = logged_in(app)
    # A large backpack's export spills to a file: here every export does, on a full disk.
    monkeypatch.setattr(export, "SPOOLED_IN_MEMORY", 1)
    monkeypatch.setattr(tempfile, "tempdir", str(full_disk))
    fill(full_disk)
    response = accounts.client.get("/account/export")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert b"no room" in response.data
    assert b"Traceback" not in response.data


def test_an_upload_without_room_on_the_server_is_refused_and_nothing_kept(
    app_factory: Callable[..., Flask], full_disk: Path
) -> None:
    app = app_factory(IMPORTS_DIR=str(full_disk / "imports"))
    accounts = logged_in(app)
    (full_disk / "imports" / "uploads").mkdir(parents=True)
    fill(full_disk)
    response = upload(accounts, export_zip(sample_badges(ANN, SCHOOL)))
    assert response.status_code == 503
    assert b"no room" in response.data
    assert not list((full_disk / "imports" / "uploads").iterdir())
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ImportJob.id))) == 0


def test_an_import_whose_failures_file_cannot_be_written_finishes_with_a_note(
    app_factory: Callable[..., Flask], full_disk: Path, tmp_path: Path
) -> None:
    app = app_factory(
        IMPORTS_DIR=str(full_disk / "imports"),
        TASKS_IMMEDIATE=False,
        TASKS_SQLITE_PATH=str(tmp_path / "tasks.db"),
    )
    accounts = logged_in(app)
    job_url = upload(accounts, zip_of_failures(60)).headers["Location"]
    fill(full_disk)
    with app.app_context():
        job_id = db.session.scalars(sa.select(ImportJob.id)).one()
        run_zip_job(job_id)
    state = accounts.client.get(job_url + ".json").get_json()
    assert state["status"] == "done"
    assert state["report"]["badges"] == 1
    assert state["report"]["failed"] == 60
    assert len(state["report"]["first_failures"]) == 50
    assert state["failures_url"] is None
    assert any("No space left on device" in note for note in state["report"]["notes"])
    # No half-written list is left behind to be taken for the whole one.
    assert not list((full_disk / "imports").glob("job-*"))
