"""What public-page tests share: an app whose pages are never served stale, Ann (signed in
on `client`), and a visitor with the link and no account."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Accounts


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    """The app, re-reading each public page's version on every request (exact, not 1 s)."""
    return app_factory(PUBLIC_PAGE_FRESHNESS=0)


@pytest.fixture
def ann(app: Flask, accounts: Accounts) -> int:
    """Ann's account, signed in on `client`."""
    user_id = accounts.create("ann@example.org", name="Ann Example")
    accounts.login("ann@example.org")
    return user_id


@pytest.fixture
def visitor(app: Flask) -> FlaskClient:
    """Someone with the link and no account."""
    return app.test_client()
