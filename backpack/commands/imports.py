"""`flask --app wsgi import ...`: bring badges over from a Mozilla Backpack or another backpack."""

from __future__ import annotations

import functools
import json
import sys
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from backpack.models import User
from backpack.services import emails
from backpack.services.import_jobs import BACKPACK_EXPORT, MOZILLA_ZIP
from importers import mozilla_db, mozilla_dump, mozilla_instance
from importers.pipeline import ImporterError, Pipeline, Unit
from importers.report import ImportReport
from importers.upload_sources import open_source
from importers.workers import run_shards, usable_workers

imports = AppGroup("import", help="Import badges, accounts and collections from elsewhere.")

dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Do everything but write; report what would happen."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
failures_option = click.option(
    "--failures",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to list each failure (default: IMPORTS_DIR/<time>-failures.jsonl).",
)


def new_report(dry_run: bool, failures: Path | None) -> ImportReport:
    """A report whose failures go to the given file or one under IMPORTS_DIR."""
    report = ImportReport(dry_run=dry_run)
    if failures is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        failures = Path(current_app.config["IMPORTS_DIR"]) / f"{stamp}-failures.jsonl"
    report.open_failures(failures)
    return report


def account_for(address: str) -> User:
    """The account with this verified address, or a usage error."""
    email = emails.find_verified(address)
    if email is None:
        raise click.ClickException(f"No account has the verified address {address}.")
    return email.user


class Progress:
    """A progress bar on a terminal's stderr; silent when stderr is not a terminal."""

    def __init__(self, total: int | None, label: str, quiet: bool) -> None:
        self.bar: Any = None  # click's ProgressBar class is private
        if not quiet and sys.stderr.isatty():
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self.bar.__enter__()

    def advance(self, steps: int) -> None:
        if self.bar is not None:
            self.bar.update(steps)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def run_pipeline(
    pipeline: Pipeline,
    work: Callable[[Pipeline], None],
    *,
    total: int | None,
    label: str,
    as_json: bool,
) -> None:
    """Have `work` write a source through the pipeline, then print the report; exit 1 when
    a record failed."""
    progress = Progress(total, label, as_json)
    pipeline.progress = progress.advance
    try:
        try:
            work(pipeline)
        finally:
            pipeline.finish()
    except ImporterError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        progress.close()
    report = pipeline.report
    click.echo(json.dumps(report.to_json(), indent=2) if as_json else report.to_table())
    if sum(report.failed.values()):
        sys.exit(1)


def file_import_command(name: str) -> Callable[[Callable[..., None]], Any]:
    """The command `import <name> PATH --user ADDRESS`, with the dry-run, JSON and failures
    options every import has."""

    def decorate(command: Callable[..., None]) -> Any:
        for option in (
            failures_option,
            json_option,
            dry_run_option,
            click.option(
                "--user", "address", required=True, help="The verified address of the account."
            ),
            click.argument("path", type=click.Path(path_type=Path)),
        ):
            command = option(command)
        return imports.command(name)(command)

    return decorate


@file_import_command("mozilla-zip")
def mozilla_zip_command(
    path: Path, address: str, dry_run: bool, as_json: bool, failures: Path | None
) -> None:
    """Import the badges of a Mozilla Backpack ZIP (manifest.txt plus baked images)."""
    import_file(MOZILLA_ZIP, path, address, dry_run, as_json, failures, "Importing badges")


instance_option = click.option(
    "--instance",
    default="mozilla",
    show_default=True,
    help="A name for the Mozilla instance; its database and its dumps share what was imported.",
)


batch_size_option = click.option(
    "--batch-size",
    type=click.IntRange(1, 5000),
    default=500,
    show_default=True,
    help="Records written and committed together (a crash redoes at most one batch).",
)


workers_option = click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes importing side by side "
    "[default: one per CPU core, at most 8, on PostgreSQL; one on SQLite and in a dry run].",
)


