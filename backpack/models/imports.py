"""What imports brought in: one row per source record, so re-runs and resumes skip it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backpack.models.base import Base, utcnow


class ImportedRecord(Base):
    """A record of a foreign source (a Mozilla user, badge, group...) already imported.

    `scope` names the source (`mozilla-zip:user:12`, `mozilla:<instance>`); `key` is the
    record's identity there (a row id, an image's SHA-256). Written in the same transaction
    as what the record became, so after a crash a record is either wholly in or not at all.
    """

    __tablename__ = "imported_record"
    __table_args__ = (
        sa.UniqueConstraint("scope", "kind", "key"),
        # Old share links are found by kind and path, whichever import brought them.
        sa.Index("ix_imported_record_kind_key", "kind", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(32))
    key: Mapped[str] = mapped_column(sa.String(255))
    # The id of what the record became here (a user, badge or collection id).
    target_id: Mapped[int | None]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportJob(Base):
    """An import the web started, run in the background; its progress and final report."""

    __tablename__ = "import_job"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    # Where the uploaded file waits for the worker; removed when the job ends.
    upload_path: Mapped[str] = mapped_column(sa.String(1024))
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
