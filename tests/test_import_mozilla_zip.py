"""Importing the ZIP Mozilla sent its users: `flask --app wsgi import mozilla-zip`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from backpack.extensions import db
from backpack.models import Badge, EmailAddress, ImportedRecord
from tests.conftest import Accounts
from tests.support.issuer import make_png
from tests.support.mozilla import export_zip, mozilla_zip, sample_badges

ANN = "ann@example.org"
SCHOOL = "ann@school.example.edu"


@pytest.fixture
def ann(accounts: Accounts) -> int:
    return accounts.create(ANN)


def write(tmp_path: Path, data: bytes, name: str = "mozilla.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run(runner: FlaskCliRunner, path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(
        args=["import", "mozilla-zip", str(path), "--user", ANN, "--json", *extra]
    )
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.output)


def badges(app: Flask) -> list[Badge]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Badge).order_by(Badge.id)))


def test_every_badge_shape_imports_without_fetching(
    app: Flask, runner: FlaskCliRunner, ann: int, tmp_path: Path
) -> None:
    path = write(tmp_path, export_zip(sample_badges(ANN, SCHOOL)))
    code, report = run(runner, path)
    assert code == 0, report
    assert report["badges"] == 6
    assert report["failed"] == 0
    assert report["unverified_emails"] == [SCHOOL]
    assert report["pending_badges"] == 1
    stored = badges(app)
    assert {b.version for b in stored} == {"0.5", "1.0"}
    assert {b.verification_kind for b in stored} == {"hosted", "signed"}
    assert all(b.source == "import" and b.verification == "unchecked" for b in stored)
    assert all(b.original_image_id is not None for b in stored)
    with app.app_context():
        first = db.session.scalars(sa.select(Badge).order_by(Badge.id)).first()
        assert first is not None
        assert first.badge_class.name == "HTML5 Fundamental 1"
        assert first.source_url == "https://gone-issuer.invalid/assertions/1.json"
        school = db.session.scalar(sa.select(EmailAddress).filter_by(normalised=SCHOOL))
        assert school is not None
        assert school.verified_at is None
    assert sorted(b.status for b in stored) == ["accepted"] * 5 + ["pending"]


def test_second_run_changes_nothing(
    app: Flask, runner: FlaskCliRunner, ann: int, tmp_path: Path
) -> None:
    path = write(tmp_path, export_zip(sample_badges(ANN, SCHOOL)))
    assert run(runner, path)[0] == 0
    before = [(b.id, b.fingerprint) for b in badges(app)]
    code, report = run(runner, path)
    assert code == 0
    assert report["badges"] == 0
    assert report["emails"] == 0
    assert report["already_imported"] == {"badges": 6, "emails": 2}
    assert [(b.id, b.fingerprint) for b in badges(app)] == before


def test_dry_run_writes_nothing(
    app: Flask, runner: FlaskCliRunner, ann: int, tmp_path: Path
) -> None:
    path = write(tmp_path, export_zip(sample_badges(ANN, SCHOOL)))
    code, report = run(runner, path, "--dry-run")
    assert code == 0
    assert report["dry_run"] is True
    assert report["badges"] == 6
    assert badges(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ImportedRecord.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(EmailAddress.id))) == 1


def test_files_are_matched_by_base_name(
    app: Flask, runner: FlaskCliRunner, ann: int, tmp_path: Path
) -> None:
    path = write(tmp_path, export_zip(sample_badges(ANN, SCHOOL)[:3], prefix="export/badges/"))
    code, report = run(runner, path)
    assert (code, report["badges"], report["failed"]) == (0, 3, 0)


@pytest.mark.parametrize("manifest", [None, "not json {", '["a list"]'])
def test_missing_or_broken_manifest_falls_back_to_scanning(
    app: Flask, runner: FlaskCliRunner, ann: int, tmp_path: Path, manifest: str | None
) -> None:
    listed = sample_badges(ANN, SCHOOL)[:4]
    files = {f"{b.number}.png": b.baked_image() for b in listed}
    code, report = run(runner, write(tmp_path, mozilla_zip(files, manifest)))
    assert (code, report["badges"]) == (0, 4)
    assert "every image was scanned" in report["notes"][0]


def test_a_deeply_nested_manifest_is_reported_as_nested_not_encrypted(
    app: Flask, runner: FlaskCliRunner, ann: int, tmp_path: Path
) -> None:
    listed = sample_badges(ANN, SCHOOL)[:1]
    files = {f"{b.number}.png": b.baked_image() for b in listed}
    manifest = '{"a": ' * 100_000 + "1" + "}" * 100_000
    code, report = run(runner, write(tmp_path, mozilla_zip(files, manifest)))
    assert (code, report["badges"]) == (0, 1)
    assert "manifest.txt was ignored (it is nested too deeply)" in report["notes"][0]


def test_a_manifest_of_many_addresses_adds_no_more_than_an_account_had(
    app: Flask, runner: FlaskCliRunner, ann: int, tmp_path: Path
) -> None:
    badge = sample_badges(ANN, SCHOOL)[0]
    manifest = {f"stranger{n}@example.net": [] for n in range(5_000)}
    manifest[ANN] = [f"{badge.body_hash}.png"]
    files = {f"{badge.body_hash}.png": badge.baked_image()}
    code, report = run(runner, write(tmp_path, mozilla_zip(files, manifest)))
    assert (code, report["badges"], report["failed"]) == (0, 1, 0)
    assert "lists 5001 addresses" in " ".join(report["notes"])
    with app.app_context():
        held = set(db.session.scalars(sa.select(EmailAddress.normalised)))
    # Her own address first, then two more: a Mozilla account had three at most.
    assert held == {ANN, "stranger0@example.net", "stranger1@example.net"}


def test_hostile_entries_are_refused_with_reasons(
    app: Flask, runner: FlaskCliRunner, ann: int, tmp_path: Path
) -> None:
    good = sample_badges(ANN, SCHOOL)[0]
    buffer_path = tmp_path / "hostile.zip"
    with zipfile.ZipFile(buffer_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.txt", json.dumps({ANN: ["good.png", "missing.png"]}))
        archive.writestr("good.png", good.baked_image())
        archive.writestr("../../etc/evil.png", good.baked_image())
        archive.writestr("notes.txt", "hello")
        archive.writestr("bomb.png", b"\0" * (50 * 1024 * 1024))
        archive.writestr("plain.png", make_png())
    failures = tmp_path / "failures.jsonl"
    code, report = run(runner, buffer_path, "--failures", str(failures))
    assert code == 1
    assert report["badges"] == 1
    reasons = {
        line["label"]: line["reason"] for line in map(json.loads, failures.read_text().splitlines())
    }
    assert "path traversal" in reasons["../../etc/evil.png"]
    assert "not a PNG or SVG" in reasons["notes.txt"]
    assert "limit" in reasons["bomb.png"]
    assert "not in the archive" in reasons["missing.png"]
    assert "no badge" in reasons["plain.png"]
    assert report["failed"] == len(reasons) == 5


def test_zip_bomb_with_small_entries_is_refused(
    app: Flask, runner: FlaskCliRunner, ann: int, tmp_path: Path
) -> None:
    path = write(tmp_path, mozilla_zip({"bomb.png": b"\0" * (1536 * 1024)}, {ANN: ["bomb.png"]}))
    failures = tmp_path / "f.jsonl"
    code, report = run(runner, path, "--failures", str(failures))
    assert (code, report["failed"]) == (1, 1)
    assert "zip bomb" in failures.read_text()


def test_a_file_that_is_not_a_zip_is_a_clear_error(
    runner: FlaskCliRunner, ann: int, tmp_path: Path
) -> None:
    path = write(tmp_path, b"not a zip at all")
    result = runner.invoke(args=["import", "mozilla-zip", str(path), "--user", ANN])
    assert result.exit_code == 1
    assert "is not a readable ZIP file" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_account_is_a_clear_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, export_zip(sample_badges(ANN, SCHOOL)[:1]))
    result = runner.invoke(args=["import", "mozilla-zip", str(path), "--user", ANN])
    assert result.exit_code == 1
    assert f"No account has the verified address {ANN}" in result.output


def test_badges_for_someone_else_fail_with_a_reason(
    app: Flask, runner: FlaskCliRunner, ann: int, tmp_path: Path
) -> None:
    path = write(tmp_path, export_zip(sample_badges("bob@example.org", "bob@elsewhere.org")[:2]))
    failures = tmp_path / "f.jsonl"
    code, report = run(runner, path, "--failures", str(failures))
    # Bob's addresses are added to Ann's account unverified: his badges match them, but
    # they stay pending until Ann proves the address is hers.
    assert code == 0
    assert report["pending_badges"] == 2
    assert all(b.status == "pending" for b in badges(app))


def test_table_report_is_readable(
    app: Flask, runner: FlaskCliRunner, ann: int, tmp_path: Path
) -> None:
    path = write(tmp_path, export_zip(sample_badges(ANN, SCHOOL)))
    result = runner.invoke(args=["import", "mozilla-zip", str(path), "--user", ANN])
    assert result.exit_code == 0
    assert "badges" in result.output
    assert f"Unverified address added: {SCHOOL}" in result.output


class Killed(BaseException):
    """Stands for `kill -9`: nothing after it runs, nothing uncommitted survives."""


def test_an_import_killed_midway_resumes_without_duplicates_or_gaps(
    app: Flask, runner: FlaskCliRunner, ann: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importers import mozilla_zip
    from importers.pipeline import Pipeline
    from importers.report import ImportReport

    path = write(tmp_path, export_zip(sample_badges(ANN, SCHOOL)))
    real = mozilla_zip.receive_unchecked
    calls = 0

    def dies_at_the_fifth(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(mozilla_zip, "receive_unchecked", dies_at_the_fifth)
    with app.app_context(), mozilla_zip.open_archive(path) as archive:
        pipeline = Pipeline(f"mozilla-zip:user:{ann}", ImportReport(), batch=4)
        with pytest.raises(Killed):
            pipeline.run(mozilla_zip.zip_units(archive, ann, pipeline.report))
        db.session.rollback()  # the connection died with the process
    # Units e1 e2 b1 b2 were committed; b3 and b4 were written but died uncommitted with b5.
    assert len(badges(app)) == 2
    monkeypatch.setattr(mozilla_zip, "receive_unchecked", real)

    code, report = run(runner, path)
    assert code == 0
    assert report["badges"] == 4
    assert report["already_imported"]["badges"] == 2
    stored = badges(app)
    assert len(stored) == len({b.fingerprint for b in stored}) == 6
