"""One HTTP exchange of the safe fetcher with an address it has already checked.

What a fetch sends (`FetchRequest`: only the headers a caller may add), the request over
a kept-alive connection to that very address, the response read within its size limit and
the fetch's deadline, and what comes back (`FetchResponse`). Transport failures become
FetchErrors. Which addresses and URLs may be reached is `safe_fetcher`'s to decide.

The request is written as one block of bytes and the response parsed by httptools
(llhttp, Node's parser): `http.client` spent more client CPU on a response's headers,
through the `email` package, than on the rest of a request together (issue 17).
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import httptools

from backpack.openbadges.connections import Connection, ConnectionKey, ConnectionPool
from backpack.openbadges.deadlines import deadline_passed, time_left
from backpack.openbadges.errors import FetchError, FetchRefused
from backpack.openbadges.json_limits import decode_json
from backpack.openbadges.sizes import size_in_words

# The only request headers a caller may add: those that revalidate a kept response.
CONDITIONAL_HEADERS: Final = frozenset({"If-None-Match", "If-Modified-Since"})
# The headers an API request (`Fetcher.request`) may add too: its credentials, its body's type.
API_HEADERS: Final = frozenset({"Authorization", "Content-Type"})
DEFAULT_ACCEPT = "application/ld+json, application/json;q=0.9, */*;q=0.1"
READ_CHUNK_BYTES = 64 * 1024
# As http.client allowed: at most 100 header lines, 64 KiB of status line and headers.
MAX_HEADERS: Final = 100
MAX_HEADER_BYTES: Final = 64 * 1024
# Control characters may not be sent: in a header value (tab aside) or a request target.
_UNSENDABLE_VALUE: Final = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
_UNSENDABLE_TARGET: Final = re.compile("[\x00-\x20\x7f]")
# Answers that never have a body (RFC 9112 section 6.3), whatever length they declare.
_BODILESS_STATUSES: Final = frozenset({204, 304})


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
        """Send `request` for `url` to the address in `key`, by `deadline`; read the answer.

        NotConnected when the address cannot be reached; FetchError for everything else.
        """
        message = _request_bytes(url, request, request_uri, headers)
        if request.body_kept:
            # Not re-sent if a kept connection turns out closed (RFC 9112 9.3.1), so it goes
            # on a fresh one: an OAuth token request must not fail for an idle socket.
            connection, reused = self._connections.new(key), False
        else:
            connection, reused = self._connections.take(key)
        try:
            answer = self._exchange(url, connection, message, deadline)
        except ConnectionError as error:  # _NothingBack, a reset, a broken pipe
            connection.close()
            if not reused or request.body_kept:
                raise _transport_error(url, error, deadline) from None
            # A kept-alive connection that the server had just closed: a GET is safe to
            # send once more, on a fresh connection (another method is not re-sent).
            connection = self._connections.new(key)
            try:
                answer = self._exchange(url, connection, message, deadline)
            except (OSError, httptools.HttpParserError) as again:
                connection.close()
                raise _transport_error(url, again, deadline) from None
            except BaseException:
                connection.close()
                raise
        except (OSError, httptools.HttpParserError) as error:
            connection.close()
            raise _transport_error(url, error, deadline) from None
        except BaseException:  # FetchError (deadline, size), NotConnected, interrupts
            connection.close()
            raise
        if answer.reusable:
            self._connections.give_back(connection)
        else:
            connection.close()
        media_type = answer.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return FetchResponse(url, answer.status, answer.headers, bytes(answer.body), media_type)

    def _exchange(
        self, url: str, connection: Connection, message: bytes, deadline: float
    ) -> _Answer:
        # Every wait is bounded by the read timeout and by the time left before the
        # deadline, and the deadline is checked before every read: a server that trickles
        # its headers or body a byte at a time is cut off at the deadline all the same.
        wait = self._wait(url, deadline)

        def next_wait() -> float:
            nonlocal wait
            wait = self._wait(url, deadline)
            return wait

        try:
            sock = connection.sock
            if sock is None:
                sock = connection.open(next_wait)
            sock.settimeout(next_wait())
            sock.sendall(message)
            answer = _Answer(url, self.max_bytes)
            parser = httptools.HttpResponseParser(answer)
            answer.parser = parser
            received = 0
            # What the wire may carry: the head, the body, and the framing of its chunks.
            most = MAX_HEADER_BYTES + 2 * self.max_bytes
            while not answer.complete:
                sock.settimeout(next_wait())
                data = sock.recv(READ_CHUNK_BYTES)
                if not data:
                    answer.end_of_stream(received)
                    break
                received += len(data)
                _feed(parser, answer, data)
                # Counted once the bytes are parsed: a read may end the headers and carry
                # much of the body, which is no reason to refuse them.
                if not answer.headers_done and received > MAX_HEADER_BYTES:
                    raise FetchError(f"{url} sent headers larger than it may.", code="unreachable")
                if received > most:  # endless trailers, or chunks of a byte each
                    raise answer.too_large()
        except TimeoutError:
            if wait < self.timeout:  # the deadline, not the read timeout, ran out
                raise deadline_passed(deadline, url) from None
            raise
        return answer

    def _wait(self, url: str, deadline: float) -> float:
        return min(self.timeout, time_left(deadline, url))


def _feed(parser: httptools.HttpResponseParser, answer: _Answer, data: bytes) -> None:
    try:
        parser.feed_data(data)
    except httptools.HttpParserCallbackError as error:
        if isinstance(error.__context__, FetchError):  # too large, too many headers
            raise error.__context__ from None
        if not answer.after_end:
            raise
    except httptools.HttpParserUpgrade:
        raise FetchError(
            f"{answer.url} answered by switching protocols.", code="unreachable"
        ) from None


class _NothingBack(ConnectionError):
    """The connection ended before a byte of the response came back."""


class _AfterEnd(Exception):
    """Raised by the parser's callback to stop at bytes after the response."""


