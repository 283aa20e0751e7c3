"""One HTTP exchange of the safe fetcher with an address it has already checked.

What a fetch sends (`FetchRequest`: only the headers a caller may add), the request over
a kept-alive connection to that very address, the body read within its size limit and
the fetch's deadline, and what comes back (`FetchResponse`). Transport failures become
FetchErrors. Which addresses and URLs may be reached is `safe_fetcher`'s to decide.
"""

from __future__ import annotations

import http.client
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from backpack.openbadges.connections import ConnectionKey, ConnectionPool
from backpack.openbadges.deadlines import get_response_by_deadline, time_left
from backpack.openbadges.errors import FetchError
from backpack.openbadges.json_limits import decode_json

# The only request headers a caller may add: those that revalidate a kept response.
CONDITIONAL_HEADERS: Final = frozenset({"If-None-Match", "If-Modified-Since"})
# The headers an API request (`Fetcher.request`) may add too: its credentials, its body's type.
API_HEADERS: Final = frozenset({"Authorization", "Content-Type"})
DEFAULT_ACCEPT = "application/ld+json, application/json;q=0.9, */*;q=0.1"
READ_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class FetchResponse:
    """A fetched document: its final URL, status, lower-cased headers and body."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    content_type: str

    def json(self) -> Any:
        """The body parsed as JSON, or ParseError `not_json` / `json_too_deep`."""
        return decode_json(self.content, source=self.url)


@dataclass(frozen=True)
class FetchRequest:
    """What one fetch sends, on every hop."""

    method: str
    url: str
    accept: str
    headers: dict[str, str]
    body: bytes | None = None

    @classmethod
    def for_get(cls, url: str, accept: str, conditional: Mapping[str, str] | None) -> FetchRequest:
        """A GET, with revalidation headers (If-None-Match, If-Modified-Since) only."""
        extra = {k: v for k, v in (conditional or {}).items() if k in CONDITIONAL_HEADERS}
        return cls("GET", url, accept, extra)

    @classmethod
    def for_api(
        cls,
        method: str,
        url: str,
        *,
        accept: str,
        headers: Mapping[str, str] | None,
        body: bytes | None,
    ) -> FetchRequest:
        """An API request, with Authorization and Content-Type headers only."""
        extra = {name: value for name, value in (headers or {}).items() if name in API_HEADERS}
        return cls(method.upper(), url, accept, extra, body)

    @property
    def body_kept(self) -> bool:
        """Whether a redirect is answered to the caller rather than followed."""
        return self.method != "GET"

    def without(self, name: str) -> FetchRequest:
        """The same request without one header (a credential not sent to another origin)."""
        headers = {key: value for key, value in self.headers.items() if key != name}
        return FetchRequest(self.method, self.url, self.accept, headers, self.body)


class HttpExchange:
    """Sends requests to checked addresses over kept-alive connections; thread-safe.

    `timeout` bounds connecting and each read, `max_bytes` a response's body; `ca_file`
    replaces the system's trusted certificate authorities.
    """

    def __init__(self, *, ca_file: str | None, timeout: float, max_bytes: int) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._connections = ConnectionPool(ca_file=ca_file)

    def close(self) -> None:
        """Close every pooled connection."""
        self._connections.clear()

    def send(
        self,
        url: str,
        key: ConnectionKey,
        request_uri: str,
        headers: list[tuple[str, str]],
        deadline: float,
        request: FetchRequest,
    ) -> FetchResponse:
        """Send `request` for `url` to the address in `key`, by `deadline`; read the answer."""
        connection, reused = self._connections.take(
            key, min(self.timeout, time_left(deadline, url))
        )
        try:
            raw = self._request(url, connection, request_uri, headers, deadline, request)
        except FetchError:
            # The deadline passed before anything was sent: the connection is as it was.
            self._connections.give_back(key, connection)
            raise
        except ConnectionError as error:  # RemoteDisconnected too
            connection.close()
            if not reused or request.body_kept:
                raise _transport_error(url, error, deadline) from None
            # A kept-alive connection that the server had just closed: a GET is safe to
            # send once more, on a fresh connection (another method is not re-sent).
            connection = self._connections.new(key, min(self.timeout, time_left(deadline, url)))
            try:
                raw = self._request(url, connection, request_uri, headers, deadline, request)
            except (OSError, http.client.HTTPException) as again:
                connection.close()
                raise _transport_error(url, again, deadline) from None
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise _transport_error(url, error, deadline) from None
        # raw_items: the values as received, without email's per-value re-checking.
        received: dict[str, str] = {}
        for name, value in raw.msg.raw_items():
            name = name.lower()
            kept = received.get(name)
            received[name] = value if kept is None else f"{kept}, {value}"
        try:
            content = self._read_body(url, raw, received.get("content-length", ""), deadline)
        except (OSError, http.client.HTTPException) as error:
            _close(raw, connection)
            raise _transport_error(url, error, deadline) from None
        except FetchError:
            _close(raw, connection)
            raise
        self._connections.give_back(key, connection)
        media_type = received.get("content-type", "").split(";", 1)[0].strip().lower()
        return FetchResponse(url, raw.status, received, content, media_type)

    def _request(
        self,
        url: str,
        connection: http.client.HTTPConnection,
        request_uri: str,
        headers: list[tuple[str, str]],
        deadline: float,
        request: FetchRequest,
    ) -> http.client.HTTPResponse:
        wait = min(self.timeout, time_left(deadline, url))
        if connection.sock is None:
            connection.timeout = wait
            try:
                connection.connect()
            except (TimeoutError, ssl.SSLError):
                raise
            except OSError as error:
                connection.close()
                raise NotConnected(error) from None
        elif connection.sock.gettimeout() != wait:
            connection.sock.settimeout(wait)
        connection.putrequest(
            request.method, request_uri, skip_host=True, skip_accept_encoding=True
        )
        for name, value in headers:
            connection.putheader(name, value)
        if request.body is not None:
            connection.putheader("Content-Length", str(len(request.body)))
        connection.endheaders(request.body)
        return get_response_by_deadline(connection, deadline)

    def _read_body(
        self, url: str, raw: http.client.HTTPResponse, declared: str, deadline: float
    ) -> bytes:
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(url)
        chunks: list[bytes] = []
        size = 0
        # read1 returns whatever has arrived, so the deadline is checked as bytes trickle in.
        while chunk := raw.read1(READ_CHUNK_BYTES):
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_large(url)
            chunks.append(chunk)
            time_left(deadline, url)
        # read1 leaves a response with a Content-Length open after its last byte; closed,
        # it lets its connection carry the next request.
        raw.close()
        return b"".join(chunks)

    def _too_large(self, url: str) -> FetchError:
        return FetchError(
            f"{url} is larger than {self.max_bytes} bytes.", code="response_too_large"
        )


def _close(raw: http.client.HTTPResponse, connection: http.client.HTTPConnection) -> None:
    # A response cut short holds the socket's file of its own when it was the connection's
    # last ("Connection: close"): both are closed so that the socket is.
    raw.close()
    connection.close()


class NotConnected(Exception):
    """No connection could be opened to one address: the next one may be tried."""

    def __init__(self, reason: OSError) -> None:
        super().__init__(str(reason))
        self.reason = reason


def _transport_error(url: str, error: Exception, deadline: float) -> FetchError:
    if isinstance(error, TimeoutError) or time.monotonic() >= deadline:
        return FetchError(f"{url} did not answer in time.", code="fetch_timeout")
    if isinstance(error, ssl.SSLError):
        return FetchError(f"The TLS connection to {url} failed.", code="unreachable")
    if isinstance(error, (OSError, http.client.IncompleteRead)):  # RemoteDisconnected too
        return FetchError(f"{url} closed the connection early.", code="unreachable")
    return FetchError(f"{url} sent a malformed response.", code="unreachable")
