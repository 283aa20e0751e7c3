"""A pull: the badges a source listed, each verified again and kept through the one intake.

A listing holds badges of many issuers. They are verified a batch at a time with their
issuers' fetches overlapping (`batch_verification.overlapping`, as `badges reverify` does),
so that a slow issuer does not set the pace for the others; then each is kept, in the
listing's order, in the calling thread, which alone touches the database.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from backpack.extensions import db
from backpack.models import User
from backpack.openbadges import VerificationReport
from backpack.services import accounts
from backpack.services.app_fetcher import batch_fetcher, reverify_workers
from backpack.services.badge_intake import badge_verifier, keep_verified
from backpack.services.batch_verification import overlapping
from importers.pipeline import (
    ImporterError,
    Outcome,
    Pipeline,
    RecordRefused,
    SourceFailure,
    Unit,
    failure_reason,
)
from importers.report import ImportReport

# Badges verified side by side before they are kept (and committed) together.
BATCH: Final = 16
_URL = re.compile(r"https?://([^/\s\"'?#]+)", re.IGNORECASE)
# Hosts of JSON-LD contexts, named by every badge: they say nothing of where it is verified.
_CONTEXT_HOSTS: Final = frozenset({"w3id.org", "www.w3.org", "purl.imsglobal.org"})


@dataclass(frozen=True)
class PulledBadge:
    """A badge as the other backpack gave it: verbatim text (or image bytes), and what to
    show for it in the report."""

    data: str | bytes
    label: str = ""

    @property
    def key(self) -> str:
        """Its identity in the source: the digest of exactly what was received, so that a
        second pull of the same listing skips it (the intake's fingerprint catches the same
        award sent differently)."""
        raw = self.data if isinstance(self.data, bytes) else self.data.encode()
        return "sha256:" + hashlib.sha256(raw).hexdigest()


def scope_for(source: str, user: User) -> str:
    """One remote (a host, or one backup file) pulled into one account."""
    return f"pull:{source}:user:{user.id}"


class PulledBadgeWriter:
    """Writes a batch of pulled badges: all verified at once, then each kept on its own."""

    def __init__(
        self, user_id: int, verify: Callable[[str | bytes], VerificationReport], workers: int
    ) -> None:
        self.user_id, self.verify, self.workers = user_id, verify, workers

    def write(self, units: Sequence[Unit]) -> list[Outcome | ImporterError]:
        """Verify the units side by side, then keep each in a savepoint of its own."""
        verified = dict(overlapping(units, self._verified, workers=self.workers, host=_issuer_host))
        user = accounts.get_user(self.user_id)
        assert user is not None
        return [self._kept(user, unit, verified[unit]) for unit in units]

    def rollback(self) -> None:
        """Nothing is remembered across batches: a batch tried again is verified again."""

    def _verified(self, unit: Unit) -> VerificationReport | Exception:
        # In a pool thread: no database here, and a bug is handed back, not raised.
        try:
            return self.verify(unit.record.data)
        except Exception as exc:
            return exc

    def _kept(
        self, user: User, unit: Unit, verified: VerificationReport | Exception
    ) -> Outcome | ImporterError:
        # Verified here, by our own verifier: the other side's verdict is never trusted.
        if isinstance(verified, Exception):
            return RecordRefused(failure_reason(unit, verified))
        try:
            with db.session.begin_nested():
                received = keep_verified(user, verified, unit.record.data, source="pull")
        except Exception as exc:
            return RecordRefused(failure_reason(unit, exc))
        return Outcome(received.badge.id, created=received.created, pending=received.pending)


def _issuer_host(unit: Unit) -> str:
    """Where a pulled badge's verification mostly fetches from, as far as a glance tells: the
    first host its text names other than a context's. Only the pool's order depends on it."""
    data = unit.record.data
    if isinstance(data, bytes):
        return "image"
    for match in _URL.finditer(data[:8192]):
        host = match.group(1).lower()
        if host not in _CONTEXT_HOSTS:
            return host
    return "elsewhere"


def pull_units(
    badges: Iterable[PulledBadge | SourceFailure], writer: PulledBadgeWriter
) -> Iterator[Unit | SourceFailure]:
    """Each listed badge as a unit the pipeline writes once, through the writer."""
    for badge in badges:
        if isinstance(badge, SourceFailure):
            yield badge
        else:
            yield Unit(
                "badges", badge.key, label=badge.label or badge.key, writer=writer, record=badge
            )


def run_pull(
    user: User,
    source: str,
    badges: Iterable[PulledBadge | SourceFailure],
    report: ImportReport,
    *,
    progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
) -> ImportReport:
    """Write a whole listing (read before: nothing is stored when reading it failed)."""
    workers = reverify_workers()
    fetcher = batch_fetcher(workers)
    try:
        writer = PulledBadgeWriter(user.id, badge_verifier(user, fetcher), workers)
        pipeline = Pipeline(scope_for(source, user), report, batch=batch, progress=progress)
        # Pulled badges are verified as they come in: nothing waits for the background checks.
        pipeline.queues_checks = False
        return pipeline.run(pull_units(badges, writer))
    finally:
        fetcher.close()
