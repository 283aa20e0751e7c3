"""Imported badges are "not checked yet" until the background queue checks them, and then
show what their issuer serves; a badge is never shown without a name."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from backpack import create_app, tasks
from backpack.extensions import db
from backpack.models import Badge
from backpack.openbadges.report import VerificationReport
from backpack.services import accounts as account_service
from backpack.services import batch_verification
from backpack.tasks import queue_of
from tests import services
from tests.badge_fixtures import add_badge
from tests.conftest import (
    TEST_PASSWORD,
    Accounts,
    Outbox,
    csrf_token,
    make_test_config,
    post_form,
)
from tests.support import mozilla_instance as generated
from tests.support.issuer import TestIssuer, make_png
from tests.support.mozilla import MozillaBadge, mozilla_zip

ANN, BOB = "ann@example.org", "bob@example.org"
PASSWORD = "a Mozilla-era password"
OLD_NAME, NEW_NAME = "Robotics (as Mozilla kept it)", "Robotics Level 1"
MOZILLA_CHECKED = datetime(2018, 5, 1, 12, 0)


def hosted_1_0(issuer: TestIssuer, number: int, email: str) -> MozillaBadge:
    """A 1.0 badge hosted by the test issuer, stored as Mozilla stored it: the assertion
    flattened, with the badge class and issuer Mozilla fetched at the time (since renamed)."""
    server = issuer.server
    organisation = server.url("/v1/issuer.json")
    server.serve_json("/v1/issuer.json", {"name": issuer.name, "url": server.url("/")})
    badge_url = server.url("/v1/badges/robotics.json")
    server.serve_json(
        "/v1/badges/robotics.json",
        {
            "name": NEW_NAME,
            "description": "Built a robot.",
            "image": server.url("/image.png"),
            "criteria": server.url("/criteria"),
            "issuer": organisation,
        },
    )
    url = server.url(f"/v1/assertions/{number}.json")
    salt = f"salt{number}"
    recipient = {
        "type": "email",
        "hashed": True,
        "salt": salt,
        "identity": "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest(),
    }
    original = {
        "uid": str(number),
        "recipient": recipient,
        "badge": badge_url,
        "verify": {"type": "hosted", "url": url},
        "issuedOn": 1403784577 + number,
    }
    server.serve_json(f"/v1/assertions/{number}.json", original)
    body = original | {
        "_originalRecipient": recipient,
        "recipient": recipient["identity"],
        "salt": salt,
        "issued_on": original["issuedOn"],
        "badge": {
            "name": OLD_NAME,
            "description": "Built a robot.",
            "image": server.url("/old-image.png"),
            "criteria": server.url("/criteria"),
            "issuer": {
                "name": "Old Institute",
                "url": server.url("/"),
                "_location": organisation,
                "origin": server.url("/").rstrip("/"),
            },
            "_location": badge_url,
        },
    }
    return MozillaBadge(number, email, json.dumps(body, separators=(",", ":")), endpoint=url)


def mozilla_rows(
    badges: list[tuple[int, MozillaBadge]], validated_on: datetime = MOZILLA_CHECKED
) -> generated.Instance:
    """Ann (user 1) and Bob (user 2), and their badges as Mozilla's tables hold them."""
    instance = generated.Instance()
    instance.users = [
        generated.user_row(1, ANN, password=PASSWORD),
        generated.user_row(2, BOB, password=PASSWORD),
    ]
    for owner, badge in badges:
        row, image = generated.badge_rows(owner, badge)
        instance.badges.append(row | {"validated_on": validated_on})
        instance.images.append(image)
    return instance


@pytest.fixture
def mozilla_database() -> Iterator[Callable[[generated.Instance], str]]:
    """Makes MariaDB databases holding Mozilla instances; their URLs."""
    admin = services.require_mariadb()
    names: list[str] = []

    def make(instance: generated.Instance) -> str:
        names.append(services.unique_name("mozilla_checks"))
        url = generated.create_database(admin, names[-1])
        generated.fill(url, generated.table_rows(instance))
        return url

    yield make
    for name in names:
        generated.drop_database(admin, name)


