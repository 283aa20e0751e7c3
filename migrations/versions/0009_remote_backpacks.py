"""Other backpacks pulled from: this server's registration there, and earners' grants

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

"""

from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "remote_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_base", sa.String(length=2048), nullable=False),
        sa.Column("api_kind", sa.String(length=16), nullable=False),
        sa.Column("endpoints", sa.JSON(), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret_sealed", sa.Text(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_client")),
        sa.UniqueConstraint("api_base", name=op.f("uq_remote_client_api_base")),
    )
    op.create_table(
        "remote_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=True),
        sa.Column("code_verifier_sealed", sa.Text(), nullable=True),
        sa.Column("access_token_sealed", sa.Text(), nullable=True),
        sa.Column("refresh_token_sealed", sa.Text(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("authorized_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'revoked')", name=op.f("ck_remote_grant_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["remote_client.id"],
            name=op.f("fk_remote_grant_client_id_remote_client"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_remote_grant_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_grant")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_remote_grant_state_hash")),
    )
    op.create_index(op.f("ix_remote_grant_client_id"), "remote_grant", ["client_id"])
    op.create_index(op.f("ix_remote_grant_user_id"), "remote_grant", ["user_id"])


def downgrade():
    op.drop_table("remote_grant")
    op.drop_table("remote_client")
