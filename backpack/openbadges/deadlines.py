"""A fetch's overall deadline: the time left before it, within any `TimeBudget` around it."""

from __future__ import annotations

import time

from backpack.openbadges.budget import current_budget
from backpack.openbadges.errors import FetchError


def time_left(deadline: float, url: str) -> float:
    """Seconds until `deadline`; FetchError `fetch_timeout` once it (or the budget) has passed."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise deadline_passed(deadline, url)
    return remaining


def deadline_passed(deadline: float, url: str) -> FetchError:
    """The `fetch_timeout` error of a fetch that reached `deadline`, naming the budget that
    set it, if one did."""
    budget = current_budget()
    if budget is not None and budget.ends_at <= deadline:
        return FetchError(
            f"{budget.describe()} ran out before {url} was fetched.", code="fetch_timeout"
        )
    return FetchError(f"Fetching {url} took too long.", code="fetch_timeout")
