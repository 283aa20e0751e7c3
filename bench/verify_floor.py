"""The floor of cold verification: the same fetches through bare `http.client`, plus the checks.

A cold verification (no issuer document kept across badges) costs its HTTP requests and its
checks. The floor is what those two cost with nothing of ours in the way of the requests: the
URLs each badge's verification fetched are fetched again in the same order over one bare
`http.client` keep-alive connection per host, and the checks are run again on the recorded
responses with no network at all. `cold_share_of_floor` says how close our cold rate comes
to that floor (issue 17 asks at least 0.75); for it our cold verification is timed again
here, in turns with the floor's two halves, twenty badges at a time, so that both meet the
same load on a shared machine.

As served, most of a badge's documents come from the issuer document cache and only its
assertion (or revocation list) is fetched; `served_ceiling_per_second` is the rate at which
those remaining requests alone go over bare `http.client`, as if our checks cost nothing:
what a verifier that fetches what the spec says must be fetched each time can reach
against this issuer's server, with a stock HTTP client.

Our fetcher now spends less per request than bare `http.client` does (it parses responses
with httptools), so our cold rate may pass this floor: the share then says that our
checks and requests together cost less than stock requests with the same checks.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from backpack.openbadges.document_cache import IssuerDocumentCache
from backpack.openbadges.http_exchange import DEFAULT_ACCEPT, FetchResponse
from backpack.openbadges.safe_fetcher import Fetcher


class RecordingFetcher(Fetcher):
    """A real fetcher that also keeps every URL it was asked for and what it answered."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.log: list[tuple[str, str, FetchResponse]] = []

    def get(
        self,
        url: str,
        *,
        accept: str = DEFAULT_ACCEPT,
        conditional: Mapping[str, str] | None = None,
    ) -> FetchResponse:
        response = super().get(url, accept=accept, conditional=conditional)
        self.log.append((url, accept, response))
        return response


class ReplayFetcher(Fetcher):
    """Answers from recorded responses, in no time: verification with the network taken out."""

    def __init__(self, responses: dict[tuple[str, str], FetchResponse]) -> None:
        super().__init__(allow_private=True)
        self.responses = responses

    def get(
        self,
        url: str,
        *,
        accept: str = DEFAULT_ACCEPT,
        conditional: Mapping[str, str] | None = None,
    ) -> FetchResponse:
        return self.responses[(url, accept)]


# Ours and the floor are timed in turns, this many badges at a time: on a shared machine the
# load changes within seconds, and timed one after the other they met different loads.
SLICE = 20


@dataclass
class Floor:
    """The floor's two halves and our cold verification beside them, in seconds in all."""

    fetch_seconds: float
    check_seconds: float
    ours_seconds: float
    requests: int
    per_badge_urls: list[list[str]] = field(default_factory=list)

    def rate(self, count: int) -> float:
        """Badges per second at the floor."""
        return count / (self.fetch_seconds + self.check_seconds)


def measure_floor(
    inputs: Sequence[str], verify: Callable[[str, Fetcher], Any], *, warmup: int
) -> Floor:
    """Record each input's fetches once, then time, in turns, ours cold and the floor's halves.

    `verify(data, fetcher)` verifies one input cold (no document cache) with that fetcher.
    For every `SLICE` badges: our cold verification, the same URLs over bare keep-alive
    connections, and the checks on the recorded responses.
    """
    recorder = RecordingFetcher(allow_private=True)
    per_badge: list[list[tuple[str, str, FetchResponse]]] = []
    recorded_reports = []
    for data in inputs:
        start = len(recorder.log)
        recorded_reports.append(verify(data, recorder))
        per_badge.append(recorder.log[start:])
    recorder.close()
    _check_faithful(recorded_reports)
    urls = [[url for url, _, _ in fetches] for fetches in per_badge]
    replay = ReplayFetcher({(url, accept): answer for url, accept, answer in recorder.log})
    ours = Fetcher(allow_private=True)
    bare: dict[tuple[str, int], http.client.HTTPConnection] = {}
    try:
        for data in inputs[:warmup]:
            verify(data, ours)
            verify(data, replay)
        _fetch_bare(bare, [url for badge in urls[:warmup] for url in badge])
        seconds = [0.0, 0.0, 0.0]  # ours, bare fetches, checks alone
        requests = 0
        replayed_reports: list[Any] = []
        for first in range(0, len(inputs), SLICE):
            badges = inputs[first : first + SLICE]
            started = time.perf_counter()
            for data in badges:
                verify(data, ours)
            fetched = time.perf_counter()
            requests += _fetch_bare(bare, [url for b in urls[first : first + SLICE] for url in b])
            checked = time.perf_counter()
            replayed_reports.extend(verify(data, replay) for data in badges)
            ended = time.perf_counter()
            seconds[0] += fetched - started
            seconds[1] += checked - fetched
            seconds[2] += ended - checked
    finally:
        ours.close()
        for connection in bare.values():
            connection.close()
    _check_faithful(replayed_reports)
    return Floor(seconds[1], seconds[2], seconds[0], requests, urls)


