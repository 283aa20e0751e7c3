"""Argon2 hashes, Mozilla's bcrypt hashes, password change and reset by mail."""

from __future__ import annotations

from collections.abc import Callable

import bcrypt
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import User
from backpack.services.passwords import check_password, hash_password
from tests.conftest import TEST_PASSWORD, Accounts, local_path, post_form

NEW_PASSWORD = "another long passphrase 42"


def _user(app: Flask) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user is not None
        db.session.expunge(user)
        return user


def test_passwords_are_stored_as_argon2id_hashes(app: Flask, accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    stored = _user(app).password_hash
    assert stored.startswith("$argon2id$")
    assert TEST_PASSWORD not in stored


def test_a_mozilla_bcrypt_hash_logs_in_and_is_rehashed_to_argon2(
    app: Flask, accounts: Accounts
) -> None:
    accounts.create("ann@example.org")
    # Mozilla's node-bcrypt wrote $2a$ hashes; an import keeps them as they are.
    legacy = bcrypt.hashpw(b"mozilla era password", bcrypt.gensalt(rounds=4, prefix=b"2a"))
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user is not None
        user.password_hash = legacy.decode()
        db.session.commit()
    assert accounts.login("ann@example.org", "wrong password here").status_code == 401
    assert _user(app).password_hash.startswith("$2a$")
    assert accounts.login("ann@example.org", "mozilla era password").status_code == 302
    rehashed = _user(app).password_hash
    assert rehashed.startswith("$argon2id$")
    with app.app_context():
        assert check_password(rehashed, "mozilla era password") == (True, False)


def test_a_malformed_stored_hash_never_matches(app: Flask) -> None:
    with app.app_context():
        assert check_password("not a hash", "anything at all") == (False, False)
        assert check_password("$2b$04$broken", "anything at all") == (False, True)
        assert check_password(hash_password("x" * 12), "x" * 2000) == (False, False)


def test_a_hash_of_an_older_cost_is_upgraded_at_login(
    app_factory: Callable[..., Flask], accounts: Accounts
) -> None:
    accounts.create("ann@example.org")
    assert "m=1024,t=1" in _user(accounts.app).password_hash
    stronger = app_factory(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=2048)
    client = stronger.test_client()
    response = post_form(client, "/login", {"email": "ann@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert "m=2048,t=2" in _user(stronger).password_hash


def test_changing_the_password_needs_the_current_one(app: Flask, accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    before = _user(app).password_hash
    refused = post_form(
        accounts.client,
        "/account/",
        {"current": "not my password!", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        action="/account/password",
    )
    assert refused.status_code == 403
    assert _user(app).password_hash == before
    changed = post_form(
        accounts.client,
        "/account/",
        {"current": TEST_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        action="/account/password",
    )
    assert changed.status_code == 302
    assert accounts.client.get("/account/").status_code == 200, "this session stays logged in"
    accounts.logout()
    assert accounts.login("ann@example.org", TEST_PASSWORD).status_code == 401
    assert accounts.login("ann@example.org", NEW_PASSWORD).status_code == 302


def test_changing_the_password_logs_out_other_sessions(app: Flask, accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    other = app.test_client()
    post_form(other, "/login", {"email": "ann@example.org", "password": TEST_PASSWORD})
    assert other.get("/account/").status_code == 200
    accounts.login("ann@example.org")
    post_form(
        accounts.client,
        "/account/",
        {"current": TEST_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        action="/account/password",
    )
    assert other.get("/account/").status_code == 302


def test_a_weak_new_password_is_refused(app: Flask, accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    before = _user(app).password_hash
    response = post_form(
        accounts.client,
        "/account/",
        {"current": TEST_PASSWORD, "password": "qwertyuiop", "confirm": "qwertyuiop"},
        action="/account/password",
    )
    assert response.status_code == 400
    assert "too easy to guess" in response.get_data(as_text=True)
    assert _user(app).password_hash == before


def test_password_reset_by_mailed_link(app: Flask, accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    response = post_form(accounts.client, "/password/forgot", {"email": "Ann@Example.org"})
    assert response.status_code == 302
    link = local_path(accounts.outbox.last_link_to("ann@example.org"))
    assert accounts.client.get(link).status_code == 200
    reset = post_form(accounts.client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reset.status_code == 302
    assert accounts.login("ann@example.org", NEW_PASSWORD).status_code == 302


def test_a_reset_link_works_once(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    post_form(accounts.client, "/password/forgot", {"email": "ann@example.org"})
    link = local_path(accounts.outbox.last_link_to("ann@example.org"))
    post_form(accounts.client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    reused = accounts.client.get(link)
    assert reused.status_code == 400
    page = reused.get_data(as_text=True)
    assert "used already" in page
    assert "new password-reset link" in page
    assert "verification link" not in page  # a reset link's page speaks of passwords only


def test_a_forged_reset_link_is_refused(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    response = accounts.client.get("/password/reset/not-a-real-token")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_reset_for_an_unknown_address_sends_nothing_and_says_the_same(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    known = post_form(
        accounts.client, "/password/forgot", {"email": "ann@example.org"}, follow_redirects=True
    )
    unknown = post_form(
        accounts.client, "/password/forgot", {"email": "who@example.org"}, follow_redirects=True
    )
    assert "If that address is verified" in known.get_data(as_text=True)
    assert "If that address is verified" in unknown.get_data(as_text=True)
    assert accounts.outbox.links_to("who@example.org") == []
