"""A background import's time limit: its units handed out until the time is up.

An import or a pull stops between units, never inside one, so the pipeline commits what it
has and the job can say what was kept; `stopped` tells the job that it ran out of time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

Item = TypeVar("Item")


class TimeLimited(Generic[Item]):
    """The items of a job until `seconds` have passed since iteration began."""

    def __init__(
        self,
        items: Iterable[Item],
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.items, self.seconds, self.clock = items, seconds, clock
        self.stopped = False

    def __iter__(self) -> Iterator[Item]:
        deadline = self.clock() + self.seconds
        for item in self.items:
            if self.clock() >= deadline:
                self.stopped = True
                return
            yield item
