"""Collections of badges, their stories, and the public links that share them."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backpack.models.accounts import User
from backpack.models.badges import Badge
from backpack.models.base import Base, utcnow

NAME_MAX = 100
DESCRIPTION_MAX = 2000
STORY_MAX = 5000
# 32 bytes of randomness: a share link is a capability, so it must be unguessable.
SHARE_TOKEN_BYTES = 32
SHARE_TOKEN_LENGTH = 43  # len(secrets.token_urlsafe(SHARE_TOKEN_BYTES))


def new_share_token() -> str:
    """A fresh unguessable token for a public link."""
    return secrets.token_urlsafe(SHARE_TOKEN_BYTES)


class Collection(Base):
    """A named, ordered set of an earner's badges (Mozilla's group and portfolio in one)."""

    __tablename__ = "collection"
    __table_args__ = (
        sa.Index("ix_collection_user_id_position", "user_id", "position"),
        # A collection is published exactly when it has a link.
        sa.CheckConstraint(
            "(share_token IS NULL) = (published_at IS NULL)", name="published_has_token"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    share_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    published_at: Mapped[datetime | None]
    show_owner_name: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped by every change the public page shows, so a cached page knows it is stale.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=lambda: [CollectionItem.position, CollectionItem.badge_id],
    )

    @property
    def is_published(self) -> bool:
        """Whether the collection has a live public link."""
        return self.share_token is not None


class CollectionItem(Base):
    """One badge in one collection: where it sits and the story the earner tells about it."""

    __tablename__ = "collection_item"

    collection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collection.id", ondelete="CASCADE"), primary_key=True
    )
    badge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("badge.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    story: Mapped[str] = mapped_column(sa.Text, default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    collection: Mapped[Collection] = relationship(back_populates="items")
    badge: Mapped[Badge] = relationship()


class BadgeShare(Base):
    """The public link of one badge shared on its own; the badge is private without one."""

    __tablename__ = "badge_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    badge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("badge.id", ondelete="CASCADE"), unique=True
    )
    share_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    show_owner_name: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    badge: Mapped[Badge] = relationship()


class RetiredShareToken(Base):
    """A link its owner withdrew: it answers 410 Gone instead of 404 Not Found.

    Only a digest is kept; the token itself is of no use once withdrawn. Deleting the
    account deletes these too, and the old links then answer 404.
    """

    __tablename__ = "retired_share_token"

    token_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)
