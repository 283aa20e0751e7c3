"""`flask --app wsgi import wallet-backup|backpack`: pull an earner's badges from elsewhere.

Run in the foreground with the same listing, caps and intake as the web's pull jobs
(`importers/pull/`); the report and failures file are those of the other imports.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from backpack.commands.imports import (
    Progress,
    account_for,
    failures_option,
    imports,
    json_option,
    new_report,
)
from backpack.extensions import db
from backpack.services.app_fetcher import app_fetcher
from importers.pipeline import ImporterError
from importers.pull import discovery, jobs, reconnect, wallet
from importers.pull.core import run_pull
from importers.pull.remote import Remote


def _pull(address: str, spec: dict[str, Any], as_json: bool, failures: Path | None) -> None:
    user = account_for(address)
    try:
        source, badges = jobs.list_spec(spec, user, Remote(app_fetcher()))
    except ImporterError as exc:
        db.session.commit()  # a grant's tokens renewed, or forgotten, stay so
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    progress = Progress(len(badges), "Pulling badges", as_json)
    report = new_report(False, failures)
    report.notes.extend(jobs.spec_notes(spec))
    try:
        run_pull(user, source, badges, report, progress=progress.advance)
    finally:
        progress.close()
    click.echo(json.dumps(report.to_json(), indent=2) if as_json else report.to_table())
    if sum(report.failed.values()):
        sys.exit(1)


@imports.command("wallet-backup")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "address", required=True, help="The verified address of the account.")
@json_option
@failures_option
def wallet_backup_command(path: Path, address: str, as_json: bool, failures: Path | None) -> None:
    """Import the credentials of a Learner Credential Wallet backup (its keys are ignored)."""
    with path.open("rb") as stream:
        data = stream.read(wallet.MAX_BACKUP_BYTES + 1)
    try:
        spec = jobs.wallet_spec(data)
    except ImporterError as exc:
        raise click.ClickException(exc.message) from exc
    _pull(address, spec, as_json, failures)


@imports.command("backpack")
@click.argument("url")
@click.option("--user", "address", required=True, help="The verified address of the account.")
@json_option
@failures_option
def backpack_command(url: str, address: str, as_json: bool, failures: Path | None) -> None:
    """Pull the badges an earner holds in another backpack: over the Open Badges 3.0 API
    or Badge Connect (with the connection kept from an earlier pull, at once; else it
    prints the link where the earner consents, and the pull then runs in the background),
    or what its Displayer API shows."""
    user = account_for(address)
    remote = Remote(app_fetcher())
    try:
        spoken = discovery.discover(remote, url)
        connection = None
        if spoken.kind in ("ob3", "badge-connect"):
            connection = reconnect.connect(remote, user, spoken)
    except ImporterError as exc:
        # Tokens renewed (or forgotten) before the failure are kept so.
        db.session.commit()
        raise click.ClickException(exc.message) from exc
    if connection is None:
        _pull(address, jobs.address_spec(spoken.base), as_json, failures)
        return
    db.session.commit()
    for note in connection.notes:
        click.echo(note, err=True)
    if connection.consent is None:  # connected before, and still: no consent to ask
        _pull(address, jobs.grant_spec(*connection.grants), as_json, failures)
        return
    if connection.waiting is not None:
        # Only the second consent is missing: the kept 3.0 grant is read now.
        click.echo(
            "Your 2.0 badges there need your consent first: open this link in a browser,"
            f" logged in here as {address}, to bring them too:\n{connection.consent}",
            err=True,
        )
        _pull(address, jobs.grant_spec(connection.waiting), as_json, failures)
        return
    click.echo(
        f"Open this link in a browser, logged in here as {address}, and allow the"
        " other backpack to share your badges (a backpack that also keeps 2.0 badges"
        " on Badge Connect then asks a second time, for those); the pull then"
        f" starts:\n{connection.consent}"
    )