def measure_served_ceiling(
    inputs: Sequence[str],
    verify: Callable[[str, Fetcher, IssuerDocumentCache], Any],
    *,
    warmup: int,
    rounds: int = 3,
) -> tuple[float, int]:
    """Seconds (best of `rounds`) the as-served requests take over bare http.client, and how many.

    `verify(data, fetcher, documents)` verifies one input as the server does. After the
    warm-up fills the document cache, one pass records the requests each badge still
    makes; those are then fetched bare, in order, over kept-alive connections.
    """
    recorder = RecordingFetcher(allow_private=True)
    documents = IssuerDocumentCache()
    for data in inputs[:warmup]:
        verify(data, recorder, documents)
    recorder.log.clear()
    _check_faithful([verify(data, recorder, documents) for data in inputs])
    recorder.close()
    urls = [url for url, _, _ in recorder.log]
    bare: dict[tuple[str, int], http.client.HTTPConnection] = {}
    try:
        _fetch_bare(bare, urls[:warmup])
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            _fetch_bare(bare, urls)
            timings.append(time.perf_counter() - started)
    finally:
        for connection in bare.values():
            connection.close()
    return min(timings), len(urls)


def _check_faithful(reports: Sequence[Any]) -> None:
    # A recording or replaying fetcher that no longer fits Fetcher.get fails every badge
    # with internal_error in no time, which once made the floor read as "0.0 ms fetching".
    broken = sum(
        any(error.code == "internal_error" for error in report.errors) for report in reports
    )
    if broken:
        raise RuntimeError(f"the floor's verifications failed on {broken} badges: see the log")


def _fetch_bare(
    connections: dict[tuple[str, int], http.client.HTTPConnection], urls: Sequence[str]
) -> int:
    """GET every URL in order over one kept-alive connection per host; return the count."""
    for url in urls:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or 80
        connection = connections.get((host, port))
        if connection is None:
            connection = connections[(host, port)] = http.client.HTTPConnection(host, port)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", path or "/")
        connection.getresponse().read()
    return len(urls)


def served_ceiling_figures(seconds: float, requests: int, count: int) -> dict[str, Any]:
    """The as-served ceiling's figures for `bench/verify.py --json`."""
    return {
        "served_ceiling_per_second": round(count / seconds, 1),
        "served_fetch_ms_per_badge": round(1000 * seconds / count, 3),
        "served_requests_per_badge": round(requests / count, 2),
    }


def floor_figures(floor: Floor, count: int) -> dict[str, Any]:
    """The floor's figures for `bench/verify.py --json`, with ours cold timed in turns with it."""
    floor_rate = floor.rate(count)
    ours_rate = count / floor.ours_seconds
    return {
        "cold_floor_per_second": round(floor_rate, 1),
        "ours_cold_beside_floor_per_second": round(ours_rate, 1),
        "cold_share_of_floor": round(ours_rate / floor_rate, 2),
        "floor_fetch_ms_per_badge": round(1000 * floor.fetch_seconds / count, 3),
        "floor_check_ms_per_badge": round(1000 * floor.check_seconds / count, 3),
        "floor_requests_per_badge": round(floor.requests / count, 2),
    }
