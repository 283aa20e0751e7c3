"""Time budgets: one end time shared by every fetch of a verification, or of a request.

Each fetch has a deadline of its own, but a badge needs several documents (assertion, badge
class, issuer, key, revocation list), and a request may verify many badges: a slow issuer
that uses nearly all of each fetch's time would hold a server thread for minutes. Inside a
budget, every fetch ends by the budget's end, and one that starts after it fails at once
with a reason that names the budget. Budgets nest: the sooner end wins.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import TracebackType

_active = threading.local()


@dataclass(frozen=True)
class Budget:
    """The time some work may take, and its name in messages ("The verification")."""

    ends_at: float
    seconds: float
    name: str

    def left(self) -> float:
        """Seconds left (negative once it ran out)."""
        return self.ends_at - time.monotonic()

    def describe(self) -> str:
        return f"{self.name}'s {self.seconds:g}-second time budget"


class TimeBudget:
    """Within this context, on this thread, fetches end by `seconds` from entering it."""

    def __init__(self, seconds: float | None, name: str) -> None:
        self.seconds, self.name = seconds, name
        self._outer: Budget | None = None

    def __enter__(self) -> Budget | None:
        self._outer = current_budget()
        if self.seconds is None or self.seconds <= 0:
            return self._outer
        mine = Budget(time.monotonic() + self.seconds, self.seconds, self.name)
        if self._outer is None or mine.ends_at < self._outer.ends_at:
            _active.budget = mine
        return current_budget()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _active.budget = self._outer


def current_budget() -> Budget | None:
    """The budget this thread's fetches are held to, if any."""
    budget: Budget | None = getattr(_active, "budget", None)
    return budget
