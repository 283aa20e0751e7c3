"""What services take from the Flask app they run in: its settings and its shared objects.

This is the one module of `backpack.services` that imports Flask (an import-linter
contract in pyproject.toml checks it): the others ask here for a setting, typed, or for
the one object of its kind the app shares between requests (the fetcher, caches), so that
what the services need of the app is written down in one place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import Flask, current_app

from backpack.config import is_development

T = TypeVar("T")
# Threads of a process meet here on an object's first use: one object each would split
# what it shares (a fetcher's connection pools and its bound on fetches in flight).
_making = threading.Lock()


class Settings:
    """The settings services read, typed; each read from the app's config when asked,
    so that a setting changed while the app runs (as tests do) is seen at once."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._config = app.config

    @property
    def is_development(self) -> bool:
        """Whether the app runs as a developer's local server (see `backpack.config`)."""
        return is_development(self._app)

    @property
    def secret_key(self) -> str:
        """SECRET_KEY, which signs mailed links and seals stored secrets."""
        return str(self._config["SECRET_KEY"])

    # Accounts, passwords and log-ins.
    @property
    def password_min_length(self) -> int:
        return int(self._config["PASSWORD_MIN_LENGTH"])

    @property
    def password_reset_max_age(self) -> int:
        """Seconds a password-reset link works."""
        return int(self._config["PASSWORD_RESET_MAX_AGE"])

    @property
    def email_verification_max_age(self) -> int:
        """Seconds an address-verification link works."""
        return int(self._config["EMAIL_VERIFICATION_MAX_AGE"])

    @property
    def argon2_cost(self) -> tuple[int, int, int]:
        """Argon2id's (time cost, memory cost in KiB, parallelism)."""
        config = self._config
        return (
            int(config["ARGON2_TIME_COST"]),
            int(config["ARGON2_MEMORY_COST"]),
            int(config["ARGON2_PARALLELISM"]),
        )

    def login_lifetime(self, *, remembered: bool) -> timedelta:
        """How long a log-in lasts: as long as the remember-me cookie, or LOGIN_SESSION_LIFETIME."""
        lifetime = self._config[
            "REMEMBER_COOKIE_DURATION" if remembered else "LOGIN_SESSION_LIFETIME"
        ]
        return lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=int(lifetime))

    # Rate limits the services count themselves.
    @property
    def ratelimit_enabled(self) -> bool:
        return bool(self._config["RATELIMIT_ENABLED"])

    @property
    def ratelimit_email_send(self) -> str:
        """The verification mails one account may send, in Flask-Limiter's notation."""
        return str(self._config["RATELIMIT_EMAIL_SEND"])

    # Fetching foreign URLs.
    @property
    def fetch_allow_private(self) -> bool:
        return bool(self._config["FETCH_ALLOW_PRIVATE"])

    @property
    def fetch_timeout(self) -> float:
        return float(self._config["FETCH_TIMEOUT"])

    @property
    def verification_seconds(self) -> float:
        return float(self._config["VERIFICATION_SECONDS"])

    @property
    def fetch_max_in_flight(self) -> int | None:
        """Fetches at once per process; None for no bound (the setting's 0)."""
        return int(self._config["FETCH_MAX_IN_FLIGHT"]) or None

    @property
    def reverify_workers(self) -> int:
        return int(self._config["REVERIFY_WORKERS"])

    @property
    def issuer_document_ttl(self) -> float:
        return float(self._config["ISSUER_DOCUMENT_TTL"])

    # Background imports.
    @property
    def imports_dir(self) -> Path:
        """Where imports keep their uploads, failure files and claims."""
        return Path(self._config["IMPORTS_DIR"])

    @property
    def import_job_seconds(self) -> float:
        return float(self._config["IMPORT_JOB_SECONDS"])

    @property
    def site_name(self) -> str:
        """What this server calls itself to people (pages, mail, other backpacks)."""
        return str(self._config["SITE_NAME"])

    # Outgoing mail.
    @property
    def mail_sender(self) -> str:
        return str(self._config["MAIL_SENDER"])

    @property
    def mail_server(self) -> str | None:
        """The SMTP server; None (or empty) keeps mail in the outbox folder."""
        return cast("str | None", self._config["MAIL_SERVER"])

    @property
    def mail_port(self) -> int:
        return int(self._config["MAIL_PORT"])

    @property
    def mail_use_tls(self) -> bool:
        return bool(self._config["MAIL_USE_TLS"])

    @property
    def mail_username(self) -> str | None:
        return cast("str | None", self._config["MAIL_USERNAME"])

    @property
    def mail_password(self) -> str | None:
        return cast("str | None", self._config["MAIL_PASSWORD"])

    @property
    def mail_outbox_dir(self) -> str:
        return str(self._config["MAIL_OUTBOX_DIR"])


def settings() -> Settings:
    """The current app's settings."""
    return Settings(current_app)


def shared(key: str, make: Callable[[], T]) -> T:
    """The app's one object under `key` (in `app.extensions`), made by `make` on first use."""
    found = current_app.extensions.get(key)
    if found is None:
        with _making:
            found = current_app.extensions.get(key)
            if found is None:
                found = current_app.extensions[key] = make()
    return cast(T, found)


def queued_task(name: str) -> Callable[..., Any]:
    """The app's background task of that name (`backpack.tasks`): calling it queues a run."""
    return cast("Callable[..., Any]", current_app.extensions["tasks"][name])


def pending_task_args(name: str) -> list[tuple[Any, ...]]:
    """The arguments of every run of the app's task of that name still waiting in its queue."""
    queue = current_app.extensions["tasks"]["queue"]
    return [tuple(task.args) for task in queue.pending() if task.name == name]


def embedder_options(key: str) -> dict[str, Any]:
    """Options that whatever embeds the app (tests, a host) put under `key` in `app.extensions`."""
    return dict(current_app.extensions.get(key, {}))
