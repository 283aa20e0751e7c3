"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from backpack import create_app
from backpack.extensions import db
from backpack.models import Base
from tests import services


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    admin_url = services.require_postgres()
    name = services.unique_name("backpack_migrations")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_match_the_models(empty_database: str, tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": empty_database}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()


def test_login_sessions_replace_the_nonce_and_a_downgrade_gives_fresh_ones(
    empty_database: str,
) -> None:
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": empty_database}
    )
    user = sa.table(
        "user",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("password_hash", sa.String),
        sa.column("session_nonce", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("findable_by_email", sa.Boolean),
    )
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as connection:
            connection.execute(
                sa.insert(user),
                [
                    {"id": n, "name": f"User {n}", "password_hash": "!", "session_nonce": "same",
                     "created_at": datetime(2019, 1, 1, tzinfo=UTC), "findable_by_email": False}
                    for n in (1, 2)
                ],
            )  # fmt: skip
            # Rows that refer to users: rebuilding the user table must not cascade to them.
            connection.execute(
                sa.text(
                    "INSERT INTO email_address (user_id, address, normalised, verified_at,"
                    " is_primary, created_at) VALUES (1, 'a@example.org', 'a@example.org',"
                    " :now, true, :now), (2, 'b@example.org', 'b@example.org', NULL, false, :now)"
                ),
                {"now": datetime(2019, 1, 1, tzinfo=UTC)},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO collection (user_id, name, description, position,"
                    " show_owner_name, created_at, updated_at) VALUES"
                    " (1, 'Mine', '', 0, false, :now, :now)"
                ),
                {"now": datetime(2019, 1, 1, tzinfo=UTC)},
            )
        upgrade()
        assert _counts() == {"email_address": 2, "collection": 1}
        inspector = sa.inspect(db.engine)
        assert "session_nonce" not in {c["name"] for c in inspector.get_columns("user")}
        with db.engine.begin() as connection:
            names = connection.scalars(sa.text('SELECT name FROM "user" ORDER BY id')).all()
            assert names == ["User 1", "User 2"]
            connection.execute(
                sa.text(
                    "INSERT INTO login_session (user_id, secret_digest, remembered, user_agent,"
                    " created_at, expires_at) VALUES (1, 'd', false, '', :now, :now)"
                ),
                {"now": datetime(2026, 1, 1, tzinfo=UTC)},
            )
        downgrade(revision="0006")
        with db.engine.connect() as connection:
            nonces = connection.scalars(sa.text('SELECT session_nonce FROM "user"')).all()
        assert len(nonces) == 2
        assert len(set(nonces)) == 2
        assert all(len(nonce) == 32 for nonce in nonces)
        assert "login_session" not in sa.inspect(db.engine).get_table_names()
        assert _counts() == {"email_address": 2, "collection": 1}
        downgrade(revision="base")
        db.engine.dispose()


def _counts() -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table: connection.scalar(sa.select(sa.func.count()).select_from(sa.table(table))) or 0
            for table in ("email_address", "collection")
        }


def test_badges_imported_and_never_checked_become_unchecked_and_back(
    empty_database: str,
) -> None:
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": empty_database}
    )
    then = datetime(2019, 1, 1, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    'INSERT INTO "user" (id, name, password_hash, created_at, findable_by_email)'
                    " VALUES (1, 'Ann', '!', :now, false)"
                ),
                {"now": then},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO issuer (id, iri, content_sha256, name, document, created_at)"
                    " VALUES (1, 'urn:i', 'd', '', '{}', :now)"
                ),
                {"now": then},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO badge_class (id, iri, content_sha256, issuer_id, name,"
                    " description, document, created_at) VALUES (1, 'urn:c', 'd', 1, '', '',"
                    " '{}', :now)"
                ),
                {"now": then},
            )
            # Imported and never checked; imported and checked since (the issuer was down).
            for number, report in ((1, '{"imported_unchecked": true}'), (2, '{"errors": []}')):
                connection.execute(
                    sa.text(
                        "INSERT INTO badge (id, user_id, badge_class_id, status, verification,"
                        " recipient, fingerprint, version, source, original_payload, assertion,"
                        " last_report, last_verified_at, created_at) VALUES (:id, 1, 1,"
                        " 'accepted', 'unverifiable', 'a@example.org', :id, '1.0', 'import',"
                        " '{}', '{}', :report, :now, :now)"
                    ),
                    {"id": number, "report": report, "now": then},
                )
        upgrade()
        assert _verifications() == ["unchecked", "unverifiable"]
        downgrade(revision="0007")
        assert _verifications() == ["unverifiable", "unverifiable"]
        downgrade(revision="base")
        db.engine.dispose()


def _verifications() -> list[str]:
    with db.engine.connect() as connection:
        return list(connection.scalars(sa.text("SELECT verification FROM badge ORDER BY id")))
