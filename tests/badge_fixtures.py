"""Fixtures for badge tests: a test issuer on a real local server, and an app that may reach it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Accounts, Outbox, post_form
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer


@pytest.fixture
def issuer_server() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as server:
        yield server


@pytest.fixture
def issuer(issuer_server: LocalHTTPServer) -> TestIssuer:
    return TestIssuer(issuer_server)


@pytest.fixture
def badge_app(app_factory: Callable[..., Flask]) -> Flask:
    """The app, allowed to fetch from the local issuer server, with short timeouts."""
    return app_factory(FETCH_ALLOW_PRIVATE=True, FETCH_TIMEOUT=1.0)


@pytest.fixture
def earner(badge_app: Flask) -> Accounts:
    """Ann, logged in, with ann@example.org verified."""
    client = badge_app.test_client()
    helper = Accounts(badge_app, client, Outbox(Path(badge_app.config["MAIL_OUTBOX_DIR"])))
    helper.create("ann@example.org")
    helper.login("ann@example.org")
    return helper


def add_badge(client: FlaskClient, route: str, value: Any, **kwargs: Any) -> Any:
    """Submit the add-badge form by one route, as the page does."""
    field, button = {
        "upload": ("image", "upload"),
        "url": ("url", "url"),
        "text": ("text", "paste"),
    }[route]
    data: dict[str, Any] = {"route": button, field: value}
    return post_form(client, "/badges/add", data, content_type="multipart/form-data", **kwargs)