class _CutShort(OSError):
    """The connection ended in the middle of a response (not retried: something came back)."""


class _Answer:
    """One response as httptools parses it (the parser's callbacks), bounded in size."""

    __slots__ = (
        "after_end",
        "body",
        "complete",
        "framed",
        "header_bytes",
        "header_count",
        "headers",
        "headers_done",
        "keep_alive",
        "max_bytes",
        "parser",
        "size",
        "status",
        "url",
    )

    def __init__(self, url: str, max_bytes: int) -> None:
        self.url = url
        self.max_bytes = max_bytes
        self.parser: httptools.HttpResponseParser | None = None
        self.status = 0
        self.headers: dict[str, str] = {}
        self.header_count = 0
        self.header_bytes = 0
        self.headers_done = False
        # One growing buffer: a body in many tiny chunks is not kept as many tiny objects.
        self.body = bytearray()
        self.size = 0
        self.complete = False
        self.after_end = False
        # Whether the body's end is marked (a length, chunks), or comes with the connection's.
        self.framed = False
        self.keep_alive = False

    @property
    def reusable(self) -> bool:
        """Whether the connection may carry the next request."""
        return self.keep_alive and not self.after_end

    def end_of_stream(self, received: int) -> None:
        """The server closed the connection: the body's end, or a response cut short."""
        if received == 0:
            raise _NothingBack("the server closed the connection without answering")
        if not self.headers_done or self.framed:
            raise _CutShort("the server closed the connection before the response ended")
        self.complete = True

    def on_message_begin(self) -> None:
        if self.complete:
            # Bytes after the response: parsing stops here, and the connection is not reused.
            self.after_end = True
            raise _AfterEnd

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.headers_done:
            return  # a trailer, after a chunked body: not one of the response's headers
        self.header_count += 1
        if self.header_count > MAX_HEADERS:
            raise FetchError(
                f"{self.url} sent more than {MAX_HEADERS} headers.", code="unreachable"
            )
        self.header_bytes += len(name) + len(value)
        if self.header_bytes > MAX_HEADER_BYTES:
            raise FetchError(f"{self.url} sent headers larger than it may.", code="unreachable")
        # Latin-1 maps every byte to a character, as http.client read headers.
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1").rstrip(" \t")
        kept = self.headers.get(key)
        self.headers[key] = text if kept is None else f"{kept}, {text}"

    def on_headers_complete(self) -> None:
        assert self.parser is not None
        self.status = self.parser.get_status_code()
        if self.status < 200:
            return
        self.headers_done = True
        # Chunked only when it is the last coding (RFC 9112 6.3); else the body ends with
        # the connection.
        codings = self.headers.get("transfer-encoding", "").lower().split(",")
        self.framed = (
            self.status in _BODILESS_STATUSES
            or "content-length" in self.headers
            or codings[-1].strip() == "chunked"
        )
        declared = self.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self.too_large()

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.size > self.max_bytes:
            raise self.too_large()
        self.body += body

    def on_message_complete(self) -> None:
        if self.status < 200:
            # An interim answer (103 Early Hints): the real response follows.
            self.headers, self.header_count, self.header_bytes = {}, 0, 0
            return
        assert self.parser is not None
        # Asked now: once a message is complete, the parser forgets it.
        self.keep_alive = self.framed and self.parser.should_keep_alive()
        self.complete = True

    def too_large(self) -> FetchError:
        return FetchError(
            f"{self.url} is larger than {size_in_words(self.max_bytes)}.",
            code="response_too_large",
        )


def _request_bytes(
    url: str, request: FetchRequest, request_uri: str, headers: list[tuple[str, str]]
) -> bytes:
    # Header values come from configuration, the URL and, for conditional and API requests,
    # from what other servers sent (an ETag, an access token): a line break in one would
    # smuggle a header or a request of its own, so such a request is refused.
    lines = [f"{request.method} {request_uri} HTTP/1.1"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    if request.body is not None:
        lines.append(f"Content-Length: {len(request.body)}")
    if _UNSENDABLE_TARGET.search(request_uri) or any(
        _UNSENDABLE_VALUE.search(value) for _, value in headers
    ):
        raise FetchRefused(f"The request for {url} would carry a control character.")
    head = "\r\n".join(lines)
    try:
        encoded = head.encode("latin-1") + b"\r\n\r\n"
    except UnicodeEncodeError:
        raise FetchRefused(
            f"The request for {url} holds characters an HTTP request cannot carry."
        ) from None
    return encoded if request.body is None else encoded + request.body


def _transport_error(url: str, error: Exception, deadline: float) -> FetchError:
    if isinstance(error, TimeoutError) or time.monotonic() >= deadline:
        return FetchError(f"{url} did not answer in time.", code="fetch_timeout")
    if isinstance(error, ssl.SSLError):
        return FetchError(f"The TLS connection to {url} failed.", code="unreachable")
    if isinstance(error, OSError):  # _NothingBack and a reset connection too
        return FetchError(f"{url} closed the connection early.", code="unreachable")
    return FetchError(f"{url} sent a malformed response.", code="unreachable")
