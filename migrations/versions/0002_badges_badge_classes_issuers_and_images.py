"""badges, badge classes, issuers and images

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('mime_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_image')),
    sa.UniqueConstraint('sha256', name=op.f('uq_image_sha256'))
    )
    op.create_table('issuer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('iri', sa.String(length=2048), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issuer')),
    sa.UniqueConstraint('iri', 'content_sha256', name=op.f('uq_issuer_iri'))
    )
    op.create_table('badge_class',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('iri', sa.String(length=2048), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['image.id'], name=op.f('fk_badge_class_image_id_image')),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuer.id'], name=op.f('fk_badge_class_issuer_id_issuer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_class')),
    sa.UniqueConstraint('iri', 'content_sha256', name=op.f('uq_badge_class_iri'))
    )
    with op.batch_alter_table('badge_class', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badge_class_image_id'), ['image_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_badge_class_issuer_id'), ['issuer_id'], unique=False)

    op.create_table('badge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('badge_class_id', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('verification', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=2048), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('assertion_iri', sa.String(length=2048), nullable=True),
    sa.Column('version', sa.String(length=8), nullable=False),
    sa.Column('verification_kind', sa.String(length=8), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_url', sa.String(length=2048), nullable=True),
    sa.Column('original_payload', sa.Text(), nullable=False),
    sa.Column('original_image_id', sa.Integer(), nullable=True),
    sa.Column('assertion', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('issued_on', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_report', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('last_verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('accepted', 'pending', 'rejected')", name=op.f('ck_badge_status_known')),
    sa.ForeignKeyConstraint(['badge_class_id'], ['badge_class.id'], name=op.f('fk_badge_badge_class_id_badge_class')),
    sa.ForeignKeyConstraint(['image_id'], ['image.id'], name=op.f('fk_badge_image_id_image')),
    sa.ForeignKeyConstraint(['original_image_id'], ['image.id'], name=op.f('fk_badge_original_image_id_image')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_badge_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge')),
    sa.UniqueConstraint('user_id', 'fingerprint', name=op.f('uq_badge_user_id'))
    )
    with op.batch_alter_table('badge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badge_assertion_iri'), ['assertion_iri'], unique=False)
        batch_op.create_index(batch_op.f('ix_badge_badge_class_id'), ['badge_class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_badge_image_id'), ['image_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_badge_last_verified_at'), ['last_verified_at'], unique=False)
        batch_op.create_index('ix_badge_user_id_status_id', ['user_id', 'status', 'id'], unique=False)




def downgrade():
    
    with op.batch_alter_table('badge', schema=None) as batch_op:
        batch_op.drop_index('ix_badge_user_id_status_id')
        batch_op.drop_index(batch_op.f('ix_badge_last_verified_at'))
        batch_op.drop_index(batch_op.f('ix_badge_image_id'))
        batch_op.drop_index(batch_op.f('ix_badge_badge_class_id'))
        batch_op.drop_index(batch_op.f('ix_badge_assertion_iri'))

    op.drop_table('badge')
    with op.batch_alter_table('badge_class', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_badge_class_issuer_id'))
        batch_op.drop_index(batch_op.f('ix_badge_class_image_id'))

    op.drop_table('badge_class')
    op.drop_table('issuer')
    op.drop_table('image')

