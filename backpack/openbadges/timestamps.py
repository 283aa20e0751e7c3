"""Badge dates: the strict Open Badges 2.0 DateTime, and the upgrade of 1.x dates to it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

# A 2.0 DateTime is ISO 8601 with a time and a time zone (`Z` or an offset).
_HAS_TIME_AND_ZONE: Final = re.compile(r"T.*(Z|[+-]\d\d(:?\d\d)?)$", re.IGNORECASE)
_UNIX_TIME: Final = re.compile(r"^\s*\d+(\.\d+)?\s*$")


def parse_datetime(value: Any) -> datetime | None:
    """Return the aware datetime of a valid 2.0 DateTime string, or None if it is not one."""
    if not isinstance(value, str) or not _HAS_TIME_AND_ZONE.search(value.strip()):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None or not fits_in_utc(parsed):
        return None
    return parsed


def fits_in_utc(moment: datetime) -> bool:
    """Whether an aware datetime is still within years 1 to 9999 once moved to UTC.

    `0001-01-01T00:00:00+00:01` is a valid ISO string but a minute before year 1 in UTC:
    it can be neither compared nor stored, so it is no usable date."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return False
    return True


def upgrade_datetime(value: Any) -> str | None:
    """Return a 1.x date (Unix time, date only, no zone) as a 2.0 DateTime, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and _UNIX_TIME.match(value)):
        try:
            return datetime.fromtimestamp(float(value), UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    if parse_datetime(value) is not None:
        return value
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # A date or time without a zone is read as UTC, as the reference verifier does.
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()
