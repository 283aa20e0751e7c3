"""Importers read and write this server's tables through the services, never by their own
queries (STYLE.md: importers go through services).

The modules that read a Mozilla instance's own database (a foreign schema, over a
connection of its own) are left out: querying that source is the importer's job.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORTERS = ROOT / "importers"
MOZILLA_SOURCE = {"mozilla_db.py", "mozilla_dump.py", "mozilla_instance.py", "mozilla_schema.py"}
SESSION_QUERIES = {"get", "get_one", "scalar", "scalars", "execute", "query"}
# Whatever builds or runs a statement over a table: a model of ours among its arguments
# means the importer is doing the services' work.
STATEMENTS = {
    "select",
    "select_from",
    "insert",
    "update",
    "delete",
    "insert_rows",
    "insert_rows_returning_ids",
}


def model_names(tree: ast.Module) -> set[str]:
    """The names a module binds to `backpack.models` or anything imported from it."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("backpack.models"):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(
                alias.asname or alias.name.split(".")[0]
                for alias in node.names
                if alias.name.startswith("backpack.models")
            )
    return names


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def _on_a_session(call: ast.Call) -> bool:
    """Whether the call is `<...>.session.<query method>(...)` or `session.<...>(...)`."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in SESSION_QUERIES:
        return False
    owner = func.value
    return (isinstance(owner, ast.Attribute) and owner.attr == "session") or (
        isinstance(owner, ast.Name) and owner.id == "session"
    )


def _names_a_model(call: ast.Call, models: set[str]) -> bool:
    arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
    return any(
        isinstance(node, ast.Name) and node.id in models
        for argument in arguments
        for node in ast.walk(argument)
    )


def queries_of_our_models(source: str, filename: str) -> list[str]:
    """Each session query, and each statement over one of our models, as `file:line: what`."""
    tree = ast.parse(source, filename)
    models = model_names(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        if _on_a_session(node):
            found.append((node.lineno, f"a query on the session (.{name})"))
        elif name in STATEMENTS and _names_a_model(node, models):
            found.append((node.lineno, f"{name}(...) over a model of ours"))
    return [f"{filename}:{line}: {what}" for line, what in sorted(found)]


def _importer_modules() -> list[Path]:
    return sorted(
        path
        for path in IMPORTERS.rglob("*.py")
        if path.relative_to(IMPORTERS).as_posix() not in MOZILLA_SOURCE
    )


def test_importers_read_and_write_our_tables_only_through_the_services() -> None:
    found = [
        finding
        for path in _importer_modules()
        for finding in queries_of_our_models(
            path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix()
        )
    ]
    assert found == [], "Importers go through the services:\n" + "\n".join(found)


def test_the_check_finds_session_queries_and_statements_over_our_models() -> None:
    source = "\n".join(
        [
            "import sqlalchemy as sa",
            "from backpack.extensions import db",
            "from backpack.models import Badge, User as Account",
            "from backpack.database.bulk_rows import insert_rows",
            "from importers import mozilla_schema as schema",
            "db.session.get(Account, 1)",
            "rows = sa.select(Badge.id).where(Badge.user_id == 1)",
            "insert_rows(Badge, [])",
            "sa.select(sa.func.count()).select_from(Account)",
            "sa.select(schema.user)",  # the Mozilla source's table, not ours
            "db.session.flush()",
        ]
    )

    assert queries_of_our_models(source, "sample.py") == [
        "sample.py:6: a query on the session (.get)",
        "sample.py:7: select(...) over a model of ours",
        "sample.py:8: insert_rows(...) over a model of ours",
        "sample.py:9: select_from(...) over a model of ours",
    ]