def import_instance(app: Flask, url: str, source: str, tmp_path: Path) -> dict[str, Any]:
    """`import mozilla-db URL` or `import mozilla-dump FILE` of that database."""
    target = (
        url if source == "mozilla-db" else str(generated.mysqldump(url, tmp_path / "mozilla.sql"))
    )
    result = app.test_cli_runner().invoke(args=["import", source, target, "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


@pytest.fixture
def queued_app(app_factory: Callable[..., Flask], tmp_path: Path) -> Flask:
    """An app whose imports queue their checks for a worker, which may reach the issuer."""
    return app_factory(
        FETCH_ALLOW_PRIVATE=True,
        FETCH_TIMEOUT=1.0,
        VERIFY_IMPORTED_BADGES=True,
        TASKS_IMMEDIATE=False,
        TASKS_SQLITE_PATH=str(tmp_path / "tasks.sqlite3"),
    )


def work_queue(app: Flask, tasks_at_most: int | None = None) -> int:
    """Run queued tasks as the worker (huey_consumer) would; return how many ran."""
    queue, ran = queue_of(app), 0
    while tasks_at_most is None or ran < tasks_at_most:
        task = queue.dequeue()
        if task is None:
            break
        queue.execute(task)
        ran += 1
    return ran


def logged_in(app: Flask, address: str) -> FlaskClient:
    accounts = Accounts(app, app.test_client(), Outbox(Path(app.config["MAIL_OUTBOX_DIR"])))
    response = accounts.login(address, PASSWORD)
    assert response.status_code == 302, "the imported account could not log in"
    return accounts.client


def stored(app: Flask) -> list[Badge]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(Badge).order_by(Badge.id)))
        for badge in found:
            _ = badge.badge_class.issuer, badge.image  # loaded while the session is open
        return found


def text_of(client: FlaskClient, path: str) -> str:
    """The words a page shows (its markup left out), as one line."""
    response = client.get(path)
    assert response.status_code == 200, path
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(words).split())


@pytest.mark.mariadb
@pytest.mark.parametrize("source", ["mozilla-db", "mozilla-dump"])
def test_imported_badge_waits_as_not_checked_yet_until_the_queue_checks_it_with_its_issuer(
    queued_app: Flask,
    issuer: TestIssuer,
    mozilla_database: Callable[[generated.Instance], str],
    source: str,
    tmp_path: Path,
) -> None:
    url = mozilla_database(mozilla_rows([(1, hosted_1_0(issuer, 1, ANN))]))
    import_instance(queued_app, url, source, tmp_path)
    [badge] = stored(queued_app)
    assert badge.verification == "unchecked"
    client = logged_in(queued_app, ANN)
    page = text_of(client, f"/badges/{badge.id}")
    assert "Not checked yet" in page
    assert "Mozilla Backpack last checked it on 2018-05-01." in page
    assert "could not be reached" not in page
    assert "Unverifiable" not in page
    assert "Last checked 2018" not in page  # Mozilla's check is never shown as ours

    assert work_queue(queued_app) == 1
    [badge] = stored(queued_app)
    assert badge.verification == "valid"
    assert badge.badge_class.name == NEW_NAME
    assert badge.badge_class.issuer.name == issuer.name
    assert badge.image is not None
    assert badge.image.sha256 == hashlib.sha256(make_png()).hexdigest()
    page = text_of(client, f"/badges/{badge.id}")
    assert NEW_NAME in page
    assert issuer.name in page
    assert OLD_NAME not in page
    assert "Old Institute" not in page
    assert "Verified" in page
    assert NEW_NAME in text_of(client, "/badges/")


