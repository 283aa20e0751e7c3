"""Each log-in is a login session of its own: logging out ends it, copies of its cookies too.

A Flask session cookie is signed, not stored: before login sessions, a copy taken before
log-out still opened the account. These tests copy cookies between clients as a thief would.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from backpack.extensions import db
from backpack.models import LoginSession
from backpack.models.base import utcnow
from tests.conftest import TEST_PASSWORD, Accounts, local_path, post_form

NEW_PASSWORD = "a brand new passphrase"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; rv:140.0) Gecko/20100101 Firefox/140.0"


def _log_in(client: FlaskClient, *, remember: bool = False, agent: str = CHROME) -> None:
    data = {"email": "ann@example.org", "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    response = post_form(client, "/login", data, headers={"User-Agent": agent})
    assert response.status_code == 302, response.get_data(as_text=True)


def _copy_cookies(source: FlaskClient, target: FlaskClient, *names: str) -> None:
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        target.set_cookie(name, cookie.value)


def _owner_and_thief(app: Flask, accounts: Accounts, *, remember: bool = False) -> FlaskClient:
    """Ann logs in with `accounts.client`; the client returned holds a copy of her cookie."""
    accounts.create()
    _log_in(accounts.client, remember=remember)
    thief = app.test_client()
    _copy_cookies(accounts.client, thief, "session")
    return thief


def _logged_in(client: FlaskClient) -> bool:
    status = client.get("/account/").status_code
    assert status in (200, 302)
    return status == 200


def _sessions(app: Flask) -> list[LoginSession]:
    with app.app_context():
        return list(db.session.scalars(sa.select(LoginSession).order_by(LoginSession.id)))


def test_a_copied_session_cookie_dies_when_its_owner_logs_out(
    app: Flask, accounts: Accounts
) -> None:
    thief = _owner_and_thief(app, accounts)
    assert _logged_in(thief), "the copy works while the session is open"
    accounts.logout()
    assert not _logged_in(accounts.client)
    assert not _logged_in(thief)
    assert _sessions(app) == []


def test_a_copied_remember_me_cookie_dies_at_log_out_too(app: Flask, accounts: Accounts) -> None:
    accounts.create()
    _log_in(accounts.client, remember=True)
    # The browser restarted: only the remember-me cookie is left, and it logs in again.
    restarted = app.test_client()
    _copy_cookies(accounts.client, restarted, "remember_token")
    assert _logged_in(restarted)
    thief = app.test_client()
    _copy_cookies(accounts.client, thief, "remember_token")
    post_form(restarted, "/account/", {}, action="/logout")
    assert not _logged_in(restarted)
    assert not _logged_in(thief)


def test_each_log_in_is_its_own_session(app: Flask, accounts: Accounts) -> None:
    accounts.create()
    laptop, phone = app.test_client(), app.test_client()
    _log_in(laptop)
    _log_in(phone, agent=FIREFOX)
    post_form(laptop, "/account/", {}, action="/logout")
    assert not _logged_in(laptop)
    assert _logged_in(phone), "logging out on one device leaves the others"


def test_the_settings_page_lists_log_ins_and_ends_another_one(
    app: Flask, accounts: Accounts
) -> None:
    accounts.create()
    laptop, phone = app.test_client(), app.test_client()
    _log_in(laptop)
    _log_in(phone, remember=True, agent=FIREFOX)
    page = laptop.get("/account/security").get_data(as_text=True)
    assert "Devices logged in to your account" in page
    # Each device by a name a person knows, never the raw User-Agent string.
    assert "Chrome on Linux" in page
    assert "Firefox on Windows" in page
    assert "Chrome/156.0" not in page
    assert "Firefox/140.0" not in page
    assert page.count("This browser") == 1
    laptop_row, phone_row = _sessions(app)
    assert (laptop_row.remembered, phone_row.remembered) == (False, True)
    assert phone_row.expires_at - phone_row.created_at == timedelta(days=365)
    assert laptop_row.expires_at - laptop_row.created_at == timedelta(days=14)

    # This browser's own session is ended by logging out, not from the list.
    own = post_form(laptop, "/account/", {}, action=f"/account/sessions/{laptop_row.id}/end")
    assert own.status_code == 400
    ended = post_form(laptop, "/account/", {}, action=f"/account/sessions/{phone_row.id}/end")
    assert ended.status_code == 302
    assert "That device is logged out." in laptop.get("/account/security").get_data(as_text=True)
    assert not _logged_in(phone)
    assert _logged_in(laptop)
    again = post_form(laptop, "/account/", {}, action=f"/account/sessions/{phone_row.id}/end")
    assert again.status_code == 404


def test_nobody_can_end_another_accounts_session(app: Flask, accounts: Accounts) -> None:
    accounts.create()
    accounts.create("bob@example.org", name="Bob")
    ann, bob = app.test_client(), app.test_client()
    _log_in(ann)
    post_form(bob, "/login", {"email": "bob@example.org", "password": TEST_PASSWORD})
    ann_row = _sessions(app)[0]
    response = post_form(bob, "/account/", {}, action=f"/account/sessions/{ann_row.id}/end")
    assert response.status_code == 404
    assert _logged_in(ann)
    post_form(bob, "/account/", {}, action="/account/sessions/end-others")
    assert _logged_in(ann)
    assert _logged_in(bob)


def test_log_out_everywhere_else_keeps_this_browser(app: Flask, accounts: Accounts) -> None:
    accounts.create()
    here, *elsewhere = (app.test_client() for _ in range(3))
    for client in (here, *elsewhere):
        _log_in(client, remember=True)
    stolen = app.test_client()
    _copy_cookies(elsewhere[0], stolen, "remember_token")
    response = post_form(here, "/account/", {}, action="/account/sessions/end-others")
    assert response.status_code == 302
    assert "2 other devices are logged out." in here.get("/account/").get_data(as_text=True)
    assert _logged_in(here)
    assert not any(_logged_in(client) for client in (*elsewhere, stolen))
    assert len(_sessions(app)) == 1


def test_a_password_change_ends_every_session_and_renews_this_one(
    app: Flask, accounts: Accounts
) -> None:
    accounts.create()
    here, there = app.test_client(), app.test_client()
    _log_in(here, remember=True)
    _log_in(there, remember=True)
    # Copies of both browsers' cookies, taken before the change: this browser's own too,
    # since a stolen cookie is a common reason to change a password.
    thieves = []
    for victim in (here, there):
        for name in ("session", "remember_token"):
            thief = app.test_client()
            _copy_cookies(victim, thief, name)
            assert _logged_in(thief)
            thieves.append(thief)
    changed = post_form(
        here,
        "/account/",
        {"current": TEST_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        action="/account/password",
    )
    assert changed.status_code == 302
    assert "Your password is changed." in here.get("/account/").get_data(as_text=True)
    assert _logged_in(here)
    assert not _logged_in(there)
    assert not any(_logged_in(thief) for thief in thieves)
    (row,) = _sessions(app)
    assert row.remembered, "the renewed session keeps 'keep me logged in'"
    # This browser's new remember-me cookie names the new session.
    restarted = app.test_client()
    _copy_cookies(here, restarted, "remember_token")
    assert _logged_in(restarted)


def test_a_password_reset_ends_every_session(app: Flask, accounts: Accounts) -> None:
    accounts.create()
    there = app.test_client()
    _log_in(there, remember=True)
    post_form(accounts.client, "/password/forgot", {"email": "ann@example.org"})
    link = local_path(accounts.outbox.last_link_to("ann@example.org"))
    reset = post_form(accounts.client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reset.status_code == 302
    assert not _logged_in(there)
    assert _sessions(app) == []


def test_a_session_ends_when_it_expires_and_expired_rows_go_at_any_log_in(
    app: Flask, accounts: Accounts
) -> None:
    accounts.create()
    accounts.create("bob@example.org", name="Bob")
    old, remembered = app.test_client(), app.test_client()
    _log_in(old)
    _log_in(remembered, remember=True)
    with app.app_context():
        db.session.execute(
            sa.update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert not _logged_in(old)
    # Its remember-me cookie lasts as long as the session did; a copy of it is refused too.
    restarted = app.test_client()
    _copy_cookies(remembered, restarted, "remember_token")
    assert not _logged_in(restarted)
    # Ann never comes back; Bob's log-in clears her expired rows.
    post_form(accounts.client, "/login", {"email": "bob@example.org", "password": TEST_PASSWORD})
    assert [row.user_id for row in _sessions(app)] == [2]


def test_forged_or_old_session_ids_open_nothing(app: Flask, accounts: Accounts) -> None:
    user_id = accounts.create()
    _log_in(accounts.client)
    row = _sessions(app)[0]
    for forged in (
        f"{user_id}:0123456789abcdef0123456789abcdef",  # the id format before login sessions
        f"{row.id}.{'A' * 43}",  # the right row, the wrong secret
        f"{row.id}",
        f"{2**31}.{'A' * 43}",  # beyond any row id the database can hold
        f"{10**17}.{'A' * 43}",
        "0.x",
        "",
    ):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = forged
            session["_fresh"] = True
        assert not _logged_in(client), forged


def test_a_long_or_odd_user_agent_is_kept_short_and_printable(
    app: Flask, accounts: Accounts
) -> None:
    accounts.create()
    _log_in(accounts.client, agent="Evil\tBrowser/1.0 " + "x" * 500)
    (row,) = _sessions(app)
    assert row.user_agent.startswith("Evil Browser/1.0 x")
    assert len(row.user_agent) == 200


def test_an_operator_ends_every_session_of_an_account_from_the_shell(
    app: Flask, accounts: Accounts, runner: FlaskCliRunner
) -> None:
    accounts.create()
    accounts.create("bob@example.org", name="Bob")
    laptop, phone, bob = app.test_client(), app.test_client(), app.test_client()
    _log_in(laptop)
    _log_in(phone, remember=True)
    post_form(bob, "/login", {"email": "bob@example.org", "password": TEST_PASSWORD})
    result = runner.invoke(args=["users", "logout", "Ann@Example.org"])
    assert result.exit_code == 0, result.output
    assert "Ended 2 login sessions of Ann@Example.org." in result.output
    assert not _logged_in(laptop)
    assert not _logged_in(phone)
    assert _logged_in(bob)
    unknown = runner.invoke(args=["users", "logout", "nobody@example.org"])
    assert unknown.exit_code == 1
    assert "No account has the address nobody@example.org." in unknown.output


def test_the_shell_logout_reaches_an_account_whose_address_is_not_verified_yet(
    app: Flask, accounts: Accounts, runner: FlaskCliRunner
) -> None:
    # Sign-up logs in at once, before the address is verified.
    assert accounts.signup("new@example.org").status_code == 302
    assert _logged_in(accounts.client)
    result = runner.invoke(args=["users", "logout", "new@example.org"])
    assert result.exit_code == 0, result.output
    assert "Ended 1 login session of" in result.output
    assert not _logged_in(accounts.client)
    # An unverified address on two accounts names neither.
    other = app.test_client()
    post_form(other, "/signup", {"email": "new@example.org", "password": TEST_PASSWORD,
                                 "confirm": TEST_PASSWORD, "name": ""})  # fmt: skip
    accounts.signup("new@example.org")
    ambiguous = runner.invoke(args=["users", "logout", "new@example.org"])
    assert ambiguous.exit_code == 1
    assert "nothing was ended" in ambiguous.output
    assert _logged_in(other)


def test_logging_in_starts_a_new_flask_session(app: Flask, accounts: Accounts) -> None:
    """A session cookie planted before log-in (with a CSRF token its planter knows) does
    not carry over into the logged-in session."""
    accounts.create()
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        planted = session["csrf_token"]
        session["planted"] = "by someone else"
    _log_in(client)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != planted


def test_a_dead_remember_me_cookie_is_deleted_from_the_browser(
    app: Flask, accounts: Accounts
) -> None:
    accounts.create()
    laptop, elsewhere = app.test_client(), app.test_client()
    _log_in(laptop, remember=True)
    _copy_cookies(laptop, elsewhere, "remember_token")
    assert _logged_in(elsewhere)
    post_form(laptop, "/account/", {}, action="/logout")
    response = elsewhere.get("/account/")
    assert response.status_code == 302
    assert elsewhere.get_cookie("remember_token") is None, "the server told the browser to drop it"
    with elsewhere.session_transaction() as session:
        assert "_user_id" not in session


def test_a_copied_cookie_opens_neither_the_api_nor_oauth_consent_after_log_out(
    app: Flask, accounts: Accounts
) -> None:
    thief = _owner_and_thief(app, accounts)
    assert thief.get("/api/v1/badges").status_code == 200
    accounts.logout()
    refused = thief.get("/api/v1/badges")
    assert refused.status_code == 401
    assert refused.get_json()["error"] == "unauthenticated"
    consent = thief.get("/oauth/authorize?response_type=code&client_id=x")
    assert consent.status_code == 302
    assert consent.headers["Location"].startswith("/login")


def test_a_copied_cookie_dies_with_the_account(app: Flask, accounts: Accounts) -> None:
    thief = _owner_and_thief(app, accounts, remember=True)
    response = post_form(
        accounts.client, "/account/", {"password": TEST_PASSWORD}, action="/account/delete"
    )
    assert response.status_code == 302
    assert not _logged_in(thief)
    assert _sessions(app) == []
