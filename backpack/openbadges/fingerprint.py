"""What identifies one award of one badge, however it arrives (upload, URL, push, import)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def badge_fingerprint(assertion: Mapping[str, Any]) -> str:
    """The stable key of one award in a normalised assertion: two copies of the same award
    have the same fingerprint, whichever way they came in."""
    assertion_id = assertion.get("id")
    if isinstance(assertion_id, str) and assertion_id.startswith(("http://", "https://")):
        key = assertion_id
    else:
        badge = assertion.get("badge") or {}
        badge_id = badge.get("id") if isinstance(badge, dict) else badge
        recipient = assertion.get("recipient") or {}
        key = json.dumps(
            [assertion_id, badge_id, recipient.get("identity"), assertion.get("issuedOn")],
            sort_keys=True,
        )
    return hashlib.sha256(key.encode()).hexdigest()
