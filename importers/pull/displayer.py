"""Mozilla's Displayer API as a source: only what the earner published there, no OAuth.

Asked only with the earner's verified addresses (`convert/email` gives the user id behind
one), then the published groups and their badges. Each badge is verified again from its
`hostedUrl` (the issuer's copy), or else from the baked `imageUrl`; the `assertion` the
Displayer shows beside it is a view, not a badge, and is never trusted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from importers.pipeline import SourceFailure
from importers.pull.core import PulledBadge
from importers.pull.remote import PullStopped, Remote


def displayer_base(address: str) -> str:
    """The API's base from what the earner typed: a host, or the API's own address."""
    base = address.strip().rstrip("/")
    if "://" not in base:
        base = "https://" + base
    if not urlsplit(base).path.rstrip("/"):
        base += "/displayer"
    return base


def list_badges(
    remote: Remote, base: str, addresses: list[str]
) -> list[PulledBadge | SourceFailure]:
    """Every badge the earner published there under any of their verified addresses."""
    listed: list[PulledBadge | SourceFailure] = []
    seen: set[str] = set()
    for user_id in _user_ids(remote, base, addresses):
        groups, _ = remote.get_json(f"{base}/{quote(user_id)}/groups.json")
        for group_id in _group_ids(groups):
            page, _ = remote.get_json(f"{base}/{quote(user_id)}/group/{quote(group_id)}.json")
            for badge in _badges(page):
                reference = _reference(badge, base)
                if reference is None:
                    key = f"group:{group_id}:{len(listed)}"
                    listed.append(SourceFailure("badges", key, NO_REFERENCE))
                elif reference not in seen:
                    seen.add(reference)
                    listed.append(PulledBadge(reference, reference))
                if len(listed) > remote.limits.items:
                    raise PullStopped(
                        f"The other backpack listed more than {remote.limits.items} badges;"
                        " the pull stopped."
                    )
    return listed


NO_REFERENCE = (
    "The Displayer listed this badge without a hosted URL or an image on another host: it"
    " cannot be verified from its issuer."
)


def _user_ids(remote: Remote, base: str, addresses: list[str]) -> list[str]:
    found: list[str] = []
    for address in addresses:
        try:
            answer, _ = remote.post_json(f"{base}/convert/email", {"email": address})
        except PullStopped as exc:
            if "HTTP 404" in exc.message:
                continue  # this address is not known there (or not published): the next
            raise
        user_id = answer.get("userId") if isinstance(answer, dict) else None
        if isinstance(user_id, (int, str)) and str(user_id) not in found:
            found.append(str(user_id))
    if not found:
        raise PullStopped(
            "The Displayer knows none of your verified addresses, or shows none of their"
            " badges publicly."
        )
    return found


def _group_ids(document: Any) -> list[str]:
    groups = document.get("groups") if isinstance(document, dict) else None
    if not isinstance(groups, list):
        raise PullStopped("The Displayer's list of groups is not one.")
    return [
        str(group["groupId"])
        for group in groups
        if isinstance(group, dict) and isinstance(group.get("groupId"), (int, str))
    ]


def _badges(document: Any) -> list[Any]:
    badges = document.get("badges") if isinstance(document, dict) else None
    if not isinstance(badges, list):
        raise PullStopped("A group the Displayer listed holds no list of badges.")
    return badges


def _reference(badge: Any, base: str) -> str | None:
    """Where the badge is verified from: its hosted assertion, or its baked image."""
    if not isinstance(badge, dict):
        return None
    for name in ("hostedUrl", "imageUrl"):
        value = badge.get(name)
        if isinstance(value, str) and value.startswith(("https://", "http://")):
            return value
    return None
