"""Badge Connect 2.1 as a consumer: what differs from the 3.0 API's pull (`ob3.py`).

The manifest at /.well-known/badgeconnect.json names the endpoints (Badgr redirected it to
`/bcv1/manifest/<domain>`, with `apiBase` `/bcv1` and `version` `v1p0`: both taken);
assertions come from `GET {apiBase}/assertions`, paged by `Link` (no `X-Total-Count`
needed), as `assertions` (2.0 assertions, verified again from their issuer) and
`signedAssertions` (JWS).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin, urlsplit

from importers.pull.core import PulledBadge
from importers.pull.endpoints import Endpoints, same_host
from importers.pull.remote import PullStopped, Remote

MANIFEST = "/.well-known/badgeconnect.json"
SCOPE_PREFIX = "https://purl.imsglobal.org/spec/ob/v2p1/scope/"
SCOPES = f"{SCOPE_PREFIX}assertion.readonly {SCOPE_PREFIX}profile.readonly"
VERSIONS = ("v2p1", "v1p0")
# Open Badges 2.1's scope for a refresh token.
OFFLINE_ACCESS = "offline_access"


def read_manifest(remote: Remote, root: str) -> Endpoints:
    """The endpoints of the Badge Connect API at `root`, each on its host."""
    url = root + MANIFEST
    document, _ = remote.get_json(url)
    apis = document.get("badgeConnectAPI") if isinstance(document, dict) else None
    api = apis[0] if isinstance(apis, list) and apis and isinstance(apis[0], dict) else None
    if api is None or not all(
        isinstance(api.get(name), str)
        for name in ("apiBase", "registrationUrl", "authorizationUrl", "tokenUrl")
    ):
        raise PullStopped(f"{url} is not a Badge Connect manifest.")
    if api.get("version") not in VERSIONS:
        raise PullStopped(f"{url} offers Badge Connect {api.get('version')}, not 2.1.")
    revocation = api.get("tokenRevocationUrl")
    named = {
        "API base": urljoin(url, api["apiBase"]),
        "registration": api["registrationUrl"],
        "authorization": api["authorizationUrl"],
        "token": api["tokenUrl"],
        "revocation": revocation if isinstance(revocation, str) else None,
    }
    for name, value in named.items():
        if value is not None and not same_host(value, root):
            raise PullStopped(
                f"The Badge Connect manifest of {urlsplit(root).hostname} names its {name} on"
                f" another host ({urlsplit(value).hostname}); nothing was sent there."
            )
    offered = api.get("scopesOffered")
    wanted = SCOPES.split()
    if isinstance(offered, list):
        wanted = [scope for scope in wanted if scope in offered] or wanted
        if OFFLINE_ACCESS in offered:  # a refresh token: later pulls renew, not re-ask
            wanted.append(OFFLINE_ACCESS)
    return Endpoints(
        str(named["API base"]).rstrip("/"),
        api["registrationUrl"],
        api["authorizationUrl"],
        api["tokenUrl"],
        named["revocation"],
        kind="badge-connect",
        scope=" ".join(wanted),
    )


def page_items(page: Any) -> list[PulledBadge]:
    """The assertions of one page of `GET /assertions`."""
    if not isinstance(page, dict):
        raise PullStopped("A page of assertions from the other backpack is not an object.")
    found: list[PulledBadge] = []
    for assertion in page.get("assertions") or []:
        if isinstance(assertion, dict):
            label = str(assertion.get("id") or "an assertion")[:200]
            found.append(PulledBadge(json.dumps(assertion, ensure_ascii=False), label))
    for signed in page.get("signedAssertions") or []:
        if isinstance(signed, str):
            found.append(PulledBadge(signed.strip(), "a signed assertion"))
    return found
