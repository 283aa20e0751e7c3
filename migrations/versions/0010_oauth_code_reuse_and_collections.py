"""OAuth codes remember their use; a grant may be limited to collections the earner chose

A code used to be deleted as it was exchanged, so a second exchange of the same code could
not be told from a made-up one. It is now marked used and kept until it expires, so that
a reuse (the code was stolen, or the client leaks) ends the grant it started, as Open
Badges 3.0 asks. Codes and tokens also carry the collections the earner picked on the
consent page (NULL: every accepted badge).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

"""

from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("oauth_authorization_code") as batch:
        batch.add_column(sa.Column("used_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("collection_ids", sa.JSON(), nullable=True))
    with op.batch_alter_table("oauth_token") as batch:
        batch.add_column(sa.Column("collection_ids", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("oauth_token") as batch:
        batch.drop_column("collection_ids")
    with op.batch_alter_table("oauth_authorization_code") as batch:
        batch.drop_column("collection_ids")
        batch.drop_column("used_at")
