"""The safe fetcher that every foreign URL goes through (DESIGN section 6).

Each hop resolves the host, refuses it unless every address is allowed (public, by default),
and then connects to the very address it checked, while the Host header and TLS (SNI and
certificate) still name the real host: DNS cannot answer differently between the check and
the connection. Redirects are followed by hand so that every hop is checked the same way.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address
from typing import Any
from urllib.parse import urljoin

from urllib3 import (
    BaseHTTPResponse,
    HTTPConnectionPool,
    HTTPResponse,
    HTTPSConnectionPool,
    PoolManager,
    Timeout,
)
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    HTTPError,
    LocationParseError,
    NewConnectionError,
    ProtocolError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError
from urllib3.util import Url, parse_url

from backpack.openbadges.errors import FetchError, FetchRefused, ParseError

IPAddress = IPv4Address | IPv6Address
Resolver = Callable[[str, int], list[str]]
AddressPolicy = Callable[[IPAddress], bool]

DEFAULT_ACCEPT = "application/ld+json, application/json;q=0.9, */*;q=0.1"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_JSON_DEPTH = 64
READ_CHUNK_BYTES = 64 * 1024
# NAT64 gateways translate these IPv6 addresses to the IPv4 address in their last 32 bits.
NAT64_PREFIX = IPv6Network("64:ff9b::/96")


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


def decode_json(data: bytes | str, *, source: str = "the document") -> Any:
    """Parse UTF-8 JSON, refusing documents nested deeper than MAX_JSON_DEPTH."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        document = json.loads(text)
    except RecursionError:
        raise _too_deep(source) from None
    except json.JSONDecodeError as error:
        raise ParseError(
            f"{source} is not valid JSON (line {error.lineno}, column {error.colno}).",
            code="not_json",
        ) from None
    except ValueError:
        # Not UTF-8, or a number too long to convert.
        raise ParseError(f"{source} is not valid UTF-8 JSON.", code="not_json") from None
    if _nesting_exceeds(text, MAX_JSON_DEPTH):
        raise _too_deep(source)
    return document


def _too_deep(source: str) -> ParseError:
    return ParseError(
        f"{source} nests JSON deeper than {MAX_JSON_DEPTH} levels.", code="json_too_deep"
    )


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST_PAIR = re.compile(r"\[\]|\{\}")


def _nesting_exceeds(valid_json: str, max_depth: int) -> bool:
    # Each pass removes the innermost bracket pairs, so the passes needed equal the depth;
    # regular expressions keep this fast and free of recursion on hostile input.
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", valid_json))
    for _ in range(max_depth):
        if not brackets:
            return False
        brackets = _INNERMOST_PAIR.sub("", brackets)
    return bool(brackets)


def is_public_address(address: IPAddress) -> bool:
    """Whether an address is on the public internet (the default fetch policy)."""
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        # 6to4 and NAT64 addresses lead to the IPv4 address inside them.
        embedded = address.sixtofour
        if embedded is None and address in NAT64_PREFIX:
            embedded = IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(embedded):
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for a host, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


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
# The deadline of the fetch running on this thread, for the connection classes below.
_current_deadline = threading.local()


def _get_response_by_deadline(
    connection: HTTPConnection, get: Callable[[], HTTPResponse]
) -> HTTPResponse:
    deadline: float | None = getattr(_current_deadline, "value", None)
    sock = connection.sock  # captured: a "Connection: close" answer unsets it
    if deadline is None or sock is None:
        return get()
    _WATCHDOG.watch(deadline, sock)
    try:
        response = get()
    finally:
        _WATCHDOG.release(sock)
    if time.monotonic() >= deadline:
        # The watchdog may have cut the headers short, which reads as a complete answer.
        raise TimeoutError("the fetch deadline passed while the headers were arriving")
    return response


# urllib3's connections return urllib3 responses, as urllib3's own override says.
class _DeadlineHTTPConnection(HTTPConnection):
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        return _get_response_by_deadline(self, super().getresponse)


class _DeadlineHTTPSConnection(HTTPSConnection):
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        return _get_response_by_deadline(self, super().getresponse)


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