def _shard_units(
    part: mozilla_instance.Part, source: sa.Engine, worker: Pipeline, index: int, count: int
) -> Iterable[Unit]:
    """A worker's share of one part of a Mozilla instance."""
    return part(source, worker, mozilla_instance.Shard(index, count))


def import_instance(
    source: sa.Engine,
    instance: str,
    dry_run: bool,
    as_json: bool,
    failures: Path | None,
    batch_size: int,
    workers: int | None,
) -> None:
    """Run a Mozilla instance's tables through the pipeline, part after part (accounts,
    additional addresses, badges and groups), each shared out between worker processes
    when there are several."""
    pipeline = Pipeline(f"mozilla:{instance}", new_report(dry_run, failures), batch=batch_size)
    # A dry run's accounts are never committed, so other processes could not see them.
    count = 1 if dry_run else usable_workers(workers)

    def work(pipeline: Pipeline) -> None:
        for part in mozilla_instance.PARTS:
            if count == 1:
                pipeline.write(part(source, pipeline, mozilla_instance.EVERYTHING))
            else:
                run_shards(
                    pipeline, count, functools.partial(_shard_units, part, source), source.dispose
                )

    try:
        run_pipeline(
            pipeline,
            work,
            total=mozilla_instance.count_units(source),
            label="Importing",
            as_json=as_json,
        )
    except sa.exc.OperationalError as exc:
        raise click.ClickException(f"Reading the Mozilla data failed: {exc.orig}") from exc
    finally:
        source.dispose()


@imports.command("mozilla-db")
@click.argument("url")
@instance_option
@dry_run_option
@json_option
@failures_option
@batch_size_option
@workers_option
def mozilla_db_command(
    url: str,
    instance: str,
    dry_run: bool,
    as_json: bool,
    failures: Path | None,
    batch_size: int,
    workers: int | None,
) -> None:
    """Import a whole Mozilla Backpack from its MySQL/MariaDB database (mysql+pymysql://...)."""
    try:
        source = mozilla_db.source_engine(url)
    except ImporterError as exc:
        raise click.ClickException(exc.message) from exc
    import_instance(source, instance, dry_run, as_json, failures, batch_size, workers)


@imports.command("mozilla-dump")
@click.argument("path", type=click.Path(path_type=Path))
@instance_option
@dry_run_option
@json_option
@failures_option
@batch_size_option
@workers_option
def mozilla_dump_command(
    path: Path,
    instance: str,
    dry_run: bool,
    as_json: bool,
    failures: Path | None,
    batch_size: int,
    workers: int | None,
) -> None:
    """Import a whole Mozilla Backpack from a mysqldump file, with no MySQL server."""
    with tempfile.TemporaryDirectory(prefix="mozilla-dump-") as folder:
        staging = sa.create_engine(f"sqlite:///{Path(folder) / 'staging.sqlite3'}")
        try:
            mozilla_dump.load_dump(path, staging)
        except ImporterError as exc:
            staging.dispose()
            raise click.ClickException(exc.message) from exc
        import_instance(staging, instance, dry_run, as_json, failures, batch_size, workers)


@file_import_command("backpack-export")
def backpack_export_command(
    path: Path, address: str, dry_run: bool, as_json: bool, failures: Path | None
) -> None:
    """Restore an export of this server (`users export`) into an account."""
    import_file(BACKPACK_EXPORT, path, address, dry_run, as_json, failures, "Restoring")


def import_file(
    kind: str,
    path: Path,
    address: str,
    dry_run: bool,
    as_json: bool,
    failures: Path | None,
    label: str,
) -> None:
    """Import a file as the website's import job reads one of its kind, but trusted: the
    operator at the command line vouches for an export's addresses."""
    user = account_for(address)
    try:
        source = open_source(kind, path, user, uploaded=False)
    except ImporterError as exc:
        raise click.ClickException(exc.message) from exc
    with source.archive:
        run_pipeline(
            Pipeline(source.scope, new_report(dry_run, failures)),
            lambda p: p.write(source.units(p, p.report)),
            total=source.total,
            label=label,
            as_json=as_json,
        )
