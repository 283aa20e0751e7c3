"""A pull from a backpack the earner already connected: the grants kept for its host are
read again (their access tokens renewed as needed, `tokens.py`), and consent is asked
there only for what no kept grant covers any more.

The web page and the shell both start a pull over an API through `connect`; what it
returns says whether the pull can start now or where the earner must consent first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backpack.extensions import db
from backpack.models import RemoteGrant, User
from backpack.services import remote_grants
from importers.pull import both_apis, ob3, tokens
from importers.pull.discovery import Spoken
from importers.pull.endpoints import same_host
from importers.pull.remote import PullStopped, PullUnauthorized, Remote


@dataclass
class Connection:
    """Either the grants to pull with now (`consent` None), or where the earner must
    consent first; `waiting` is a kept 3.0 grant held while Badge Connect is asked for."""

    grants: list[RemoteGrant] = field(default_factory=list)
    consent: str | None = None
    waiting: RemoteGrant | None = None
    # What the earner should know: a connection that had ended, an API not asked for.
    notes: list[str] = field(default_factory=list)


def connect(remote: Remote, user: User, spoken: Spoken) -> Connection:
    """How to pull from the 3.0 API or Badge Connect at `spoken`: with the grants kept for
    its host when they still hold, else after a consent there. PullStopped when the other
    side cannot be read (its discovery, its registration). Tokens renewed or forgotten are
    flushed, and must be committed whatever follows."""
    usable: dict[str, RemoteGrant] = {}
    notes: list[str] = []
    # Newest first: the first grant of each API is the connection (the others, if any,
    # were replaced).
    for grant in remote_grants.active_grants(user):
        kind = grant.client.api_kind
        if kind in usable or not same_host(grant.client.api_base, spoken.base):
            continue
        try:
            token = tokens.access_token(remote, grant)
            if grant.access_token_expires_at is None:
                _still_honoured(remote, grant, token)
        except tokens.GrantLost as exc:
            notes.append(f"Your connection to {exc.host} had ended ({exc.reason}).")
            continue
        usable[kind] = grant
    first = usable.get(spoken.kind)
    if first is None:
        return Connection(consent=_consent(remote, user, spoken.base, spoken.kind), notes=notes)
    if spoken.kind != "ob3":
        return Connection(grants=[first], notes=notes)
    if "badge-connect" in usable:
        return Connection(grants=[first, usable["badge-connect"]], notes=notes)
    # Its 2.0 badges, if it keeps any on Badge Connect, were never allowed (or that grant
    # ended): asked for now, as after a first consent; the 3.0 grant waits meanwhile.
    try:
        with db.session.begin_nested():
            follow = both_apis.badge_connect_after(remote, user, first)
    except PullStopped as exc:
        notes.append(f"Your 2.0 badges there cannot be asked for: {exc.message}")
        follow = None
    if follow is not None:
        return Connection(consent=follow, waiting=first, notes=notes)
    return Connection(grants=[first], notes=notes)


def _still_honoured(remote: Remote, grant: RemoteGrant, token: str) -> None:
    """For a token whose expiry was never said: ask the earner's profile there with it, and
    renew it when it is refused, so that an ended grant is found here (and consent asked
    again) rather than by the background pull. GrantLost when it cannot be renewed."""
    try:
        remote.get_json(f"{grant.client.api_base}/profile", token=token)
    except PullUnauthorized:
        tokens.renewed_token(remote, grant, refused=token)
    except PullStopped:
        pass  # anything else is the listing's to meet, and to report


def _consent(remote: Remote, user: User, root: str, kind: str) -> str:
    # In a savepoint: a registration that fails there undoes only itself, never a token
    # renewed just before (the other side has already ended the one it replaced).
    with db.session.begin_nested():
        return ob3.consent_address(remote, user, root, kind)
