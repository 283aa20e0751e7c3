"""Accounts and their email addresses."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backpack.models.base import Base, utcnow


def new_nonce() -> str:
    """A random value that, when replaced, invalidates what was signed with the old one."""
    return secrets.token_hex(16)


class User(Base):
    """An earner's account."""

    __tablename__ = "user"
    __allow_unmapped__ = True  # login_session_id below is a plain attribute, not a column

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Opt-in to the Mozilla Displayer API: found by a verified address, published collections read.
    findable_by_email: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    emails: Mapped[list[EmailAddress]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="EmailAddress.id",
    )

    login_sessions: Mapped[list[LoginSession]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="LoginSession.id",
    )

    # Flask-Login's protocol. The id it keeps in the cookie is not the user's but a login
    # session's (services/login_sessions), so that logging out can end that session for good.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    # Which login session this object was loaded or logged in under (not a column).
    login_session_id: str | None = None

    def get_id(self) -> str:
        """The login session id Flask-Login keeps in the cookie (set by login_sessions)."""
        if self.login_session_id is None:
            raise RuntimeError("log in through services.login_sessions.start, which names it")
        return self.login_session_id

    @property
    def primary_email(self) -> EmailAddress | None:
        """The verified address mail goes to, if any address is verified yet."""
        return next((e for e in self.emails if e.is_primary), None)

    @property
    def display_name(self) -> str:
        """The name to greet the user by."""
        if self.name:
            return self.name
        primary = self.primary_email or (self.emails[0] if self.emails else None)
        return primary.address if primary else f"user {self.id}"


class EmailAddress(Base):
    """An address on an account; it counts for log-in and badges only once verified."""

    __tablename__ = "email_address"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "normalised", name="uq_email_address_user_id_normalised"),
        # An address is verified on at most one account.
        sa.Index(
            "uq_email_address_verified_normalised",
            "normalised",
            unique=True,
            sqlite_where=sa.text("verified_at IS NOT NULL"),
            postgresql_where=sa.text("verified_at IS NOT NULL"),
        ),
        # At most one primary address per account.
        sa.Index(
            "uq_email_address_primary_user_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("is_primary"),
            postgresql_where=sa.text("is_primary"),
        ),
        sa.CheckConstraint("NOT is_primary OR verified_at IS NOT NULL", name="primary_is_verified"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # As the user typed it, for display; `normalised` is what every lookup uses.
    address: Mapped[str] = mapped_column(sa.String(320))
    normalised: Mapped[str] = mapped_column(sa.String(320), index=True)
    verified_at: Mapped[datetime | None]
    is_primary: Mapped[bool] = mapped_column(default=False)
    # Signed into each verification link; cleared on use so a link works once.
    verification_nonce: Mapped[str | None] = mapped_column(sa.String(32))
    verification_sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="emails")

    @property
    def is_verified(self) -> bool:
        """Whether the owner proved they receive mail at this address."""
        return self.verified_at is not None


class LoginSession(Base):
    """One log-in on one device, alive until it is logged out, expires or the password changes.

    The cookie holds the row's id and a random secret; only the secret's SHA-256 digest is
    stored, so a copy of the database opens no session. Deleting the row ends the session,
    even for a copy of the cookie taken before.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    secret_digest: Mapped[str] = mapped_column(sa.String(64))
    remembered: Mapped[bool] = mapped_column(default=False)
    # The browser's own description of itself, shortened, so the owner can tell devices apart.
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)  # expired rows are purged by it

    user: Mapped[User] = relationship(back_populates="login_sessions")
