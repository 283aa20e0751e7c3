"""The bench's issuer server: the test issuer's documents, served as a static file server would.

`tests/support/http_server.LocalHTTPServer` is made for tests: Python's `http.server`, a
thread per connection, every request recorded. Answering costs it about 130 us of CPU a
request, more than our fetcher spends asking, so with it the benchmark timed the issuer's
server as much as the verifiers. Real issuers serve these documents as static files (nginx,
a CDN) in a few microseconds. This server answers the same routes, on the same port, from
bytes made once: one asyncio loop, httptools (llhttp) reading requests, HTTP/1.1
keep-alive. Both verifiers meet the same server.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import httptools

from tests.support.http_server import NOT_FOUND, LocalHTTPServer, Response


class StaticIssuer:
    """Serves `LocalHTTPServer`'s fixed routes on its port, in a thread of its own, once that
    server is stopped; counts requests and connections as it did."""

    def __init__(self, routes: Mapping[str, bytes], port: int) -> None:
        self.routes = dict(routes)
        self.port = port
        self.requests = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @classmethod
    def taking_over(cls, server: LocalHTTPServer) -> StaticIssuer:
        """Stop `server` and serve its routes (fixed answers only) on its port."""
        routes = {path: _answer(route) for path, route in server._routes.items()}
        port = server.port
        server.stop()
        return cls(routes, port).start()

    def start(self) -> StaticIssuer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def answer(self, path: str) -> bytes:
        self.requests += 1
        found = self.routes.get(path) or self.routes.get(path.split("?", 1)[0])
        return found if found is not None else _NOT_FOUND

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            self._loop.create_server(
                lambda: _Connection(self), "127.0.0.1", self.port, reuse_address=True
            )
        )
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.close()


class _Connection(asyncio.Protocol):
    """One client connection: requests parsed as they come, each answered in turn."""

    def __init__(self, issuer: StaticIssuer) -> None:
        self.issuer = issuer
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.path = b""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.issuer.connections += 1

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            assert self.transport is not None
            self.transport.close()

    def on_url(self, url: bytes) -> None:
        self.path += url

    def on_message_complete(self) -> None:
        assert self.transport is not None
        answer = self.issuer.answer(self.path.decode("latin-1"))
        self.path = b""
        if self.parser.get_method() == b"HEAD":
            answer = answer.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        self.transport.write(answer)
        if not self.parser.should_keep_alive():
            self.transport.close()


def _answer(route: Any) -> bytes:
    if not isinstance(route, Response) or not isinstance(route.body, bytes):
        raise ValueError("The static issuer serves fixed answers only.")
    return _render(route)


def _render(response: Response) -> bytes:
    assert isinstance(response.body, bytes)
    reason = HTTPStatus(response.status).phrase
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    lines.extend(f"{name}: {value}" for name, value in response.headers.items())
    lines.append(f"Content-Length: {len(response.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body


_NOT_FOUND = _render(NOT_FOUND)
