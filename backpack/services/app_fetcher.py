"""The app's fetchers, built from its settings: the one every request shares, one per batch."""

from __future__ import annotations

from backpack.openbadges import Fetcher, IssuerDocumentCache
from backpack.services.app_context import embedder_options, settings, shared

EXTENSION_KEY = "backpack.fetcher"
DOCUMENTS_KEY = "backpack.issuer_documents"
# Fetcher options that no setting carries (a resolver, a private CA file), which whatever
# embeds the app puts here for every fetcher it makes: the shared one and each batch's.
OPTIONS_KEY = "backpack.fetcher_options"


def app_fetcher() -> Fetcher:
    """The Fetcher for this app (its connection pools are reused across requests)."""
    return shared(EXTENSION_KEY, _make_fetcher)


def _make_fetcher() -> Fetcher:
    config = settings()
    return Fetcher(
        allow_private=config.fetch_allow_private,
        timeout=config.fetch_timeout,
        verification_seconds=config.verification_seconds,
        max_in_flight=config.fetch_max_in_flight,
        **embedder_options(OPTIONS_KEY),
    )


def reverify_workers() -> int:
    """How many badges a batch verifies at once (REVERIFY_WORKERS)."""
    return max(1, settings().reverify_workers)


def batch_fetcher(workers: int) -> Fetcher:
    """A fetcher of its own for a batch verified `workers` at a time (its caller closes it).

    The app's fetcher bounds the fetches in flight for the pages a server answers; a batch
    (`badges reverify`, the background checks) brings its own bound, its pool size.
    """
    config = settings()
    return Fetcher(
        allow_private=config.fetch_allow_private,
        timeout=config.fetch_timeout,
        verification_seconds=config.verification_seconds,
        max_in_flight=workers,
        slot_wait=config.fetch_timeout,
        **embedder_options(OPTIONS_KEY),
    )


def app_issuer_documents() -> IssuerDocumentCache | None:
    """The issuer documents this server process keeps across verifications, if enabled."""
    ttl = settings().issuer_document_ttl
    if ttl <= 0:
        return None
    return shared(DOCUMENTS_KEY, lambda: IssuerDocumentCache(ttl=ttl))
