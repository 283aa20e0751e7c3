"""A generated Mozilla Backpack instance: its schema in MariaDB, its rows, and its mysqldump.

The DDL follows mozilla-backpack.md section 1 (the final columns of each table). `small()`
is the instance the tests use; `synthetic()` streams a large one for the benchmark.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import bcrypt
import sqlalchemy as sa

from tests.support.mozilla import (
    MozillaBadge,
    body_0_5,
    body_1_0_hosted,
    body_1_0_signed,
    sample_badges,
)

DDL = [
    """CREATE TABLE `user` (
      `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      `first_name` VARCHAR(255) NULL, `last_name` VARCHAR(255) NULL,
      `email` VARCHAR(255) NOT NULL UNIQUE, `email_is_verified` BOOLEAN DEFAULT 0,
      `email_verification_code` VARCHAR(255),
      `additional_email_1` VARCHAR(255), `additional_email_1_is_verified` BOOLEAN DEFAULT 0,
      `additional_email_1_verification_code` VARCHAR(255),
      `additional_email_2` VARCHAR(255), `additional_email_2_is_verified` BOOLEAN DEFAULT 0,
      `additional_email_2_verification_code` VARCHAR(255),
      `migration_email` VARCHAR(255) NULL, `last_login` INT(13), `active` BOOLEAN DEFAULT 1,
      `password` TEXT, `salt` TINYBLOB, `fb_access_token` VARCHAR(255),
      `reset_password_token` VARCHAR(64), `reset_password_expires` BIGINT(13),
      `created_at` BIGINT(13), `updated_at` BIGINT(13),
      `delete_account_code_requested` BOOLEAN, `delete_account_code` VARCHAR(255)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE `badge` (
      `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `user_id` BIGINT,
      `awarded_to_email_address` VARCHAR(255), `endpoint` TINYTEXT, `signature` TEXT,
      `image_path` VARCHAR(255) NOT NULL, `body` MEDIUMBLOB NOT NULL,
      `body_hash` VARCHAR(255) NOT NULL UNIQUE,
      `validated_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
      `public_path` VARCHAR(255) NULL UNIQUE, `public` BOOLEAN DEFAULT 0,
      FOREIGN KEY (`user_id`) REFERENCES `user`(`id`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE `badge_image` (
      `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `badge_hash` VARCHAR(255),
      `image_data` LONGBLOB, `baked` BOOLEAN DEFAULT 0,
      FOREIGN KEY (`badge_hash`) REFERENCES `badge`(`body_hash`) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE `group` (
      `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `user_id` BIGINT,
      `name` VARCHAR(255), `url` VARCHAR(255) UNIQUE, `public` BOOLEAN DEFAULT 0,
      `badges` MEDIUMBLOB
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE `portfolio` (
      `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `group_id` BIGINT,
      `url` VARCHAR(255), `title` VARCHAR(128), `subtitle` VARCHAR(128), `preamble` TEXT,
      `stories` MEDIUMBLOB
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
]

ANN, SCHOOL, OLD = "ann@example.org", "ann@school.example.edu", "ann.old@example.net"
BOB, CAT = "bob@example.org", "cat@example.org"
ANN_PASSWORD = "ann's old Mozilla password"
VALIDATED = datetime(2018, 5, 1, 12, 0, 0)


@functools.cache
def bcrypt_hash(password: str, rounds: int = 4) -> str:
    """A bcrypt hash as node's bcrypt-nodejs wrote it (`$2a$`)."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds, prefix=b"2a"))
    return hashed.decode()


@dataclass
class Instance:
    """Rows of the five tables, as dictionaries keyed by column."""

    users: list[dict[str, Any]] = field(default_factory=list)
    badges: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    portfolios: list[dict[str, Any]] = field(default_factory=list)


def user_row(number: int, email: str, *, verified: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "id": number,
        "first_name": extra.pop("first_name", "User"),
        "last_name": extra.pop("last_name", str(number)),
        "email": email,
        "email_is_verified": verified,
        "password": bcrypt_hash(extra.pop("password", f"password {number}")),
        "created_at": 1_500_000_000_000 + number * 1000,
        "additional_email_1": None,
        "additional_email_1_is_verified": False,
        "additional_email_2": None,
        "additional_email_2_is_verified": False,
        **extra,
    }


def badge_rows(owner: int, badge: MozillaBadge, *, body: str | None = None) -> list[dict[str, Any]]:
    """The `badge` row and its `badge_image` row (the image as base64 text)."""
    body_text = body if body is not None else badge.body
    body_hash = hashlib.sha256(body_text.encode()).hexdigest()
    row = {
        "id": badge.number,
        "user_id": owner,
        "awarded_to_email_address": badge.email,
        "endpoint": badge.endpoint,
        "signature": badge.signature,
        "image_path": f"/_badges/{body_hash[:32]}.{'svg' if badge.svg else 'png'}",
        "body": body_text.encode(),
        "body_hash": body_hash,
        "validated_on": VALIDATED,
        "public_path": body_hash if badge.number % 2 else None,
    }
    image = {
        "id": badge.number,
        "badge_hash": body_hash,
        "image_data": base64.b64encode(badge.baked_image()),
        "baked": True,
    }
    return [row, image]


def small() -> Instance:
    """Three users and every case the import must handle."""
    instance = Instance()
    instance.users = [
        user_row(
            1,
            ANN,
            first_name="Ann",
            last_name="Example",
            password=ANN_PASSWORD,
            additional_email_1=SCHOOL,
            additional_email_1_is_verified=True,
            additional_email_2=OLD,
            additional_email_2_is_verified=False,
        ),
        # Bob claimed Ann's school address but never verified it: one email, two users.
        user_row(2, BOB, additional_email_1=SCHOOL, additional_email_1_is_verified=False),
        user_row(3, CAT, verified=False),
    ]
    for badge in sample_badges(ANN, SCHOOL):
        _add_badge(instance, 1, badge)
    _add_badge(instance, 1, body_1_0_hosted(7, ANN), body='{"recipient": "ann@example.org", broken')
    _add_badge(instance, 2, body_0_5(8, BOB))
    _add_badge(instance, 3, body_0_5(9, CAT))
    instance.groups = [
        # Badge 99 was deleted: the group still lists it.
        {
            "id": 1,
            "user_id": 1,
            "name": "Web skills",
            "url": "a" * 32,
            "public": True,
            "badges": b"[1, 3, 4, 99]",
        },
        {
            "id": 2,
            "user_id": 1,
            "name": "Private things",
            "url": "b" * 32,
            "public": False,
            "badges": b"[2, 6]",
        },
        {"id": 3, "user_id": 2, "name": "Bob's", "url": "c" * 32, "public": True, "badges": b"[8]"},
    ]
    instance.portfolios = [
        {
            "id": 1,
            "group_id": 1,
            "url": "d" * 32,
            "title": "My web journey",
            "subtitle": "2011 to 2014",
            "preamble": "How I learnt the web.",
            "stories": b'{"1": "My very first badge.", "4": "Signed, sealed, delivered."}',
        },
    ]
    return instance


def _add_badge(
    instance: Instance, owner: int, badge: MozillaBadge, body: str | None = None
) -> None:
    row, image = badge_rows(owner, badge, body=body)
    instance.badges.append(row)
    instance.images.append(image)


def table_rows(instance: Instance) -> Iterator[tuple[str, Iterable[dict[str, Any]]]]:
    yield "user", instance.users
    yield "badge", instance.badges
    yield "badge_image", instance.images
    yield "group", instance.groups
    yield "portfolio", instance.portfolios


def create_database(admin_url: str, name: str) -> str:
    """A new, empty MariaDB database with the Mozilla schema; its URL."""
    admin = sa.create_engine(admin_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        connection.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    admin.dispose()
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for statement in DDL:
            connection.exec_driver_sql(statement)
    engine.dispose()
    return url


def fill(
    url: str, tables: Iterable[tuple[str, Iterable[dict[str, Any]]]], batch: int = 2000
) -> None:
    """Insert rows table by table, in batches."""
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    with engine.begin() as connection:
        for name, rows in tables:
            table = sa.Table(name, metadata, autoload_with=connection)
            chunk: list[dict[str, Any]] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= batch:
                    connection.execute(table.insert(), chunk)
                    chunk = []
            if chunk:
                connection.execute(table.insert(), chunk)
    engine.dispose()


def drop_database(admin_url: str, name: str) -> None:
    admin = sa.create_engine(admin_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


def mysqldump(url: str, path: Path, *, hex_blob: bool = True) -> Path:
    """The database as `mysqldump` writes it (extended inserts; blobs in hex or quoted)."""
    parts = sa.engine.make_url(url)
    command = [
        "mysqldump",
        f"--host={parts.host}",
        f"--port={parts.port or 3306}",
        f"--user={parts.username}",
        "--skip-dump-date",
        "--hex-blob",
        "--net-buffer-length=16384",
        str(parts.database),
    ]
    with path.open("wb") as out:
        subprocess.run(command, stdout=out, check=True)
    return path


def synthetic(scale: float = 1.0) -> list[tuple[str, Iterable[dict[str, Any]]]]:
    """A large instance, generated as it is inserted: 100k users, 200k badges with small
    real PNGs, 50k groups (with a portfolio for one in ten) at scale 1."""
    users = max(1, int(100_000 * scale))
    badges = max(1, int(200_000 * scale))
    groups = max(1, int(50_000 * scale))
    hashes = [bcrypt_hash(f"password {n}") for n in range(8)]

    def owner(number: int) -> int:
        return (number - 1) % users + 1

    def badge(number: int) -> MozillaBadge:
        email = f"user{owner(number)}@example.org"
        if number % 20 == 0:
            return body_1_0_signed(number, email)  # one in twenty: signing is slow
        return body_0_5(number, email) if number % 2 else body_1_0_hosted(number, email)

    def user_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, users + 1):
            row = user_row(n, f"user{n}@example.org")
            row["password"] = hashes[n % len(hashes)]
            if n % 10 == 0:
                row["additional_email_1"] = f"user{n}@school.example.edu"
                row["additional_email_1_is_verified"] = n % 20 == 0
            yield row

    def badge_and_image_rows(index: int) -> Iterator[dict[str, Any]]:
        for n in range(1, badges + 1):
            yield badge_rows(owner(n), badge(n))[index]

    def group_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, groups + 1):
            listed = [m for m in (n, n + users, n + 2 * users) if m <= badges]
            yield {
                "id": n, "user_id": owner(n), "name": f"Group {n}", "url": f"{n:032x}",
                "public": n % 3 == 0, "badges": str(listed).encode(),
            }  # fmt: skip

    def portfolio_rows() -> Iterator[dict[str, Any]]:
        for n in range(10, groups + 1, 10):
            yield {
                "id": n, "group_id": n, "url": f"p{n:031x}", "title": f"Portfolio {n}",
                "subtitle": "Subtitle", "preamble": "Preamble.",
                "stories": f'{{"{n}": "Story of badge {n}."}}'.encode(),
            }  # fmt: skip

    return [
        ("user", user_rows()),
        ("badge", badge_and_image_rows(0)),
        ("badge_image", badge_and_image_rows(1)),
        ("group", group_rows()),
        ("portfolio", portfolio_rows()),
    ]
