"""Settings in sections a person understands, in their words, and bringing back one's own
download from the website (a background job, like the Mozilla ZIP)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from backpack.extensions import db
from backpack.models import Badge, Collection, EmailAddress, ImportJob
from backpack.services import badges as badge_service
from backpack.services import collections
from backpack.tasks import queue_of
from backpack.web.device_names import device_name
from tests.conftest import Accounts, Outbox, post_form
from tests.support.mozilla import export_zip, sample_badges
from tests.test_import_backpack_export import contents

ANN = "ann@example.org"
SCHOOL = "ann@school.example.edu"
SECTIONS = {
    "/account/": "Addresses",
    "/account/security": "Security and devices",
    "/account/apps": "Apps and tokens",
    "/account/import-export": "Import and export",
    "/account/delete": "Delete account",
}
# What the old single page said that meant nothing to an earner.
JARGON = ("Displayer API", "user number", "import backpack-export", "Mozilla/5.0")


def restore(accounts: Accounts, data: bytes, name: str = "backpack-export.zip") -> Any:
    return post_form(
        accounts.client,
        "/account/import-export",
        {"archive": (io.BytesIO(data), name)},
        action="/account/import/restore",
        content_type="multipart/form-data",
    )


def download(accounts: Accounts) -> bytes:
    response = accounts.client.get("/account/export")
    data = response.get_data()
    response.close()  # which closes the file the export was spooled to
    return data


def test_every_section_is_one_click_from_every_other_and_speaks_plainly(
    accounts: Accounts,
) -> None:
    accounts.create(ANN)
    accounts.login(ANN)
    for path, title in SECTIONS.items():
        page = accounts.client.get(path).get_data(as_text=True)
        assert f"<h1>{title}</h1>" in page, path
        for other in SECTIONS:
            assert f'href="{other}"' in page, (path, other)
        assert f'href="{path}" aria-current="page"' in page
        for word in JARGON:
            assert word not in page, (path, word)
    for path in ("/account/connected-apps/", "/account/tokens/"):
        page = accounts.client.get(path).get_data(as_text=True)
        assert 'href="/account/apps" aria-current="page"' in page, path


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15"
            " (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on macOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on Linux",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like"
            " Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            "Chrome on iPad",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/131.0.0.0 Safari/537.36",
            "Chrome on ChromeOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko)"
            " SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android",
        ),
        # Browsers a table of marks missed: one that names no other, one that names Chrome.
        (
            "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
            "Internet Explorer on Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/131.0.0.0 Safari/537.36 Vivaldi/7.0.3495.18",
            "Vivaldi on Windows",
        ),
        # An app showing a page itself is not Safari, though it runs Safari's engine.
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"
            " (KHTML, like Gecko) Mobile/15E148",
            "An app's browser on iPhone",
        ),
        ("curl/8.5.0", "curl"),
        ("", "Unknown browser"),
        (None, "Unknown browser"),
        ("something odd", "Unknown browser"),
    ],
)
def test_devices_are_named_as_people_know_them(agent: str | None, name: str) -> None:
    assert device_name(agent) == name


def _ann_with_badges(app: Flask, runner: FlaskCliRunner, accounts: Accounts, tmp: Path) -> None:
    accounts.create(ANN)
    source = tmp / "mozilla.zip"
    source.write_bytes(export_zip(sample_badges(ANN, SCHOOL)))
    result = runner.invoke(args=["import", "mozilla-zip", str(source), "--user", ANN])
    assert result.exit_code == 0, result.output
    with app.app_context():
        ids = list(db.session.scalars(sa.select(Badge.id).filter_by(status="accepted")))
        user = db.session.get(Badge, ids[0]).user  # type: ignore[union-attr]
        shown = collections.create_collection(user, "Web skills", "How I learnt the web.")
        collections.add_badges(shown, ids[:2])
        collections.set_story(shown, ids[0], "My very first badge.")
        db.session.commit()
    accounts.login(ANN)


def test_an_earner_brings_back_their_own_download_from_the_website(
    app: Flask, runner: FlaskCliRunner, accounts: Accounts, tmp_path: Path
) -> None:
    _ann_with_badges(app, runner, accounts, tmp_path)
    downloaded = download(accounts)
    kept = contents(app)
    # Ann deletes a badge and her collection, then brings her download back.
    with app.app_context():
        badge = db.session.scalars(sa.select(Badge).order_by(Badge.id)).first()
        assert badge is not None
        badge_service.delete_badge(badge)
        for collection in db.session.scalars(sa.select(Collection)):
            collections.delete_collection(collection)
        db.session.commit()
    assert contents(app) != kept

    response = restore(accounts, downloaded)
    assert response.status_code == 302
    job_url = response.headers["Location"]
    state = accounts.client.get(job_url + ".json").get_json()
    assert state["status"] == "done", state
    assert state["done"] == state["total"]
    assert state["report"]["unverified_emails"] == [SCHOOL]
    page = accounts.client.get(job_url).get_data(as_text=True)
    assert "Bringing back your badges" in page
    assert f"Verify {SCHOOL}" in page
    assert contents(app) == kept

    # The same file again adds nothing twice.
    again = restore(accounts, downloaded)
    assert accounts.client.get(again.headers["Location"] + ".json").get_json()["status"] == "done"
    assert contents(app) == kept


def test_a_download_brought_back_into_the_same_account_keeps_what_is_there(
    app: Flask, runner: FlaskCliRunner, accounts: Accounts, tmp_path: Path
) -> None:
    _ann_with_badges(app, runner, accounts, tmp_path)
    kept = contents(app)
    response = restore(accounts, download(accounts))
    assert accounts.client.get(response.headers["Location"] + ".json").get_json()["status"] == (
        "done"
    )
    assert contents(app) == kept, "no second copy of a badge or a collection"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"this is not a zip", "That file is not a ZIP file."),
        (_zip({"manifest.txt": b"{}"}), "This is not a backpack export"),
        (_zip({"backpack-export.json": b"{not json"}), "is not readable JSON"),
        (
            _zip({"backpack-export.json": json.dumps({"format": "backpack-export"}).encode()}),
            "This export is of version None",
        ),
    ],
)
def test_a_file_that_is_not_a_download_is_refused_at_once_with_why(
    app: Flask, accounts: Accounts, data: bytes, reason: str
) -> None:
    accounts.create(ANN)
    accounts.login(ANN)
    response = restore(accounts, data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert reason in page
    assert "<h1>Import and export</h1>" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ImportJob.id))) == 0


def test_an_uploaded_export_cannot_verify_an_address_it_names(
    app: Flask, accounts: Accounts
) -> None:
    accounts.create(ANN)
    accounts.login(ANN)
    manifest = {
        "format": "backpack-export",
        "version": 1,
        "export_id": "forged",
        "emails": [{"address": "boss@company.example", "verified": True}],
        "collections": [],
    }
    response = restore(accounts, _zip({"backpack-export.json": json.dumps(manifest).encode()}))
    assert response.status_code == 302
    with app.app_context():
        added = sa.select(EmailAddress).filter_by(address="boss@company.example")
        assert [email.is_verified for email in db.session.scalars(added)] == [False]


def test_a_brought_back_download_waits_for_the_worker_like_any_import(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    app = app_factory(TASKS_IMMEDIATE=False, TASKS_SQLITE_PATH=str(tmp_path / "tasks.db"))
    accounts = Accounts(app, app.test_client(), Outbox(Path(app.config["MAIL_OUTBOX_DIR"])))
    _ann_with_badges(app, app.test_cli_runner(), accounts, tmp_path)
    downloaded = download(accounts)
    with app.app_context():
        for badge in db.session.scalars(sa.select(Badge)):
            badge_service.delete_badge(badge)
        db.session.commit()
    job_url = restore(accounts, downloaded).headers["Location"]
    assert accounts.client.get(job_url + ".json").get_json()["status"] == "queued"

    # The worker (huey_consumer) takes it from the SQLite queue and runs it by its kind.
    queue = queue_of(app)
    task = queue.dequeue()
    assert task is not None
    queue.execute(task)
    state = accounts.client.get(job_url + ".json").get_json()
    assert state["status"] == "done", state
    assert state["report"]["badges"] == 6
