"""Store-to-store shipments of sellers, and APOs (issue #10, points 6 and 3)

Revision ID: 048aaeec0e90
Revises: c3d9e1a7f5b2
Create Date: 2026-12-01 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '048aaeec0e90'
down_revision = 'c3d9e1a7f5b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'seller_shipments',
        sa.Column('shipment_id', sa.Integer(), nullable=False),
        sa.Column('seller_id', sa.Integer(), nullable=False),
        sa.Column('origin_branch_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_seller_shipments_shipment_id_shipments')),
        sa.ForeignKeyConstraint(['seller_id'], ['users.id'], name=op.f('fk_seller_shipments_seller_id_users')),
        sa.ForeignKeyConstraint(['origin_branch_id'], ['branches.id'], name=op.f('fk_seller_shipments_origin_branch_id_branches')),
        sa.PrimaryKeyConstraint('shipment_id', name=op.f('pk_seller_shipments')),
    )
    with op.batch_alter_table('seller_shipments') as batch:
        batch.create_index(batch.f('ix_seller_shipments_seller_id'), ['seller_id'], unique=False)
    op.create_table(
        'apos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=24), nullable=False),
        sa.Column('merchant', sa.String(length=40), nullable=False),
        sa.Column('merchant_name', sa.String(length=120), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.Column('terminal', sa.String(length=32), nullable=True),
        sa.Column('shift', sa.String(length=32), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('released_by_id', sa.Integer(), nullable=True),
        sa.Column('released_by', sa.String(length=120), nullable=True),
        sa.Column('courier', sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_apos_created_by_id_users')),
        sa.ForeignKeyConstraint(['released_by_id'], ['users.id'], name=op.f('fk_apos_released_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_apos')),
        sa.UniqueConstraint('number', name=op.f('uq_apos_number')),
    )
    with op.batch_alter_table('apos') as batch:
        batch.create_index(batch.f('ix_apos_merchant'), ['merchant'], unique=False)
    op.create_table(
        'apo_packages',
        sa.Column('apo_id', sa.Integer(), nullable=False),
        sa.Column('package_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['apo_id'], ['apos.id'], name=op.f('fk_apo_packages_apo_id_apos')),
        sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_apo_packages_package_id_packages')),
        sa.PrimaryKeyConstraint('apo_id', 'package_id', name=op.f('pk_apo_packages')),
        sa.UniqueConstraint('package_id', name=op.f('uq_apo_packages_package_id')),
    )


def downgrade():
    op.drop_table('apo_packages')
    with op.batch_alter_table('apos') as batch:
        batch.drop_index(batch.f('ix_apos_merchant'))
    op.drop_table('apos')
    with op.batch_alter_table('seller_shipments') as batch:
        batch.drop_index(batch.f('ix_seller_shipments_seller_id'))
    op.drop_table('seller_shipments')