class Fetcher:
    """Fetches foreign URLs safely; thread-safe, reusing keep-alive connections across calls.

    `resolver(host, port)` returns the addresses to check and connect to (the system
    resolver by default); `address_policy(address)` says which addresses may be reached
    (public ones by default, every one with `allow_private`). `timeout` bounds connecting
    and each read; `deadline` (default three timeouts) bounds the whole fetch. `ca_file`
    replaces the system's trusted certificate authorities (a private PKI, or tests).
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout: float = 10.0,
        max_bytes: int = 5 * 1024 * 1024,
        max_redirects: int = 5,
        user_agent: str = "Backpack/0.1 (+Open Badges verifier)",
        resolver: Resolver | None = None,
        address_policy: AddressPolicy | None = None,
        deadline: float | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        # The whole fetch, redirects and body included, ends by this many seconds, so a
        # server that trickles bytes just inside the read timeout cannot hold a worker.
        self.deadline = deadline if deadline is not None else 3 * timeout
        self._resolve = resolver or resolve_host
        self._address_allowed: AddressPolicy = address_policy or (
            (lambda address: True) if allow_private else is_public_address
        )
        self._pools = PoolManager(
            num_pools=64, maxsize=16, block=False, retries=False, ca_certs=ca_file
        )
        self._pools.pool_classes_by_scheme = {
            "http": _DeadlineHTTPPool,
            "https": _DeadlineHTTPSPool,
        }

    def close(self) -> None:
        """Close every pooled connection."""
        self._pools.clear()

    def get(self, url: str, *, accept: str = DEFAULT_ACCEPT) -> FetchResponse:
        """GET a URL, following redirects; HTTP error statuses are returned, not raised."""
        deadline = time.monotonic() + self.deadline
        outer_deadline = getattr(_current_deadline, "value", None)
        _current_deadline.value = deadline
        try:
            return self._follow_redirects(url, accept, deadline)
        finally:
            _current_deadline.value = outer_deadline

    def _follow_redirects(self, url: str, accept: str, deadline: float) -> FetchResponse:
        seen = {url}
        current = url
        for _ in range(self.max_redirects + 1):
            response = self._get_one(current, accept, deadline)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            current = urljoin(current, location.strip())
            if current in seen:
                raise FetchError(f"{url} redirects in a loop.", code="too_many_redirects")
            seen.add(current)
        raise FetchError(
            f"{url} redirects more than {self.max_redirects} times.", code="too_many_redirects"
        )

    def _get_one(self, url: str, accept: str, deadline: float) -> FetchResponse:
        target = _parse_fetchable_url(url)
        host = target.host or ""
        bare_host = host.strip("[]")
        port = target.port or (443 if target.scheme == "https" else 80)
        headers = {
            "Host": host if target.port is None else f"{host}:{target.port}",
            "User-Agent": self.user_agent,
            "Accept": accept,
            # Compressed bodies would be inflated past the byte limit before it could apply.
            "Accept-Encoding": "identity",
        }
        addresses = self._allowed_addresses(url, bare_host, port)
        # TLS names the real host while the socket goes to the checked address.
        tls = {"server_hostname": bare_host, "assert_hostname": bare_host}
        unreachable: Exception | None = None
        for address in addresses:
            pool = self._pools.connection_from_host(
                address, port, target.scheme or "http", pool_kwargs=tls
            )
            try:
                raw = self._send(url, pool, target.request_uri, headers, deadline)
            except NewConnectionError as error:
                unreachable = error
                continue
            except HTTPError as error:
                raise _fetch_error(url, error) from None
            return self._receive(url, raw, deadline)
        raise FetchError(f"Could not connect to {url}.", code="unreachable") from unreachable

    def _allowed_addresses(self, url: str, host: str, port: int) -> list[str]:
        try:
            addresses = [ip_address(text) for text in self._resolve(host, port)]
        except (OSError, UnicodeError, ValueError):
            addresses = []
        if not addresses:
            raise FetchError(f"Could not resolve the host of {url}.", code="unreachable")
        for address in addresses:
            if not self._address_allowed(address):
                raise FetchRefused(
                    f"{url} leads to a private or reserved address, which is not fetched.",
                    code="private_address",
                )
        return [str(address) for address in addresses]

    def _send(
        self,
        url: str,
        pool: HTTPConnectionPool,
        request_uri: str,
        headers: dict[str, str],
        deadline: float,
    ) -> BaseHTTPResponse:
        try:
            return self._urlopen(url, pool, request_uri, headers, deadline)
        except ProtocolError:
            # A pooled keep-alive connection that the server had just closed: a GET is safe
            # to send once more, on a fresh connection.
            return self._urlopen(url, pool, request_uri, headers, deadline)

    def _urlopen(
        self,
        url: str,
        pool: HTTPConnectionPool,
        request_uri: str,
        headers: dict[str, str],
        deadline: float,
    ) -> BaseHTTPResponse:
        wait = min(self.timeout, _remaining(deadline, url))
        return pool.urlopen(
            "GET",
            request_uri,
            headers=headers,
            retries=False,
            redirect=False,
            assert_same_host=False,
            timeout=Timeout(connect=wait, read=wait),
            preload_content=False,
        )

    def _receive(self, url: str, raw: BaseHTTPResponse, deadline: float) -> FetchResponse:
        try:
            content = self._read_body(url, raw, deadline)
        except HTTPError as error:
            raw.close()
            raise _fetch_error(url, error) from None
        except FetchError:
            raw.close()
            raise
        finally:
            raw.release_conn()
        headers = {name.lower(): raw.headers[name] for name in raw.headers}
        media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return FetchResponse(url, raw.status, headers, content, media_type)

    def _read_body(self, url: str, raw: BaseHTTPResponse, deadline: float) -> bytes:
        declared = raw.headers.get("content-length", "")
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
            _remaining(deadline, url)
        return b"".join(chunks)

    def _too_large(self, url: str) -> FetchError:
        return FetchError(
            f"{url} is larger than {self.max_bytes} bytes.", code="response_too_large"
        )


class FetchCache:
    """Memoises GETs by URL for one verification run, so each document is fetched once."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self._lock = threading.Lock()
        self._results: dict[tuple[str, str], Future[FetchResponse]] = {}

    def get(self, url: str, *, accept: str = DEFAULT_ACCEPT) -> FetchResponse:
        """The response for a URL, fetched at most once (errors are remembered too)."""
        key = (url, accept)
        with self._lock:
            result = self._results.get(key)
            fetch_here = result is None
            if result is None:
                result = self._results[key] = Future()
        if fetch_here:
            try:
                result.set_result(self.fetcher.get(url, accept=accept))
            except FetchError as error:
                result.set_exception(error)
            except BaseException as error:
                # An unexpected failure is not an answer worth remembering.
                with self._lock:
                    del self._results[key]
                result.set_exception(error)
        return result.result()


def _parse_fetchable_url(url: str) -> Url:
    try:
        target = parse_url(url)
    except (LocationParseError, ValueError):
        raise FetchRefused(f"{url!r} is not a valid URL.") from None
    if target.scheme not in ("http", "https"):
        raise FetchRefused(f"Only http and https URLs are fetched, not {url!r}.")
    if not target.host:
        raise FetchRefused(f"{url!r} has no host.")
    if target.auth:
        raise FetchRefused(f"URLs with a user name or password are not fetched: {target.host}.")
    return target


def _remaining(deadline: float, url: str) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(f"Fetching {url} took too long.", code="fetch_timeout")
    return remaining


def _fetch_error(url: str, error: HTTPError) -> FetchError:
    if isinstance(error, Urllib3TimeoutError):
        return FetchError(f"{url} did not answer in time.", code="fetch_timeout")
    if isinstance(error, SSLError):
        return FetchError(f"The TLS connection to {url} failed.", code="unreachable")
    if isinstance(error, ProtocolError):
        return FetchError(f"{url} closed the connection early.", code="unreachable")
    return FetchError(f"{url} sent a malformed response.", code="unreachable")
