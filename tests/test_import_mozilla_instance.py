"""Importing a whole Mozilla Backpack: `import mozilla-db URL` and `import mozilla-dump FILE`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from backpack.extensions import db
from backpack.models import Badge, Collection, EmailAddress, User
from backpack.services import accounts
from tests import services
from tests.support import mozilla_instance as generated
from tests.support.import_snapshot import snapshot as snapshot_rows
from tests.support.mozilla_instance import ANN, ANN_PASSWORD, BOB, CAT, DAN, IVY, OLD, SCHOOL

pytestmark = pytest.mark.mariadb


@pytest.fixture
def mozilla_url() -> Iterator[str]:
    """A MariaDB database holding the small generated Mozilla instance."""
    admin = services.require_mariadb()
    name = services.unique_name("mozilla")
    url = generated.create_database(admin, name)
    try:
        generated.fill(url, generated.table_rows(generated.small()))
        yield url
    finally:
        generated.drop_database(admin, name)


@pytest.fixture(params=["hex-blob", "quoted-blob"])
def dump_path(request: pytest.FixtureRequest, mozilla_url: str, tmp_path: Path) -> Path:
    return generated.mysqldump(
        mozilla_url, tmp_path / "mozilla.sql", hex_blob=request.param == "hex-blob"
    )


def run(runner: FlaskCliRunner, *args: str) -> tuple[int, dict[str, Any], Path]:
    failures = Path(runner.app.config["MAIL_OUTBOX_DIR"]).parent / "failures.jsonl"
    result = runner.invoke(args=["import", *args, "--json", "--failures", str(failures)])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.output), failures


def failure_reasons(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines() if path.exists() else []
    return {f"{d['kind']}:{d['key']}": d["reason"] for d in map(json.loads, lines)}


def check_imported(app: Flask, report: dict[str, Any], failures: Path) -> None:
    assert report["users"] == 5
    assert report["badges"] == 11
    assert report["collections"] == 4
    assert report["connect_grants"] == 2  # Mozilla's bpc_session rows
    # Every primary is trusted as Mozilla trusted it; Cat's alone was ever confirmed.
    assert report["unconfirmed_primaries_trusted"] == 4
    # Bob's badge for the school address Ann verified stays his, as Mozilla showed it.
    assert report["badges_address_on_another_account"] == 1
    reasons = failure_reasons(failures)
    # Badge 7's body is not JSON; Bob claimed Ann's verified school address.
    assert set(reasons) == {"badges:badge:7", "emails:user:2:email:1"}
    assert "JSON" in reasons["badges:badge:7"]
    assert "already verified" in reasons["emails:user:2:email:1"]
    assert report["failed"] == 2
    with app.app_context():
        ann = db.session.scalar(sa.select(EmailAddress).filter_by(normalised=ANN)).user
        assert ann.name == "Ann Example"
        assert ann.created_at.year == 2017
        held = {e.normalised: e.is_verified for e in ann.emails}
        assert held == {ANN: True, SCHOOL: True, OLD: False}
        # The old bcrypt hash still opens the account.
        assert accounts.authenticate(ANN, ANN_PASSWORD) is not None
        cat = db.session.scalar(sa.select(EmailAddress).filter_by(normalised=CAT))
        assert cat is not None
        assert cat.is_verified
        assert cat.user.name == "Cat ????"  # a 4-byte character, as a utf8 column kept it
        dan = db.session.scalar(sa.select(EmailAddress).filter_by(normalised=DAN.lower()))
        assert (dan.address, dan.is_verified, dan.user.password_hash) == (DAN, True, "!")
        assert db.session.scalar(sa.select(EmailAddress).filter_by(normalised=IVY)) is not None
        badges = db.session.scalars(sa.select(Badge).where(Badge.user_id == ann.id)).all()
        assert len(badges) == 6
        assert {b.recipient for b in badges} == {ANN, SCHOOL}
        assert all(b.verification == "unchecked" and b.source == "import" for b in badges)
        assert all(b.original_image is not None for b in badges)
        assert {b.last_verified_at.year for b in badges} == {2018}
        assert {b.version for b in badges} == {"0.5", "1.0"}
        web = db.session.scalar(sa.select(Collection).filter_by(name="Web skills"))
        assert web is not None
        assert web.is_published
        assert web.description == "My web journey\n\n2011 to 2014\n\nHow I learnt the web."
        assert [i.badge.badge_class.name for i in web.items] == [
            "HTML5 Fundamental 1",
            "Community Contributor 3",
            "Community Contributor 4",
        ]
        stories = [i.story for i in web.items]
        assert stories == ["My very first badge.", "", "Signed, sealed, delivered."]
        private = db.session.scalar(sa.select(Collection).filter_by(name="Private things"))
        assert private is not None
        assert not private.is_published
        assert len(private.items) == 2
        bob = db.session.scalar(sa.select(EmailAddress).filter_by(normalised=BOB)).user
        assert [e.normalised for e in bob.emails] == [BOB]
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 5
        statuses = db.session.scalars(sa.select(Badge.status)).all()
        assert set(statuses) == {"accepted"}


only_postgres = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)


def empty_database(app: Flask) -> None:
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()


@only_postgres
def test_workers_import_exactly_what_one_process_imports(app: Flask, mozilla_url: str) -> None:
    runner = app.test_cli_runner()
    code, report, failures = run(runner, "mozilla-db", mozilla_url, "--workers", "3")
    assert code == 1
    # The failures of the addresses and of the badges (each from a worker) are in
    # the one failures file, and in the one report.
    check_imported(app, report, failures)
    with app.app_context():
        together = snapshot_rows()
    empty_database(app)
    _, alone, _ = run(runner, "mozilla-db", mozilla_url, "--workers", "1")
    with app.app_context():
        assert snapshot_rows() == together
    assert {k: v for k, v in alone.items() if k != "failures_file"} == {
        k: v for k, v in report.items() if k != "failures_file"
    }
    again = run(runner, "mozilla-db", mozilla_url, "--workers", "3")[1]
    assert (again["badges"], again["already_imported"]["badges"]) == (0, 11)


@only_postgres
def test_which_account_gets_a_contested_address_does_not_depend_on_workers(app: Flask) -> None:
    """Claims to one address are settled in the order of the source, however many workers
    share the accounts out: the first account wins its own address, an account's own
    address beats another's additional one, and the first additional claim beats a later."""
    admin = services.require_mariadb()
    name = services.unique_name("mozilla_contested")
    url = generated.create_database(admin, name)
    shared = {"additional_email_1": "shared@school.example", "additional_email_1_is_verified": 1}
    rows = [generated.user_row(n, f"user{n}@example.org") for n in range(1, 13)]
    rows[2] |= {"additional_email_1": "user9@example.org", "additional_email_1_is_verified": 1}
    rows[3] |= shared
    rows[4] |= shared
    rows.append(generated.user_row(13, " USER7@example.org"))  # user 7's address, spaced
    try:
        generated.fill(url, [("user", rows)])
        runner = app.test_cli_runner()
        outcomes = []
        for workers in ("1", "3", "4"):
            empty_database(app)
            _, _, failures = run(runner, "mozilla-db", url, "--workers", workers)
            with app.app_context():
                outcomes.append((failure_reasons(failures), snapshot_rows()["users"]))
    finally:
        generated.drop_database(admin, name)
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert set(outcomes[0][0]) == {
        "users:user:13",
        "emails:user:3:email:1",
        "emails:user:5:email:1",
    }
    users = outcomes[0][1]
    assert [address for address, *_ in users["user4@example.org"][3]] == [
        "shared@school.example",
        "user4@example.org",
    ]


