"""A fetch's overall deadline: the time left before it, and connections that give up at it
however slowly bytes trickle in."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time

from backpack.openbadges.budget import current_budget
from backpack.openbadges.errors import FetchError


class _DeadlineWatchdog:
    """One thread that shuts down the sockets of fetches that outlive their deadline.

    Read timeouts apply to each read, so a server that sends its headers a byte at a time
    never trips them; shutting the socket down ends the blocked read at the deadline.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._watched: dict[int, tuple[float, socket.socket]] = {}
        self._waiting_until = float("inf")
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, sock: socket.socket) -> None:
        """Shut `sock` down at `deadline` unless `release` comes first."""
        with self._changed:
            self._watched[id(sock)] = (deadline, sock)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()
            if deadline < self._waiting_until:
                self._changed.notify()

    def release(self, sock: socket.socket) -> None:
        """Stop watching a socket."""
        with self._changed:
            self._watched.pop(id(sock), None)

    def _run(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                for key, (deadline, sock) in list(self._watched.items()):
                    if deadline <= now:
                        del self._watched[key]
                        _shut_down(sock)
                deadlines = [deadline for deadline, _ in self._watched.values()]
                self._waiting_until = min(deadlines, default=float("inf"))
                self._changed.wait(None if not deadlines else self._waiting_until - now)


def _shut_down(sock: socket.socket) -> None:
    # The plain socket method: SSLSocket.shutdown would also drop its TLS state under the
    # feet of the thread that is reading. A socket closed meanwhile raises OSError.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_WATCHDOG = _DeadlineWatchdog()


def get_response_by_deadline(
    connection: http.client.HTTPConnection, deadline: float
) -> http.client.HTTPResponse:
    """Read a response's status and headers, giving up at `deadline` however slow they are."""
    sock = connection.sock  # captured: a "Connection: close" answer unsets it
    if sock is None:
        return connection.getresponse()
    _WATCHDOG.watch(deadline, sock)
    try:
        response = connection.getresponse()
    finally:
        _WATCHDOG.release(sock)
    if time.monotonic() >= deadline:
        # The watchdog may have cut the headers short, which reads as a complete answer.
        raise TimeoutError("the fetch deadline passed while the headers were arriving")
    return response


def time_left(deadline: float, url: str) -> float:
    """Seconds until `deadline`; FetchError `fetch_timeout` once it (or the budget) has passed."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        budget = current_budget()
        if budget is not None and budget.ends_at <= deadline:
            raise FetchError(
                f"{budget.describe()} ran out before {url} was fetched.", code="fetch_timeout"
            )
        raise FetchError(f"Fetching {url} took too long.", code="fetch_timeout")
    return remaining
