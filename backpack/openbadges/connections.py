"""Kept-alive sockets to checked addresses.

The fetcher checks a host's addresses itself and must connect to the very address it
checked, so it needs nothing of a general HTTP client but sockets and a place to keep them
between fetches. This is that place: idle connections by (scheme, address, port, TLS name),
a few per host, a bounded number of hosts. What goes over them is `http_exchange`'s.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

MAX_HOSTS: Final = 64
MAX_IDLE_PER_HOST: Final = 16
# An idle connection older than this is not reused: servers close theirs after 5 (Apache)
# to 75 (nginx) seconds, and one closed just as a request goes out fails that request.
MAX_IDLE_SECONDS: Final = 4.0

ConnectionKey = tuple[str, str, int, str]


class NotConnected(Exception):
    """No connection could be opened to one address: the next one may be tried."""

    def __init__(self, reason: OSError) -> None:
        super().__init__(str(reason))
        self.reason = reason


class Connection:
    """One socket to one checked address; for https, TLS (SNI, certificate) names the host.

    `sock` is None until `open` and after `close`.
    """

    __slots__ = ("_tls_context", "idle_since", "key", "sock")

    def __init__(self, key: ConnectionKey, tls_context: ssl.SSLContext | None) -> None:
        self.key = key
        self.sock: socket.socket | None = None
        self.idle_since = 0.0
        self._tls_context = tls_context

    def open(self, wait: Callable[[], float]) -> socket.socket:
        """Connect to the address, then (https) shake hands naming the real host; `wait()`
        says how long each step may take (asked again for each, so a deadline holds).

        NotConnected when the address cannot be reached (the next one may be tried);
        TimeoutError or ssl.SSLError when it was reached but did not answer or prove itself.
        """
        _, address, port, server_name = self.key
        try:
            sock = socket.create_connection((address, port), timeout=wait())
        except TimeoutError:
            raise
        except OSError as error:
            raise NotConnected(error) from None
        if self._tls_context is not None:
            try:
                sock.settimeout(wait())
                sock = self._tls_context.wrap_socket(sock, server_hostname=server_name)
            except (ssl.SSLError, TimeoutError):
                sock.close()
                raise
            except OSError as error:
                sock.close()
                # The address was reached, so the next one is not tried: a failed handshake.
                raise ssl.SSLError(f"the TLS handshake failed: {error}") from error
        self.sock = sock
        return sock

    def quiet(self) -> bool:
        """Whether an idle kept-alive socket is still fit to carry a request: open, not
        idle too long, and with nothing to read (a close from the server, stray bytes)."""
        sock = self.sock
        if sock is None or time.monotonic() - self.idle_since > MAX_IDLE_SECONDS:
            return False
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return False
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def close(self) -> None:
        """Close the socket, if open."""
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()


class ConnectionPool:
    """Idle kept-alive connections, thread-safe; a connection is used by one fetch at a time.

    A connection is taken for one request and given back only once its response has been
    read whole; any other outcome closes it. At most `MAX_IDLE_PER_HOST` idle connections
    are kept per key and `MAX_HOSTS` keys, the least recently used going first.
    """

    def __init__(self, *, ca_file: str | None = None) -> None:
        self._ca_file = ca_file
        # A CA file of one's own is read at once, so that a wrong path fails where it is
        # configured rather than on some later fetch; the system's authorities wait for
        # the first https fetch (loading them takes milliseconds).
        self._tls_context: ssl.SSLContext | None = (
            ssl.create_default_context(cafile=ca_file) if ca_file else None
        )
        self._idle: OrderedDict[ConnectionKey, list[Connection]] = OrderedDict()
        self._lock = threading.Lock()
        # A fetcher dropped without close() still closes its idle sockets when collected.
        weakref.finalize(self, _close_all, self._idle)

    def take(self, key: ConnectionKey) -> tuple[Connection, bool]:
        """An idle connection for the key (True: it was used before), else a new unopened one.

        An idle connection is reused only while it is quiet: one the server has closed (or
        sent stray bytes on, which would be read as the next answer) is closed here, and
        so is one idle longer than servers commonly keep them.
        """
        while True:
            with self._lock:
                idle = self._idle.get(key)
                connection = idle.pop() if idle else None
            if connection is None:
                return self.new(key), False
            if connection.quiet():
                return connection, True
            connection.close()

    def new(self, key: ConnectionKey) -> Connection:
        """A new connection for the key, not opened yet."""
        return Connection(key, self._context() if key[0] == "https" else None)

    def give_back(self, connection: Connection) -> None:
        """Keep a connection whose last response was read whole, unless enough are kept."""
        if connection.sock is None:
            return
        connection.idle_since = time.monotonic()
        key = connection.key
        closing: list[Connection] = []
        with self._lock:
            idle = self._idle.get(key)
            if idle is None:
                idle = self._idle[key] = []
                while len(self._idle) > MAX_HOSTS:
                    closing.extend(self._idle.popitem(last=False)[1])
            else:
                self._idle.move_to_end(key)
            if len(idle) < MAX_IDLE_PER_HOST:
                idle.append(connection)
            else:
                closing.append(connection)
        for extra in closing:
            extra.close()

    def clear(self) -> None:
        """Close every idle connection."""
        with self._lock:
            _close_all(self._idle)

    def _context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls_context is None:
                self._tls_context = ssl.create_default_context(cafile=self._ca_file)
            return self._tls_context


def _close_all(idle: dict[ConnectionKey, list[Connection]]) -> None:
    kept = [connection for connections in idle.values() for connection in connections]
    idle.clear()
    for connection in kept:
        connection.close()
