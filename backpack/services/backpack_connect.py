"""Mozilla Backpack Connect grants: an issuer origin allowed to push badges for an earner."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

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
    return tokens if result.rowcount == 1 else None  # type: ignore[attr-defined]


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
