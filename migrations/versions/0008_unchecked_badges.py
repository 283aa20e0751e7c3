"""Imported badges that were never checked here are "unchecked", not "unverifiable"

An import stores badges without fetching anything, and used to mark them unverifiable, as
if their issuers had been asked and had not answered. They now have a state of their own,
which the background checks look for through a partial index. Badges imported before
this revision and not checked since (their last report still says `imported_unchecked`)
move to that state; a downgrade moves every unchecked badge back.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UNCHECKED_ONLY = "verification = 'unchecked'"


def upgrade():
    never_checked = (
        "last_report ->> 'imported_unchecked' = 'true'"
        if op.get_bind().dialect.name == "postgresql"
        else "json_extract(last_report, '$.imported_unchecked') = 1"
    )
    op.execute(
        "UPDATE badge SET verification = 'unchecked' "
        f"WHERE verification = 'unverifiable' AND {never_checked}"
    )
    op.create_index(
        "ix_badge_unchecked",
        "badge",
        ["id"],
        unique=False,
        sqlite_where=sa.text(UNCHECKED_ONLY),
        postgresql_where=sa.text(UNCHECKED_ONLY),
    )


def downgrade():
    op.drop_index(
        "ix_badge_unchecked",
        table_name="badge",
        sqlite_where=sa.text(UNCHECKED_ONLY),
        postgresql_where=sa.text(UNCHECKED_ONLY),
    )
    # The state before this revision had no word for it: it showed them as unverifiable.
    op.execute("UPDATE badge SET verification = 'unverifiable' WHERE verification = 'unchecked'")
