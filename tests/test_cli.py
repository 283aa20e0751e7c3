"""`flask --app wsgi users create EMAIL --password PW [--name NAME]`."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from backpack.extensions import db
from backpack.models import EmailAddress, User
from tests.conftest import Accounts


def test_users_create_makes_an_account_with_a_verified_address(
    app: Flask, runner: FlaskCliRunner, accounts: Accounts
) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Ann@Example.org",
            "--password",
            "a long enough password",
            "--name",
            "Ann",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "verified" in result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user is not None
        assert user.name == "Ann"
        email = db.session.scalar(sa.select(EmailAddress))
        assert email is not None
        assert email.is_verified
        assert email.is_primary
    assert accounts.login("ann@example.org", "a long enough password").status_code == 302


def test_users_create_refuses_a_taken_address(app: Flask, runner: FlaskCliRunner) -> None:
    runner.invoke(
        args=["users", "create", "ann@example.org", "--password", "a long enough password"]
    )
    result = runner.invoke(
        args=["users", "create", "ANN@example.org", "--password", "another long one"]
    )
    assert result.exit_code == 1
    assert "already uses that address" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_users_create_refuses_a_weak_password(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "create", "ann@example.org", "--password", "short"])
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output


def test_users_create_needs_a_password(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "create", "ann@example.org"])
    assert result.exit_code == 2
    assert "--password" in result.output
