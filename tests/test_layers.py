"""Views are thin: they call the services, which run the queries, and own only the commit.

import-linter keeps SQLAlchemy itself out of `backpack.web` and `backpack.api`; what it
cannot see is a query run through the session a view imports (from backpack.extensions)
to commit, or through Flask-SQLAlchemy's shortcuts on `db`. This test reads every view
module for those.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEW_PACKAGES = ("backpack/web", "backpack/api")
# The session's ways to read and change rows; a view leaves them to the services.
QUERIES = frozenset({
    "get", "get_one", "scalar", "scalars", "execute", "query",
    "add", "add_all", "delete", "merge", "flush",
})  # fmt: skip


def queries_in(source: str) -> list[tuple[int, str]]:
    """(line, what) of every query a module runs through `db`, its session or shortcuts."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "db"
        ):
            continue
        if node.attr != "session":
            # db.select, db.paginate, db.get_or_404, db.engine...: queries all the same.
            found.append((node.lineno, f"db.{node.attr}"))
            continue
        used = parents.get(node)
        if not isinstance(used, ast.Attribute):
            # Handed on or kept under another name, its queries would go unseen here.
            found.append((node.lineno, "db.session handed on"))
        elif used.attr in QUERIES:
            found.append((node.lineno, f"db.session.{used.attr}"))
    return sorted(found)


def test_views_leave_queries_to_the_services() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for package in VIEW_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, what in queries_in(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "Queries in views; move them into a service:\n" + "\n".join(found)


def test_the_check_finds_a_query_however_it_is_spelt() -> None:
    source = """
from backpack.extensions import db

def view(email_id):
    email = db.session.get(EmailAddress, email_id)
    rows = db.session.scalars(select(Badge)).all()
    page = db.paginate(select(Badge))
    session = db.session
    db.session.commit()
"""
    assert queries_in(source) == [
        (5, "db.session.get"),
        (6, "db.session.scalars"),
        (7, "db.paginate"),
        (8, "db.session handed on"),
    ]


def test_the_check_lets_a_view_commit_and_roll_back() -> None:
    source = """
from flask import session
from backpack.extensions import db

def view(url):
    next_page = session.get("next")
    joiner = "&" if urlsplit(url).query else "?"
    db.session.commit()
    db.session.rollback()
"""
    assert queries_in(source) == []
