"""Our own export (`users export`, the settings page) and its restore (`import backpack-export`)."""

from __future__ import annotations

import errno
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from backpack import create_app
from backpack.extensions import db
from backpack.models import Badge, Collection, EmailAddress, User
from backpack.services import accounts, collections, export, sharing
from tests.conftest import TEST_PASSWORD, Accounts, make_test_config
from tests.support.mozilla import export_zip, sample_badges

ANN = "ann@example.org"
SCHOOL = "ann@school.example.edu"


@pytest.fixture
def filled(app: Flask, runner: FlaskCliRunner, accounts: Accounts, tmp_path: Path) -> Flask:
    """Ann's backpack: six badges (one pending, in a collection) and two collections with
    stories."""
    accounts.create(ANN)
    source = tmp_path / "mozilla.zip"
    source.write_bytes(export_zip(sample_badges(ANN, SCHOOL)))
    result = runner.invoke(args=["import", "mozilla-zip", str(source), "--user", ANN])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user is not None
        ids = list(
            db.session.scalars(
                sa.select(Badge.id).where(Badge.status == "accepted").order_by(Badge.id)
            )
        )
        web = collections.create_collection(user, "Web skills", "How I learnt the web.")
        collections.add_badges(web, [ids[2], ids[0]])
        collections.set_story(web, ids[0], "My very first badge.")
        sharing.publish_collection(web)
        # As a Mozilla import leaves it: a pending member keeps its place and its story.
        pending = db.session.scalars(sa.select(Badge.id).filter_by(status="pending")).one()
        story = {pending: "Waiting for my school address."}
        other = collections.ImportedCollection(user.id, "Other", "", [pending, ids[1]], story)
        collections.import_collections([other])
        db.session.commit()
    return app


def contents(app: Flask) -> dict[str, Any]:
    """What a user would see: badges, addresses and collections, without local ids."""
    with app.app_context():
        badges = db.session.scalars(sa.select(Badge).order_by(Badge.fingerprint)).all()
        by_id = {b.id: b.fingerprint for b in badges}
        return {
            "badges": [
                (b.fingerprint, b.original_payload, b.status, b.badge_class.name, b.recipient)
                for b in badges
            ],
            "images": sorted(b.original_image.sha256 for b in badges if b.original_image),
            "emails": sorted(
                (e.normalised, e.is_verified) for e in db.session.scalars(sa.select(EmailAddress))
            ),
            "collections": [
                (
                    c.name,
                    c.description,
                    c.is_published,
                    [(by_id[i.badge_id], i.story) for i in c.items],
                )
                for c in db.session.scalars(sa.select(Collection).order_by(Collection.position))
            ],
        }


def empty_instance(tmp_path: Path) -> Flask:
    other = create_app(make_test_config(f"sqlite:///{tmp_path / 'other.sqlite3'}", tmp_path))
    with other.app_context():
        db.create_all()
        accounts.create_account(ANN, TEST_PASSWORD, verified=True)
        db.session.commit()
    return other


def test_export_restores_the_same_badges_collections_and_stories(
    filled: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "ann.zip"
    result = runner.invoke(args=["users", "export", ANN, "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "Exported 6 badges" in result.output
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
    assert "backpack-export.json" in names
    assert sum(n.startswith("badges/") for n in names) == 6

    other = empty_instance(tmp_path)
    restore = other.test_cli_runner()
    args = ["import", "backpack-export", str(target), "--user", ANN, "--json"]
    result = restore.invoke(args=args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["badges"], report["collections"]) == (6, 2)
    assert contents(other) == contents(filled)

    again = json.loads(restore.invoke(args=args).output)
    assert (again["badges"], again["collections"], again["emails"]) == (0, 0, 0)
    assert contents(other) == contents(filled)
    with other.app_context():
        db.engine.dispose()


def break_third_image(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """Make the export fail midway, after some of the ZIP is written."""
    real = export.baked_image
    calls = 0

    def baked_image(badge: Badge) -> tuple[bytes, str]:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise error
        return real(badge)

    monkeypatch.setattr(export, "baked_image", baked_image)


def test_a_failed_export_leaves_the_existing_file_untouched(
    filled: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "ann.zip"
    target.write_bytes(b"last week's export")
    break_third_image(monkeypatch, RuntimeError("an unreadable image"))
    result = runner.invoke(args=["users", "export", ANN, "--output", str(target)])
    assert result.exit_code == 1
    assert f"The export of {ANN} stopped because of an error here" in result.output
    assert f"{target} is unchanged" in result.output
    assert target.read_bytes() == b"last week's export"
    assert list(folder.iterdir()) == [target]


def test_a_full_disk_leaves_no_partial_export(
    filled: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "ann.zip"
    break_third_image(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    result = runner.invoke(args=["users", "export", ANN, "--output", str(target)])
    assert result.exit_code == 1
    assert f"Cannot write {target}: No space left on device" in result.output
    assert not list(folder.iterdir())


def test_settings_page_downloads_the_export(
    filled: Flask, accounts: Accounts, tmp_path: Path
) -> None:
    accounts.login(ANN)
    response = accounts.client.get("/account/export")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    path = tmp_path / "download.zip"
    path.write_bytes(response.data)
    response.close()
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("backpack-export.json"))
    assert [c["name"] for c in manifest["collections"]] == ["Web skills", "Other"]


def test_export_needs_a_login(client: Any) -> None:
    response = client.get("/account/export")
    assert response.status_code == 302


def test_a_zip_that_is_not_an_export_is_refused(
    filled: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "other.zip"
    path.write_bytes(export_zip(sample_badges(ANN, SCHOOL)[:1]))
    result = runner.invoke(args=["import", "backpack-export", str(path), "--user", ANN])
    assert result.exit_code == 1
    assert "not a backpack export" in result.output
