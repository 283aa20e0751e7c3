"""A count with its noun in the right number: "1 badge", "3 badges", never "badge(s)"."""

from __future__ import annotations


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """The number and the noun it counts, singular for exactly one."""
    noun = singular if number == 1 else (plural or singular + "s")
    return f"{number} {noun}"


def were(number: int) -> str:
    """The verb that agrees with a count: "was" for one, "were" for any other number."""
    return "was" if number == 1 else "were"
