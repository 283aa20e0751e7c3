"""collections and sharing

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('collection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('share_token', sa.String(length=64), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('show_owner_name', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(share_token IS NULL) = (published_at IS NULL)', name=op.f('ck_collection_published_has_token')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_collection_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection')),
    sa.UniqueConstraint('share_token', name=op.f('uq_collection_share_token'))
    )
    with op.batch_alter_table('collection', schema=None) as batch_op:
        batch_op.create_index('ix_collection_user_id_position', ['user_id', 'position'], unique=False)

    op.create_table('retired_share_token',
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_retired_share_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_sha256', name=op.f('pk_retired_share_token'))
    )
    with op.batch_alter_table('retired_share_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retired_share_token_user_id'), ['user_id'], unique=False)

    op.create_table('badge_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('badge_id', sa.Integer(), nullable=False),
    sa.Column('share_token', sa.String(length=64), nullable=False),
    sa.Column('show_owner_name', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['badge_id'], ['badge.id'], name=op.f('fk_badge_share_badge_id_badge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_share')),
    sa.UniqueConstraint('badge_id', name=op.f('uq_badge_share_badge_id')),
    sa.UniqueConstraint('share_token', name=op.f('uq_badge_share_share_token'))
    )
    op.create_table('collection_item',
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('badge_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('story', sa.Text(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['badge_id'], ['badge.id'], name=op.f('fk_collection_item_badge_id_badge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_collection_item_collection_id_collection'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'badge_id', name=op.f('pk_collection_item'))
    )
    with op.batch_alter_table('collection_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_item_badge_id'), ['badge_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('findable_by_email', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('findable_by_email')

    with op.batch_alter_table('collection_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_item_badge_id'))

    op.drop_table('collection_item')
    op.drop_table('badge_share')
    with op.batch_alter_table('retired_share_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retired_share_token_user_id'))

    op.drop_table('retired_share_token')
    with op.batch_alter_table('collection', schema=None) as batch_op:
        batch_op.drop_index('ix_collection_user_id_position')

    op.drop_table('collection')