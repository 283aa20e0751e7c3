"""Sign-up, log-in with any verified address, log-out."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import EmailAddress, User
from backpack.models.base import utcnow
from tests.conftest import TEST_PASSWORD, Accounts, Outbox, post_form


def test_signup_creates_account_and_mails_verification_link(
    app: Flask, accounts: Accounts, outbox: Outbox
) -> None:
    response = accounts.signup("Ann@Example.org", name="Ann")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"
    link = outbox.last_link_to("Ann@Example.org")
    assert "/account/verify/" in link
    with app.app_context():
        email = db.session.scalar(sa.select(EmailAddress))
        assert email is not None
        assert email.address == "Ann@Example.org"
        assert email.normalised == "ann@example.org"
        assert not email.is_verified
        assert not email.is_primary


def test_first_verified_address_becomes_primary(app: Flask, accounts: Accounts) -> None:
    accounts.signup("ann@example.org")
    response = accounts.verify_latest("ann@example.org")
    assert response.status_code == 302
    with app.app_context():
        email = db.session.scalar(sa.select(EmailAddress))
        assert email is not None
        assert email.is_verified
        assert email.is_primary


def test_login_needs_a_verified_address(accounts: Accounts) -> None:
    accounts.signup("ann@example.org")
    accounts.logout()
    refused = accounts.login("ann@example.org")
    assert refused.status_code == 401
    assert "verified address" in refused.get_data(as_text=True)
    accounts.verify_latest("ann@example.org")  # logged out: her password confirms it
    accounts.logout()
    assert accounts.login("ann@example.org").status_code == 302


def test_login_ignores_the_case_of_the_address(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    response = accounts.login("ANN@EXAMPLE.ORG")
    assert response.status_code == 302
    assert "Ann" in accounts.client.get("/").get_data(as_text=True)


def test_login_with_wrong_password_is_refused(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    response = accounts.login("ann@example.org", "not the password at all")
    assert response.status_code == 401
    assert accounts.client.get("/account/").status_code == 302


def test_logout_ends_the_session(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    assert accounts.client.get("/account/").status_code == 200
    assert accounts.logout().status_code == 302
    response = accounts.client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_signup_with_a_taken_address_is_refused(app: Flask, accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    response = accounts.signup("ANN@example.org")
    assert response.status_code == 409
    assert "already uses that address" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_signup_with_a_malformed_address_is_refused(app: Flask, accounts: Accounts) -> None:
    response = accounts.signup("not-an-address")
    assert response.status_code == 400
    assert "not a valid email address" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_signup_with_a_weak_password_is_refused(app: Flask, accounts: Accounts) -> None:
    for weak, reason in [
        ("short", "at least 10 characters"),
        ("password123", "too easy to guess"),
        ("annabelle-secret", "must not contain your email address"),
    ]:
        response = accounts.signup("annabelle@example.org", password=weak)
        assert response.status_code == 400, weak
        assert reason in response.get_data(as_text=True), weak
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_signup_with_differing_passwords_is_refused(accounts: Accounts) -> None:
    from tests.conftest import post_form

    response = post_form(
        accounts.client,
        "/signup",
        {"email": "ann@example.org", "password": TEST_PASSWORD, "confirm": TEST_PASSWORD + "x"},
    )
    assert response.status_code == 400
    assert "The passwords differ." in response.get_data(as_text=True)


def test_signup_page_labels_every_field(client: object) -> None:
    from flask.testing import FlaskClient

    assert isinstance(client, FlaskClient)
    page = client.get("/signup").get_data(as_text=True)
    for field_id in ("name", "email", "password", "confirm"):
        assert f'<label for="{field_id}">' in page


def _resend_token(page: str) -> str | None:
    form = re.search(r'action="/login/resend-verification".*?</form>', page, re.DOTALL)
    if form is None:
        return None
    token = re.search(r'name="token"[^>]*value="([^"]+)"', form.group(0))
    assert token is not None
    return token.group(1)


def _press_resend(accounts: Accounts, token: str) -> Any:
    return post_form(
        accounts.client, "/login", {"token": token}, action="/login/resend-verification"
    )


def _sent_long_ago(app: Flask, address: str) -> None:
    # Moves the clock past the pause between two links to one address.
    with app.app_context():
        email = db.session.scalars(
            sa.select(EmailAddress).where(EmailAddress.address == address)
        ).one()
        email.verification_sent_at = utcnow() - timedelta(minutes=10)
        db.session.commit()


def test_login_with_an_unverified_address_explains_it_and_offers_a_new_link(
    app: Flask, accounts: Accounts
) -> None:
    accounts.signup("ann@example.org")
    accounts.logout()
    refused = accounts.login("ann@example.org")
    assert refused.status_code == 401
    page = refused.get_data(as_text=True)
    assert "ann@example.org is not verified yet, so it cannot be used to log in" in page
    assert 'value="ann@example.org"' in page  # what she typed is kept
    assert TEST_PASSWORD not in page  # but never the password
    token = _resend_token(page)
    assert token is not None

    _sent_long_ago(app, "ann@example.org")
    sent = _press_resend(accounts, token)
    assert sent.status_code == 302
    assert "We sent a new link to ann@example.org" in accounts.client.get("/login").get_data(
        as_text=True
    )
    assert len(accounts.outbox.links_to("ann@example.org")) == 2
    accounts.verify_latest("ann@example.org")
    accounts.logout()
    assert accounts.login("ann@example.org").status_code == 302


def test_a_wrong_password_says_nothing_of_an_unverified_address(accounts: Accounts) -> None:
    accounts.signup("ann@example.org")
    accounts.logout()
    refused = accounts.login("ann@example.org", "not the password at all")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 401
    assert "not verified yet" not in page
    assert _resend_token(page) is None
    # The same answer as for an address nobody has.
    nobody = accounts.login("nobody@example.org", "not the password at all")
    assert _resend_token(nobody.get_data(as_text=True)) is None
    assert "do not match a verified address" in page


def test_the_new_link_from_the_login_page_is_rate_limited_like_other_mail(
    app: Flask, accounts: Accounts
) -> None:
    accounts.signup("ann@example.org")
    accounts.logout()
    token = _resend_token(accounts.login("ann@example.org").get_data(as_text=True))
    assert token is not None
    _press_resend(accounts, token)  # a link went out a moment ago, at sign-up
    assert "A link was sent moments ago" in accounts.client.get("/login").get_data(as_text=True)
    assert len(accounts.outbox.links_to("ann@example.org")) == 1


def test_a_forged_resend_button_sends_nothing(accounts: Accounts) -> None:
    accounts.signup("ann@example.org")
    accounts.logout()
    _press_resend(accounts, "eyJlbWFpbCI6MX0.forged.signature")
    assert "not valid" in accounts.client.get("/login").get_data(as_text=True)
    assert len(accounts.outbox.links_to("ann@example.org")) == 1
