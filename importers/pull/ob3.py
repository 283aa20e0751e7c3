"""The Open Badges 3.0 API as a service consumer: discovery, dynamic registration (one per
API, cached), authorization with PKCE S256 in the earner's browser, the token (renewed
on later pulls, `tokens.py`), then `GET /credentials` following `Link` and `GET /profile`.

Every request goes through the pull's `Remote` (the app's one safe fetcher, capped). The
discovery document is the other side's word: every endpoint it names must be on its own
host, or the pull ends before anything is sent there, least of all the earner's code.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from backpack.extensions import db
from backpack.links import external_url
from backpack.models import RemoteClient, RemoteGrant, User
from backpack.models.base import utcnow
from backpack.services import remote_grants
from backpack.services.app_context import settings
from backpack.services.sealing import unseal
from importers.pull import badge_connect, tokens, verbatim
from importers.pull.core import PulledBadge
from importers.pull.endpoints import Endpoints, same_host
from importers.pull.remote import PullStopped, PullUnauthorized, Remote

SCOPE_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
SCOPES = f"{SCOPE_PREFIX}credential.readonly {SCOPE_PREFIX}profile.readonly"
PAGE_SIZE = 100
# How long a consent asked for may be answered.
CONSENT_WAIT = timedelta(hours=1)
SOFTWARE_ID = "backpack-pull"
SOFTWARE_VERSION = "1"
_LINK = re.compile(r'<([^>]*)>\s*;[^,]*?rel="?([^",;]+)"?')


def read_discovery(remote: Remote, root: str) -> Endpoints:
    """The endpoints of the 3.0 API at `root` (scheme and host), from its discovery."""
    url = f"{root}/ims/ob/v3p0/discovery"
    document, _ = remote.get_json(url)
    try:
        scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
        flow = scheme["flows"]["authorizationCode"]
        named = {
            "registration": scheme["x-imssf-registrationUrl"],
            "authorization": flow["authorizationUrl"],
            "token": flow["tokenUrl"],
        }
    except (KeyError, TypeError):
        raise PullStopped(f"{url} is not an Open Badges 3.0 discovery document.") from None
    servers = document.get("servers") if isinstance(document, dict) else None
    base = (
        servers[0].get("url")
        if isinstance(servers, list) and servers and isinstance(servers[0], dict)
        else None
    )
    api_base = urljoin(url, str(base)) if isinstance(base, str) else f"{root}/ims/ob/v3p0"
    revocation = (
        scheme.get("x-imssf-revocationUrl")
        or flow.get("revocationUrl")
        or metadata_revocation(remote, root)
    )
    for name, value in [*named.items(), ("API base", api_base), ("revocation", revocation)]:
        if value is not None and not same_host(str(value), root):
            raise PullStopped(
                f"The discovery document of {urlsplit(root).hostname} names its {name} on"
                f" another host ({urlsplit(str(value)).hostname}); nothing was sent there."
            )
    offered = flow.get("scopes")
    # The scope that gives a refresh token (Open Badges 2.1 defines it; this server's 3.0
    # API offers it too): asked for when offered, so a later pull renews rather than re-asks.
    offline = isinstance(offered, dict) and badge_connect.OFFLINE_ACCESS in offered
    return Endpoints(
        api_base.rstrip("/"),
        str(named["registration"]),
        str(named["authorization"]),
        str(named["token"]),
        str(revocation) if revocation else None,
        scope=f"{SCOPES} {badge_connect.OFFLINE_ACCESS}" if offline else SCOPES,
    )


def metadata_revocation(remote: Remote, root: str) -> str | None:
    """The token revocation endpoint (RFC 7009) named by the host's RFC 8414 metadata.

    The 3.0 discovery document has no field for one, so without this a disconnect could
    only forget the tokens here while they stay live there (as at a backpack like this one,
    which names it only in its metadata). A host without metadata, or naming an endpoint
    elsewhere, has none: that is no reason to stop the pull.
    """
    try:
        document, _ = remote.get_json(f"{root}/.well-known/oauth-authorization-server")
    except PullStopped:
        return None
    endpoint = document.get("revocation_endpoint") if isinstance(document, dict) else None
    return endpoint if isinstance(endpoint, str) and same_host(endpoint, root) else None


def redirect_uri() -> str:
    """Where the other backpack sends the earner back with a code."""
    return external_url("pulls.callback")


def client_for(remote: Remote, endpoints: Endpoints) -> RemoteClient:
    """This server's registration at that API, registering the first time (RFC 7591)."""
    held = remote_grants.remote_client_at(endpoints.api_base)
    if held is not None:
        return held
    home = external_url("main.index")
    metadata = {
        # What the other backpack's consent page names: this server as its people know it.
        "client_name": settings().site_name,
        "client_uri": home,
        "logo_uri": urljoin(home, "/static/favicon.svg"),
        "tos_uri": home,
        "policy_uri": home,
        "software_id": SOFTWARE_ID,
        "software_version": SOFTWARE_VERSION,
        "redirect_uris": [redirect_uri()],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": endpoints.scope,
    }
    answer, _ = remote.post_json(endpoints.registration, metadata)
    client_id = answer.get("client_id") if isinstance(answer, dict) else None
    client_secret = answer.get("client_secret") if isinstance(answer, dict) else None
    if not isinstance(client_id, str) or not isinstance(client_secret, str):
        raise PullStopped("The other backpack's registration gave no client id and secret.")
    # The token requests (the code's, each refresh's) authenticate as it was registered.
    kept = endpoints.as_dict() | {"token_endpoint_auth_method": tokens.auth_method(answer)}
    return remote_grants.keep_remote_client(
        endpoints.api_base, endpoints.kind, kept, client_id, client_secret
    )


