"""The applications an earner has let act for them, and revoking them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import (
    BackpackConnectGrant,
    Collection,
    OAuthAuthorizationCode,
    OAuthClient,
    OAuthToken,
    User,
)
from backpack.models.base import utcnow
from backpack.oauth import scopes


@dataclass(frozen=True)
class ConnectedApp:
    """One client or Backpack Connect origin holding a live grant."""

    kind: str  # "oauth" or "backpack-connect"
    key: str  # the client_id, or the origin
    name: str
    uri: str | None
    scopes: list[str]  # in plain words
    granted_at: datetime
    last_used_at: datetime | None
    # The collections its reading is limited to; None: every accepted badge.
    collection_ids: tuple[int, ...] | None = None


def _live_token() -> sa.ColumnElement[bool]:
    # A token pair still grants access while its refresh token (or its access token) lives.
    return sa.or_(
        sa.and_(
            OAuthToken.refresh_token_hash.is_not(None),
            OAuthToken.refresh_token_revoked_at.is_(None),
        ),
        OAuthToken.access_token_revoked_at.is_(None),
    )


def connected_apps(user: User) -> list[ConnectedApp]:
    """Every client and origin with a grant from this user, most recently used first."""
    apps: dict[str, ConnectedApp] = {}
    rows = db.session.execute(
        sa.select(OAuthToken, OAuthClient)
        .join(OAuthClient, OAuthToken.client_id == OAuthClient.id)
        .where(OAuthToken.user_id == user.id, _live_token())
        .order_by(OAuthToken.issued_at)
    )
    for token, client in rows:
        if token.refresh_token_hash is None and token.is_expired():
            continue
        previous = apps.get(client.client_id)
        names = set(token.scope.split()) | set(previous.scopes if previous else [])
        limits = _widest(previous.collection_ids if previous else (), token.collection_ids)
        apps[client.client_id] = ConnectedApp(
            kind="oauth",
            key=client.client_id,
            name=client.client_name,
            uri=client.client_metadata.get("client_uri"),
            scopes=sorted(names),
            granted_at=previous.granted_at if previous else token.issued_at,
            last_used_at=_latest(previous.last_used_at if previous else None, token.last_used_at),
            collection_ids=limits,
        )
    grants = db.session.scalars(
        sa.select(BackpackConnectGrant).where(
            BackpackConnectGrant.user_id == user.id, BackpackConnectGrant.revoked_at.is_(None)
        )
    )
    for grant in grants:
        previous = apps.get(grant.origin)
        apps[grant.origin] = ConnectedApp(
            kind="backpack-connect",
            key=grant.origin,
            name=grant.origin,
            uri=grant.origin,
            scopes=["issue"],
            granted_at=previous.granted_at if previous else grant.issued_at,
            last_used_at=_latest(previous.last_used_at if previous else None, grant.last_used_at),
        )
    return sorted(apps.values(), key=lambda a: a.last_used_at or a.granted_at, reverse=True)


def _widest(held: tuple[int, ...] | None, token: list[int] | None) -> tuple[int, ...] | None:
    """What an app may read across its tokens: all badges if any token may read all."""
    if held is None or token is None:
        return None
    return tuple(sorted(set(held) | set(token)))


def describe_scopes(app: ConnectedApp) -> list[str]:
    """An app's scopes in plain words, and the collections its reading is limited to."""
    if app.kind == "backpack-connect":
        return ["Add badges awarded to you to your backpack (Mozilla Backpack Connect)"]
    texts = [text for _, text in scopes.describe(" ".join(app.scopes))]
    if app.collection_ids is not None and set(app.scopes) & set(scopes.READING):
        names = db.session.scalars(
            sa.select(Collection.name)
            .where(Collection.id.in_(app.collection_ids))
            .order_by(Collection.position, Collection.id)
        ).all()
        texts.append(
            "Only the badges in: " + ", ".join(names) if names else "No badges (no collection)"
        )
    return texts


def revoke_app(user: User, kind: str, key: str) -> int:
    """Revoke every code and token one client or origin holds for this user; the count ended."""
    now = utcnow()
    if kind == "oauth":
        client_id = db.session.scalar(sa.select(OAuthClient.id).where(OAuthClient.client_id == key))
        return end_grant(user.id, client_id) if client_id is not None else 0
    result = db.session.execute(
        sa.update(BackpackConnectGrant)
        .where(
            BackpackConnectGrant.user_id == user.id,
            BackpackConnectGrant.origin == key,
            BackpackConnectGrant.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    db.session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]  # DML returns a CursorResult


def end_grant(user_id: int, client_id: int) -> int:
    """End all one client holds for one earner (codes, access and refresh tokens); the count.

    A grant is everything a client holds for an earner: tokens are not linked to the code
    or the token they came from, and a client that was authorised twice by the same earner
    is still one app on the connected-apps page, revoked as one.
    """
    codes = db.session.execute(
        sa.delete(OAuthAuthorizationCode).where(
            OAuthAuthorizationCode.user_id == user_id,
            OAuthAuthorizationCode.client_id == client_id,
        )
    )
    tokens = db.session.scalars(
        sa.select(OAuthToken).where(
            OAuthToken.user_id == user_id, OAuthToken.client_id == client_id, _live_token()
        )
    ).all()
    for token in tokens:
        token.revoke()
    db.session.flush()
    return len(tokens) + int(codes.rowcount)  # type: ignore[attr-defined]  # DML returns a CursorResult


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((x for x in (a, b) if x is not None), default=None)


def chosen_collections(user: User, raw_ids: list[str]) -> list[int] | None:
    """The earner's own collections among the ids ticked on the consent page; None: all.

    Ids that are not numbers or not the earner's are dropped: a forged form can narrow a
    grant, never widen it to someone else's collection. Ticking only such ids grants none.
    """
    if not raw_ids:
        return None
    wanted = {int(raw) for raw in raw_ids if raw.isascii() and raw.isdigit() and len(raw) < 12}
    owned = db.session.scalars(
        sa.select(Collection.id).where(Collection.user_id == user.id, Collection.id.in_(wanted))
    ).all()
    return sorted(owned)
