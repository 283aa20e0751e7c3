"""The app's one safe fetcher, configured from settings and shared by every request."""

from __future__ import annotations

from flask import current_app

from backpack.openbadges.document_cache import IssuerDocumentCache
from backpack.openbadges.fetch import Fetcher

EXTENSION_KEY = "backpack.fetcher"
DOCUMENTS_KEY = "backpack.issuer_documents"


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


def app_issuer_documents() -> IssuerDocumentCache | None:
    """The issuer documents this server process keeps across verifications, if enabled."""
    ttl = float(current_app.config["ISSUER_DOCUMENT_TTL"])
    if ttl <= 0:
        return None
    documents = current_app.extensions.get(DOCUMENTS_KEY)
    if documents is None:
        documents = IssuerDocumentCache(ttl=ttl)
        current_app.extensions[DOCUMENTS_KEY] = documents
    return documents
