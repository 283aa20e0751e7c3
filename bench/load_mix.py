"""bench/load.py's mix: what each client thread does, for how long, and what it measured."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bench.load_client import Answer, Visitor
from bench.load_seed import PASSWORD, Earner
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer

# Out of 100 requests: mostly visitors of public pages, then earners looking at their
# badges, then what writes: pushes by issuer platforms, uploads, log-ins.
WEIGHTS = {
    "log-in": 5,
    "badge list": 15,
    "badge page": 20,
    "public page": 45,
    "push": 10,
    "upload": 5,
}
KINDS = tuple(WEIGHTS)
SLOW_KIND = "push, slow issuer"
# What each kind answers when it works; a 429 is a rate limit, counted apart.
EXPECTED = {"log-in": 302, "upload": 302, SLOW_KIND: 200} | dict.fromkeys(
    ("badge list", "badge page", "public page", "push"), 200
)
SLOW_SECONDS = 2.0  # the slow issuer's delay before each document
STALLED_EVERY = 5  # one slow assertion in five is never answered within the fetch timeout
BADGE_CLASSES = 10  # an issuer awards the same few badge classes to many earners


@dataclass(frozen=True)
class Record:
    kind: str
    answer: Answer
    finished: float  # time.monotonic() when the answer was read


class Load:
    """The mix of clients against one server, with a fast and a slow test issuer."""

    def __init__(
        self, url: str, earners: Sequence[Earner], fast: LocalHTTPServer, slow: LocalHTTPServer
    ) -> None:
        self.url, self.earners = url, earners
        self.issuer = TestIssuer(fast)
        self.slow_server = slow
        self.slow_issuer = TestIssuer(slow, name="Slow Institute")
        for path in ("/issuer.json", "/key.json", "/image.png"):
            slow.slow(path, seconds=SLOW_SECONDS)
        self._next_earner = itertools.cycle(earners)
        self._awards = itertools.count()
        self._lock = threading.Lock()  # the test issuer's routes are set from many threads

    def run(self, seconds: float, clients: int, slow_pushers: int = 0) -> dict[str, Any]:
        """`clients` threads of the mix, and `slow_pushers` pushing slow issuers' badges, for
        `seconds`."""
        records: list[Record] = []
        deadline = time.monotonic() + seconds
        threads = [
            threading.Thread(target=self._browse, args=(deadline, records, random.Random(n)))
            for n in range(clients)
        ]
        threads += [
            threading.Thread(target=self._push_slowly, args=(deadline, records, n))
            for n in range(slow_pushers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return summarise(records, deadline - seconds, seconds)

    def _browse(self, deadline: float, records: list[Record], rng: random.Random) -> None:
        """One closed-loop client: logs in, then makes each kind of request once (so even a
        tiny run covers them all), then draws kinds by weight until the deadline."""
        visitor = Visitor(self.url)
        earner = self._log_in(visitor, records)
        first_pass = rng.sample([kind for kind in KINDS if kind != "log-in"], len(KINDS) - 1)
        while first_pass or time.monotonic() < deadline:
            kind = first_pass.pop() if first_pass else rng.choices(KINDS, list(WEIGHTS.values()))[0]
            if kind == "log-in":
                earner = self._log_in(visitor, records)
                continue
            answer = self._request(kind, visitor, earner, rng)
            records.append(Record(kind, answer, time.monotonic()))
        visitor.close()

    def _log_in(self, visitor: Visitor, records: list[Record]) -> Earner:
        """A new person logs in, from a new address, as the next earner."""
        visitor.become_someone_else()
        earner = next(self._next_earner)
        token = visitor.csrf_token("/login")
        if token is None:
            answer = Answer(0, 0.0, failure="no CSRF token on /login")
        else:
            form = {"csrf_token": token, "email": earner.address, "password": PASSWORD}
            answer = visitor.post_form("/login", form)
        records.append(Record("log-in", answer, time.monotonic()))
        return earner

    def _request(self, kind: str, visitor: Visitor, earner: Earner, rng: random.Random) -> Answer:
        if kind == "badge list":
            return visitor.request("GET", "/badges/")
        if kind == "badge page":
            return visitor.request("GET", f"/badges/{rng.choice(earner.badge_ids)}")
        if kind == "public page":
            path = rng.choice(self.earners).public_path
            return visitor.request(
                "GET", path, headers={"Accept-Encoding": "gzip, deflate"}, anonymous=True
            )
        with self._lock:
            slug = f"class-{next(self._awards) % BADGE_CLASSES}"
            assertion = self.issuer.award(earner.address, slug=slug)
        if kind == "push":
            return visitor.push(earner.token, assertion)
        token = visitor.csrf_token("/badges/add")
        if token is None:
            return Answer(0, 0.0, failure="no CSRF token on /badges/add")
        fields = {"csrf_token": token, "route": "upload"}
        return visitor.post_file("/badges/add", fields, "image", self.issuer.baked_png(assertion))

    def _push_slowly(self, deadline: float, records: list[Record], number: int) -> None:
        """An issuer platform whose issuer answers every document late, some never in time."""
        visitor = Visitor(self.url)
        while time.monotonic() < deadline:
            earner = self.earners[number % len(self.earners)]
            with self._lock:
                award = next(self._awards)
                assertion = self.slow_issuer.award(earner.address, slug=f"slow-{award}")
                self.slow_server.slow(f"/badges/slow-{award}.json", seconds=SLOW_SECONDS)
                path = urlsplit(assertion["id"]).path
                if award % STALLED_EVERY == 0:
                    self.slow_server.stall(path, seconds=120)
                else:
                    self.slow_server.slow(path, seconds=SLOW_SECONDS)
            answer = visitor.push(earner.token, assertion)
            records.append(Record(SLOW_KIND, answer, time.monotonic()))
            number += 1
        visitor.close()


def summarise(records: Sequence[Record], started: float, seconds: float) -> dict[str, Any]:
    """Requests per second within the phase; per kind (counting every request begun in it,
    also those answered after its end) p50, p99, 429s and errors by what went wrong."""
    kinds: dict[str, Any] = {}
    for kind in (*KINDS, SLOW_KIND):
        answers = [r.answer for r in records if r.kind == kind]
        if not answers:
            continue
        latencies = sorted(a.seconds for a in answers)
        errors = Counter(
            a.failure or f"HTTP {a.status}"
            for a in answers
            if a.status not in (EXPECTED[kind], 429)
        )
        kinds[kind] = {
            "requests": len(answers),
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "rate_limited": sum(1 for a in answers if a.status == 429),
            "errors": dict(errors),
        }
    answered_in_time = sum(1 for r in records if r.finished <= started + seconds)
    return {
        "seconds": seconds,
        "requests": len(records),
        "requests_per_second": answered_in_time / seconds,
        "rate_limited": sum(k["rate_limited"] for k in kinds.values()),
        "errors": sum(sum(k["errors"].values()) for k in kinds.values()),
        "kinds": kinds,
    }
