"""The other backpacks this server reads for an earner: its registrations at their APIs,
the earners' grants there (asked for, found again, listed), and revoking.

A grant's tokens change as the pulls renew them (`importers/pull/tokens.py`: a rotated
refresh token replaces the one kept), so revoking always sends the ones kept last.

Revoking forgets the tokens here and, when the other side has a revocation endpoint
(RFC 7009), asks it to end them too; an answer that does not come does not stop the
revocation here.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import RemoteClient, RemoteGrant, User
from backpack.models.oauth import token_digest
from backpack.openbadges import OpenBadgesError
from backpack.services.app_fetcher import app_fetcher
from backpack.services.sealing import seal, unseal

log = logging.getLogger(__name__)


def active_grants(user: User) -> list[RemoteGrant]:
    """The user's authorized pulls from other backpacks, newest first."""
    return list(
        db.session.scalars(
            sa.select(RemoteGrant)
            .where(RemoteGrant.user_id == user.id, RemoteGrant.status == "active")
            .order_by(RemoteGrant.authorized_at.desc())
        )
    )


def remote_client_at(api_base: str) -> RemoteClient | None:
    """This server's registration at the API at `api_base`, if it registered there."""
    return db.session.scalar(sa.select(RemoteClient).where(RemoteClient.api_base == api_base))


def keep_remote_client(
    api_base: str, api_kind: str, endpoints: dict[str, Any], client_id: str, client_secret: str
) -> RemoteClient:
    """Keep this server's new registration at an API, its secret sealed."""
    client = RemoteClient(
        api_base=api_base,
        api_kind=api_kind,
        endpoints=endpoints,
        client_id=client_id[:255],
        client_secret_sealed=seal(client_secret),
    )
    db.session.add(client)
    db.session.flush()
    return client


def ask_grant(
    user: User, client: RemoteClient, state: str, code_verifier: str, scope: str
) -> RemoteGrant:
    """A grant pending the earner's consent at that API; `state` finds it on their return."""
    grant = RemoteGrant(
        user_id=user.id,
        client_id=client.id,
        state_hash=token_digest(state),
        code_verifier_sealed=seal(code_verifier),
        scope=scope,
    )
    db.session.add(grant)
    db.session.flush()
    return grant


def pending_grant(user: User, state: str, asked_after: datetime) -> RemoteGrant | None:
    """The user's grant waiting for the consent asked with this state after `asked_after`."""
    return db.session.scalar(
        sa.select(RemoteGrant).where(
            RemoteGrant.state_hash == token_digest(state),
            RemoteGrant.user_id == user.id,
            RemoteGrant.status == "pending",
            RemoteGrant.created_at > asked_after,
        )
    )


def grant_of(user: User, grant_id: int) -> RemoteGrant | None:
    """One of the user's grants, whatever its status; None for another user's."""
    grant = db.session.get(RemoteGrant, grant_id)
    return grant if grant is not None and grant.user_id == user.id else None


def active_grant(user: User, grant_id: int, api_kind: str) -> RemoteGrant | None:
    """One of the user's active grants, at an API of this kind ("ob3", "badge-connect")."""
    return db.session.scalar(
        sa.select(RemoteGrant)
        .join(RemoteClient)
        .where(
            RemoteGrant.id == grant_id,
            RemoteGrant.user_id == user.id,
            RemoteGrant.status == "active",
            RemoteClient.api_kind == api_kind,
        )
    )


def forget_asked_grant(grant: RemoteGrant) -> None:
    """Drop a grant that was asked for and never given (refused, or its code not traded):
    nothing is held at the other side to revoke."""
    db.session.delete(grant)


def revoke_replaced_grants(grant: RemoteGrant) -> None:
    """End the earner's other active grants at the same API (one connection per backpack),
    there too where it can be."""
    older = db.session.scalars(
        sa.select(RemoteGrant).where(
            RemoteGrant.user_id == grant.user_id,
            RemoteGrant.client_id == grant.client_id,
            RemoteGrant.status == "active",
            RemoteGrant.id != grant.id,
        )
    ).all()
    for replaced in older:
        _revoke(replaced)


