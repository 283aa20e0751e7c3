"""Forms show every error at once, each at its field, and keep what was typed but passwords."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import User
from tests.badge_fixtures import add_badge
from tests.conftest import TEST_PASSWORD, Accounts, local_path, post_form
from tests.support.issuer import TestIssuer

WEAK = "qwertyuiop"  # long enough, but among the most common passwords


def errors_at(page: str, field_id: str) -> list[str]:
    """The error messages the page shows at one field (tied to it by aria-describedby)."""
    found = re.search(rf'<ul class="field-errors" id="{field_id}-errors">(.*?)</ul>', page, re.S)
    if found is None:
        return []
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


def test_signup_shows_every_problem_at_its_field_and_keeps_the_name_and_address(
    accounts: Accounts,
) -> None:
    response = post_form(
        accounts.client,
        "/signup",
        {"name": "Ann Example", "email": "ann@@example", "password": WEAK, "confirm": "other"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert errors_at(page, "email")[0].startswith("That is not a valid email address")
    assert errors_at(page, "password") == [
        "That password is too easy to guess; choose a less common one."
    ]
    assert errors_at(page, "confirm") == ["The passwords differ."]
    assert 'value="Ann Example"' in page
    assert 'value="ann@@example"' in page
    assert WEAK not in page
    assert 'class="flash flash-error"' not in page  # nothing left above the form


def test_signup_with_a_taken_address_and_a_weak_password_says_both(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    response = accounts.signup("ann@example.org", WEAK)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert errors_at(page, "email") == [
        "An account already uses that address. Log in, or reset the password."
    ]
    assert errors_at(page, "password")


def test_login_shows_both_missing_fields_at_once(accounts: Accounts) -> None:
    page = accounts.login("", "").get_data(as_text=True)
    assert errors_at(page, "email") == ["Enter your email address."]
    assert errors_at(page, "password") == ["Enter a password."]


def test_adding_a_malformed_address_says_so_at_the_field_and_keeps_it(
    accounts: Accounts,
) -> None:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    response = accounts.add_email("ann at school")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert errors_at(page, "email")[0].startswith("That is not a valid email address")
    assert 'value="ann at school"' in page


def test_changing_the_password_shows_a_wrong_current_one_and_a_weak_new_one_together(
    app: Flask, accounts: Accounts
) -> None:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    response = post_form(
        accounts.client,
        "/account/",
        {"current": "not the password at all", "password": WEAK, "confirm": WEAK},
        action="/account/password",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert errors_at(page, "current") == ["Your current password is not correct."]
    assert errors_at(page, "password") == [
        "That password is too easy to guess; choose a less common one."
    ]
    assert WEAK not in page
    assert "not the password at all" not in page


def test_a_weak_password_at_reset_shows_at_its_field(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    post_form(accounts.client, "/password/forgot", {"email": "ann@example.org"})
    link = local_path(accounts.outbox.last_link_to("ann@example.org"))
    response = post_form(accounts.client, link, {"password": WEAK, "confirm": WEAK})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert errors_at(page, "password") == [
        "That password is too easy to guess; choose a less common one."
    ]


def test_a_wrong_password_when_deleting_the_account_shows_at_its_field(
    app: Flask, accounts: Accounts
) -> None:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    response = post_form(
        accounts.client, "/account/", {"password": "not it at all"}, action="/account/delete"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert errors_at(page, "delete-password") == [
        "That password is not correct; nothing was deleted."
    ]
    assert not errors_at(page, "password")  # not at the change-password form's field
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
    assert TEST_PASSWORD not in page


def test_a_refused_badge_url_shows_at_the_url_field_and_stays_typed(
    earner: Accounts, issuer: TestIssuer
) -> None:
    missing = issuer.server.url("/assertions/none.json")
    response = add_badge(earner.client, "url", missing)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    [error] = errors_at(page, "url")
    assert error.endswith("(code: not_found)")
    assert f'value="{missing}"' in page


def test_pasted_text_that_is_no_badge_shows_at_the_text_field_and_stays(
    earner: Accounts,
) -> None:
    response = add_badge(earner.client, "text", "{not a badge")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors_at(page, "text")
    assert "{not a badge</textarea>" in page


def test_a_badge_button_pressed_with_its_field_empty_says_so_there(earner: Accounts) -> None:
    response = add_badge(earner.client, "url", "")
    assert response.status_code == 400
    assert errors_at(response.get_data(as_text=True), "url") == ["Enter the badge's URL first."]
