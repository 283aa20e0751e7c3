"""Reading a live Mozilla Backpack database (MariaDB or MySQL) through SQLAlchemy and PyMySQL."""

from __future__ import annotations

import sqlalchemy as sa

from importers import mozilla_schema as schema
from importers.pipeline import SourceUnreadable


def source_engine(url: str) -> sa.Engine:
    """An engine on the Mozilla database, checked to hold the Mozilla tables."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise SourceUnreadable(f"{url!r} is not a database URL (mysql+pymysql://...).") from None
    if parsed.get_backend_name() not in ("mysql", "mariadb"):
        raise SourceUnreadable("The Mozilla database URL must be a mysql+pymysql:// URL.")
    if parsed.get_driver_name() in ("mysqldb", "mariadbconnector"):
        parsed = parsed.set(drivername="mysql+pymysql")  # the driver this server ships
    engine = sa.create_engine(parsed, pool_pre_ping=True)
    check_tables(engine, f"{parsed.host}/{parsed.database}")
    return engine


def check_tables(engine: sa.Engine, where: str) -> None:
    """Refuse a source that is unreachable or lacks one of the Mozilla tables."""
    try:
        present = set(sa.inspect(engine).get_table_names())
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        reason = getattr(exc, "orig", None) or exc.__class__.__name__
        raise SourceUnreadable(f"Cannot read the database {where}: {reason}") from None
    absent = sorted(set(schema.REQUIRED_TABLES) - present)
    if absent:
        engine.dispose()
        raise SourceUnreadable(
            f"{where} is not a Mozilla Backpack database: no table {', '.join(absent)}."
        )
