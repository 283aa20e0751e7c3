"""Small things a newcomer notices: the icon, browsers' autofill, the pending filter's own
empty state, and counts written in words that agree with them."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backpack.plurals import counted, were
from importers.report import ImportReport
from tests.conftest import Accounts
from tests.support.badge_rows import make_badge

LOGGED_IN_FORMS = (
    "/badges/add",
    "/collections/",
    "/account/",
    "/account/security",
    "/account/apps",
    "/account/import-export",
    "/account/delete",
    "/account/tokens/",
    "/account/import/",
)


def test_every_page_has_an_icon_and_the_usual_address_finds_it(client: FlaskClient) -> None:
    for path in ("/", "/login", "/signup"):
        page = client.get(path).get_data(as_text=True)
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.headers["Location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.mimetype == "image/svg+xml"
    assert icon.data.startswith(b"<svg")
    icon.close()


def test_autofill_is_told_what_each_field_is(client: FlaskClient, accounts: Accounts) -> None:
    login = client.get("/login").get_data(as_text=True)
    assert 'autocomplete="username"' in login
    assert 'autocomplete="current-password"' in login
    signup = client.get("/signup").get_data(as_text=True)
    for value in ("name", "email", "new-password"):
        assert f'autocomplete="{value}"' in signup
    accounts.create()
    accounts.login("ann@example.org")
    for path in LOGGED_IN_FORMS:
        page = accounts.client.get(path).get_data(as_text=True)
        assert 'autocomplete="None"' not in page, path
    pasted = accounts.client.get("/badges/add").get_data(as_text=True)
    assert '<textarea autocomplete="off" id="text"' in pasted, "no old entries offered for JSON"


def test_the_pending_filter_says_nothing_waits(app: Flask, accounts: Accounts) -> None:
    user_id = accounts.create()
    accounts.login("ann@example.org")
    make_badge(app, user_id)
    page = accounts.client.get("/badges/?status=pending").get_data(as_text=True)
    assert "No badge is waiting for you" in page
    assert "Add your first badge" not in page, "she has badges: only none are waiting"
    rejected = accounts.client.get("/badges/?status=rejected").get_data(as_text=True)
    assert "You have not rejected any badge" in rejected


@pytest.mark.parametrize(("number", "words"), [(0, "0 badges"), (1, "1 badge"), (2, "2 badges")])
def test_counts_agree_with_their_nouns(number: int, words: str) -> None:
    assert counted(number, "badge") == words
    assert were(number) == ("was" if number == 1 else "were")


def test_an_import_report_counts_in_words() -> None:
    report = ImportReport()
    report.missing_from_collections = 1
    report.pending_badges = 1
    table = report.to_table()
    assert "(s)" not in table
    assert "1 badge listed in groups was deleted or not imported" in table
    assert "Waiting as pending until their address is verified: 1." in table
