"""Find an old share link by its path alone: an index on imported_record (kind, key)

The redirect from a Mozilla share path looks it up by kind and path, whatever import
brought it; without this index that lookup read the whole table, once per visit and once
per batch of a bulk import.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

"""

from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_imported_record_kind_key", "imported_record", ["kind", "key"], unique=False
    )


def downgrade():
    op.drop_index("ix_imported_record_kind_key", table_name="imported_record")
