"""Settings: defaults here, then the file named by BACKPACK_CONFIG, then BACKPACK_* variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import click
from flask import Flask

ENV_PREFIX = "BACKPACK"
MIN_SECRET_KEY_LENGTH = 32

# Every setting and its meaning is documented in config.example.py; keep the two in step.
DEFAULTS: dict[str, Any] = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": None,
    "SERVER_NAME": None,
    "BASE_URL": None,  # absolute URL of this server, for links in mail and discovery
    "TRUSTED_PROXIES": 0,  # reverse proxies in front of the app whose X-Forwarded-* to trust
    "PREFERRED_URL_SCHEME": "http",
    "SQLALCHEMY_DATABASE_URI": None,  # filled in with SQLite under instance/ when unset
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "REDIS_URL": None,
    "TASKS_SQLITE_PATH": None,  # the embedded queue's file; instance/tasks.sqlite3 when unset
    "TASKS_IMMEDIATE": False,  # run background tasks in the request (tests only)
    "VERIFY_IMPORTED_BADGES": True,  # check imported badges in the background after an import
    "IMPORTS_DIR": None,  # uploads and failures files of imports; instance/imports when unset
    "IMPORT_JOBS_PER_USER": 1,  # web imports one account may have waiting or running at once
    "IMPORT_JOB_SECONDS": 900,  # a web import stops after this long; a re-upload resumes it
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_LOGIN": "10 per minute;50 per hour",
    "RATELIMIT_SIGNUP": "5 per minute;20 per hour",
    "RATELIMIT_PASSWORD_RESET": "5 per minute;20 per hour",
    "RATELIMIT_EMAIL_SEND": "3 per minute;20 per day",
    "RATELIMIT_API": "120 per minute;3000 per hour",  # /api/v1, per token and per account
    "RATELIMIT_PUBLIC_VERIFY": "6 per minute;60 per hour",
    "RATELIMIT_PUBLIC_VERIFY_ALL": "120 per minute",
    "RATELIMIT_DISPLAYER_LOOKUP": "30 per minute;500 per day",
    "RATELIMIT_OAUTH_REGISTER": "10 per hour;50 per day",
    "RATELIMIT_OB3_DISCOVERY": "60 per minute;1000 per hour",  # per client address
    "SITE_NAME": "Backpack",
    "TERMS_OF_SERVICE_URL": None,
    "PRIVACY_POLICY_URL": None,
    "PUBLIC_VERIFY_INTERVAL": 600,
    "PUBLIC_PAGE_CACHE_SIZE": 512,
    "PUBLIC_PAGE_FRESHNESS": 1.0,
    "MAIL_SERVER": None,
    "MAIL_PORT": 587,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_USE_TLS": True,
    "MAIL_SENDER": "Backpack <no-reply@localhost>",
    "MAIL_OUTBOX_DIR": None,  # instance/outbox when unset
    "EMAIL_VERIFICATION_MAX_AGE": 24 * 3600,
    "PASSWORD_RESET_MAX_AGE": 3600,
    "PASSWORD_MIN_LENGTH": 10,
    # Argon2id cost (argon2-cffi's defaults, RFC 9106's second recommendation).
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,  # KiB
    "ARGON2_PARALLELISM": 4,
    "SESSION_COOKIE_SECURE": None,  # None: secure everywhere but development
    "REMEMBER_COOKIE_SECURE": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Seconds a log-in lasts: with "remember me" (as its cookie does), and without.
    "REMEMBER_COOKIE_DURATION": 365 * 24 * 3600,
    "LOGIN_SESSION_LIFETIME": 14 * 24 * 3600,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "FETCH_ALLOW_PRIVATE": False,
    "FETCH_TIMEOUT": 10.0,
    "VERIFICATION_SECONDS": 20.0,  # every fetch of one badge's verification, together
    "REQUEST_SECONDS": 30.0,  # every fetch of one web or API request, together
    "FETCH_MAX_IN_FLIGHT": 3,  # fetches at once per process (0: no bound)
    "ISSUER_DOCUMENT_TTL": 300,
    "REVERIFY_WORKERS": 8,  # badges reverify, background checks and pulls verify at once
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
}


class ConfigError(RuntimeError):
    """A setting that makes it unsafe or impossible to start."""


def load_config(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Fill app.config in order: defaults, BACKPACK_CONFIG file, BACKPACK_* env, test mapping."""
    app.config.from_mapping(DEFAULTS)
    config_file = os.environ.get(f"{ENV_PREFIX}_CONFIG")
    if config_file:
        app.config.from_pyfile(str(Path(config_file).resolve()))
    app.config.from_prefixed_env(ENV_PREFIX)
    if test_config:
        app.config.from_mapping(test_config)
    _fill_derived_settings(app)
    _check_secret_key(app)
    _check_base_url(app)


def is_development(app: Flask) -> bool:
    """Whether the app runs as a developer's local server (insecure conveniences allowed)."""
    return app.config["ENVIRONMENT"] in ("development", "testing") or bool(app.config["TESTING"])


def _fill_derived_settings(app: Flask) -> None:
    instance = Path(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'backpack.sqlite3'}"
    if not app.config["MAIL_OUTBOX_DIR"]:
        app.config["MAIL_OUTBOX_DIR"] = str(instance / "outbox")
    if not app.config["IMPORTS_DIR"]:
        app.config["IMPORTS_DIR"] = str(instance / "imports")
    secure = not is_development(app)
    for setting in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config[setting] is None:
            app.config[setting] = secure
    if secure:
        app.config["PREFERRED_URL_SCHEME"] = "https"


def _check_secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY")
    if isinstance(key, str) and len(key) >= MIN_SECRET_KEY_LENGTH:
        return
    if not is_development(app) and not _loaded_by_flask_command():
        raise ConfigError(
            f"SECRET_KEY is missing or shorter than {MIN_SECRET_KEY_LENGTH} characters. "
            f"Set {ENV_PREFIX}_SECRET_KEY (for example to the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
        )
    app.config["SECRET_KEY"] = _development_secret_key(Path(app.instance_path))


def _check_base_url(app: Flask) -> None:
    # Links in mail would otherwise take their host from the request's Host header, which
    # anyone can set: a password-reset link could point at an attacker's site.
    base = app.config.get("BASE_URL")
    if is_development(app) or _loaded_by_flask_command():
        return
    if not isinstance(base, str) or not base.startswith("https://"):
        raise ConfigError(
            f"BASE_URL must be this server's public https:// URL outside development. Set "
            f"{ENV_PREFIX}_BASE_URL, for example to https://backpack.example.org."
        )


def _loaded_by_flask_command() -> bool:
    """Whether a `flask ...` command (not a server) is building the app.

    Commands such as `badges verify` work without settings, using the key in instance/ that
    a development server shares; a server process (gunicorn) still refuses to start.
    """
    context = click.get_current_context(silent=True)
    return context is not None and context.info_name != "run"


def _development_secret_key(instance: Path) -> str:
    """Read, or create once, a random key in instance/ so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if len(key) >= MIN_SECRET_KEY_LENGTH:
            return key
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
