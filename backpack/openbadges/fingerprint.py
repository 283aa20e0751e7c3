"""What identifies one award of one badge, however it arrives (upload, URL, push, import)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote


def badge_fingerprint(assertion: Mapping[str, Any]) -> str:
    """The stable key of one award in a normalised assertion: two copies of the same award
    have the same fingerprint, whichever way they came in.

    An Open Badges 3.0 credential (its stored view, OB3-SHAPES) is the same award as another
    when the spec's equality says so: the same issuer id and credential id, each compared
    after percent-unescaping and trimming. Earlier versions: the assertion's http id, else
    its id, badge class, recipient and issue date together.
    """
    credential_key = _credential_key(assertion)
    if credential_key is not None:
        key = json.dumps(["3.0", *credential_key])
    elif isinstance(assertion.get("id"), str) and assertion["id"].startswith(
        ("http://", "https://")
    ):
        key = assertion["id"]
    else:
        badge = assertion.get("badge") or {}
        badge_id = badge.get("id") if isinstance(badge, dict) else badge
        recipient = assertion.get("recipient") or {}
        key = json.dumps(
            [assertion.get("id"), badge_id, recipient.get("identity"), assertion.get("issuedOn")],
            sort_keys=True,
        )
    return hashlib.sha256(key.encode()).hexdigest()


def is_credential_view(assertion: Mapping[str, Any]) -> bool:
    """Whether a stored assertion is the view of an Open Badges 3.0 credential."""
    return isinstance(assertion.get("credential"), Mapping)


def _credential_key(assertion: Mapping[str, Any]) -> tuple[str, str] | None:
    """Issuer id and credential id of a 3.0 credential's view, as the spec compares them;
    None for an earlier version, or a credential without both ids (then it is keyed like
    an assertion without an http id, by its content)."""
    if not is_credential_view(assertion):
        return None
    credential = assertion["credential"]
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    credential_id = credential.get("id", assertion.get("id"))
    if not isinstance(issuer_id, str) or not isinstance(credential_id, str):
        return None
    issuer_id, credential_id = _comparable(issuer_id), _comparable(credential_id)
    if not issuer_id or not credential_id:
        return None
    return issuer_id, credential_id


def _comparable(identifier: str) -> str:
    # The spec's equality (Open Badges 3.0, "Equality and comparison"): unescape, then trim.
    return unquote(identifier).strip()
