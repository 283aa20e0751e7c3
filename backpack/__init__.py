"""Backpack: a federated Open Badges backpack server."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, g

from backpack import commands, config
from backpack.api import backpack_connect, badge_connect, displayer, mozilla_issuer, ob3
from backpack.api import v1 as api_v1
from backpack.extensions import csrf, db, limiter, login_manager, migrate
from backpack.oauth import views as oauth_views
from backpack.oauth.server import init_oauth
from backpack.openbadges import TimeBudget
from backpack.security_headers import init_security_headers
from backpack.tasks import init_tasks
from backpack.web import (
    access_tokens,
    account,
    account_security,
    auth,
    badges,
    collections,
    connected_apps,
    credential_files,
    export,
    imports,
    legacy_share,
    main,
    public,
    pulls,
    settings_pages,
    sharing,
)
from backpack.web.errors import init_error_pages, register_api_errors
from backpack.web.login import load_user
from backpack.web.page_replay import init_page_replay
from backpack.web.request_parsing import init_request_parsing

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints and commands."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    config.load_config(app, test_config)
    init_request_parsing(app)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    _init_database(app)
    _init_login(app)
    csrf.init_app(app)
    _init_rate_limits(app)
    init_security_headers(app)
    init_error_pages(app)
    init_oauth(app)

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(account_security.bp)
    app.register_blueprint(settings_pages.bp)
    app.register_blueprint(badges.bp)
    app.register_blueprint(collections.bp)
    app.register_blueprint(sharing.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(credential_files.bp)  # after public.bp, which adds share_token
    app.register_blueprint(legacy_share.bp)
    app.register_blueprint(export.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(pulls.bp)
    app.register_blueprint(displayer.bp)
    app.register_blueprint(oauth_views.bp)
    app.register_blueprint(badge_connect.bp)
    app.register_blueprint(ob3.bp)
    app.register_blueprint(backpack_connect.bp)
    app.register_blueprint(mozilla_issuer.bp)
    app.register_blueprint(api_v1.bp)
    register_api_errors(app, "/api/v1/", api_v1.http_error)
    app.register_blueprint(connected_apps.bp)
    app.register_blueprint(access_tokens.bp)
    commands.register(app)
    init_tasks(app)
    _init_request_budget(app)
    init_page_replay(app)  # outermost: it answers before anything else runs
    return app


def _init_request_budget(app: Flask) -> None:
    """Hold every fetch of one request to REQUEST_SECONDS in all (see openbadges.budget)."""

    @app.before_request
    def start_budget() -> None:
        budget = TimeBudget(float(app.config["REQUEST_SECONDS"]), "This request")
        budget.__enter__()
        g.request_budget = budget

    @app.teardown_request
    def end_budget(error: BaseException | None) -> None:
        budget = g.pop("request_budget", None)
        if budget is not None:
            budget.__exit__(None, None, None)


def _init_database(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    # SQLite enforces foreign keys (and so ON DELETE CASCADE) only when asked, per connection.
    if isinstance(connection, sqlite3.Connection):
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to see that page."
    login_manager.login_message_category = "info"

    login_manager.user_loader(load_user)


def _init_rate_limits(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis gone: count limits in each process's memory until it is back (Flask-Limiter
    # checks it again now and then), rather than answer every limited route with a 500.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
