"""Login sessions: one row per log-in, so that logging out ends a session for every copy of it

The session id in the cookie used to be the user's id and a per-user nonce, so a copied
cookie stayed good after its owner logged out, until the password changed. Now it names
a login_session row, deleted on log-out. Everyone logs in once more after this upgrade.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_digest", sa.String(length=64), nullable=False),
        sa.Column("remembered", sa.Boolean(), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_login_session_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
    )
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_session_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_login_session_expires_at"), ["expires_at"], unique=False
        )

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_nonce")


def downgrade():
    # Every account gets a fresh random nonce, so no session from before the upgrade returns.
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_nonce", sa.String(length=32), nullable=True))
    random_hex = (
        "md5(random()::text || clock_timestamp()::text)"
        if op.get_bind().dialect.name == "postgresql"
        else "lower(hex(randomblob(16)))"
    )
    op.execute(f'UPDATE "user" SET session_nonce = {random_hex}')
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("session_nonce", existing_type=sa.String(length=32), nullable=False)

    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_session_expires_at"))
        batch_op.drop_index(batch_op.f("ix_login_session_user_id"))

    op.drop_table("login_session")
