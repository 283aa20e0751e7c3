"""A pull: the badges a source listed, each verified again and kept through the one intake."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from backpack.models import User
from backpack.services import accounts
from backpack.services.badge_intake import receive_badge
from importers.pipeline import Outcome, Pipeline, SourceFailure, Unit
from importers.report import ImportReport


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


def pull_units(
    badges: Iterable[PulledBadge | SourceFailure], user_id: int
) -> Iterator[Unit | SourceFailure]:
    """Each listed badge as a unit the pipeline writes once."""
    for badge in badges:
        if isinstance(badge, SourceFailure):
            yield badge
        else:
            yield Unit("badges", badge.key, _receiver(user_id, badge), badge.label or badge.key)


def _receiver(user_id: int, badge: PulledBadge) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        user = accounts.get_user(user_id)
        assert user is not None
        # Verified here, fetching what our own verifier needs: the other side's verdict on
        # it is never asked for, let alone trusted.
        received = receive_badge(user, badge.data, source="pull")
        return Outcome(received.badge.id, created=received.created, pending=received.pending)

    return apply


def run_pull(
    user: User,
    source: str,
    badges: Iterable[PulledBadge | SourceFailure],
    report: ImportReport,
    *,
    progress: Callable[[int], None] | None = None,
    batch: int = 5,
) -> ImportReport:
    """Write a whole listing (read before: nothing is stored when reading it failed)."""
    pipeline = Pipeline(scope_for(source, user), report, batch=batch, progress=progress)
    # Pulled badges are verified as they come in: nothing waits for the background checks.
    pipeline.queues_checks = False
    return pipeline.run(pull_units(badges, user.id))
