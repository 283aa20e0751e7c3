"""Verifying many stored badges again, with the fetches of different issuers overlapping.

One badge at a time, a batch goes at the pace of its slowest issuer: a server that takes
five seconds to answer holds up the badges of fifty fast ones. Here the verifications run
in a bounded pool of threads, taken round-robin across issuers and at most `per_issuer` at
once for any one of them (so no issuer gets the whole pool's traffic, and a slow one holds
at most that many threads). The database is read and written only in the calling thread:
each verification gets what it needs beforehand (`StoredInput`), and its report is recorded
on the badge when it finishes, in the order they finish.

Used by `badges reverify` and the background checks of imported badges.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Final, TypeVar
from urllib.parse import urlsplit

from backpack.extensions import db
from backpack.models import Badge
from backpack.openbadges import Fetcher, IssuerDocumentCache, VerificationReport
from backpack.services.app_fetcher import app_issuer_documents, batch_fetcher, reverify_workers
from backpack.services.badges import (
    StoredInput,
    apply_report,
    record_failed_check,
    stored_inputs,
    verify_stored,
)

log = logging.getLogger(__name__)
# Badges read from the database at a time: bounds the payloads held in memory.
CHUNK: Final = 500
DEFAULT_PER_ISSUER: Final = 2

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Reverified:
    """One badge verified again: its verdict before and after."""

    badge: Badge
    before: str
    after: str


def reverify_many(
    badge_ids: Iterable[int], *, workers: int | None = None, unchecked_only: bool = False
) -> Iterator[Reverified]:
    """Verify the badges again, `workers` at a time; yield each as its verdict is recorded.

    The caller commits after each (so that an interruption loses nothing done). A badge
    deleted meanwhile is passed over, and with `unchecked_only` so is one checked meanwhile
    (by its owner, a visitor or another worker). Recording a verdict that fails (a bug,
    logged) rolls back that badge alone and leaves it undecided, never unchecked, so it is
    not chosen again and again.
    """
    workers = workers or reverify_workers()
    fetcher = batch_fetcher(workers)
    documents = app_issuer_documents()
    ids = iter(badge_ids)
    try:
        while chunk := list(islice(ids, CHUNK)):
            badges = {badge.id: badge for badge in _load(chunk)}
            held = [badges[badge_id] for badge_id in chunk if badge_id in badges]
            issuers = {badge.id: _issuer_of(badge) for badge in held}
            inputs = stored_inputs(held)
            verify = _verifier(fetcher, documents)
            for item, report in overlapping(
                inputs, verify, workers=workers, host=partial(_issuer_in, issuers)
            ):
                badge = db.session.get(Badge, item.badge_id)
                if badge is None or (unchecked_only and not badge.is_unchecked):
                    continue
                yield _recorded(badge, report)
    finally:
        fetcher.close()


def overlapping(
    items: Sequence[Item],
    run: Callable[[Item], Result],
    *,
    workers: int,
    host: Callable[[Item], str],
    per_issuer: int = DEFAULT_PER_ISSUER,
) -> Iterator[tuple[Item, Result]]:
    """Run `run` over the items in a pool of `workers` threads, round-robin across hosts and
    at most `per_issuer` at once for one host; yield each item with its result as it ends."""
    queues: dict[str, deque[Item]] = {}
    for item in items:
        queues.setdefault(host(item), deque()).append(item)
    turn = deque(queues)  # hosts with items left, in round-robin order
    busy: Counter[str] = Counter()
    running: dict[Future[Result], tuple[str, Item]] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while turn or running:
            for _ in range(len(turn)):
                if len(running) >= workers:
                    break
                name = turn[0]
                turn.rotate(-1)
                if busy[name] >= per_issuer:
                    continue
                item = queues[name].popleft()
                if not queues[name]:
                    turn.remove(name)
                busy[name] += 1
                running[pool.submit(run, item)] = (name, item)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                name, item = running.pop(future)
                busy[name] -= 1
                yield item, future.result()


def _recorded(badge: Badge, report: VerificationReport) -> Reverified:
    before = badge.verification
    try:
        return Reverified(badge, before, apply_report(badge, report))
    except Exception:
        log.exception("Recording the check of badge %s failed", badge.id)
        db.session.rollback()
        failed = db.session.get(Badge, badge.id)
        if failed is None:
            return Reverified(badge, before, before)
        record_failed_check(failed)
        return Reverified(failed, before, failed.verification)


def _verifier(
    fetcher: Fetcher, documents: IssuerDocumentCache | None
) -> Callable[[StoredInput], VerificationReport]:
    def verify(item: StoredInput) -> VerificationReport:
        return verify_stored(item, fetcher, documents)

    return verify


def _issuer_of(badge: Badge) -> str:
    """Where a badge's verification mostly fetches from: the host and port of its hosted
    assertion, else of its badge class or issuer (a signed badge's key lives there)."""
    badge_class = badge.badge_class
    for url in (badge.source_url, badge.assertion_iri, badge_class.iri, badge_class.issuer.iri):
        if url and url.startswith(("http://", "https://")):
            try:
                return urlsplit(url).netloc.lower()
            except ValueError:
                continue
    return "elsewhere"


def _issuer_in(issuers: dict[int, str], item: StoredInput) -> str:
    return issuers[item.badge_id]


def _load(ids: list[int]) -> list[Badge]:
    return list(db.session.scalars(db.select(Badge).where(Badge.id.in_(ids))))
