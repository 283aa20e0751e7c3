"""Ids of shared rows (images, issuers, badge classes) that a long import has met already.

A Mozilla instance names the same few thousand badge classes hundreds of thousands of
times; remembering their ids spares a lookup each time. Two rules keep the memory true:

- it is bounded (least recently used entries go first), so memory stays flat at any scale;
- ids a batch added stay apart until the next batch begins, because the batch's savepoint
  may yet be rolled back, and then those rows, and so those ids, never existed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")

DEFAULT_CAPACITY = 20_000


class RowIds(Generic[Value]):
    """A bounded map from a row's natural key to its id (or ids), aware of rollbacks."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._kept: OrderedDict[Hashable, Value] = OrderedDict()
        self._fresh: dict[Hashable, Value] = {}

    def get(self, key: Hashable) -> Value | None:
        """The id remembered for `key`, if any."""
        if key in self._fresh:
            return self._fresh[key]
        value = self._kept.get(key)
        if value is not None:
            self._kept.move_to_end(key)
        return value

    def add(self, key: Hashable, value: Value) -> None:
        """Remember an id found or added in the current batch."""
        self._fresh[key] = value

    def keep(self) -> None:
        """The last batch stood: its ids join the lasting memory."""
        for key, value in self._fresh.items():
            self._kept[key] = value
            self._kept.move_to_end(key)
        self._fresh.clear()
        while len(self._kept) > self.capacity:
            self._kept.popitem(last=False)

    def forget_fresh(self) -> None:
        """The last batch was rolled back: the ids it added are no longer true."""
        self._fresh.clear()


class CatalogueIds:
    """The ids an import remembers of images, issuers and badge classes."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.images: RowIds[int] = RowIds(capacity)
        self.issuers: RowIds[int] = RowIds(capacity)
        # A badge class's id and its image's id (a badge without a picture shows the class's).
        self.badge_classes: RowIds[tuple[int, int | None]] = RowIds(capacity)

    def keep(self) -> None:
        """The last batch stood."""
        for ids in (self.images, self.issuers, self.badge_classes):
            ids.keep()

    def forget_fresh(self) -> None:
        """The last batch was rolled back."""
        for ids in (self.images, self.issuers, self.badge_classes):
            ids.forget_fresh()