@only_postgres
def test_a_failing_worker_is_reported_and_what_was_written_stays(
    app: Flask, mozilla_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importers import mozilla_instance

    shards = mozilla_instance.owned_units

    def second_shard_breaks(source: Any, pipeline: Any, shard: Any) -> Any:
        if shard.index == 1:
            raise RuntimeError("the source went away")
        return shards(source, pipeline, shard)

    user_units, email_units, _ = mozilla_instance.PARTS
    monkeypatch.setattr(mozilla_instance, "PARTS", (user_units, email_units, second_shard_breaks))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "mozilla-db", mozilla_url, "--workers", "2"])
    assert result.exit_code == 1
    assert "Import worker 2 of 2 failed: RuntimeError: the source went away" in result.output
    assert "run the import again" in result.output
    # Each worker's list of failures was taken into the import's, even the failed one's.
    assert not list(Path(app.config["IMPORTS_DIR"]).glob("*.worker-*"))
    with app.app_context():
        # The accounts were in before the workers began; worker 1 (even Mozilla ids: Bob
        # and Dan) finished its badges and groups, and they stay.
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 5
        bob = db.session.scalar(sa.select(EmailAddress).filter_by(normalised=BOB)).user
        dan = db.session.scalar(sa.select(EmailAddress).filter_by(normalised=DAN.lower())).user
        owners = db.session.scalars(sa.select(Badge.user_id)).all()
        assert owners
        assert set(owners) == {bob.id, dan.id}
        assert [c.name for c in db.session.scalars(sa.select(Collection))] == ["Bob's"]
    monkeypatch.undo()
    code, report, _ = run(runner, "mozilla-db", mozilla_url, "--workers", "2")
    assert code == 1  # the two records that always fail
    assert report["badges"] == 11 - len(owners)
    assert report["already_imported"]["badges"] == len(owners)


