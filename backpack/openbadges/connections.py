"""Kept-alive connections to checked addresses, straight over `http.client`.

The fetcher checks a host's addresses itself and must connect to the very address it
checked, so it needs nothing of a general HTTP client but a place to keep connections
between fetches. This is that place: idle connections by (scheme, address, port, TLS name),
a few per host, a bounded number of hosts. A bare `http.client` request costs about a third
of what the same request cost through urllib3's PoolManager and connection pool (issue 17).
"""

from __future__ import annotations

import http.client
import ssl
import threading
import weakref
from collections import OrderedDict
from typing import Final

MAX_HOSTS: Final = 64
MAX_IDLE_PER_HOST: Final = 16

ConnectionKey = tuple[str, str, int, str]


class TLSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to one address whose TLS (SNI, certificate) names another host."""

    def __init__(
        self,
        address: str,
        port: int,
        *,
        server_name: str,
        context: ssl.SSLContext,
        timeout: float,
    ) -> None:
        super().__init__(address, port, timeout=timeout, context=context)
        self._server_name = server_name
        self._tls_context = context

    def connect(self) -> None:
        """Connect to the address, then shake hands naming the real host."""
        http.client.HTTPConnection.connect(self)
        try:
            self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self._server_name)
        except (ssl.SSLError, TimeoutError):
            raise
        except OSError as error:
            # The address was reached, so the next one is not tried: a failed handshake.
            raise ssl.SSLError(f"the TLS handshake failed: {error}") from error


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
        self._idle: OrderedDict[ConnectionKey, list[http.client.HTTPConnection]] = OrderedDict()
        self._lock = threading.Lock()
        # A fetcher dropped without close() still closes its idle sockets when collected.
        weakref.finalize(self, _close_all, self._idle)

    def take(self, key: ConnectionKey, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection for the key (True: it was used before), else a new unopened one."""
        with self._lock:
            idle = self._idle.get(key)
            connection = idle.pop() if idle else None
        if connection is not None:
            return connection, True
        return self.new(key, timeout), False

    def new(self, key: ConnectionKey, timeout: float) -> http.client.HTTPConnection:
        """A new connection for the key, not opened yet."""
        scheme, address, port, server_name = key
        if scheme == "https":
            return TLSConnection(
                address, port, server_name=server_name, context=self._context(), timeout=timeout
            )
        return http.client.HTTPConnection(address, port, timeout=timeout)

    def give_back(self, key: ConnectionKey, connection: http.client.HTTPConnection) -> None:
        """Keep a connection whose last response was read whole, unless enough are kept."""
        if connection.sock is None:  # the server said "Connection: close"
            return
        closing: list[http.client.HTTPConnection] = []
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


def _close_all(idle: dict[ConnectionKey, list[http.client.HTTPConnection]]) -> None:
    kept = [connection for connections in idle.values() for connection in connections]
    idle.clear()
    for connection in kept:
        connection.close()
