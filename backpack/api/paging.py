"""Paging shared by the badge exchange APIs: their query arguments, and the `Link` header
both specify."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import request

from backpack.links import external_url


def page_links(endpoint: str, limit: int, offset: int, total: int) -> str:
    """`Link` with first and last always, next while incomplete and prev past the start.

    The request's other query parameters (`since`) are kept, so every page is of one list.
    """

    def link(at: int, rel: str) -> str:
        query = {k: v for k, v in request.args.items() if k not in ("limit", "offset")}
        query.update(limit=str(limit), offset=str(at))
        return f'<{external_url(endpoint)}?{urlencode(query)}>; rel="{rel}"'

    last = max(0, (total - 1) // limit * limit)
    rels = [link(0, "first"), link(last, "last")]
    if offset + limit < total:
        rels.append(link(offset + limit, "next"))
    if offset > 0:
        rels.append(link(max(0, offset - limit), "prev"))
    return ", ".join(rels)


def int_arg(
    name: str, default: int, low: int, high: int, *, invalid: Callable[[str], Exception]
) -> int:
    """A whole-number query argument within bounds; `invalid(reason)` is raised otherwise
    (each API answers in its own error format)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    # isdigit() alone admits digits such as "²" that int() refuses.
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise invalid(f"{name} must be a whole number from {low} to {high}.")
    return int(raw)


def timestamp_arg(name: str, raw: str, *, invalid: Callable[[str], Exception]) -> datetime:
    """An ISO 8601 query argument as an aware UTC datetime; `invalid(reason)` otherwise."""
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        # Normalised to UTC here, where an offset at the edge of the calendar overflows.
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise invalid(f"{name} must be an ISO 8601 date and time.") from None
