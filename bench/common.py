"""What the benchmarks share: scratch PostgreSQL databases, and the `--smoke` size.

`--smoke` runs a benchmark at the tiny size `make test` uses (tests/test_benchmarks.py): a
few seconds, only to prove it still runs; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

POSTGRES_URL = os.environ.get(
    "BACKPACK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def scratch_database(prefix: str, admin_url: str = POSTGRES_URL) -> Iterator[str]:
    """A new PostgreSQL database named after `prefix`, dropped on exit however the run ends."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def parse_with_smoke(
    parser: argparse.ArgumentParser, arguments: Sequence[str] | None, **tiny: Any
) -> argparse.Namespace:
    """Parse the command line; with `--smoke`, the options in `tiny` take their tiny values."""
    parser.add_argument(
        "--smoke", action="store_true", help="the tiny size make test runs (figures mean nothing)"
    )
    options = parser.parse_args(arguments)
    if options.smoke:
        for name, value in tiny.items():
            setattr(options, name, value)
    return options


def app_settings(database_url: str, folder: str, **overrides: Any) -> dict[str, Any]:
    """Settings of an in-process app for a benchmark: its database, files under `folder`,
    local issuers reachable, the cheapest password hashing, background jobs run at once."""
    return {
        "ENVIRONMENT": "testing",
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_OUTBOX_DIR": f"{folder}/outbox",
        "IMPORTS_DIR": f"{folder}/imports",
        "BASE_URL": "https://backpack.test",
        "TASKS_IMMEDIATE": True,
        "FETCH_ALLOW_PRIVATE": True,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        **overrides,
    }
