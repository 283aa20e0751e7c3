"""The app's one safe fetcher, configured from settings and shared by every request."""

from __future__ import annotations

import threading
from typing import Any

from flask import current_app

from backpack.openbadges import Fetcher, IssuerDocumentCache

EXTENSION_KEY = "backpack.fetcher"
DOCUMENTS_KEY = "backpack.issuer_documents"
# Fetcher options that no setting carries (a resolver, a private CA file), which whatever
# embeds the app puts here for every fetcher it makes: the shared one and each batch's.
OPTIONS_KEY = "backpack.fetcher_options"
# Threads of a process meet here on their first request: one fetcher each would split its
# connection pools and its bound on fetches in flight.
_making = threading.Lock()


def app_fetcher() -> Fetcher:
    """The Fetcher for this app (its connection pools are reused across requests)."""
    fetcher: Fetcher | None = current_app.extensions.get(EXTENSION_KEY)
    if fetcher is None:
        with _making:
            fetcher = current_app.extensions.get(EXTENSION_KEY) or _make_fetcher()
    return fetcher


def _make_fetcher() -> Fetcher:
    config = current_app.config
    fetcher = Fetcher(
        allow_private=bool(config["FETCH_ALLOW_PRIVATE"]),
        timeout=float(config["FETCH_TIMEOUT"]),
        verification_seconds=float(config["VERIFICATION_SECONDS"]),
        max_in_flight=int(config["FETCH_MAX_IN_FLIGHT"]) or None,
        **_embedder_options(),
    )
    current_app.extensions[EXTENSION_KEY] = fetcher
    return fetcher


def reverify_workers() -> int:
    """How many badges a batch verifies at once (REVERIFY_WORKERS)."""
    return max(1, int(current_app.config["REVERIFY_WORKERS"]))


def batch_fetcher(workers: int) -> Fetcher:
    """A fetcher of its own for a batch verified `workers` at a time (its caller closes it).

    The app's fetcher bounds the fetches in flight for the pages a server answers; a batch
    (`badges reverify`, the background checks) brings its own bound, its pool size.
    """
    config = current_app.config
    return Fetcher(
        allow_private=bool(config["FETCH_ALLOW_PRIVATE"]),
        timeout=float(config["FETCH_TIMEOUT"]),
        verification_seconds=float(config["VERIFICATION_SECONDS"]),
        max_in_flight=workers,
        slot_wait=float(config["FETCH_TIMEOUT"]),
        **_embedder_options(),
    )


def _embedder_options() -> dict[str, Any]:
    return dict(current_app.extensions.get(OPTIONS_KEY, {}))


def app_issuer_documents() -> IssuerDocumentCache | None:
    """The issuer documents this server process keeps across verifications, if enabled."""
    ttl = float(current_app.config["ISSUER_DOCUMENT_TTL"])
    if ttl <= 0:
        return None
    documents: IssuerDocumentCache | None = current_app.extensions.get(DOCUMENTS_KEY)
    if documents is None:
        with _making:
            documents = current_app.extensions.setdefault(
                DOCUMENTS_KEY, IssuerDocumentCache(ttl=ttl)
            )
    return documents
