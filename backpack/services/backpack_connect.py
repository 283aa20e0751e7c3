"""Mozilla Backpack Connect grants: an issuer origin allowed to push badges for an earner."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from backpack.database.bulk_rows import among, insert_rows_returning_ids
from backpack.extensions import db
from backpack.models import BackpackConnectGrant, User
from backpack.models.base import utcnow
from backpack.models.oauth import ACCESS_TOKEN_LIFETIME, new_token, token_digest
from backpack.origins import web_origin
from backpack.services.errors import ServiceError

# Mozilla's only permission.
ISSUE = "issue"
LIFETIME = int(ACCESS_TOKEN_LIFETIME.total_seconds())


class InvalidCallback(ServiceError):
    code = "invalid_callback"


class GrantRefused(ServiceError):
    """An imported grant that cannot be honoured here, with the reason."""

    code = "grant_refused"


@dataclass(frozen=True)
class IssuedTokens:
    """Tokens handed to the issuer once; only their digests are kept."""

    access_token: str
    refresh_token: str
    expires: int


def origin_of(url: str) -> str:
    """protocol://host[:port] of an absolute http(s) URL; raise InvalidCallback otherwise."""
    origin = web_origin(url)
    if origin is None:
        raise InvalidCallback("The callback must be an absolute http or https URL.")
    return origin


def check_scope(scope: str) -> str:
    """The requested permissions, which must be exactly `issue`."""
    wanted = {s for s in scope.replace(",", " ").split() if s}
    if wanted != {ISSUE}:
        raise ServiceError("Backpack Connect offers only the permission scope=issue.")
    return ISSUE


def grant_access(user: User, callback: str) -> IssuedTokens:
    """Let the callback's origin push badges for the user."""
    tokens = IssuedTokens(new_token(), new_token(), LIFETIME)
    db.session.add(
        BackpackConnectGrant(
            user_id=user.id,
            origin=origin_of(callback),
            access_token_hash=token_digest(tokens.access_token),
            refresh_token_hash=token_digest(tokens.refresh_token),
            scope=ISSUE,
            expires_in=LIFETIME,
        )
    )
    db.session.flush()
    return tokens


def refresh(refresh_token: str) -> IssuedTokens | None:
    """Rotate a grant's tokens; None when the refresh token is unknown or revoked."""
    tokens = IssuedTokens(new_token(), new_token(), LIFETIME)
    # One conditional UPDATE: of two refreshes racing with one token, only one wins.
    result = db.session.execute(
        sa.update(BackpackConnectGrant)
        .where(
            BackpackConnectGrant.refresh_token_hash == token_digest(refresh_token),
            BackpackConnectGrant.revoked_at.is_(None),
        )
        .values(
            access_token_hash=token_digest(tokens.access_token),
            refresh_token_hash=token_digest(tokens.refresh_token),
            issued_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return tokens if result.rowcount == 1 else None  # type: ignore[attr-defined]  # DML returns a CursorResult


def find_grant(access_token: str) -> BackpackConnectGrant | None:
    """The live grant an access token belongs to."""
    grant = db.session.scalar(
        sa.select(BackpackConnectGrant).where(
            BackpackConnectGrant.access_token_hash == token_digest(access_token),
            BackpackConnectGrant.revoked_at.is_(None),
        )
    )
    if grant is None or grant.is_expired():
        return None
    grant.last_used_at = utcnow()
    return grant


def recipient_hash(user: User) -> dict[str, str]:
    """The earner's primary address, salted and hashed, as /api/identity gives it."""
    primary = user.primary_email
    if primary is None:
        raise ServiceError("This account has no verified address yet.")
    salt = secrets.token_hex(12)
    digest = hashlib.sha256((primary.normalised + salt).encode()).hexdigest()
    return {"recipient": f"sha256${digest}", "salt": salt, "type": "email"}


@dataclass(frozen=True)
class ImportedGrant:
    """A grant another backpack gave (Mozilla's `bpc_session`), with its tokens in clear."""

    user_id: int
    origin: str
    access_token: str
    refresh_token: str
    issued_at: datetime
    permissions: str = ISSUE


def import_grants(grants: Sequence[ImportedGrant]) -> list[tuple[int, bool] | ServiceError]:
    """Store many imported grants at once, their tokens hashed like ours; for each, its id
    and whether it is new (a grant already here is found by its tokens), or why not.

    Its tokens keep working as the issuer holds them: the refresh token at /api/token,
    the access token until `issued_at` plus the lifetime. A few statements in all."""
    hashes = [(token_digest(g.access_token), token_digest(g.refresh_token)) for g in grants]
    known = _grants_holding([h for pair in hashes for h in pair])
    outcomes: list[tuple[int, bool] | ServiceError] = []
    rows: list[dict[str, object]] = []
    new: list[int] = []  # where in `outcomes` each row to insert belongs
    taken: set[str] = set()
    for grant, (access, refresh) in zip(grants, hashes, strict=True):
        found = known.get(access) or known.get(refresh)
        if found is not None:
            outcomes.append((found, False))
            continue
        try:
            rows.append(_grant_row(grant, access, refresh, taken))
        except ServiceError as exc:
            outcomes.append(exc)
            continue
        new.append(len(outcomes))
        outcomes.append((0, True))  # its id once inserted
    ids = insert_rows_returning_ids(BackpackConnectGrant, rows)
    for position, grant_id in zip(new, ids, strict=True):
        outcomes[position] = (grant_id, True)
    return outcomes


def _grants_holding(hashes: Sequence[str]) -> dict[str, int]:
    """The grant already holding each of these token digests (one query)."""
    if not hashes:
        return {}
    rows = db.session.execute(
        sa.select(
            BackpackConnectGrant.id,
            BackpackConnectGrant.access_token_hash,
            BackpackConnectGrant.refresh_token_hash,
        ).where(
            sa.or_(
                among(BackpackConnectGrant.access_token_hash, hashes),
                among(BackpackConnectGrant.refresh_token_hash, hashes),
            )
        )
    )
    return {digest: grant_id for grant_id, *digests in rows for digest in digests}


def _grant_row(
    grant: ImportedGrant, access: str, refresh: str, taken: set[str]
) -> dict[str, object]:
    origin = web_origin(grant.origin)
    if origin is None:
        raise GrantRefused(f"its origin {grant.origin[:100]!r} is not an http(s) origin")
    if ISSUE not in {p.strip() for p in grant.permissions.split(",")}:
        raise GrantRefused("it does not grant `issue`, the only permission there is")
    if not grant.access_token or not grant.refresh_token or access == refresh:
        raise GrantRefused("its access and refresh tokens must be two different tokens")
    if access in taken or refresh in taken:
        raise GrantRefused("another grant holds the same token")
    taken.update((access, refresh))
    return {
        "user_id": grant.user_id,
        "origin": origin,
        "access_token_hash": access,
        "refresh_token_hash": refresh,
        "scope": ISSUE,
        "issued_at": grant.issued_at,
        "expires_in": LIFETIME,
        "last_used_at": None,
        "revoked_at": None,
    }
