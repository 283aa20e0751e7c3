"""The app's one safe fetcher, configured from settings and shared by every request."""

from __future__ import annotations

from flask import current_app

from backpack.openbadges.fetch import Fetcher

EXTENSION_KEY = "backpack.fetcher"


def app_fetcher() -> Fetcher:
    """The Fetcher for this app (its connection pools are reused across requests)."""
    fetcher = current_app.extensions.get(EXTENSION_KEY)
    if fetcher is None:
        fetcher = Fetcher(
            allow_private=bool(current_app.config["FETCH_ALLOW_PRIVATE"]),
            timeout=float(current_app.config["FETCH_TIMEOUT"]),
        )
        current_app.extensions[EXTENSION_KEY] = fetcher
    return fetcher
