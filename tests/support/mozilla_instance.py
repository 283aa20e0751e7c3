"""A generated Mozilla Backpack instance: its schema in MariaDB, its rows, and its mysqldump.

Shaped as Mozilla's own migrations and models left a real one (mozilla-backpack.md sections
1 and 5): the final columns of each table, in a database created utf8 (3-byte) or latin1,
never utf8mb4, so 4-byte characters in VARCHAR columns are already `????` while BLOB columns
keep their bytes; rows written with a non-strict `sql_mode` (log-in's milliseconds in the
INT(13) `last_login` are clipped); `email_is_verified` 0 for most users (added in 2017, never
back-filled); primaries in mixed case (Persona rows); NULL passwords (Persona users who never
set one); addresses Mozilla's unanchored check let in; bodies as the compact
`JSON.stringify` of the normalised assertion; base64 `image_data`, sometimes NULL; group
names HTML-escaped by some versions; a portfolio row for every edit of a group's portfolio
(the newest, highest id, is the one Mozilla showed; edited rows may have no `url`); and
Backpack Connect grants in `bpc_session`.

`small()` is the instance the tests use; `synthetic()` streams a large one for the
benchmark. The dumps the tests read are `mysqldump`s of the same generated database.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
    ) ENGINE=InnoDB""",
    """CREATE TABLE `badge` (
      `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `user_id` BIGINT,
      `awarded_to_email_address` VARCHAR(255), `endpoint` TINYTEXT, `signature` TEXT,
      `image_path` VARCHAR(255) NOT NULL, `body` MEDIUMBLOB NOT NULL,
      `body_hash` VARCHAR(255) NOT NULL UNIQUE,
      `validated_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
      `public_path` VARCHAR(255) NULL UNIQUE, `public` BOOLEAN DEFAULT 0,
      FOREIGN KEY (`user_id`) REFERENCES `user`(`id`)
    ) ENGINE=InnoDB""",
    """CREATE TABLE `badge_image` (
      `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `badge_hash` VARCHAR(255),
      `image_data` LONGBLOB, `baked` BOOLEAN DEFAULT 0,
      FOREIGN KEY (`badge_hash`) REFERENCES `badge`(`body_hash`) ON DELETE CASCADE
    ) ENGINE=InnoDB""",
    """CREATE TABLE `group` (
      `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `user_id` BIGINT,
      `name` VARCHAR(255), `url` VARCHAR(255) UNIQUE, `public` BOOLEAN DEFAULT 0,
      `badges` MEDIUMBLOB NOT NULL
    ) ENGINE=InnoDB""",
    """CREATE TABLE `portfolio` (
      `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `group_id` BIGINT NOT NULL,
      `url` VARCHAR(255), `title` VARCHAR(128), `subtitle` VARCHAR(128), `preamble` TEXT,
      `stories` MEDIUMBLOB, INDEX (`group_id`)
    ) ENGINE=InnoDB""",
    """CREATE TABLE `bpc_session` (
      `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `user_id` BIGINT,
      `access_time` INT, `access_token` VARCHAR(255) UNIQUE,
      `refresh_token` VARCHAR(255) UNIQUE, `permissions` VARCHAR(255), `origin` VARCHAR(255),
      FOREIGN KEY (`user_id`) REFERENCES `user`(`id`)
    ) ENGINE=InnoDB""",
]

ANN, SCHOOL, OLD = "ann@example.org", "ann@school.example.edu", "ann.old@example.net"
BOB, CAT = "bob@example.org", "cat@example.org"
# A Persona user: the address kept as typed, and no password ever set.
DAN = "Dan.Persona@Example.org"
# An address only Mozilla's unanchored check accepted.
IVY = "ivy..dots@example.org"
ANN_PASSWORD = "ann's old Mozilla password"
IVY_PASSWORD = "ivy's old Mozilla password"
VALIDATED = datetime(2018, 5, 1, 12, 0, 0)
# A Backpack Connect issuer (bpc_session.origin).
CONNECT_ORIGIN = "https://issuer.example.org"


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
    connect_sessions: list[dict[str, Any]] = field(default_factory=list)


_FOUR_BYTES = re.compile("[\U00010000-\U0010ffff]")


