"""Badges in backpacks, the issuers and badge classes they share, and their images."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backpack.models.accounts import User
from backpack.models.base import Base, utcnow

# JSON columns are JSONB on PostgreSQL (indexable, compact) and JSON text elsewhere.
JSONDocument = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# The verification state of a badge stored without any check of ours (an import): not a
# verdict. The background queue checks such badges soon after they arrive.
UNCHECKED = "unchecked"
# How a badge arrived, in the words of "Badge from ..." when nothing else names it.
SOURCE_WORDS = {
    "upload": "an uploaded image",
    "url": "a link",
    "paste": "pasted text",
    "push": "an issuer's push",
    "import": "an import",
    "pull": "another backpack",
}


class Image(Base):
    """Image bytes, stored once however many badges show them (content-addressed)."""

    __tablename__ = "image"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    mime_type: Mapped[str] = mapped_column(sa.String(40))
    width: Mapped[int | None]
    height: Mapped[int | None]
    byte_size: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Issuer(Base):
    """An issuer profile as one or more badges described it; shared by IRI and content."""

    __tablename__ = "issuer"
    __table_args__ = (sa.UniqueConstraint("iri", "content_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    iri: Mapped[str] = mapped_column(sa.String(2048))
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(500), default="")
    url: Mapped[str | None] = mapped_column(sa.String(2048))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BadgeClass(Base):
    """What a badge is for (name, criteria, image); shared by IRI and content."""

    __tablename__ = "badge_class"
    __table_args__ = (sa.UniqueConstraint("iri", "content_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    iri: Mapped[str] = mapped_column(sa.String(2048))
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    issuer_id: Mapped[int] = mapped_column(sa.ForeignKey("issuer.id"), index=True)
    image_id: Mapped[int | None] = mapped_column(sa.ForeignKey("image.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(500), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    issuer: Mapped[Issuer] = relationship(lazy="joined")
    image: Mapped[Image | None] = relationship()


class Badge(Base):
    """One badge in one earner's backpack."""

    __tablename__ = "badge"
    __table_args__ = (
        # One badge is stored once per backpack, even when pushed twice at the same moment.
        sa.UniqueConstraint("user_id", "fingerprint"),
        sa.Index("ix_badge_user_id_status_id", "user_id", "status", "id"),
        sa.CheckConstraint("status IN ('accepted', 'pending', 'rejected')", name="status_known"),
        # The background checks find the badges never checked here without reading the rest.
        sa.Index(
            "ix_badge_unchecked",
            "id",
            sqlite_where=sa.text(f"verification = '{UNCHECKED}'"),
            postgresql_where=sa.text(f"verification = '{UNCHECKED}'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    badge_class_id: Mapped[int] = mapped_column(sa.ForeignKey("badge_class.id"), index=True)
    image_id: Mapped[int | None] = mapped_column(sa.ForeignKey("image.id"), index=True)
    # accepted: in the backpack; pending: waits for its address to be verified;
    # rejected: the earner declined it (kept so a re-push does not bring it back).
    status: Mapped[str] = mapped_column(sa.String(16))
    # The last verification's verdict: valid, expired, revoked, invalid, unverifiable (the
    # issuer could not be reached); or unchecked: imported, and not verified here yet.
    verification: Mapped[str] = mapped_column(sa.String(16))
    # The normalised address (or url/telephone identity) the recipient matched.
    recipient: Mapped[str] = mapped_column(sa.String(2048))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    assertion_iri: Mapped[str | None] = mapped_column(sa.String(2048), index=True)
    version: Mapped[str] = mapped_column(sa.String(8))
    verification_kind: Mapped[str | None] = mapped_column(sa.String(8))
    # How it arrived (upload, url, paste, push, import, pull) and from where.
    source: Mapped[str] = mapped_column(sa.String(16))
    source_url: Mapped[str | None] = mapped_column(sa.String(2048))
    # Exactly what was received (JSON, JWS or URL text), never modified.
    original_payload: Mapped[str] = mapped_column(sa.Text, deferred=True)
    # The baked image as received, when the badge came as one.
    original_image_id: Mapped[int | None] = mapped_column(sa.ForeignKey("image.id"))
    assertion: Mapped[dict[str, Any]] = mapped_column(JSONDocument, deferred=True)
    issued_on: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # The last check's report; for an unchecked badge, what its source said of its own check.
    last_report: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # When it was last verified: by this server, or by its source while it is unchecked.
    last_verified_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    badge_class: Mapped[BadgeClass] = relationship(lazy="joined")
    image: Mapped[Image | None] = relationship(foreign_keys=[image_id])
    original_image: Mapped[Image | None] = relationship(foreign_keys=[original_image_id])

    @property
    def name(self) -> str:
        """The name the badge is shown by everywhere; never empty (see `display_name`)."""
        return display_name(self.badge_class.name, self.issuer_host, self.issued_on, self.source)

    @property
    def issuer_name(self) -> str:
        """The issuer as the badge is shown with it: its name, else its web host."""
        return self.badge_class.issuer.name.strip() or self.issuer_host or "Unknown issuer"

    @property
    def issuer_host(self) -> str | None:
        """The host name of the issuer's web site, or of where the badge lives, if known."""
        issuer = self.badge_class.issuer
        return web_host(issuer.url, issuer.iri, self.badge_class.iri, self.source_url)

    @property
    def is_unchecked(self) -> bool:
        """Whether the badge was stored without being verified here (yet)."""
        return self.verification == UNCHECKED

    @property
    def is_valid(self) -> bool:
        """Whether the last verification found the badge valid."""
        return self.verification == "valid"


def display_name(
    class_name: str, issuer_host: str | None, issued_on: datetime | None, source: str
) -> str:
    """What a badge is called on every page, flash and list: the badge class name; else the
    issuer's host and the issue date; else where the badge came from. Never empty, so no
    page shows a blank link or an empty pair of quotes."""
    if class_name.strip():
        return class_name.strip()
    when = f", issued {issued_on:%Y-%m-%d}" if issued_on is not None else ""
    origin = issuer_host or SOURCE_WORDS.get(source, "elsewhere")
    return f"Badge from {origin}{when}"


def web_host(*urls: str | None) -> str | None:
    """The host of the first http(s) URL among `urls`."""
    for url in urls:
        if not (url and url.startswith(("http://", "https://"))):
            continue
        try:
            host = urlsplit(url).hostname
        except ValueError:  # a malformed URL from a badge names no host
            continue
        if host:
            return host
    return None
