"""Ids of shared rows (images, issuers, badge classes) found or added during one batch.

Hundreds of badges in a batch name the same few badge classes: each is looked up or added
once, and the rest of the batch reuses its id. The ids live only as long as the batch.
Kept across batches, they could outlive their rows (a web request deletes an orphaned
badge class, and SQLite hands its id to the next new row), and a lookup per batch is one
query whatever the batch size, so there is nothing worth the risk to save.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class RowIds(Generic[Value]):
    """A map from a row's natural key to its id (or ids), for one batch."""

    def __init__(self) -> None:
        self._ids: dict[Hashable, Value] = {}

    def get(self, key: Hashable) -> Value | None:
        """The id found or added for `key` in this batch, if any."""
        return self._ids.get(key)

    def add(self, key: Hashable, value: Value) -> None:
        """Remember an id found or added in this batch."""
        self._ids[key] = value


class CatalogueIds:
    """The ids one batch has found or added of images, issuers and badge classes."""

    def __init__(self) -> None:
        self.images: RowIds[int] = RowIds()
        self.issuers: RowIds[int] = RowIds()
        # A badge class's id and its image's id (a badge without a picture shows the class's).
        self.badge_classes: RowIds[tuple[int, int | None]] = RowIds()
