"""accounts and email addresses

Revision ID: 0001
Revises: 
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('session_nonce', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user'))
    )
    op.create_table('email_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('normalised', sa.String(length=320), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('verification_nonce', sa.String(length=32), nullable=True),
    sa.Column('verification_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('NOT is_primary OR verified_at IS NOT NULL', name=op.f('ck_email_address_primary_is_verified')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_email_address_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_address')),
    sa.UniqueConstraint('user_id', 'normalised', name='uq_email_address_user_id_normalised')
    )
    with op.batch_alter_table('email_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_address_normalised'), ['normalised'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_address_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_email_address_primary_user_id', ['user_id'], unique=True, sqlite_where=sa.text('is_primary'), postgresql_where=sa.text('is_primary'))
        batch_op.create_index('uq_email_address_verified_normalised', ['normalised'], unique=True, sqlite_where=sa.text('verified_at IS NOT NULL'), postgresql_where=sa.text('verified_at IS NOT NULL'))




def downgrade():
    
    with op.batch_alter_table('email_address', schema=None) as batch_op:
        batch_op.drop_index('uq_email_address_verified_normalised', sqlite_where=sa.text('verified_at IS NOT NULL'), postgresql_where=sa.text('verified_at IS NOT NULL'))
        batch_op.drop_index('uq_email_address_primary_user_id', sqlite_where=sa.text('is_primary'), postgresql_where=sa.text('is_primary'))
        batch_op.drop_index(batch_op.f('ix_email_address_user_id'))
        batch_op.drop_index(batch_op.f('ix_email_address_normalised'))

    op.drop_table('email_address')
    op.drop_table('user')