def snapshot(app: Flask) -> tuple[int, ...]:
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (User, EmailAddress, Badge, Collection)
        )


def test_live_database_imports_users_emails_badges_and_groups(
    app: Flask, runner: FlaskCliRunner, mozilla_url: str
) -> None:
    code, report, failures = run(runner, "mozilla-db", mozilla_url)
    assert code == 1  # two records failed, each with its reason
    check_imported(app, report, failures)
    assert "deleted or not imported" in " ".join(report["notes"])


def test_second_run_changes_nothing(app: Flask, runner: FlaskCliRunner, mozilla_url: str) -> None:
    run(runner, "mozilla-db", mozilla_url)
    before = snapshot(app)
    _code, report, _ = run(runner, "mozilla-db", mozilla_url)
    assert (report["users"], report["badges"], report["collections"]) == (0, 0, 0)
    assert report["already_imported"] == {
        "users": 5,
        "emails": 2,
        "badges": 11,
        "collections": 4,
        "connect_grants": 2,
    }
    assert snapshot(app) == before


def test_dry_run_writes_nothing(app: Flask, runner: FlaskCliRunner, mozilla_url: str) -> None:
    _code, report, _ = run(runner, "mozilla-db", mozilla_url, "--dry-run")
    assert report["dry_run"] is True
    assert (report["users"], report["badges"], report["collections"]) == (5, 11, 4)
    assert snapshot(app) == (0, 0, 0, 0)


def test_dump_imports_the_same_as_the_database(
    app: Flask, runner: FlaskCliRunner, dump_path: Path
) -> None:
    code, report, failures = run(runner, "mozilla-dump", str(dump_path))
    assert code == 1
    check_imported(app, report, failures)


def test_dump_and_database_of_one_instance_share_their_records(
    app: Flask, runner: FlaskCliRunner, mozilla_url: str, dump_path: Path
) -> None:
    run(runner, "mozilla-db", mozilla_url)
    before = snapshot(app)
    _, report, _ = run(runner, "mozilla-dump", str(dump_path))
    assert report["badges"] == 0
    assert snapshot(app) == before


def test_unreachable_database_is_a_clear_error(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["import", "mozilla-db", "mysql+pymysql://root@127.0.0.1:1/nothing"]
    )
    assert result.exit_code == 1
    assert "Cannot read the database" in result.output
    assert "Traceback" not in result.output


def test_a_database_without_mozilla_tables_is_refused(runner: FlaskCliRunner) -> None:
    admin = services.require_mariadb()
    result = runner.invoke(args=["import", "mozilla-db", admin])
    assert result.exit_code == 1
    assert "not a Mozilla Backpack database" in result.output


