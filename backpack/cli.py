"""Command-line commands: `flask --app wsgi users ...`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from backpack.badge_cli import badges
from backpack.extensions import db
from backpack.services import accounts
from backpack.services.errors import ServiceError

users = AppGroup("users", help="Manage accounts.")


@users.command("create")
@click.argument("email")
@click.option("--password", required=True, help="The account's password.")
@click.option("--name", default="", help="The account holder's name.")
def create_user(email: str, password: str, name: str) -> None:
    """Create an account whose EMAIL is verified already."""
    try:
        user = accounts.create_account(email, password, name=name, verified=True)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Created account {user.id} for {email} (verified).")


def register(app: Flask) -> None:
    """Add the command groups to the app's CLI."""
    app.cli.add_command(users)
    app.cli.add_command(badges)
