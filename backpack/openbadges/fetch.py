"""The safe fetcher that every foreign URL goes through (DESIGN section 6).

Each hop resolves the host, refuses it unless every address is allowed (public, by default),
and then connects to the very address it checked, while the Host header and TLS (SNI and
certificate) still name the real host: DNS cannot answer differently between the check and
the connection. Redirects are followed by hand so that every hop is checked the same way.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import ip_address
from typing import Any, Final
from urllib.parse import urljoin

from urllib3.exceptions import LocationParseError
from urllib3.util import Url, parse_url

from backpack.openbadges.addresses import (
    AddressPolicy,
    Resolver,
    is_public_address,
    resolve_host,
)
from backpack.openbadges.budget import current_budget
from backpack.openbadges.connections import ConnectionKey, ConnectionPool
from backpack.openbadges.deadlines import get_response_by_deadline
from backpack.openbadges.errors import FetchError, FetchRefused
from backpack.openbadges.json_limits import decode_json

# The only request headers a caller may add: those that revalidate a kept response.
CONDITIONAL_HEADERS: Final = frozenset({"If-None-Match", "If-Modified-Since"})
# The headers `request` may add too: an API client's credentials and its body's type.
API_HEADERS: Final = frozenset({"Authorization", "Content-Type"})
DEFAULT_ACCEPT = "application/ld+json, application/json;q=0.9, */*;q=0.1"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
READ_CHUNK_BYTES = 64 * 1024
# Host lookups are remembered this long (seconds), at most this many hosts at once.
RESOLUTION_TTL = 30.0
MAX_REMEMBERED_HOSTS = 1024
MAX_REMEMBERED_URL_LENGTH = 2048


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


class Fetcher:
    """Fetches foreign URLs safely; thread-safe, reusing keep-alive connections across calls.

    `resolver(host, port)` returns the addresses to check and connect to (the system
    resolver by default); `address_policy(address)` says which addresses may be reached
    (public ones by default, every one with `allow_private`). `timeout` bounds connecting
    and each read; `deadline` (default three timeouts) bounds the whole fetch, and a
    `TimeBudget` around it may end it sooner. `verification_seconds` is the budget that
    `verify_badge` holds all the fetches of one verification to. `max_in_flight` bounds
    the fetches running at once in this process: a fetch that finds no free slot within
    `slot_wait` seconds fails at once, so slow issuers cannot take every server thread.
    `ca_file` replaces the system's trusted certificate authorities (a private PKI, tests).
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
        verification_seconds: float | None = None,
        max_in_flight: int | None = None,
        slot_wait: float = 0.5,
    ) -> None:
        self.timeout = timeout
        self.verification_seconds = verification_seconds
        self._slots = threading.BoundedSemaphore(max_in_flight) if max_in_flight else None
        self._kept_slots = threading.local()  # see keeping_one_slot
        self.slot_wait = slot_wait
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        # The whole fetch, redirects and body included, ends by this many seconds, so a
        # server that trickles bytes just inside the read timeout cannot hold a worker.
        self.deadline = deadline if deadline is not None else 3 * timeout
        self._resolve = resolver or resolve_host
        self._resolved: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._lock = threading.Lock()
        self._address_allowed: AddressPolicy = address_policy or (
            (lambda address: True) if allow_private else is_public_address
        )
        self._connections = ConnectionPool(ca_file=ca_file)

    def close(self) -> None:
        """Close every pooled connection."""
        self._connections.clear()

    def get(
        self,
        url: str,
        *,
        accept: str = DEFAULT_ACCEPT,
        conditional: Mapping[str, str] | None = None,
    ) -> FetchResponse:
        """GET a URL, following redirects; HTTP error statuses are returned, not raised.

        `conditional` holds revalidation headers (If-None-Match, If-Modified-Since) only.
        """
        extra = {k: v for k, v in (conditional or {}).items() if k in CONDITIONAL_HEADERS}
        return self._fetch(_Request("GET", url, accept, extra))

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "application/json",
    ) -> FetchResponse:
        """Send an API request (an OAuth client's POST, a GET with a bearer token) as
        safely as `get`: every hop checked, the body bounded, the time bounded.

        `headers` may hold Authorization and Content-Type only. A GET follows redirects,
        and drops Authorization on a hop to another origin; any other method's redirect is
        returned, not followed (a POST is not re-sent elsewhere).
        """
        extra = {name: value for name, value in (headers or {}).items() if name in API_HEADERS}
        return self._fetch(_Request(method.upper(), url, accept, extra, body))

    def _fetch(self, request: _Request) -> FetchResponse:
        url = request.url
        deadline = time.monotonic() + self.deadline
        budget = current_budget()
        if budget is not None:
            deadline = min(deadline, budget.ends_at)
        _remaining(deadline, url)  # a budget already spent fails before anything is sent
        if self._slots is None:  # no bound on fetches in flight: no slot to take
            return self._follow_redirects(request, deadline)
        with self._slot(url, deadline):
            return self._follow_redirects(request, deadline)

    @contextmanager
    def keeping_one_slot(self) -> Iterator[None]:
        """Within this block, the thread's first fetch takes a slot and keeps it to the end.

        A verification fetches its documents one after another; were the slot given back
        between them, other slow verifications could take turns with it, and together hold
        more server threads than `max_in_flight`, every thread of a worker at worst."""
        kept = self._kept_slots
        kept.depth = getattr(kept, "depth", 0) + 1
        try:
            yield
        finally:
            kept.depth -= 1
            if kept.depth == 0 and getattr(kept, "holding", False):
                kept.holding = False
                assert self._slots is not None
                self._slots.release()

    @contextmanager
    def _slot(self, url: str, deadline: float) -> Iterator[None]:
        kept = self._kept_slots
        if self._slots is None or getattr(kept, "holding", False):
            yield
            return
        if not self._slots.acquire(
            timeout=max(0.0, min(self.slot_wait, _remaining(deadline, url)))
        ):
            raise FetchError(
                f"{url} was not fetched: this server is busy fetching for other requests."
                " Try again in a moment.",
                code="fetch_busy",
            )
        if getattr(kept, "depth", 0) > 0:
            kept.holding = True  # given back when the keeping_one_slot block ends
            yield
            return
        try:
            yield
        finally:
            self._slots.release()

    def _follow_redirects(self, request: _Request, deadline: float) -> FetchResponse:
        url = request.url
        seen = {url}
        current = url
        for _ in range(self.max_redirects + 1):
            response = self._get_one(current, request, deadline)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location or request.body_kept:
                return response
            following = urljoin(current, location.strip())
            if "Authorization" in request.headers and _origin(following) != _origin(current):
                request = request.without("Authorization")
            current = following
            if current in seen:
                raise FetchError(f"{url} redirects in a loop.", code="too_many_redirects")
            seen.add(current)
        raise FetchError(
            f"{url} redirects more than {self.max_redirects} times.", code="too_many_redirects"
        )

    def _get_one(self, url: str, request: _Request, deadline: float) -> FetchResponse:
        target = _parse_fetchable_url(url)
        host = target.host or ""
        bare_host = host.strip("[]")
        scheme = target.scheme or "http"
        port = target.port or (443 if scheme == "https" else 80)
        headers = [
            ("Host", host if target.port is None else f"{host}:{target.port}"),
            ("User-Agent", self.user_agent),
            ("Accept", request.accept),
            # Compressed bodies would be inflated past the byte limit before it could apply.
            ("Accept-Encoding", "identity"),
        ]
        headers.extend(request.headers.items())  # filtered by get() and request()
        request_uri = target.request_uri
        unreachable: OSError | None = None
        # The socket goes to the address checked here, while TLS names the real host.
        for address in self._allowed_addresses(url, bare_host, port):
            key: ConnectionKey = (scheme, address, port, bare_host)
            try:
                return self._exchange(url, key, request_uri, headers, deadline, request)
            except _NotConnected as error:
                unreachable = error.reason
        raise FetchError(f"Could not connect to {url}.", code="unreachable") from unreachable

    def _allowed_addresses(self, url: str, host: str, port: int) -> list[str]:
        # A short memory of lookups saves a resolver round trip per fetch; the connection
        # still goes to the address checked here, so a DNS answer cannot change under it.
        key = (host, port)
        now = time.monotonic()
        with self._lock:
            remembered = self._resolved.get(key)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
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
        allowed = [str(address) for address in addresses]
        with self._lock:
            if len(self._resolved) >= MAX_REMEMBERED_HOSTS:
                self._resolved.clear()
            self._resolved[key] = (now + RESOLUTION_TTL, allowed)
        return allowed

    def _exchange(
        self,
        url: str,
        key: ConnectionKey,
        request_uri: str,
        headers: list[tuple[str, str]],
        deadline: float,
        request: _Request,
    ) -> FetchResponse:
        connection, reused = self._connections.take(
            key, min(self.timeout, _remaining(deadline, url))
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
            connection = self._connections.new(key, min(self.timeout, _remaining(deadline, url)))
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
        request: _Request,
    ) -> http.client.HTTPResponse:
        wait = min(self.timeout, _remaining(deadline, url))
        if connection.sock is None:
            connection.timeout = wait
            try:
                connection.connect()
            except (TimeoutError, ssl.SSLError):
                raise
            except OSError as error:
                connection.close()
                raise _NotConnected(error) from None
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
            _remaining(deadline, url)
        # read1 leaves a response with a Content-Length open after its last byte; closed,
        # it lets its connection carry the next request.
        raw.close()
        return b"".join(chunks)

    def _too_large(self, url: str) -> FetchError:
        return FetchError(
            f"{url} is larger than {self.max_bytes} bytes.", code="response_too_large"
        )


