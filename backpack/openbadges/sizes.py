"""Sizes in the words people read them in ("2 MB", "3.5 MB", "640 KB"), for messages."""

from __future__ import annotations

KIB = 1024
MIB = 1024 * 1024


def size_in_words(count: int) -> str:
    """A byte count as people read it: bytes below a KB, then KB, then MB (powers of 1024)."""
    if count < KIB:
        return f"{count} bytes" if count != 1 else "1 byte"
    if count < MIB:
        return f"{_trimmed(count / KIB)} KB"
    return f"{_trimmed(count / MIB)} MB"


def _trimmed(value: float) -> str:
    # One decimal where it says something: "2 MB", "3.5 MB"; never "2.0 MB" or "2.04 MB".
    rounded = round(value, 1)
    return f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}"