@pytest.mark.mariadb
def test_the_owner_who_logged_in_last_has_badges_checked_first_newest_first(
    queued_app: Flask,
    issuer: TestIssuer,
    mozilla_database: Callable[[generated.Instance], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    badges = [(1, hosted_1_0(issuer, 1, ANN)), (1, hosted_1_0(issuer, 2, ANN))]
    badges += [(2, hosted_1_0(issuer, 3, BOB)), (2, hosted_1_0(issuer, 4, BOB))]
    import_instance(queued_app, mozilla_database(mozilla_rows(badges)), "mozilla-db", tmp_path)
    logged_in(queued_app, ANN)
    logged_in(queued_app, BOB)  # Bob is looking now
    monkeypatch.setattr(tasks, "CHECKS_PER_TASK", 1)

    checked: list[str] = []
    while work_queue(queued_app, tasks_at_most=1):
        now = {b.source_url for b in stored(queued_app) if b.verification == "valid"}
        checked += sorted(now - set(checked))
    numbers = [int(re.findall(r"(\d+)\.json$", url)[0]) for url in checked]
    assert numbers == [4, 3, 2, 1]


@pytest.mark.mariadb
def test_reverify_takes_badges_not_checked_yet_whatever_date_mozilla_gave_them(
    app_factory: Callable[..., Flask],
    issuer: TestIssuer,
    mozilla_database: Callable[[generated.Instance], str],
    tmp_path: Path,
) -> None:
    app = app_factory(FETCH_ALLOW_PRIVATE=True, FETCH_TIMEOUT=1.0)  # imports queue nothing
    yesterday = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1)
    url = mozilla_database(mozilla_rows([(1, hosted_1_0(issuer, 1, ANN))], yesterday))
    import_instance(app, url, "mozilla-db", tmp_path)
    assert [b.verification for b in stored(app)] == ["unchecked"]

    result = app.test_cli_runner().invoke(args=["badges", "reverify", "--older-than", "7d"])
    assert result.exit_code == 0, result.output
    assert "Re-verified 1 badge last" in result.output
    [badge] = stored(app)
    assert badge.verification == "valid"
    assert badge.badge_class.name == NEW_NAME


def issued_day(assertion: dict[str, Any]) -> str:
    return f"{datetime.fromisoformat(assertion['issuedOn']):%Y-%m-%d}"


def test_a_mozilla_zip_badge_shows_its_host_and_date_until_checked_then_the_issuers_names(
    queued_app: Flask, issuer: TestIssuer, tmp_path: Path
) -> None:
    accounts = Accounts(queued_app, queued_app.test_client(), Outbox(tmp_path / "outbox"))
    accounts.create(ANN)
    assertion = issuer.award(ANN)  # a 2.0 badge: its badge class is only a URL
    archive = tmp_path / "mozilla.zip"
    archive.write_bytes(mozilla_zip({"a.png": issuer.baked_png(assertion)}, {ANN: ["a.png"]}))
    result = queued_app.test_cli_runner().invoke(
        args=["import", "mozilla-zip", str(archive), "--user", ANN, "--json"]
    )
    assert result.exit_code == 0, result.output
    accounts.login(ANN)
    listing = text_of(accounts.client, "/badges/")
    assert f"Badge from 127.0.0.1, issued {issued_day(assertion)}" in listing
    assert "Untitled badge" not in listing
    assert "Not checked yet" in listing

    work_queue(queued_app)
    listing = text_of(accounts.client, "/badges/")
    assert NEW_NAME in listing
    assert issuer.name in listing
    assert "Verified" in listing
    [badge] = stored(queued_app)
    assert badge.image is not None
    assert badge.image.sha256 == hashlib.sha256(make_png()).hexdigest()


def test_checking_an_imported_badge_from_its_page_names_it_as_its_issuer_does(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer, tmp_path: Path
) -> None:
    archive = tmp_path / "mozilla.zip"
    archive.write_bytes(
        mozilla_zip({"a.png": issuer.baked_png(issuer.award(ANN))}, {ANN: ["a.png"]})
    )
    result = badge_app.test_cli_runner().invoke(
        args=["import", "mozilla-zip", str(archive), "--user", ANN]
    )
    assert result.exit_code == 0, result.output
    [badge] = stored(badge_app)
    response = post_form(
        earner.client, f"/badges/{badge.id}", {}, action=f"/badges/{badge.id}/reverify"
    )
    assert response.status_code == 302
    page = text_of(earner.client, f"/badges/{badge.id}")
    assert f"Checked “{NEW_NAME}” again: valid." in page
    assert f"Issued by {issuer.name}" in page


def test_a_check_that_fails_here_leaves_its_badge_undecided_and_the_others_go_on(
    queued_app: Flask, issuer: TestIssuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Accounts(queued_app, queued_app.test_client(), Outbox(tmp_path / "outbox")).create(ANN)
    files = {f"{n}.png": issuer.baked_png(issuer.award(ANN)) for n in (1, 2)}
    archive = tmp_path / "mozilla.zip"
    archive.write_bytes(mozilla_zip(files, {ANN: sorted(files)}))
    args = ["import", "mozilla-zip", str(archive), "--user", ANN]
    assert queued_app.test_cli_runner().invoke(args=args).exit_code == 0
    real = batch_verification.apply_report

    def broken_for_the_newest(badge: Badge, report: VerificationReport) -> str:
        if badge.source_url and badge.source_url.endswith("/2.json"):
            raise RuntimeError("a bug")
        return real(badge, report)

    monkeypatch.setattr(batch_verification, "apply_report", broken_for_the_newest)
    work_queue(queued_app)
    first, second = stored(queued_app)
    assert first.verification == "valid"
    assert second.verification == "unverifiable"
    assert second.last_report["errors"][0]["code"] == "internal_error"


def test_a_zip_uploaded_on_the_website_is_checked_once_imported(
    app_factory: Callable[..., Flask], issuer: TestIssuer, tmp_path: Path
) -> None:
    app = app_factory(FETCH_ALLOW_PRIVATE=True, FETCH_TIMEOUT=1.0, VERIFY_IMPORTED_BADGES=True)
    accounts = Accounts(app, app.test_client(), Outbox(tmp_path / "outbox"))
    accounts.create(ANN)
    accounts.login(ANN)
    data = mozilla_zip({"a.png": issuer.baked_png(issuer.award(ANN))}, {ANN: ["a.png"]})
    response = accounts.client.post(
        "/account/import/",
        data={"csrf_token": csrf_token(accounts.client, "/account/import/"),
              "archive": (io.BytesIO(data), "mozilla.zip")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    [badge] = stored(app)  # the job and then its checks ran on the (immediate) queue
    assert badge.verification == "valid"
    assert badge.badge_class.name == NEW_NAME


def test_a_restored_export_is_not_checked_yet_and_names_the_backpacks_last_check(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer, tmp_path: Path
) -> None:
    add_badge(earner.client, "url", issuer.award(ANN)["id"])
    [checked] = stored(badge_app)
    assert checked.verification == "valid"
    archive = tmp_path / "ann.zip"
    result = badge_app.test_cli_runner().invoke(
        args=["users", "export", ANN, "--output", str(archive)]
    )
    assert result.exit_code == 0, result.output

    other = create_app(make_test_config(f"sqlite:///{tmp_path / 'other.sqlite3'}", tmp_path))
    with other.app_context():
        db.create_all()
        account_service.create_account(ANN, TEST_PASSWORD, verified=True)
        db.session.commit()
    restore = ["import", "backpack-export", str(archive), "--user", ANN]
    assert other.test_cli_runner().invoke(args=restore).exit_code == 0
    [restored] = stored(other)
    assert restored.verification == "unchecked"
    client = Accounts(other, other.test_client(), Outbox(tmp_path / "outbox")).client
    post_form(client, "/login", {"email": ANN, "password": TEST_PASSWORD})
    page = text_of(client, f"/badges/{restored.id}")
    assert "Not checked yet" in page
    day = f"{checked.last_verified_at:%Y-%m-%d}"
    assert f"The backpack it was exported from last checked it on {day}." in page
    with other.app_context():
        db.engine.dispose()