def as_stored_text(text: str) -> str:
    """A text as a utf8 (3-byte) MySQL column kept it: each 4-byte character as `????`."""
    return _FOUR_BYTES.sub("????", text)


def stringify(document: Any) -> str:
    """`JSON.stringify(document)`: compact, non-ASCII characters as they are."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def user_row(
    number: int, email: str, *, verified: bool = False, password: str | None = "", **extra: Any
) -> dict[str, Any]:
    """A `user` row. Unverified by default, as most were (`email_is_verified` came in 2017
    as 0 for everyone); `password=None` is a Persona user who never set one."""
    created = 1_500_000_000_000 + number * 1000
    return {
        "id": number,
        "first_name": as_stored_text(extra.pop("first_name", "User")),
        "last_name": as_stored_text(extra.pop("last_name", str(number))),
        "email": email,
        "email_is_verified": verified,
        "password": None if password is None else bcrypt_hash(password or f"password {number}"),
        "created_at": created,
        "updated_at": created,
        "last_login": created,  # milliseconds, clipped by the INT(13) column (non-strict)
        "active": True,
        "additional_email_1": None,
        "additional_email_1_is_verified": False,
        "additional_email_2": None,
        "additional_email_2_is_verified": False,
        **extra,
    }


def badge_rows(
    owner: int, badge: MozillaBadge, *, body: str | None = None, image: bool = True
) -> list[dict[str, Any]]:
    """The `badge` row and its `badge_image` row (the image as base64 text, or NULL).

    The body is what Mozilla stored: the compact `JSON.stringify` of the normalised
    assertion (section 5), and `body_hash` its SHA-256."""
    body_text = body if body is not None else stringify(json.loads(badge.body))
    body_hash = hashlib.sha256(body_text.encode()).hexdigest()
    # The name `makeBadgeImagePath` gave the picture, not a secret: md5 as Mozilla used it.
    image_name = hashlib.md5(body_text.encode(), usedforsecurity=False).hexdigest()
    row = {
        "id": badge.number,
        "user_id": owner,
        "awarded_to_email_address": badge.email,
        "endpoint": badge.endpoint,
        "signature": badge.signature,
        "image_path": f"/_badges/{image_name}.{'svg' if badge.svg else 'png'}",
        "body": body_text.encode(),
        "body_hash": body_hash,
        "validated_on": VALIDATED,
        "public_path": body_hash if badge.number % 2 else None,
    }
    picture = {
        "id": badge.number,
        "badge_hash": body_hash,
        "image_data": base64.b64encode(badge.baked_image()) if image else None,
        "baked": image,
    }
    return [row, picture]


def connect_session(number: int, owner: int, origin: str = CONNECT_ORIGIN) -> dict[str, Any]:
    """A Backpack Connect grant (section 1.6): 24-character tokens, unix seconds."""
    return {
        "id": number,
        "user_id": owner,
        "access_time": 1_500_000_000 + number,
        "access_token": f"access{number:018d}",
        "refresh_token": f"refresh{number:017d}",
        "permissions": "issue",
        "origin": origin,
    }


def small() -> Instance:
    """Five users and every case the import must handle."""
    instance = Instance()
    instance.users = [
        # Ann signed up before 2017: her primary was never confirmed, as most were not.
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
        user_row(
            2,
            BOB,
            first_name="Bob",
            last_name="Müller",  # in latin1 as well as utf8 databases
            additional_email_1=SCHOOL,
            additional_email_1_is_verified=False,
        ),
        # Cat signed up after 2017 and confirmed her address; her name is 4-byte characters.
        user_row(3, CAT, verified=True, first_name="Cat", last_name="\U0001f431"),
        # Dan came from Persona: his address as he typed it, and no password.
        user_row(4, DAN, password=None, first_name="Dan", last_name="Persona"),
        user_row(5, IVY, password=IVY_PASSWORD, first_name="Ivy", last_name="Dots"),
    ]
    for badge in sample_badges(ANN, SCHOOL):
        _add_badge(instance, 1, badge)
    _add_badge(instance, 1, body_1_0_hosted(7, ANN), body='{"recipient": "ann@example.org", broken')
    _add_badge(instance, 2, body_0_5(8, BOB))
    _add_badge(instance, 3, body_0_5(9, CAT), image=False)  # an image never stored
    # Mozilla showed Bob a badge for the school address Ann verified since.
    _add_badge(instance, 2, body_0_5(10, SCHOOL))
    _add_badge(instance, 4, body_0_5(11, DAN))
    _add_badge(instance, 5, body_0_5(12, IVY, salt="ivy"))
    instance.groups = [
        # Badge 99 was deleted: the group still lists it.
        {
            "id": 1,
            "user_id": 1,
            "name": "Web skills",
            "url": "a" * 32,
            "public": True,
            "badges": b"[1,3,4,99]",
        },
        {
            "id": 2,
            "user_id": 1,
            "name": "Private things",
            "url": "b" * 32,
            "public": False,
            "badges": b"[2,6]",
        },
        {"id": 3, "user_id": 2, "name": "Bob's", "url": "c" * 32, "public": True, "badges": b"[8]"},
        # A name stored HTML-escaped, as some versions of the form did.
        {
            "id": 4,
            "user_id": 3,
            "name": "&lt;b&gt;Bold&lt;/b&gt; &amp; brave",
            "url": "e" * 32,
            "public": True,
            "badges": b"[9]",
        },
    ]
    instance.portfolios = [
        {
            "id": 1,
            "group_id": 1,
            "url": "d" * 32,
            "title": "My web journey",
            "subtitle": "2011 to 2014",
            "preamble": "How I learnt the web.",
            "stories": b'{"1":"My very first badge.","4":"Signed, sealed, delivered."}',
        },
        # Group 2's portfolio, edited once: each edit inserted a row; the newest has no url.
        {
            "id": 2,
            "group_id": 2,
            "url": "f" * 32,
            "title": "Things (draft)",
            "subtitle": None,
            "preamble": "Not yet.",
            "stories": b'{"2":"First try."}',
        },
        {
            "id": 3,
            "group_id": 2,
            "url": None,
            "title": "Things I keep",
            "subtitle": "Private",
            "preamble": "Kept for me.",
            "stories": b'{"2":"Salted and kept."}',
        },
    ]
    instance.connect_sessions = [connect_session(1, 1), connect_session(2, 5)]
    return instance


def _add_badge(
    instance: Instance,
    owner: int,
    badge: MozillaBadge,
    body: str | None = None,
    *,
    image: bool = True,
) -> None:
    row, image_row = badge_rows(owner, badge, body=body, image=image)
    instance.badges.append(row)
    instance.images.append(image_row)


def table_rows(instance: Instance) -> Iterator[tuple[str, Iterable[dict[str, Any]]]]:
    yield "user", instance.users
    yield "badge", instance.badges
    yield "badge_image", instance.images
    yield "group", instance.groups
    yield "portfolio", instance.portfolios
    yield "bpc_session", instance.connect_sessions


def create_database(admin_url: str, name: str, *, charset: str = "utf8") -> str:
    """A new, empty MariaDB database with the Mozilla schema; its URL. Mozilla's setup made
    its tables in the server's default character set: utf8 (3-byte) or latin1."""
    assert charset in ("utf8", "latin1"), "Mozilla's databases were never utf8mb4"
    admin = sa.create_engine(admin_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        connection.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET {charset}")
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
    """Insert rows table by table, in batches, as Mozilla's server took them (a non-strict
    `sql_mode`). Columns and tables the database lacks are left out (a SQLite source made
    from the importer's declarations holds only what the import reads)."""
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    with engine.begin() as connection:
        if connection.dialect.name in ("mysql", "mariadb"):
            connection.exec_driver_sql("SET SESSION sql_mode = ''")
        present = set(sa.inspect(connection).get_table_names())
        for name, rows in tables:
            if name not in present:
                continue
            table = sa.Table(name, metadata, autoload_with=connection)
            chunk: list[dict[str, Any]] = []
            for row in rows:
                chunk.append({key: value for key, value in row.items() if key in table.c})
                if len(chunk) >= batch:
                    connection.execute(table.insert(), chunk)
                    chunk = []
            if chunk:
                connection.execute(table.insert(), chunk)
    engine.dispose()


@contextmanager
def import_source(
    admin_url: str, label: str, tables: Any, how: str, workdir: Path
) -> Iterator[list[str]]:
    """These source tables in a new MariaDB database, as the import command's arguments:
    `how` is "mozilla-db" (its URL) or "mozilla-dump" (a dump of it); dropped afterwards."""
    from tests import services

    name = services.unique_name(label)
    url = create_database(admin_url, name)
    try:
        fill(url, tables)
        if how == "mozilla-dump":
            yield ["mozilla-dump", str(mysqldump(url, workdir / "mozilla.sql"))]
        else:
            yield ["mozilla-db", url]
    finally:
        drop_database(admin_url, name)


def run_import(app: Any, arguments: list[str]) -> dict[str, Any]:
    """Run the import command with `--json`; its report, after checking nothing failed."""
    result = app.test_cli_runner().invoke(args=["import", *arguments, "--json"])
    assert "Traceback" not in result.output, result.output
    report: dict[str, Any] = json.loads(result.output)
    assert report["failed"] == 0, report
    return report


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
        *(["--hex-blob"] if hex_blob else []),
        "--net-buffer-length=16384",
        str(parts.database),
    ]
    with path.open("wb") as out:
        subprocess.run(command, stdout=out, check=True)
    return path


