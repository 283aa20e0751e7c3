"""OAuth 2 clients, codes and tokens, personal access tokens and Backpack Connect grants.

Secrets and tokens are stored only as SHA-256 digests: they are long random strings, so a
fast hash is enough, and a copy of the database lets nobody act as a client or an earner.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backpack.models.accounts import User
from backpack.models.base import Base, utcnow

ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
CODE_LIFETIME = timedelta(minutes=10)
# How a client may prove it holds its secret at the token and revocation endpoints: HTTP
# Basic (what Badge Connect names) or the form body (RFC 6749 section 2.3.1).
CLIENT_SECRET_METHODS = ("client_secret_basic", "client_secret_post")


def token_digest(token: str) -> str:
    """The stored form of a secret or token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token(prefix: str = "") -> str:
    """A new random token, with an optional prefix saying what it is."""
    return prefix + secrets.token_urlsafe(32)


class OAuthClient(Base):
    """An application registered to act for earners (Badge Connect, RFC 7591)."""

    __tablename__ = "oauth_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    client_secret_hash: Mapped[str | None] = mapped_column(sa.String(64))
    client_id_issued_at: Mapped[int] = mapped_column(sa.BigInteger)
    client_secret_expires_at: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # The RFC 7591 metadata as registered (names, URIs, grant types, scope).
    client_metadata: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Authlib's client protocol.
    def get_client_id(self) -> str:
        return self.client_id

    @property
    def client_name(self) -> str:
        return str(self.client_metadata.get("client_name") or self.client_id)

    @property
    def redirect_uris(self) -> list[str]:
        return list(self.client_metadata.get("redirect_uris") or [])

    @property
    def scope(self) -> str:
        return str(self.client_metadata.get("scope") or "")

    def get_default_redirect_uri(self) -> str | None:
        uris = self.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = self.scope.split()
        if not scope:
            return ""
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string match: no prefix, no normalisation (RFC 9700 section 4.1.3).
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        if not self.client_secret_hash:
            return False
        return hmac.compare_digest(self.client_secret_hash, token_digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # A client that registered either secret method may use the other: both present the
        # same secret, so neither lets in anyone the other would not. Moodle needs this: it
        # registers client_secret_basic, trades its code that way, and refreshes with
        # client_secret_post. A client without a secret method gets nothing.
        registered = self.client_metadata.get("token_endpoint_auth_method", "client_secret_basic")
        return registered in CLIENT_SECRET_METHODS and method in CLIENT_SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.client_metadata.get("response_types", ["code"])

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.client_metadata.get("grant_types", ["authorization_code"])


class OAuthAuthorizationCode(Base):
    """A code handed to a client after consent: single use, short lived."""

    __tablename__ = "oauth_authorization_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("oauth_client.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(sa.String(2048))
    scope: Mapped[str] = mapped_column(sa.Text)
    code_challenge: Mapped[str] = mapped_column(sa.String(128))
    code_challenge_method: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Set when the code is exchanged; the row stays until it expires so a reuse is noticed.
    used_at: Mapped[datetime | None]
    # The collections the earner limited the grant to on the consent page; None: all badges.
    collection_ids: Mapped[list[int] | None] = mapped_column(sa.JSON)

    user: Mapped[User] = relationship()

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> None:
        return None

    def get_auth_time(self) -> int:
        return int(self.created_at.timestamp())

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()


class OAuthToken(Base):
    """An access token and its refresh token, issued to one client for one earner."""

    __tablename__ = "oauth_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("oauth_client.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_type: Mapped[str] = mapped_column(sa.String(16), default="Bearer")
    access_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.Text)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_in: Mapped[int]
    access_token_revoked_at: Mapped[datetime | None]
    refresh_token_revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    # Carried over from the code (and to each refreshed pair); None: every accepted badge.
    collection_ids: Mapped[list[int] | None] = mapped_column(sa.JSON)

    client: Mapped[OAuthClient] = relationship()
    user: Mapped[User] = relationship()

    def check_client(self, client: OAuthClient) -> bool:
        return self.client_id == client.id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return self.issued_at + timedelta(seconds=self.expires_in) <= utcnow()

    def is_revoked(self) -> bool:
        return self.access_token_revoked_at is not None

    def get_user(self) -> User:
        return self.user

    def get_client(self) -> OAuthClient:
        return self.client

    def revoke(self) -> None:
        """Revoke the access token and its refresh token together."""
        now = utcnow()
        self.access_token_revoked_at = self.access_token_revoked_at or now
        self.refresh_token_revoked_at = self.refresh_token_revoked_at or now


class PersonalAccessToken(Base):
    """A token an earner made on the settings page for their own scripts."""

    __tablename__ = "personal_access_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class BackpackConnectGrant(Base):
    """A Mozilla Backpack Connect session: an issuer origin allowed to push for an earner."""

    __tablename__ = "backpack_connect_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # protocol://host[:port] of the issuer's callback; pushes must come from it.
    origin: Mapped[str] = mapped_column(sa.String(300))
    access_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    refresh_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(100))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_in: Mapped[int]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def is_expired(self) -> bool:
        return self.issued_at + timedelta(seconds=self.expires_in) <= utcnow()


def unix_now() -> int:
    """Seconds since the epoch, as RFC 7591 timestamps are given."""
    return int(time.time())
