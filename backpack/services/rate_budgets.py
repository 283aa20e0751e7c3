"""Rate limits the code counts itself (per token, per account, per address), in the store
of Flask-Limiter's per-route limits; while that store (Redis) is unreachable, in memory.

Flask-Limiter falls back to memory on its own for the limits it checks; these are counted
here, so they need the same fallback, or every API request and verification mail would
fail while Redis is down instead of being limited per process for that time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from backpack.extensions import limiter
from backpack.services.app_context import shared

log = logging.getLogger(__name__)
FALLBACK_KEY = "backpack.rate_budgets_in_memory"


def spend(budgets: Sequence[tuple[RateLimitItem, str]], namespace: str) -> bool:
    """Count one use against each (limit, key); False, counting none, if one is used up."""
    try:
        return _spend(limiter.limiter, budgets, namespace)
    except limiter.storage.base_exceptions as exc:
        log.warning("The rate limit store is unreachable (%r): counting in memory", exc)
        # One per app (per process), as Flask-Limiter's own fallback.
        in_memory = shared(FALLBACK_KEY, lambda: FixedWindowRateLimiter(MemoryStorage()))
        return _spend(in_memory, budgets, namespace)


def _spend(
    counter: RateLimiter, budgets: Sequence[tuple[RateLimitItem, str]], namespace: str
) -> bool:
    if not all(counter.test(item, namespace, key) for item, key in budgets):
        return False
    for item, key in budgets:
        counter.hit(item, namespace, key)
    return True
