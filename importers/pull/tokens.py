"""The tokens of an earner's grant at another backpack: traded for the consent's code,
renewed with the refresh token (RFC 6749 section 6) when the access token has expired or
is refused, and kept sealed. A pull from a backpack the earner already connected thus
reads with the kept grant, without sending them through the consent page again.

A refresh that is refused (invalid_grant, a revoked grant, no refresh token kept) ends the
grant here: its tokens are forgotten, and the next pull asks consent as the first did. A
refresh that fails for now (the other backpack down, slow or failing) keeps the grant. A
rotated refresh token replaces the kept one at once, since the other side has already
ended the old.

Every request goes through the pull's `Remote` (the app's safe fetcher, capped). The client
authenticates as it registered (`remote_grants.authenticated_form`, shared with revoking);
Authlib reads when an answer's access token expires.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from authlib.oauth2.rfc6749 import OAuth2Token

from backpack.extensions import db
from backpack.models import RemoteClient, RemoteGrant
from backpack.models.base import utcnow
from backpack.services import remote_grants
from backpack.services.sealing import seal, unseal
from importers.pull.remote import PullAnswered, PullStopped, Remote

# The ways of client authentication at a token endpoint this client can use (RFC 7591).
AUTH_METHODS: Final = ("client_secret_basic", "client_secret_post")
# A token this close to its end is renewed before the pull rather than refused during it.
LEEWAY: Final = timedelta(seconds=60)
# The OAuth errors (RFC 6749 5.2) with which a token endpoint says a grant is over for good.
GRANT_ENDED: Final = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})


class GrantLost(PullStopped):
    """The other backpack no longer honours a kept grant: its tokens were forgotten here,
    and the earner must allow access there again."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(
            f"Your connection to {host} has ended ({reason}), so it was forgotten here."
            ' Start the pull again from "Bring badges from another backpack" and allow'
            " access there again."
        )
        self.host, self.reason = host, reason


def auth_method(answer: Any) -> str:
    """How the client authenticates at the token endpoint, from its registration answer:
    what the other side chose, when this client can do it; else Basic, as it asked."""
    chosen = answer.get("token_endpoint_auth_method") if isinstance(answer, dict) else None
    return chosen if chosen in AUTH_METHODS else "client_secret_basic"


def token_request(
    remote: Remote, client: RemoteClient, grant_type: str, **params: str
) -> dict[str, Any]:
    """Ask the token endpoint for tokens (authenticated as the client registered); the
    answer, which holds an access token, or PullStopped."""
    secret = unseal(client.client_secret_sealed)
    if secret is None:
        raise PullStopped("This server's registration there can no longer be read.")
    url = str(client.endpoints["token"])
    body, authorization = remote_grants.authenticated_form(
        client, {"grant_type": grant_type, **params}, secret
    )
    answer, _ = remote.post_form(url, body, authorization=authorization)
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise PullStopped("The other backpack's token endpoint gave no access token.")
    return dict(answer)


def keep_tokens(grant: RemoteGrant, answer: dict[str, Any]) -> None:
    """Seal and keep a token answer's access token, its expiry and scope, and its refresh
    token when it gave one (rotation); a refresh that gives none keeps the one held."""
    grant.access_token_sealed = seal(str(answer["access_token"]))
    refresh = answer.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        grant.refresh_token_sealed = seal(refresh)
    grant.access_token_expires_at = _expiry(answer)
    if isinstance(answer.get("scope"), str):
        grant.scope = answer["scope"][:2000]
    db.session.flush()


def access_token(remote: Remote, grant: RemoteGrant) -> str:
    """The grant's access token to read with: the kept one while it lasts, else renewed;
    PullStopped when the grant is not active, GrantLost when it cannot be renewed."""
    if grant.status != "active":
        raise PullStopped("This backpack is no longer connected: connect it again.")
    token = unseal(grant.access_token_sealed or "")
    if token is None:  # sealed under another SECRET_KEY, or never given
        remote_grants.forget_lost_grant(grant)
        raise GrantLost(remote_grants.remote_host(grant), "its token can no longer be read here")
    if _expiring(grant):
        return renewed_token(remote, grant)
    return token


def renewed_token(remote: Remote, grant: RemoteGrant, *, refused: str | None = None) -> str:
    """A new access token for the grant, from the refresh token (kept, with the rotated
    refresh token); GrantLost, the grant forgotten, when it is refused.

    `refused` is the access token the other side just refused, if that is why. The grant's
    row is held while it is renewed: a request that renewed it meanwhile (a double click)
    has left a new token, which is taken instead of spending a refresh token already spent
    (a server that rotates them would take that for theft and end the grant).
    """
    remote_grants.hold_for_renewal(grant)
    if grant.status != "active":
        raise PullStopped("This backpack is no longer connected: connect it again.")
    current = unseal(grant.access_token_sealed or "")
    if current is not None and current != refused and not _expiring(grant):
        db.session.commit()  # the hold ends: nothing to renew
        return current
    host = remote_grants.remote_host(grant)
    refresh = unseal(grant.refresh_token_sealed or "")
    # Never renewable from here: no refresh token, or this server's registration there
    # sealed under another SECRET_KEY (waiting for "later" would never end).
    if refresh is None or unseal(grant.client.client_secret_sealed) is None:
        remote_grants.forget_lost_grant(grant)
        db.session.commit()
        why = (
            "it gave no way to renew it"
            if refresh is None
            else "this server's registration there can no longer be read here"
        )
        raise GrantLost(host, why)
    try:
        answer = token_request(remote, grant.client, "refresh_token", refresh_token=refresh)
    except PullAnswered as exc:
        if exc.oauth_error not in GRANT_ENDED:
            # A 403 page of a firewall, a 404 of a bad deploy: no word on the grant itself.
            raise _not_renewed_now(host, exc) from exc
        remote_grants.forget_lost_grant(grant)
        db.session.commit()
        raise GrantLost(host, exc.message.rstrip(".")) from exc
    except PullStopped as exc:
        # Down, slow, busy or confused for now: the grant is kept for the next try.
        raise _not_renewed_now(host, exc) from exc
    keep_tokens(grant, answer)
    # Kept at once, whatever this request does next: the other side has already ended the
    # tokens these replace. (It also ends the row's hold, and SQLite's write lock.)
    db.session.commit()
    return str(answer["access_token"])


def _not_renewed_now(host: str, exc: PullStopped) -> PullStopped:
    return PullStopped(
        f"The connection to {host} could not be renewed just now ({exc.message.rstrip('.')})."
        " It is kept: try the pull again later."
    )


def _expiring(grant: RemoteGrant) -> bool:
    expires = grant.access_token_expires_at
    return expires is not None and expires - LEEWAY <= utcnow()


def _expiry(answer: dict[str, Any]) -> datetime | None:
    """When the answer's access token ends; None when it does not say (or says nonsense)."""
    try:
        expires_at = OAuth2Token(dict(answer)).get("expires_at")
        return datetime.fromtimestamp(expires_at, UTC) if isinstance(expires_at, int) else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None
