"""Issuer documents kept across verifications, by the rules of HTTP caching (RFC 9111).

A backpack re-verifies many badges of the same issuers; their profiles, badge classes and
keys (and badge class images) change rarely, so fetching them once per badge only loads
the issuer's server. What says whether one award is still good (the hosted assertion,
revocation lists) is never kept here: it is fetched for every verification.

This is a shared cache (one backpack, many earners), so it follows what an issuer says to
shared caches: `no-store` and `private` are not kept; `s-maxage`, else `max-age`, else
`Expires`, says how long a response is fresh, less its `Age`; with none of them, a tenth of
the time since `Last-Modified`, as RFC 9111 section 4.2.2 allows, else the default TTL.
Heuristic freshness never exceeds the default TTL and stated freshness never exceeds a
day, so that a rotated key is seen within a day whatever an issuer says. `no-cache` keeps
a response but revalidates it before every use. A response that is stale but carries an
`ETag` or `Last-Modified` is kept for revalidation: the next fetch asks with
`If-None-Match` / `If-Modified-Since`, and a 304 makes the kept copy fresh again.

What a verification works out from a kept document (its JSON upgraded to a 2.0 node, an
image's inspection) is kept beside it (`derived`) for as long as that very response is kept,
so a badge of a known issuer costs its assertion and its checks, not the issuer's documents
parsed again.

No well-kept caching library fits here: CacheControl wraps `requests` and Hishel wraps
`httpx`, while the fetcher drives its own sockets to reach only the address it
checked; the few rules above are what a verifier needs of RFC 9111.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from typing import Any, Final, TypeVar

from backpack.openbadges.http_exchange import FetchResponse

DEFAULT_TTL: Final = 300.0
MAX_FRESHNESS: Final = 24 * 3600.0
DEFAULT_MAX_ENTRIES: Final = 2048
# Images can be megabytes each, so the entries are bounded by their total size as well.
DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024
_DIRECTIVE = re.compile(r"([a-z-]+)\s*(?:=\s*\"?([^\",]*)\"?)?")
Derived = TypeVar("Derived")


@dataclass(frozen=True)
class _Entry:
    response: FetchResponse
    fresh_until: float  # time.monotonic() value
    revalidate_always: bool  # no-cache
    # Values worked out from this response, by name; they go when the entry goes.
    derived: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def validators(self) -> dict[str, str]:
        headers = self.response.headers
        conditional = {}
        if headers.get("etag"):
            conditional["If-None-Match"] = headers["etag"]
        if headers.get("last-modified"):
            conditional["If-Modified-Since"] = headers["last-modified"]
        return conditional


def cache_directives(response: FetchResponse) -> dict[str, str]:
    """The response's Cache-Control directives, lower-cased, with their values ("" if none)."""
    control = response.headers.get("cache-control", "").lower()
    return {name: value for name, value in _DIRECTIVE.findall(control)}


def freshness(response: FetchResponse, ttl: float) -> float:
    """Seconds a response stays fresh in a shared cache (0: use only after revalidating).

    `ttl` is the heuristic's ceiling and the freshness of a response that says nothing.
    """
    directives = cache_directives(response)
    if "no-store" in directives or "private" in directives or "no-cache" in directives:
        return 0.0
    age = _seconds(response.headers.get("age")) or 0.0
    for name in ("s-maxage", "max-age"):
        stated = _seconds(directives.get(name))
        if stated is not None:
            return max(0.0, min(stated, MAX_FRESHNESS) - age)
    date = _http_date(response.headers.get("date"))
    expires = response.headers.get("expires")
    if expires is not None:
        until = _http_date(expires)
        if until is None or date is None:
            return 0.0  # an invalid Expires means already expired (RFC 9111 section 5.3)
        return max(0.0, min(until - date, MAX_FRESHNESS) - age)
    modified = _http_date(response.headers.get("last-modified"))
    if modified is not None and date is not None and date > modified:
        return max(0.0, min((date - modified) / 10, ttl) - age)
    return max(0.0, ttl - age)


class IssuerDocumentCache:
    """A thread-safe store of issuer document responses, bounded in count and bytes."""

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
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str, accept: str) -> FetchResponse | None:
        """The kept response for a URL, if it is fresh and may be used without asking."""
        key = (url, accept)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.revalidate_always:
                return None
            if entry.fresh_until <= time.monotonic():
                if not entry.validators:
                    self._forget(key)
                return None
            self._entries.move_to_end(key)
            return entry.response

    def validators(self, url: str, accept: str) -> dict[str, str]:
        """The conditional request headers to revalidate a kept, stale response with."""
        with self._lock:
            entry = self._entries.get((url, accept))
            return entry.validators if entry is not None else {}

    def derived(
        self,
        url: str,
        accept: str,
        response: FetchResponse,
        name: str,
        compute: Callable[[FetchResponse], Derived],
    ) -> Derived:
        """`compute(response)`, worked out once while this very response is the one kept.

        The value is shared by every later verification, so it must never be changed by
        its users (copy it first). A response not kept (or replaced meanwhile) is computed
        afresh each time; an exception from `compute` is never kept.
        """
        with self._lock:
            entry = self._entries.get((url, accept))
        if entry is None or entry.response is not response:
            return compute(response)
        if name not in entry.derived:
            entry.derived[name] = compute(response)
        value: Derived = entry.derived[name]
        return value

    def put(self, url: str, accept: str, response: FetchResponse) -> FetchResponse:
        """Keep a response as HTTP caching allows; return the response to use.

        A 304 answering a conditional request makes the kept copy fresh again (with the
        304's caching headers) and returns that copy; a 200 replaces it.
        """
        key = (url, accept)
        if response.status == 304:
            with self._lock:
                entry = self._entries.get(key)
            if entry is None:
                return response
            merged = replace(
                entry.response, headers={**entry.response.headers, **_caching(response)}
            )
            self._keep(key, merged)
            return merged
        if response.status == 200:
            self._keep(key, response)
        return response

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _keep(self, key: tuple[str, str], response: FetchResponse) -> None:
        directives = cache_directives(response)
        if "no-store" in directives or "private" in directives:
            return
        if len(response.content) > self.max_bytes:
            return
        entry = _Entry(
            response,
            time.monotonic() + freshness(response, self.ttl),
            revalidate_always="no-cache" in directives,
        )
        if entry.fresh_until <= time.monotonic() and not entry.validators:
            return  # neither fresh nor revalidatable: nothing to gain from keeping it
        with self._lock:
            self._forget(key)
            self._entries[key] = entry
            self._bytes += len(response.content)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._forget(next(iter(self._entries)))  # the least recently used

    def _forget(self, key: tuple[str, str]) -> None:
        # Called with the lock held.
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.response.content)


# Headers a 304 updates on the kept response (RFC 9111 section 4.3.4): those of caching.
_CACHING_HEADERS: Final = ("cache-control", "expires", "date", "age", "etag", "last-modified")


def _caching(response: FetchResponse) -> dict[str, str]:
    fresh = {name: response.headers[name] for name in _CACHING_HEADERS if name in response.headers}
    if "age" not in fresh:
        fresh["age"] = "0"
    return fresh


def _seconds(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
