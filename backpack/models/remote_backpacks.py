"""Other backpacks this server pulls from as an OAuth client, and the earners' grants there.

Unlike the tokens this server issues (kept as digests: it only compares them), these are
secrets it must send back, so they are kept sealed (`services/sealing.py`): a copy of the
database without the server's SECRET_KEY reads none of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backpack.models.base import Base, utcnow


class RemoteClient(Base):
    """This server's registration at another backpack (RFC 7591), cached per API base."""

    __tablename__ = "remote_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_base: Mapped[str] = mapped_column(sa.String(2048), unique=True)
    api_kind: Mapped[str] = mapped_column(sa.String(16))  # "ob3"
    # The endpoints the discovery document named: authorization, token, revocation.
    endpoints: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    client_id: Mapped[str] = mapped_column(sa.String(255))
    client_secret_sealed: Mapped[str] = mapped_column(sa.Text)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)


class RemoteGrant(Base):
    """An earner's authorization for this server to read their badges at another backpack.

    "pending" while the earner is at the other side's consent page (the state's digest
    finds it when they come back); "active" with its tokens (renewed, and rotated, with the
    refresh token as they expire); "revoked" with none left.
    """

    __tablename__ = "remote_grant"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'active', 'revoked')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("remote_client.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    state_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    code_verifier_sealed: Mapped[str | None] = mapped_column(sa.Text)
    access_token_sealed: Mapped[str | None] = mapped_column(sa.Text)
    refresh_token_sealed: Mapped[str | None] = mapped_column(sa.Text)
    # When the access token ends, as its token answer said (None: it did not say); a pull
    # after that renews it with the refresh token before reading.
    access_token_expires_at: Mapped[datetime | None]
    scope: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    authorized_at: Mapped[datetime | None]

    client: Mapped[RemoteClient] = relationship()
