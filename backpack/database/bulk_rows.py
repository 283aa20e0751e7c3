"""Inserting many rows of one table at once, the way bulk imports do it.

On PostgreSQL the rows go in by COPY: new ids are drawn from the table's sequence in one
statement, and each row is streamed as one line of data. An INSERT a row costs about
40 µs of driver and server work even in psycopg's pipeline mode, and SQLAlchemy's multi-row
INSERT ... RETURNING about 100 µs (psycopg re-parses its long text in Python); COPY costs
about 9 µs. Each value passes through its column type's own bind processing first, as
SQLAlchemy would apply it to an INSERT, and Python-side column defaults (creation times,
nonces) are computed a row at a time, as an INSERT would. Elsewhere (SQLite) plain INSERTs
are cheap and are used as they are. All of it runs on the session's connection, inside its
transaction and savepoints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, REGCLASS

from backpack.extensions import db
from backpack.models.base import Base

Row = Mapping[str, Any]


def among(
    column: sa.orm.QueryableAttribute[Any] | sa.ColumnElement[Any], values: Iterable[Any]
) -> sa.ColumnElement[bool]:
    """`column IN values` for the hundreds of values a batch looks up.

    On PostgreSQL the values travel as one array parameter (`= ANY(...)`): an IN list of
    hundreds of bound parameters is re-parsed by psycopg in Python on every execution
    (queries that long are not cached), which cost imports a tenth of their time.
    """
    wanted, element = sorted(set(values)), column.expression
    if db.session.get_bind().dialect.name == "postgresql":
        return element == sa.any_(sa.bindparam(None, wanted, type_=ARRAY(element.type)))
    return element.in_(wanted)


def insert_rows(model: type[Base], rows: Sequence[Row]) -> None:
    """Insert rows whose ids the caller does not need."""
    if not rows:
        return
    table = _table(model)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, table, rows)
    else:
        connection.execute(sa.insert(table), list(rows))


def insert_rows_returning_ids(model: type[Base], rows: Sequence[Row]) -> list[int]:
    """Insert rows and return their new ids, in the order of `rows`."""
    if not rows:
        return []
    table = _table(model)
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        insert = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(connection.execute(insert, list(rows)).scalars())
    ids = list(connection.execute(_next_ids(connection, table, len(rows))).scalars())
    _copy(connection, table, [dict(row, id=new_id) for row, new_id in zip(rows, ids, strict=True)])
    return ids


def _copy(connection: sa.Connection, table: sa.Table, rows: Sequence[Row]) -> None:
    """COPY rows into the table, each value bound as SQLAlchemy would bind it."""
    given = set(rows[0])
    columns = [c for c in table.columns if c.key in given or _python_default(c) is not None]
    makers = [_value_maker(connection.dialect, column, column.key in given) for column in columns]
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(column.name) for column in columns)
    driver = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([make(row) for make in makers])


def _python_default(column: sa.Column[Any]) -> Callable[[], Any] | None:
    default = column.default
    if not isinstance(default, sa.ColumnDefault):
        return None
    if default.is_callable:
        function = default.arg
        return lambda: function(None)  # SQLAlchemy passes an execution context
    if default.is_scalar:
        value = default.arg
        return lambda: value
    return None


def _value_maker(dialect: sa.Dialect, column: sa.Column[Any], given: bool) -> Callable[[Row], Any]:
    bind = column.type.dialect_impl(dialect).bind_processor(dialect)
    key = column.key
    default = None if given else _python_default(column)

    def make(row: Row) -> Any:
        value = row[key] if default is None else default()
        return bind(value) if bind is not None else value

    return make


def _table(model: type[Base]) -> sa.Table:
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


def _next_ids(connection: sa.Connection, table: sa.Table, count: int) -> sa.Select[Any]:
    sequence = _sequences.get(table.name)
    if sequence is None:
        quoted = connection.dialect.identifier_preparer.quote(table.name)
        sequence = connection.scalar(sa.select(sa.func.pg_get_serial_sequence(quoted, "id")))
        assert isinstance(sequence, str), f"{table.name}.id has no sequence"
        _sequences[table.name] = sequence
    nextval = sa.func.nextval(sa.cast(sa.literal(sequence), REGCLASS))
    return sa.select(nextval).select_from(sa.func.generate_series(1, count))


# Each table's id sequence, by table name (looked up once per process).
_sequences: dict[str, str] = {}
