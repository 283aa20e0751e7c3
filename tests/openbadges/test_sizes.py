"""Sizes in messages read as people say them."""

from __future__ import annotations

import pytest

from backpack.openbadges.sizes import size_in_words


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1023, "1023 bytes"),
        (1024, "1 KB"),
        (640 * 1024, "640 KB"),
        (1536, "1.5 KB"),
        (2 * 1024 * 1024, "2 MB"),
        (3_145_728, "3 MB"),
        (int(3.5 * 1024 * 1024), "3.5 MB"),
        (16 * 1024 * 1024 + 1, "16 MB"),
    ],
)
def test_sizes_are_said_in_bytes_kb_or_mb(count: int, words: str) -> None:
    assert size_in_words(count) == words