def test_a_file_that_is_not_a_dump_is_refused(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "x.sql"
    path.write_text("hello\n")
    result = runner.invoke(args=["import", "mozilla-dump", str(path)])
    assert result.exit_code == 1
    assert "is not a mysqldump" in result.output


def test_old_share_links_lead_to_the_new_public_pages(
    app: Flask, runner: FlaskCliRunner, mozilla_url: str
) -> None:
    run(runner, "mozilla-db", mozilla_url)
    client = app.test_client()
    public = client.get("/share/" + "a" * 32)
    assert public.status_code == 301
    assert "/public/collections/" in public.headers["Location"]
    assert client.get(public.headers["Location"]).status_code == 200
    # A private group's old link leads nowhere: the collection stays private.
    assert client.get("/share/" + "b" * 32).status_code == 404
    assert client.get("/share/unknown").status_code == 404
    shared = [row for row in generated.small().badges if row["public_path"] and row["id"] == 1]
    badge = client.get("/share/badge/" + shared[0]["public_path"])
    assert badge.status_code == 301
    assert "/public/badges/" in badge.headers["Location"]
    assert client.get(badge.headers["Location"]).status_code == 200


def test_kill_9_midway_then_rerun_imports_everything_once(tmp_path: Path) -> None:
    """A real `kill -9` of the import process, then a second run that finishes the job."""
    target = f"sqlite:///{tmp_path / 'backpack.sqlite3'}"
    kill_midway_and_rerun(target, tmp_path, scale=0.002, batch=25)


@pytest.mark.postgresql
def test_kill_9_of_an_import_with_workers_stops_them_too(tmp_path: Path) -> None:
    """On PostgreSQL badges are imported by worker processes: they die with the import,
    and the second run finishes what all of them left."""
    admin_url = services.require_postgres()
    name = services.unique_name("backpack_kill")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    target = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        kill_midway_and_rerun(target, tmp_path, scale=0.01, batch=10, workers=2)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def kill_midway_and_rerun(
    target: str, tmp_path: Path, *, scale: float, batch: int, workers: int | None = None
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from backpack import create_app

    admin = services.require_mariadb()
    name = services.unique_name("mozilla_kill")
    url = generated.create_database(admin, name)
    users, badges, groups = int(100_000 * scale), int(200_000 * scale), int(50_000 * scale)
    try:
        generated.fill(url, generated.synthetic(scale))
        settings = {"SQLALCHEMY_DATABASE_URI": target, "SECRET_KEY": "k" * 48}
        app = create_app(settings | {"ENVIRONMENT": "testing"})
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        env = dict(os.environ, BACKPACK_SQLALCHEMY_DATABASE_URI=target)
        env |= {"BACKPACK_SECRET_KEY": "k" * 48, "BACKPACK_ENVIRONMENT": "testing"}
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "import", "mozilla-db", url]
        command += ["--json", "--failures", str(tmp_path / "failures.jsonl")]
        command += ["--batch-size", str(batch)]
        command += ["--workers", str(workers)] if workers else []
        root = Path(__file__).resolve().parent.parent
        child = subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while count_badges(target) < badges // 4 and time.monotonic() < deadline:
            assert child.poll() is None, "the import ended before it could be killed"
            time.sleep(0.02)
        helpers = children_of(child.pid)
        assert len(helpers) == (workers or 0), "the workers were not running when killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in helpers if alive(pid)], "a worker outlived the import"
        interrupted = count_badges(target)
        assert badges // 4 <= interrupted < badges

        rerun = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True)
        report = json.loads(rerun.stdout)
        assert rerun.returncode == 0, rerun.stderr
        assert report["failed"] == 0
        assert report["badges"] + report["already_imported"]["badges"] == badges
        # At most a batch a process was redone.
        assert report["already_imported"]["badges"] >= interrupted - batch * (workers or 1)
        engine = sa.create_engine(target)
        with engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM badge")) == badges
            assert connection.scalar(sa.text('SELECT count(*) FROM "user"')) == users
            assert connection.scalar(sa.text("SELECT count(*) FROM collection")) == groups
            duplicates = (
                "SELECT count(*) FROM (SELECT fingerprint FROM badge"
                " GROUP BY user_id, fingerprint HAVING count(*) > 1) d"
            )
            assert connection.scalar(sa.text(duplicates)) == 0
        engine.dispose()
    finally:
        generated.drop_database(admin, name)


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether a process is still running (a zombie, awaiting its reaper, is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def count_badges(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(sa.text("SELECT count(*) FROM badge")) or 0)
    except sa.exc.OperationalError:
        return 0  # locked for a moment by the writer
    finally:
        engine.dispose()
