"""The safe fetcher that every foreign URL goes through (DESIGN section 6).

Each hop resolves the host, refuses it unless every address is allowed (public, by default),
and then connects to the very address it checked, while the Host header and TLS (SNI and
certificate) still name the real host: DNS cannot answer differently between the check and
the connection. Redirects are followed by hand so that every hop is checked the same way.
What is sent and read on each hop is `http_exchange`'s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from ipaddress import ip_address
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
from backpack.openbadges.connections import ConnectionKey, NotConnected
from backpack.openbadges.deadlines import time_left
from backpack.openbadges.errors import FetchError, FetchRefused
from backpack.openbadges.http_exchange import (
    DEFAULT_ACCEPT,
    FetchRequest,
    FetchResponse,
    HttpExchange,
)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Host lookups are remembered this long (seconds), at most this many hosts at once.
RESOLUTION_TTL = 30.0
MAX_REMEMBERED_HOSTS = 1024
MAX_REMEMBERED_URL_LENGTH = 2048


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
        self.verification_seconds = verification_seconds
        self._slots = threading.BoundedSemaphore(max_in_flight) if max_in_flight else None
        self._kept_slots = threading.local()  # see keeping_one_slot
        self.slot_wait = slot_wait
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
        self._http = HttpExchange(ca_file=ca_file, timeout=timeout, max_bytes=max_bytes)

    def close(self) -> None:
        """Close every pooled connection."""
        self._http.close()

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
        return self._fetch(FetchRequest.for_get(url, accept, conditional))

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
        return self._fetch(
            FetchRequest.for_api(method, url, accept=accept, headers=headers, body=body)
        )

    def _fetch(self, request: FetchRequest) -> FetchResponse:
        url = request.url
        deadline = time.monotonic() + self.deadline
        budget = current_budget()
        if budget is not None:
            deadline = min(deadline, budget.ends_at)
        time_left(deadline, url)  # a budget already spent fails before anything is sent
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
        if not self._slots.acquire(timeout=max(0.0, min(self.slot_wait, time_left(deadline, url)))):
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

    def _follow_redirects(self, request: FetchRequest, deadline: float) -> FetchResponse:
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

    def _get_one(self, url: str, request: FetchRequest, deadline: float) -> FetchResponse:
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
                return self._http.send(url, key, request_uri, headers, deadline, request)
            except NotConnected as error:
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
