"""The bench's issuer server: the test issuer's documents, served as a static file server would.

`tests/support/http_server.LocalHTTPServer` is made for tests: Python's `http.server`, a
thread per connection, every request recorded. Answering costs it about 130 us of CPU a
request, more than our fetcher spends asking, so with it the benchmark timed the issuer's
server as much as the verifiers. Real issuers serve these documents as static files (nginx,
a CDN) in a few microseconds. This server answers the same routes, on the same port, from
bytes made once: a thread per connection, httptools (llhttp) reading requests, HTTP/1.1
keep-alive. Both verifiers meet the same server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import httptools

from tests.support.http_server import NOT_FOUND, LocalHTTPServer, Response


class StaticIssuer:
    """Serves `LocalHTTPServer`'s fixed routes on its port once that server is stopped, a
    thread per connection; counts requests and connections as it did."""

    def __init__(self, routes: Mapping[str, bytes], port: int) -> None:
        self.routes = dict(routes)
        self.requests = 0
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @classmethod
    def taking_over(cls, server: LocalHTTPServer) -> StaticIssuer:
        """Stop `server` and serve its routes (fixed answers only) on its port."""
        routes = {path: _answer(route) for path, route in server._routes.items()}
        port = server.port
        server.stop()
        issuer = cls(routes, port)
        issuer._thread.start()
        return issuer

    def stop(self) -> None:
        self._stopping.set()
        # Shutting the listener down wakes the thread blocked in accept(); closing does not.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=10)

    def answer(self, path: str) -> bytes:
        with self._lock:
            self.requests += 1
        found = self.routes.get(path) or self.routes.get(path.split("?", 1)[0])
        return found if found is not None else _NOT_FOUND

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # stopped
            self.connections += 1
            threading.Thread(target=_Connection(self, connection).serve, daemon=True).start()


class _Connection:
    """One client connection: requests parsed as they come, each answered in turn."""

    def __init__(self, issuer: StaticIssuer, sock: socket.socket) -> None:
        self.issuer = issuer
        self.sock = sock
        self.parser = httptools.HttpRequestParser(self)
        self.path = b""
        self.answers: list[bytes] = []
        self.keep_alive = True

    def serve(self) -> None:
        with self.sock:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while self.keep_alive:
                try:
                    data = self.sock.recv(65536)
                    if not data:
                        return
                    self.parser.feed_data(data)
                    if self.answers:
                        self.sock.sendall(b"".join(self.answers))
                        self.answers.clear()
                except (OSError, httptools.HttpParserError):
                    return

    def on_url(self, url: bytes) -> None:
        self.path += url

    def on_message_complete(self) -> None:
        answer = self.issuer.answer(self.path.decode("latin-1"))
        self.path = b""
        if self.parser.get_method() == b"HEAD":
            answer = answer.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        self.answers.append(answer)
        self.keep_alive = self.parser.should_keep_alive()


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