def begin_authorization(user: User, client: RemoteClient) -> str:
    """A pending grant, and the address that asks the earner's consent over there."""
    scope = str(client.endpoints.get("scope") or SCOPES)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    remote_grants.ask_grant(user, client, state, verifier, scope)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": redirect_uri(),
            "scope": scope,
            "state": state,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    authorization = str(client.endpoints["authorization"])
    return f"{authorization}{'&' if '?' in authorization else '?'}{query}"


def consent_address(remote: Remote, user: User, root: str, kind: str = "ob3") -> str:
    """Register at the API at `root` (the 3.0 API, or Badge Connect: once per API) and
    return the page that asks the earner's consent there; the pending grant waits for
    their return."""
    if kind == "badge-connect":
        endpoints = badge_connect.read_manifest(remote, root)
    else:
        endpoints = read_discovery(remote, root)
    return begin_authorization(user, client_for(remote, endpoints))


def pending_grant(user: User, state: str) -> RemoteGrant | None:
    """The user's grant waiting for this state, if it was asked for lately."""
    return remote_grants.pending_grant(user, state, utcnow() - CONSENT_WAIT)


def finish_authorization(remote: Remote, grant: RemoteGrant, code: str) -> None:
    """Trade the code for tokens (PKCE verifier, client auth as registered); the grant is
    active."""
    verifier = unseal(grant.code_verifier_sealed or "")
    if verifier is None:
        raise PullStopped("This authorization can no longer be finished: start again.")
    # Single use: whatever the answer, this state and verifier are spent.
    grant.state_hash, grant.code_verifier_sealed = None, None
    answer = tokens.token_request(
        remote,
        grant.client,
        "authorization_code",
        code=code,
        redirect_uri=redirect_uri(),
        scope=grant.scope,
        code_verifier=verifier,
    )
    grant.refresh_token_sealed = None  # only the one this answer gives, if any
    tokens.keep_tokens(grant, answer)
    grant.status, grant.authorized_at = "active", utcnow()
    db.session.flush()
    # One connection per backpack: the one it replaces is ended (there too, if it can be).
    remote_grants.revoke_replaced_grants(grant)


def list_credentials(remote: Remote, grant: RemoteGrant) -> list[PulledBadge]:
    """Every credential the grant reads there, page after page, then the profile; its
    access token renewed first when it has expired, or when it is refused."""
    token = tokens.access_token(remote, grant)
    try:
        return _listed(remote, grant, token)
    except PullUnauthorized:
        # Ended there before its time (or its expiry was never said): renewed once.
        return _listed(remote, grant, tokens.renewed_token(remote, grant, refused=token))


def _listed(remote: Remote, grant: RemoteGrant, token: str) -> list[PulledBadge]:
    base = grant.client.api_base
    connect = grant.client.api_kind == "badge-connect"
    query = urlencode({"limit": PAGE_SIZE, "offset": 0})
    url: str | None = f"{base}/{'assertions' if connect else 'credentials'}?{query}"
    seen: set[str] = set()
    listed: list[PulledBadge] = []
    while url is not None:
        if url in seen:
            raise PullStopped("The other backpack's pages lead back to one already read.")
        seen.add(url)
        page, headers, text = remote.get_json_text(url, token=token)
        listed += badge_connect.page_items(page) if connect else _credentials(page, text)
        if len(listed) > remote.limits.items:
            raise PullStopped(
                f"The other backpack listed more than {remote.limits.items} credentials;"
                " the pull stopped."
            )
        url = _next(url, headers.get("link", ""), base)
    remote.get_json(f"{base}/profile", token=token)  # the earner's profile there answers
    return listed


def _credentials(page: Any, text: str) -> list[PulledBadge]:
    if not isinstance(page, dict):
        raise PullStopped("A page of credentials from the other backpack is not an object.")
    found: list[PulledBadge] = []
    listed = page.get("credential")
    listed = listed if isinstance(listed, list) else []
    # Each credential as the other backpack sent it, cut from the page; serialised again
    # only when the page's text cannot be cut so (then it is still the same credential).
    spans = verbatim.array_members(text, "credential")
    if spans is None or len(spans) != len(listed):
        spans = [json.dumps(credential, ensure_ascii=False) for credential in listed]
    for credential, span in zip(listed, spans, strict=True):
        if isinstance(credential, dict):
            found.append(PulledBadge(span, _name(credential)))
    # The schema's name, and the spelling api.html (and real servers) use.
    for name in ("compactJwsString", "compactJwsStrings"):
        for jws in page.get(name) or []:
            if isinstance(jws, str):
                found.append(PulledBadge(jws.strip(), "a signed credential"))
    return found


def _next(current: str, link: str, base: str) -> str | None:
    for target, rel in _LINK.findall(link):
        if rel.strip().lower() == "next":
            following: str = urljoin(current, str(target).strip())
            if not same_host(following, base):
                raise PullStopped(
                    "The other backpack's next page is on another host; the earner's token"
                    " was not sent there."
                )
            return following
    return None


def _name(credential: dict[str, Any]) -> str:
    name = credential.get("name")
    return str(name)[:200] if isinstance(name, str) else str(credential.get("id", ""))[:200]
