"""Deleting an account removes every row of that user, after the password is checked."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Base
from tests.conftest import TEST_PASSWORD, Accounts, post_form


def _rows_per_table(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def test_deleting_the_account_removes_every_row_of_that_user(
    app: Flask, accounts: Accounts
) -> None:
    accounts.create("bob@example.org", name="Bob")
    bobs_rows = _rows_per_table(app)
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    accounts.add_email("ann@work.example")
    accounts.verify_latest("ann@work.example")
    accounts.add_email("ann@pending.example")
    response = post_form(
        accounts.client, "/account/", {"password": TEST_PASSWORD}, action="/account/delete"
    )
    assert response.status_code == 302
    assert _rows_per_table(app) == bobs_rows
    assert accounts.client.get("/account/").status_code == 302
    assert accounts.login("ann@work.example").status_code == 401


def test_deletion_with_the_wrong_password_deletes_nothing(app: Flask, accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    before = _rows_per_table(app)
    response = post_form(
        accounts.client, "/account/", {"password": "not my password"}, action="/account/delete"
    )
    assert response.status_code == 403
    assert "nothing was deleted" in response.get_data(as_text=True)
    assert _rows_per_table(app) == before
    assert accounts.client.get("/account/").status_code == 200


def test_a_deleted_address_can_sign_up_again(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    post_form(accounts.client, "/account/", {"password": TEST_PASSWORD}, action="/account/delete")
    assert accounts.signup("ann@example.org").status_code == 302


def test_the_deletion_page_offers_the_export_first(accounts: Accounts) -> None:
    # Deleting cannot be undone; an earner leaving should find the way to keep their badges.
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    page = accounts.client.get("/account/delete").get_data(as_text=True)
    assert '<a href="/account/export">Download my backpack</a>' in page
