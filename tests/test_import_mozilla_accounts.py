"""People who used Mozilla Backpack keep their way in, and their badges, after an import.

Every test imports the small generated instance (real-shaped: most primaries never
confirmed, a Persona user without a password and a mixed-case address, an address only
Mozilla's check accepted) through `import mozilla-db` and `import mozilla-dump` alike, on
SQLite and PostgreSQL, and then acts as the earner would, through the pages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, EmailAddress, User
from tests import services
from tests.conftest import Accounts, local_path, post_form
from tests.support import mozilla_instance as generated
from tests.support.mozilla_instance import (
    ANN,
    ANN_PASSWORD,
    BOB,
    DAN,
    IVY,
    IVY_PASSWORD,
    SCHOOL,
)

pytestmark = pytest.mark.mariadb

NEW_PASSWORD = "a brand new passphrase, 2026"


@pytest.fixture(scope="module")
def mozilla_url() -> Iterator[str]:
    """The small instance in a MariaDB database made as Mozilla's were (utf8, 3-byte)."""
    admin = services.require_mariadb()
    name = services.unique_name("mozilla_accounts")
    url = generated.create_database(admin, name)
    try:
        generated.fill(url, generated.table_rows(generated.small()))
        yield url
    finally:
        generated.drop_database(admin, name)


