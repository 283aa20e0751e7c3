"""`flask --app wsgi users create|export|logout`: accounts from the command line."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask.cli import AppGroup

from backpack.extensions import db
from backpack.plurals import counted
from backpack.services import accounts, emails, login_sessions
from backpack.services.errors import ServiceError
from backpack.services.export import write_export_file

log = logging.getLogger(__name__)
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


@users.command("export")
@click.argument("email")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the ZIP (default: <EMAIL>-backpack.zip here).",
)
def export_user(email: str, output: Path | None) -> None:
    """Write the whole backpack of the account with EMAIL as a ZIP `import` restores."""
    found = emails.find_verified(email)
    if found is None:
        raise click.ClickException(f"No account has the verified address {email}.")
    target = output or Path(f"{email}-backpack.zip")
    try:
        count = write_export_file(found.user, target)
    except OSError as exc:
        reason = exc.strerror or exc
        message = f"Cannot write {target}: {reason}. {target} is unchanged."
        raise click.ClickException(message) from exc
    except Exception as exc:
        log.exception("The export of %s failed", email)
        raise click.ClickException(
            f"The export of {email} stopped because of an error here (logged above). "
            f"{target} is unchanged."
        ) from exc
    click.echo(f"Exported {counted(count, 'badge')} of {email} to {target}.")


@users.command("logout")
@click.argument("email")
def log_out_everywhere(email: str) -> None:
    """End every login session of the account with EMAIL (a lost or stolen device)."""
    holders = emails.accounts_holding(email)
    if not holders:
        raise click.ClickException(f"No account has the address {email}.")
    if len(holders) > 1:
        ids = ", ".join(str(user.id) for user in holders)
        raise click.ClickException(
            f"{email} is not verified anywhere, and accounts {ids} all hold it; "
            "nothing was ended. Use an address only one of them holds."
        )
    ended = login_sessions.end_all(holders[0])
    db.session.commit()
    click.echo(f"Ended {counted(ended, 'login session')} of {email}.")
