"""Rendered public pages kept in memory, each valid only for the page version it was made from.

A public page is the same for every visitor, so it is rendered once per version and reused.
Before reuse, the page's version is read again from the database (one small query) once it
is older than PUBLIC_PAGE_FRESHNESS seconds (1 by default; 0 checks on every request). So a
withdrawn link, a rejected badge or a new verdict shows within that second in every server
process, and at once in the process that made the change (it forgets the page).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

EXTENSION_KEY = "backpack.page_cache"


@dataclass(frozen=True)
class CachedPage:
    """A rendered body, its type, and its strong ETag."""

    version: str
    body: bytes
    gzipped: bytes
    mimetype: str
    etag: str
    checked_at: float  # time.monotonic() when the version was last confirmed


# (kind, token, format, host): the host matters when links are built from the request.
PageKey = tuple[str, str, str, str]


class PageCache:
    """A small thread-safe LRU of rendered pages, keyed by page and checked by version."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[PageKey, CachedPage] = OrderedDict()
        self._checking: set[PageKey] = set()
        self._lock = threading.Lock()

    def fresh(self, key: PageKey, max_age: float) -> CachedPage | None:
        """The cached page if its version was confirmed less than `max_age` seconds ago.

        When it is older, one caller gets None and checks the version (then calls `checked`);
        meanwhile, and for at most another `max_age`, the others are served the cached page,
        so a busy page costs one query a second, not one per waiting thread.
        """
        if max_age <= 0:
            return None
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            age = time.monotonic() - page.checked_at
            if age < max_age or (key in self._checking and age < 2 * max_age):
                return page
            self._checking.add(key)
            return None

    def peek(self, key: PageKey) -> CachedPage | None:
        """The cached page, if any, whatever its age (nothing is marked for checking)."""
        with self._lock:
            return self._pages.get(key)

    def checked(self, key: PageKey) -> None:
        """The version check that `fresh` asked for is over (whatever its outcome)."""
        with self._lock:
            self._checking.discard(key)

    def get_or_render(
        self, key: PageKey, version: str, render: Callable[[], tuple[bytes, str]]
    ) -> CachedPage:
        """The page for this version, rendered now only if the cached one is older."""
        now = time.monotonic()
        with self._lock:
            page = self._pages.get(key)
        if page is not None and page.version == version:
            page = dataclasses.replace(page, checked_at=now)
        else:
            body, mimetype = render()
            etag = hashlib.sha256(body).hexdigest()[:32]
            # mtime=0: the same page compresses to the same bytes in every process.
            gzipped = gzip.compress(body, compresslevel=6, mtime=0)
            page = CachedPage(version, body, gzipped, mimetype, etag, now)
        if self.size > 0:
            with self._lock:
                self._pages[key] = page
                self._pages.move_to_end(key)
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
        return page

    def forget(self, token: str) -> None:
        """Drop every cached page of one link (after its owner changed or withdrew it)."""
        with self._lock:
            for key in [key for key in self._pages if key[1] == token]:
                del self._pages[key]

    def clear(self) -> None:
        """Forget every page."""
        with self._lock:
            self._pages.clear()


def forget_pages(*tokens: str | None) -> None:
    """Drop the cached pages of these links in this process (None is ignored)."""
    cache = page_cache()
    for token in tokens:
        if token:
            cache.forget(token)


def page_cache() -> PageCache:
    """This app's page cache (one per process; each gunicorn worker has its own)."""
    cache = current_app.extensions.get(EXTENSION_KEY)
    if cache is None:
        cache = PageCache(int(current_app.config["PUBLIC_PAGE_CACHE_SIZE"]))
        current_app.extensions[EXTENSION_KEY] = cache
    return cache