def remote_host(grant: RemoteGrant) -> str:
    """The other backpack's host, as the page names it."""
    return urlsplit(grant.client.api_base).netloc


def revoke_remote_grant(user: User, grant_id: int) -> bool:
    """End one of the user's grants at another backpack; False when there is none."""
    grant = grant_of(user, grant_id)
    if grant is None or grant.status != "active":
        return False
    _revoke(grant)
    return True


def revoke_all(user: User) -> None:
    """End every active grant the user holds at other backpacks (asking each to revoke its
    tokens, as far as it answers), as when the account is deleted."""
    for grant in active_grants(user):
        _revoke(grant)


def _revoke(grant: RemoteGrant) -> None:
    endpoint = grant.client.endpoints.get("revocation")
    tokens = [
        (unseal(sealed), hint)
        for sealed, hint in (
            (grant.refresh_token_sealed, "refresh_token"),
            (grant.access_token_sealed, "access_token"),
        )
        if sealed
    ]
    if isinstance(endpoint, str):
        for token, hint in tokens:
            if token is not None:
                _ask_revocation(grant, endpoint, token, hint)
    forget_lost_grant(grant)


def hold_for_renewal(grant: RemoteGrant) -> None:
    """Lock the grant's row until the transaction ends, and read its tokens again: two
    requests that renew one grant at once take turns, the second seeing the first's
    tokens. SQLite has no row locks, and its write lock would be held across the request
    to the other backpack, stopping every other write meanwhile: there two renewals at
    once may both ask, and a backpack that rotates refresh tokens ends the grant (the
    earner is asked to consent again). Production runs on PostgreSQL."""
    db.session.scalars(  # read whole: rows left unread would refresh nothing
        sa.select(RemoteGrant)
        .where(RemoteGrant.id == grant.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def forget_lost_grant(grant: RemoteGrant) -> None:
    """End a grant the other side no longer honours (its refresh refused, or none kept):
    its tokens are dropped here, with nothing to ask there, and a pull asks consent again."""
    grant.status = "revoked"
    grant.access_token_sealed = grant.refresh_token_sealed = None
    grant.access_token_expires_at = None
    db.session.flush()


def authenticated_form(
    client: RemoteClient, form: dict[str, str], secret: str
) -> tuple[bytes, str | None]:
    """A form to this server's token or revocation endpoint there, authenticated as the
    client registered (RFC 6749 2.3.1): its body, and the Authorization header, if any.

    With `client_secret_basic` the id and secret are form-encoded inside the Basic
    credentials, which Authlib's own Basic encoding does not do."""
    if client.endpoints.get("token_endpoint_auth_method") == "client_secret_post":
        return urlencode(
            form | {"client_id": client.client_id, "client_secret": secret}
        ).encode(), None
    pair = f"{quote(client.client_id, safe='')}:{quote(secret, safe='')}"
    return urlencode(form).encode(), "Basic " + base64.b64encode(pair.encode()).decode()


def _ask_revocation(grant: RemoteGrant, endpoint: str, token: str, hint: str) -> None:
    client = grant.client
    secret = unseal(client.client_secret_sealed) or ""
    # Authenticated as for its tokens (RFC 7009 2.1).
    body, authorization = authenticated_form(
        client, {"token": token, "token_type_hint": hint}, secret
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if authorization is not None:
        headers["Authorization"] = authorization
    try:
        app_fetcher().request("POST", endpoint, body=body, headers=headers)
    except OpenBadgesError as exc:
        # The token is not logged: only where the revocation could not be asked.
        log.info("Revocation at %s could not be asked: %s", urlsplit(endpoint).netloc, exc.code)
