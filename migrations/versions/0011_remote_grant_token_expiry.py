"""Grants at other backpacks remember when their access token ends

A pull from a backpack the earner already connected reuses the kept grant; knowing when
its access token expires lets the pull renew it with the refresh token first, instead of
sending the earner through the other side's consent page again. Grants kept before this
have no expiry (NULL): their token is tried, and renewed when it is refused.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

"""

from alembic import op
import sqlalchemy as sa


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("remote_grant") as batch:
        batch.add_column(
            sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("remote_grant") as batch:
        batch.drop_column("access_token_expires_at")
