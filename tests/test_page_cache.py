"""The in-memory cache of rendered public pages: versions, freshness, one check at a time."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable

from backpack.web.page_cache import PageCache

KEY = ("collection", "token-one", "html", "backpack.test")


def _renderer(calls: list[str], body: bytes = b"<p>page</p>") -> Callable[[], tuple[bytes, str]]:
    def render() -> tuple[bytes, str]:
        calls.append("render")
        return body, "text/html; charset=utf-8"

    return render


def test_a_page_is_rendered_once_per_version() -> None:
    cache, calls = PageCache(8), list[str]()
    first = cache.get_or_render(KEY, "v1", _renderer(calls))
    again = cache.get_or_render(KEY, "v1", _renderer(calls))
    assert calls == ["render"]
    assert again.body == first.body
    assert again.etag == first.etag
    assert gzip.decompress(first.gzipped) == first.body
    changed = cache.get_or_render(KEY, "v2", _renderer(calls, b"<p>new</p>"))
    assert calls == ["render", "render"]
    assert changed.etag != first.etag


def test_a_fresh_page_is_served_without_a_check_and_a_stale_one_is_checked_once() -> None:
    cache, calls = PageCache(8), list[str]()
    assert cache.fresh(KEY, 1.0) is None  # nothing cached yet
    cache.checked(KEY)
    cache.get_or_render(KEY, "v1", _renderer(calls))
    assert cache.fresh(KEY, 60.0) is not None
    assert cache.fresh(KEY, 0) is None  # freshness 0: always check
    time.sleep(0.06)
    assert cache.fresh(KEY, 0.05) is None  # this caller checks the version...
    assert cache.fresh(KEY, 0.05) is not None  # ...while others are served the page
    cache.checked(KEY)
    assert cache.fresh(KEY, 0.05) is None  # the check ended without confirming it
    time.sleep(0.11)
    assert cache.fresh(KEY, 0.05) is None  # too old to serve even while someone checks


def test_forgetting_a_link_drops_all_its_pages_and_only_them() -> None:
    cache, calls = PageCache(8), list[str]()
    json_page = ("collection", "token-one", "json", "backpack.test")
    other = ("collection", "token-two", "html", "backpack.test")
    for key in (KEY, json_page, other):
        cache.get_or_render(key, "v1", _renderer(calls))
    cache.forget("token-one")
    assert cache.fresh(KEY, 60) is None
    assert cache.fresh(json_page, 60) is None
    assert cache.fresh(other, 60) is not None


def test_the_cache_keeps_at_most_its_size_and_size_0_keeps_nothing() -> None:
    cache, calls = PageCache(2), list[str]()
    keys = [("badge", f"token-{n}", "html", "h") for n in range(3)]
    for key in keys:
        cache.get_or_render(key, "v1", _renderer(calls))
    assert cache.fresh(keys[0], 60) is None  # the least recently used went
    assert cache.fresh(keys[2], 60) is not None
    off = PageCache(0)
    off.get_or_render(KEY, "v1", _renderer(calls))
    assert off.fresh(KEY, 60) is None
