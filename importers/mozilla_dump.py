"""Reading a `mysqldump` of a Mozilla Backpack database without a MySQL server.

The dump is read a line at a time (mysqldump writes each INSERT on one line, at most its
net buffer long) and its rows are copied into a SQLite staging file on disk, so memory stays
flat. The staging copy is then read exactly like the live database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from importers import mozilla_schema as schema
from importers.pipeline import SourceUnreadable

BATCH = 1000
MAX_STATEMENT_BYTES = 64 * 1024 * 1024
_CREATE = re.compile(rb"^CREATE TABLE `([^`]+)`")
_COLUMN = re.compile(rb"^\s+`([^`]+)`\s")
_INSERT = re.compile(rb"^INSERT INTO `([^`]+)`(?: \(([^)]*)\))? VALUES\s*")
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_STRING = re.compile(rb"(?:_binary )?'((?:[^'\\]|\\.|'')*)'", re.DOTALL)
_HEX = re.compile(rb"0x([0-9A-Fa-f]*)")
_ESCAPES = {
    b"0": b"\0", b"b": b"\b", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"Z": b"\x1a",
}  # fmt: skip
_ESCAPE = re.compile(rb"\\(.)|''", re.DOTALL)


def load_dump(path: Path, staging: sa.Engine) -> None:
    """Copy the Mozilla tables' rows from a dump into the staging database."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise SourceUnreadable(f"{path}: {exc.strerror or exc}.") from None
    schema.metadata.create_all(staging)
    with stream, staging.begin() as connection:
        _copy(stream, connection, path)


def _copy(stream: IO[bytes], connection: sa.Connection, path: Path) -> None:
    columns: dict[str, list[str]] = {}
    current: str | None = None
    seen_insert = False
    for number, line in enumerate(stream, 1):
        if current is not None:
            column = _COLUMN.match(line)
            if column:
                columns[current].append(column.group(1).decode())
                continue
            current = None
        created = _CREATE.match(line)
        if created:
            current = created.group(1).decode()
            columns[current] = []
            continue
        insert = _INSERT.match(line)
        if insert is None:
            continue
        table = insert.group(1).decode()
        if table not in schema.TABLES:
            continue
        seen_insert = True
        names = (
            [n.strip(b" `").decode() for n in insert.group(2).split(b",")]
            if insert.group(2)
            else columns.get(table)
        )
        if not names:
            raise SourceUnreadable(f"{path}, line {number}: rows of `{table}` before its columns.")
        statement = _statement(line, stream)
        try:
            rows = list(_rows(statement, insert.end()))
        except ValueError as exc:
            raise SourceUnreadable(f"{path}, line {number}: {exc}") from None
        _insert(connection, schema.TABLES[table], names, rows)
    if not seen_insert and not columns:
        raise SourceUnreadable(f"{path} is not a mysqldump of a Mozilla Backpack database.")


def _statement(first: bytes, stream: IO[bytes]) -> bytes:
    # Older mysqldump writes a whole INSERT on one line; MariaDB's puts each row on its own.
    # Either way a statement is at most the dump's net buffer long.
    parts = [first]
    size = len(first)
    while not parts[-1].rstrip().endswith(b");"):
        line = stream.readline()
        if not line:
            break
        size += len(line)
        if size > MAX_STATEMENT_BYTES:
            raise SourceUnreadable(
                f"an INSERT statement is longer than {MAX_STATEMENT_BYTES} bytes"
            )
        parts.append(line)
    return b"".join(parts)


def _insert(
    connection: sa.Connection, table: sa.Table, names: list[str], rows: list[list[Any]]
) -> None:
    wanted = [(i, table.c[n]) for i, n in enumerate(names) if n in table.c]
    blobs = {c.name for _, c in wanted if isinstance(c.type, sa.LargeBinary)}
    values = []
    for row in rows:
        if len(row) != len(names):
            raise SourceUnreadable(
                f"a row of `{table.name}` has {len(row)} values, not {len(names)}"
            )
        record = {}
        for index, column in wanted:
            value = row[index]
            if isinstance(value, bytes) and column.name not in blobs:
                value = value.decode("utf-8", "replace")
            if isinstance(value, str) and isinstance(column.type, sa.DateTime):
                value = _timestamp(value)
            record[column.name] = value
        values.append(record)
    for start in range(0, len(values), BATCH):
        connection.execute(table.insert(), values[start : start + BATCH])


def _rows(line: bytes, position: int) -> Iterator[list[Any]]:
    end = len(line.rstrip())
    while position < end:
        while line[position : position + 1] in (b"\n", b"\r", b" "):
            position += 1
        if line[position : position + 1] != b"(":
            raise ValueError(f"expected '(' at byte {position}")
        position += 1
        row: list[Any] = []
        while True:
            value, position = _value(line, position)
            row.append(value)
            separator = line[position : position + 1]
            position += 1
            if separator == b")":
                break
            if separator != b",":
                raise ValueError(f"expected ',' or ')' at byte {position - 1}")
        yield row
        while line[position : position + 1] in (b"\n", b"\r", b" "):
            position += 1
        separator = line[position : position + 1]
        position += 1
        if separator == b";":
            return
        if separator != b",":
            raise ValueError(f"expected ',' or ';' at byte {position - 1}")
    raise ValueError("the INSERT statement does not end with ';'")


def _value(line: bytes, position: int) -> tuple[Any, int]:
    if line.startswith(b"NULL", position):
        return None, position + 4
    if line.startswith(b"0x", position):
        match = _HEX.match(line, position)
        assert match is not None
        return bytes.fromhex(match.group(1).decode()), match.end()
    if line[position : position + 1] in (b"'", b"_"):
        match = _STRING.match(line, position)
        if match is None:
            raise ValueError(f"an unterminated string at byte {position}")
        return _ESCAPE.sub(_unescape, match.group(1)), match.end()
    match = _NUMBER.match(line, position)
    if match is None:
        raise ValueError(f"an unreadable value at byte {position}")
    text = match.group(0)
    return (float(text) if b"." in text or b"e" in text.lower() else int(text)), match.end()


def _unescape(match: re.Match[bytes]) -> bytes:
    if match.group(0) == b"''":
        return b"'"
    char = match.group(1)
    return _ESCAPES.get(char, char)


def _timestamp(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None  # MySQL's zero date, 0000-00-00 00:00:00