@pytest.fixture(scope="module")
def dump_path(mozilla_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated.mysqldump(mozilla_url, tmp_path_factory.mktemp("dump") / "mozilla.sql")


@pytest.fixture(params=["mozilla-db", "mozilla-dump"])
def imported(
    request: pytest.FixtureRequest, app: Flask, mozilla_url: str, dump_path: Path
) -> dict[str, Any]:
    """The instance imported from its database or from its dump; the `--json` report."""
    source = mozilla_url if request.param == "mozilla-db" else str(dump_path)
    result = app.test_cli_runner().invoke(args=["import", request.param, source, "--json"])
    assert "Traceback" not in result.output, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


def badge_statuses(app: Flask, address: str) -> dict[str, str]:
    """The badges of the account holding `address` (verified): recipient to status."""
    with app.app_context():
        email = db.session.scalar(sa.select(EmailAddress).filter_by(normalised=address.lower()))
        assert email is not None, f"{address} is not here"
        assert email.is_verified, f"{address} is not verified here"
        badges = db.session.scalars(sa.select(Badge).where(Badge.user_id == email.user_id))
        return {f"{b.recipient} {b.name}": b.status for b in badges}


def test_imported_account_without_confirmation_can_log_in(
    imported: dict[str, Any], accounts: Accounts
) -> None:
    # Ann's `email_is_verified` is 0, as on every account older than November 2017.
    assert accounts.login(ANN, ANN_PASSWORD).status_code == 302
    assert ANN in accounts.client.get("/account/").get_data(as_text=True)


def test_imported_accounts_mozilla_never_confirmed_are_counted(imported: dict[str, Any]) -> None:
    # Ann, Bob, Dan and Ivy never confirmed their primaries; Cat did.
    assert imported["unconfirmed_primaries_trusted"] == 4
    assert any("never confirmed" in note for note in imported["notes"])


def test_imported_account_without_confirmation_resets_its_password(
    imported: dict[str, Any], accounts: Accounts
) -> None:
    response = post_form(accounts.client, "/password/forgot", {"email": ANN})
    assert response.status_code == 302
    link = local_path(accounts.outbox.last_link_to(ANN))
    post_form(accounts.client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accounts.login(ANN, NEW_PASSWORD).status_code == 302


def test_persona_account_without_password_sets_one_by_the_reset_mail(
    imported: dict[str, Any], accounts: Accounts
) -> None:
    # Dan's address is kept as Persona stored it; he types it in lower case.
    assert accounts.login(DAN.lower(), "").status_code != 302
    post_form(accounts.client, "/password/forgot", {"email": DAN.lower()})
    link = local_path(accounts.outbox.last_link_to(DAN))
    reset = post_form(accounts.client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reset.status_code == 302
    assert accounts.login(DAN.upper(), NEW_PASSWORD).status_code == 302


def test_badges_mozilla_showed_are_accepted_not_pending(
    app: Flask, imported: dict[str, Any]
) -> None:
    assert set(badge_statuses(app, ANN).values()) == {"accepted"}
    # Dan's badge names his address as he typed it, in mixed case.
    assert badge_statuses(app, DAN) == {"dan.persona@example.org HTML5 Fundamental 11": "accepted"}
    assert imported["pending_badges"] == 0


def test_sign_up_with_an_imported_address_is_refused(
    app: Flask, imported: dict[str, Any], accounts: Accounts
) -> None:
    response = accounts.signup(ANN.upper(), NEW_PASSWORD)
    assert response.status_code == 409
    assert "already uses that address" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 5


def test_address_only_mozilla_accepted_is_imported_and_logs_in(
    app: Flask, imported: dict[str, Any], accounts: Accounts
) -> None:
    assert imported["failed"] == 2  # the two records the other tests expect to fail
    assert badge_statuses(app, IVY) == {f"{IVY} HTML5 Fundamental 12": "accepted"}
    page = accounts.client.get("/login").get_data(as_text=True)
    assert 'type="email"' not in page  # a browser would refuse some of these addresses
    assert accounts.login(IVY, IVY_PASSWORD).status_code == 302


def test_badge_for_an_address_another_account_verified_stays_with_its_mozilla_owner(
    app: Flask, imported: dict[str, Any]
) -> None:
    # Mozilla showed Bob a badge for the school address, which Ann holds verified.
    assert badge_statuses(app, BOB)[f"{SCHOOL} HTML5 Fundamental 10"] == "accepted"
    assert badge_statuses(app, ANN)[f"{SCHOOL} Community Contributor 6"] == "accepted"
    assert imported["badges_address_on_another_account"] == 1
    assert any("now belongs to another account" in note for note in imported["notes"])


def test_badges_whose_address_was_verified_here_before_the_import_are_kept(
    app: Flask, accounts: Accounts, mozilla_url: str
) -> None:
    """Someone verified Ann's school address here before the import: her badge for it is
    still hers, as Mozilla showed it, and the report says so."""
    accounts.create(SCHOOL, name="Somebody else")
    result = app.test_cli_runner().invoke(args=["import", "mozilla-db", mozilla_url, "--json"])
    report = json.loads(result.output)
    assert badge_statuses(app, ANN)[f"{SCHOOL} Community Contributor 6"] == "accepted"
    assert badge_statuses(app, BOB)[f"{SCHOOL} HTML5 Fundamental 10"] == "accepted"
    assert report["badges_address_on_another_account"] == 2
    assert badge_statuses(app, SCHOOL) == {}  # nothing of theirs went to the other account


@pytest.mark.parametrize("command", ["mozilla-db", "mozilla-dump"])
def test_a_latin1_database_imports_as_a_utf8_one_does(
    app: Flask, command: str, tmp_path: Path
) -> None:
    """Mozilla's setup made its tables in the server's default character set: latin1 too."""
    admin = services.require_mariadb()
    name = services.unique_name("mozilla_latin1")
    url = generated.create_database(admin, name, charset="latin1")
    try:
        generated.fill(url, generated.table_rows(generated.small()))
        source = url if command == "mozilla-db" else str(generated.mysqldump(url, tmp_path / "d"))
        result = app.test_cli_runner().invoke(args=["import", command, source, "--json"])
    finally:
        generated.drop_database(admin, name)
    report = json.loads(result.output)
    assert (report["users"], report["badges"], report["failed"]) == (5, 11, 2)
    with app.app_context():
        bob = db.session.scalar(sa.select(EmailAddress).filter_by(normalised=BOB))
        assert bob is not None
        assert bob.user.name == "Bob Müller"
