"""Issuer revocation lists, which revoke signed badges (hosted ones answer 410 instead).

A 1.x issuer's `revocationList` is a JSON object mapping each revoked assertion's uid (or,
from 1.1, its id) to a reason. A 2.0 issuer's is a RevocationList whose
`revokedAssertions` holds ids, or objects with an `id` (or legacy `uid`) and a
`revocationReason`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backpack.openbadges.errors import FetchError, OpenBadgesError
from backpack.openbadges.issuer_resources import IssuerResources, record_unavailable
from backpack.openbadges.parse import detect_version
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.upgrades import upgrade_node

_WHAT = "the issuer's revocation list"


class _Malformed(Exception):
    """The revocation list cannot be read."""


def check_revocation_list(
    assertion: Mapping[str, Any],
    issuer: Mapping[str, Any],
    resources: IssuerResources,
    report: VerificationReport,
) -> None:
    """Report the badge revoked if its issuer's revocation list names it."""
    location = issuer.get("revocationList")
    if location is None:
        return
    try:
        if isinstance(location, dict):
            document, url = location, str(location.get("id", ""))
        elif isinstance(location, str):
            document, response = resources.json_document(location, _WHAT)
            url = response.url
        else:
            raise _Malformed
        revoked, reason = _find(document, url, assertion.get("id"), assertion.get("uid"))
    except FetchError as error:
        record_unavailable(error, report)
        return
    except (_Malformed, OpenBadgesError):
        report.error(
            "invalid_revocation_list",
            "The issuer's revocation list cannot be read, so the badge may have been revoked.",
        )
        return
    if revoked:
        report.revoked = True
        report.error("revoked", revocation_message(reason))


def revocation_message(reason: Any) -> str:
    """Return the sentence saying a badge is revoked, with the issuer's reason if any."""
    if isinstance(reason, str) and reason.strip():
        return f"Revoked by the issuer: {reason.strip()}"
    return "Revoked by the issuer (no reason given)."


def _find(document: Any, url: str, assertion_id: Any, uid: Any) -> tuple[bool, Any]:
    if not isinstance(document, dict):
        raise _Malformed
    names = {str(n) for n in (assertion_id, uid) if n is not None}
    if "@context" not in document and "revokedAssertions" not in document:
        # 1.x: {"<uid or id>": "<reason>"}
        for name in names:
            if name in document:
                return True, document[name]
        return False, None
    node = upgrade_node(document, detect_version(document), kind="Other", url=url or None)
    entries = node.get("revokedAssertions")
    if entries is None:
        raise _Malformed
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, str):
            if entry in names:
                return True, None
        elif isinstance(entry, dict):
            listed = {str(entry[key]) for key in ("id", "uid") if entry.get(key) is not None}
            if listed & names:
                return True, entry.get("revocationReason")
        else:
            raise _Malformed
    return False, None
