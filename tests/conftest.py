"""Fixtures: an app per test on SQLite and on PostgreSQL, clients, and account helpers."""

from __future__ import annotations

import email
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from backpack import create_app
from backpack.extensions import db
from backpack.models import Base
from tests import services

# Fixtures for badge tests (a test issuer on a local server, an app that may reach it).
pytest_plugins = ["tests.badge_fixtures"]

TEST_PASSWORD = "a long enough test passphrase"
SERVICE_MARKERS = ("postgresql", "mariadb", "browser", "redis")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, with the schema created once."""
    admin_url = services.require_postgres()
    name = services.unique_name("backpack_test")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The database of one test: a new SQLite file, or the session's PostgreSQL emptied."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    url: str = request.getfixturevalue("postgres_database")
    yield url
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def make_test_config(database_url: str, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """Settings for an app under test."""
    config: dict[str, Any] = {
        "TESTING": True,
        "ENVIRONMENT": "testing",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "RATELIMIT_ENABLED": False,
        "BASE_URL": "http://backpack.test",
        # The cheapest Argon2 cost: tests check behaviour, not hash strength.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        # Background tasks run inside the request unless a test wants the real queue.
        "TASKS_IMMEDIATE": True,
        # Imports leave their badges unchecked here; tests of the background checks opt in.
        "VERIFY_IMPORTED_BADGES": False,
        # Each test's uploads and failures files apart: job ids start at 1 in every database.
        "IMPORTS_DIR": str(tmp_path / "imports"),
    }
    config.update(overrides)
    return config


@pytest.fixture
def app_factory(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build an app on this test's database, with settings overridden per call."""
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = create_app(make_test_config(database_url, tmp_path, **overrides))
        with app.app_context():
            if database_url.startswith("sqlite"):
                db.create_all()
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    """The app under test."""
    return app_factory()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on a page, as a browser would read it."""
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(
    client: FlaskClient,
    page_url: str,
    data: dict[str, Any],
    action: str | None = None,
    **kwargs: Any,
) -> Any:
    """Submit a form the way a browser does: load the page, then post with its token."""
    data = {"csrf_token": csrf_token(client, page_url), **data}
    response = client.post(action or page_url, data=data, **kwargs)
    response.get_data()
    response.close()
    # The test client spools a large multipart body to a temporary file and closes only a
    # wrapper around it; close the file itself.
    body = response.request.environ.get("wsgi.input")
    if body is not None:
        body.close()
    return response


class Outbox:
    """The mail the app wrote to its outbox folder (no MAIL_SERVER in tests)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def messages(self) -> list[email.message.Message]:
        if not self.path.exists():
            return []
        return [email.message_from_bytes(p.read_bytes()) for p in sorted(self.path.glob("*.eml"))]

    def links_to(self, address: str) -> list[str]:
        """The links in the messages sent to one address, oldest first."""
        links = []
        for message in self.messages():
            if message["To"] == address:
                body = message.get_payload(decode=True)
                assert isinstance(body, bytes)
                links += re.findall(r"https?://\S+", body.decode())
        return links

    def last_link_to(self, address: str) -> str:
        links = self.links_to(address)
        assert links, f"no mail with a link was sent to {address}"
        return links[-1]


@pytest.fixture
def outbox(app: Flask) -> Outbox:
    return Outbox(Path(app.config["MAIL_OUTBOX_DIR"]))


def local_path(link: str) -> str:
    """The path of a link to the app, to open with the test client."""
    return re.sub(r"^https?://[^/]+", "", link)


class Accounts:
    """Helpers that act as an earner would, through the pages."""

    def __init__(self, app: Flask, client: FlaskClient, outbox: Outbox) -> None:
        self.app, self.client, self.outbox = app, client, outbox

    def create(
        self, address: str = "ann@example.org", password: str = TEST_PASSWORD, name: str = "Ann"
    ) -> int:
        """An account with a verified address, made through the CLI's service."""
        from backpack.services import accounts

        with self.app.app_context():
            user = accounts.create_account(address, password, name=name, verified=True)
            db.session.commit()
            return user.id

    def signup(self, address: str, password: str = TEST_PASSWORD, name: str = "") -> Any:
        return post_form(
            self.client,
            "/signup",
            {"email": address, "password": password, "confirm": password, "name": name},
        )

    def login(self, address: str, password: str = TEST_PASSWORD) -> Any:
        return post_form(self.client, "/login", {"email": address, "password": password})

    def logout(self) -> Any:
        return post_form(self.client, "/account/", {}, action="/logout")

    def add_email(self, address: str) -> Any:
        return post_form(self.client, "/account/", {"email": address}, action="/account/emails")

    def verify_latest(self, address: str, password: str = TEST_PASSWORD) -> Any:
        """Open the latest link mailed to the address and press its button (with the
        password, which the page asks for when nobody is logged in)."""
        link = local_path(self.outbox.last_link_to(address))
        return post_form(self.client, link, {"password": password})


@pytest.fixture
def accounts(app: Flask, client: FlaskClient, outbox: Outbox) -> Accounts:
    return Accounts(app, client, outbox)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under CI, insist that the tests needing real services were collected at all."""
    if not services.under_ci() or config.option.keyword or config.option.markexpr:
        return
    selected_all = not config.args or config.args == ["tests"]
    if not selected_all:
        return
    present = {m for item in items for m in SERVICE_MARKERS if item.get_closest_marker(m)}
    absent = sorted(set(SERVICE_MARKERS) - present)
    if absent:
        raise pytest.UsageError(f"CI: no tests marked {absent} were collected")