@dataclass(frozen=True)
class _Request:
    """What one fetch sends, on every hop."""

    method: str
    url: str
    accept: str
    headers: dict[str, str]
    body: bytes | None = None

    @property
    def body_kept(self) -> bool:
        """Whether a redirect is answered to the caller rather than followed."""
        return self.method != "GET"

    def without(self, name: str) -> _Request:
        """The same request without one header (a credential not sent to another origin)."""
        headers = {key: value for key, value in self.headers.items() if key != name}
        return _Request(self.method, self.url, self.accept, headers, self.body)


def _origin(url: str) -> tuple[str | None, str | None, int | None]:
    parsed = parse_url(url)
    return parsed.scheme, (parsed.host or "").lower(), parsed.port


def _parse_fetchable_url(url: str) -> Url:
    # Issuers' badge classes, profiles, keys and images are named by many badges, so their
    # URLs are parsed once; a URL long enough to make the memory large is parsed each time.
    if len(url) > MAX_REMEMBERED_URL_LENGTH:
        return _parse_checked(url)
    return _parse_remembered(url)


def _parse_checked(url: str) -> Url:
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


# Url is an immutable tuple; refusals are raised anew each time, never remembered.
_parse_remembered = lru_cache(maxsize=1024)(_parse_checked)


def _remaining(deadline: float, url: str) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        budget = current_budget()
        if budget is not None and budget.ends_at <= deadline:
            raise FetchError(
                f"{budget.describe()} ran out before {url} was fetched.", code="fetch_timeout"
            )
        raise FetchError(f"Fetching {url} took too long.", code="fetch_timeout")
    return remaining


def _close(raw: http.client.HTTPResponse, connection: http.client.HTTPConnection) -> None:
    # A response cut short holds the socket's file of its own when it was the connection's
    # last ("Connection: close"): both are closed so that the socket is.
    raw.close()
    connection.close()


class _NotConnected(Exception):
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
