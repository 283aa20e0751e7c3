"""A backpack that speaks both the Open Badges 3.0 API and Badge Connect 2.1.

Such a host (this server is one) serves an earner's 3.0 credentials on the 3.0 API only
and their 2.0 badges on Badge Connect only, so a pull that asked one API alone would
leave half of them behind. The pull therefore asks both, one consent after the other in
the earner's browser (3.0 first, as discovery found it), and reads both grants in one job;
a badge listed on both is kept once by the intake.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from backpack.models import RemoteGrant, User
from backpack.services import remote_grants
from importers.pull import badge_connect, ob3
from importers.pull.endpoints import same_host
from importers.pull.remote import PullStopped, Remote


def root_of(api_base: str) -> str:
    """The scheme and host (with port) an API base is on."""
    parts = urlsplit(api_base)
    return f"{parts.scheme}://{parts.netloc}"


def badge_connect_after(remote: Remote, user: User, grant: RemoteGrant) -> str | None:
    """Where to ask the earner's consent for Badge Connect at the host whose 3.0 API
    `grant` reads, when that host has a Badge Connect manifest; None when it has none
    (or `grant` is not for a 3.0 API). PullStopped when the manifest is there but unusable
    (another host's endpoints, a failing registration)."""
    if grant.client.api_kind != "ob3":
        return None
    root = root_of(grant.client.api_base)
    try:
        remote.get_json(root + badge_connect.MANIFEST)
    except PullStopped:
        return None  # it speaks the 3.0 API only: nothing more to ask
    return ob3.consent_address(remote, user, root, "badge-connect")


def first_leg(user: User, grant_id: object, second: RemoteGrant) -> RemoteGrant | None:
    """The 3.0 grant the earner allowed just before `second` (a Badge Connect grant at the
    same host), when it is still theirs and active; None otherwise."""
    if not isinstance(grant_id, int) or second.client.api_kind != "badge-connect":
        return None
    first = remote_grants.active_grant(user, grant_id, "ob3")
    if first is None or not same_host(first.client.api_base, root_of(second.client.api_base)):
        return None
    return first
