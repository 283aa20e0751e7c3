"""Public pages replayed at the WSGI layer, before Flask builds a request around them.

A public page is rendered once per version (page_cache); what was left of its cost was what
every Flask request pays before and after its view (request context, session, login,
hooks, security headers), twice what the view itself costs. So the complete response that
Flask sent for a cached page (status, every header, body) is kept here, and the next
request for the same URL, asking the same way, is answered with it directly while the
page cache still holds that very version as fresh (PUBLIC_PAGE_FRESHNESS). Anything else
goes through Flask as before: another version, a stale or forgotten page (so a withdrawn
link fails here as soon as it does there), a query string, a conditional or HEAD request,
or a response that set a cookie.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, request

from backpack.web.page_cache import EXTENSION_KEY as PAGES_KEY
from backpack.web.page_cache import CachedPage, PageCache, PageKey

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ENVIRON_KEY = "backpack.replayable"  # set by the view on a response worth keeping
# Only the public pages' own paths are looked up at all.
_PUBLIC_PATH = re.compile(r"/public/(?:collections|badges)/[A-Za-z0-9_-]{16,64}(?:\.json|/embed)?")
# How a visitor asks: the URL, its host when links are built from it, and how it accepts.
ReplayKey = tuple[str, str, str, bool]


@dataclass(frozen=True)
class _Reply:
    page_key: PageKey
    etag: str
    status: str
    headers: list[tuple[str, str]]
    body: bytes


def mark_replayable(key: PageKey, page: CachedPage) -> None:
    """Say that this request's response is the page `page` of `key`, as every visitor gets it."""
    request.environ[ENVIRON_KEY] = (key, page.etag)


class PageReplay:
    """WSGI middleware answering repeated requests for fresh public pages from memory."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication, size: int) -> None:
        self.app, self.wsgi_app, self.size = app, wsgi_app, size
        self._replies: OrderedDict[ReplayKey, _Reply] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        reply = self._fresh_reply(key)
        if reply is not None:
            start_response(reply.status, reply.headers)
            return [reply.body]
        return self._record(key, environ, start_response)

    def _key(self, environ: WSGIEnvironment) -> ReplayKey | None:
        path = environ.get("PATH_INFO", "")
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("QUERY_STRING")
            or "HTTP_IF_NONE_MATCH" in environ
            or not _PUBLIC_PATH.fullmatch(path)
        ):
            return None
        host = "" if self.app.config["BASE_URL"] else environ.get("HTTP_HOST", "")
        gzipped = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
        return (path, host, environ.get("HTTP_ACCEPT", ""), gzipped)

    def _fresh_reply(self, key: ReplayKey) -> _Reply | None:
        with self._lock:
            reply = self._replies.get(key)
        if reply is None:
            return None
        cache: PageCache | None = self.app.extensions.get(PAGES_KEY)
        page = cache.peek(reply.page_key) if cache is not None else None
        max_age = float(self.app.config["PUBLIC_PAGE_FRESHNESS"])
        if page is None or page.etag != reply.etag or time.monotonic() - page.checked_at >= max_age:
            return None  # Flask checks the version, and the reply is made again
        return reply

    def _record(
        self, key: ReplayKey, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        answer: dict[str, Any] = {}

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, recording_start_response)
        marked = environ.get(ENVIRON_KEY)
        if marked is None or not answer.get("status", "").startswith("200"):
            return body
        headers: list[tuple[str, str]] = answer["headers"]
        if any(name.lower() == "set-cookie" for name, _ in headers):
            return body
        try:
            content = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        page_key, etag = marked
        with self._lock:
            self._replies[key] = _Reply(page_key, etag, answer["status"], list(headers), content)
            self._replies.move_to_end(key)
            while len(self._replies) > self.size:
                self._replies.popitem(last=False)
        return [content]


def init_page_replay(app: Flask) -> None:
    """Wrap the app so that fresh public pages are answered before Flask handles them."""
    size = 4 * int(app.config["PUBLIC_PAGE_CACHE_SIZE"])
    if size > 0 and float(app.config["PUBLIC_PAGE_FRESHNESS"]) > 0:
        # Flask's documented way to add WSGI middleware; mypy sees a method being replaced.
        app.wsgi_app = PageReplay(app, app.wsgi_app, size)  # type: ignore[method-assign]
