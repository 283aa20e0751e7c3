"""Personal access tokens: scoped, revocable keys an earner makes for their own scripts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import PersonalAccessToken, User
from backpack.models.base import utcnow
from backpack.models.oauth import new_token, token_digest
from backpack.services.errors import ServiceError

# The prefix lets secret scanners and people recognise a leaked token.
PREFIX = "bpk_"
SCOPES: dict[str, str] = {
    "badges:read": "Read your badges",
    "badges:write": "Add, accept, reject and delete badges",
    "collections:read": "Read your collections",
    "collections:write": "Create, change and delete collections",
    "emails:read": "Read your email addresses",
    "emails:write": "Add and remove email addresses",
}
NAME_MAX = 100


class TokenRefused(ServiceError):
    code = "token_refused"


@dataclass(frozen=True)
class NewToken:
    """A token just made: its secret is shown once and never stored."""

    record: PersonalAccessToken
    secret: str


def create_token(user: User, name: str, scopes: list[str]) -> NewToken:
    """Make a token with the given scopes."""
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise TokenRefused(f"Name the token (at most {NAME_MAX} characters).")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise TokenRefused("Choose at least one of the listed permissions.")
    secret = new_token(PREFIX)
    record = PersonalAccessToken(
        user_id=user.id,
        name=name,
        token_hash=token_digest(secret),
        scope=" ".join(s for s in SCOPES if s in scopes),
    )
    db.session.add(record)
    db.session.flush()
    return NewToken(record, secret)


def list_tokens(user: User) -> list[PersonalAccessToken]:
    """The user's live tokens, newest first."""
    return list(
        db.session.scalars(
            sa.select(PersonalAccessToken)
            .where(PersonalAccessToken.user_id == user.id, PersonalAccessToken.revoked_at.is_(None))
            .order_by(PersonalAccessToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int) -> bool:
    """Revoke one of the user's tokens; False if there is no such live token."""
    token = db.session.get(PersonalAccessToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    return True


def authenticate(secret: str) -> PersonalAccessToken | None:
    """The live token with this secret, its last use noted."""
    if not secret.startswith(PREFIX):
        return None
    token = db.session.scalar(
        sa.select(PersonalAccessToken).where(
            PersonalAccessToken.token_hash == token_digest(secret),
            PersonalAccessToken.revoked_at.is_(None),
        )
    )
    if token is not None:
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            token.last_used_at = now
    return token
