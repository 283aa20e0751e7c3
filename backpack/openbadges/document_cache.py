"""Issuer documents kept for a short time across verifications.

A backpack re-verifies many badges of the same issuers; their profiles, badge classes and
keys (and badge class images) change rarely, so fetching them once per badge only loads
the issuer's server. What says whether one award is still good (the hosted assertion,
revocation lists) is never kept here: it is fetched for every verification.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from typing import Final

from backpack.openbadges.fetch import FetchResponse

DEFAULT_TTL: Final = 300.0
DEFAULT_MAX_ENTRIES: Final = 2048
# Images can be megabytes each, so the entries are bounded by their total size as well.
DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)")


def freshness(response: FetchResponse, ttl: float) -> float:
    """Seconds a response may be kept: the TTL, shortened or denied by its Cache-Control."""
    control = response.headers.get("cache-control", "").lower()
    if "no-store" in control or "no-cache" in control or "private" in control:
        return 0.0
    found = _MAX_AGE.search(control)
    return min(ttl, float(found.group(1))) if found else ttl


class IssuerDocumentCache:
    """A thread-safe store of successful issuer document responses, bounded in count and bytes."""

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[tuple[str, str], tuple[float, FetchResponse]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str, accept: str) -> FetchResponse | None:
        """The kept response for a URL, if it is still fresh."""
        key = (url, accept)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, response = entry
            if expires <= time.monotonic():
                self._forget(key)
                return None
            self._entries.move_to_end(key)
            return response

    def put(self, url: str, accept: str, response: FetchResponse) -> None:
        """Keep a 200 response for as long as the TTL and its Cache-Control allow."""
        if response.status != 200:
            return
        keep_for = freshness(response, self.ttl)
        if keep_for <= 0 or len(response.content) > self.max_bytes:
            return
        key = (url, accept)
        with self._lock:
            self._forget(key)
            self._entries[key] = (time.monotonic() + keep_for, response)
            self._bytes += len(response.content)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._forget(next(iter(self._entries)))  # the least recently used

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _forget(self, key: tuple[str, str]) -> None:
        # Called with the lock held.
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[1].content)