def synthetic(scale: float = 1.0) -> list[tuple[str, Iterable[dict[str, Any]]]]:
    """A large instance, generated as it is inserted: 100k users, 200k badges with small
    real PNGs, 50k groups (with a portfolio for one in ten, edited once for one in thirty)
    at scale 1, shaped as `small()` is: four in five primaries never confirmed, some in
    mixed case or only Mozilla's check accepted, Persona users without a password, images
    missing, names HTML-escaped, a few Backpack Connect grants."""
    users = max(1, int(100_000 * scale))
    badges = max(1, int(200_000 * scale))
    groups = max(1, int(50_000 * scale))
    hashes = [bcrypt_hash(f"password {n}") for n in range(8)]

    def owner(number: int) -> int:
        return (number - 1) % users + 1

    def address(user: int) -> str:
        if user % 50 == 7:
            return f"user{user}..dots@example.org"
        return f"User{user}@Example.org" if user % 7 == 3 else f"user{user}@example.org"

    def badge(number: int) -> MozillaBadge:
        # Issuers were given the address in lower case, as Mozilla's log-in kept it.
        email = address(owner(number)).lower()
        if number % 20 == 0:
            return body_1_0_signed(number, email)  # one in twenty: signing is slow
        return body_0_5(number, email) if number % 2 else body_1_0_hosted(number, email)

    def user_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, users + 1):
            row = user_row(n, address(n), verified=n % 5 == 0)
            row["password"] = None if n % 25 == 11 else hashes[n % len(hashes)]
            if n % 10 == 0:
                row["additional_email_1"] = f"user{n}@school.example.edu"
                row["additional_email_1_is_verified"] = n % 20 == 0
            yield row

    def badge_and_image_rows(index: int) -> Iterator[dict[str, Any]]:
        for n in range(1, badges + 1):
            yield badge_rows(owner(n), badge(n), image=n % 100 != 50)[index]

    def group_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, groups + 1):
            listed = [m for m in (n, n + users, n + 2 * users) if m <= badges]
            name = f"Group {n} &amp; co" if n % 25 == 0 else f"Group {n}"
            yield {
                "id": n, "user_id": owner(n), "name": name, "url": f"{n:032x}",
                "public": n % 3 == 0, "badges": stringify(listed).encode(),
            }  # fmt: skip

    def portfolio_rows() -> Iterator[dict[str, Any]]:
        number = 0
        for n in range(10, groups + 1, 10):
            for edit in range(2 if n % 30 == 0 else 1):
                number += 1
                yield {
                    "id": number, "group_id": n, "url": None if edit else f"p{n:031x}",
                    "title": f"Portfolio {n}" + (" (edited)" if edit else ""),
                    "subtitle": "Subtitle", "preamble": "Preamble.",
                    "stories": stringify({str(n): f"Story of badge {n}."}).encode(),
                }  # fmt: skip

    def connect_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, users + 1, 100):
            yield connect_session(n, n)

    return [
        ("user", user_rows()),
        ("badge", badge_and_image_rows(0)),
        ("badge_image", badge_and_image_rows(1)),
        ("group", group_rows()),
        ("portfolio", portfolio_rows()),
        ("bpc_session", connect_rows()),
    ]
