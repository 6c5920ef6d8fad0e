"""Counter receipts (AR, return, charge), claim signatures, branches.signature_required
(issue #10, point 4)

Revision ID: 44130b034528
Revises: c3d9e1a7f5b2
Create Date: 2026-12-01 14:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '44130b034528'
down_revision = 'c3d9e1a7f5b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'receipts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.Enum('ar', 'return', 'charge', name='receiptkind', native_enum=False, length=8), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('business_date', sa.Date(), nullable=False),
        sa.Column('shipment_id', sa.Integer(), nullable=True),
        sa.Column('code', sa.String(length=14), nullable=True),
        sa.Column('reference', sa.String(length=64), nullable=False),
        sa.Column('amount_due', sa.Integer(), nullable=False),
        sa.Column('cash_received', sa.Integer(), nullable=True),
        sa.Column('change', sa.Integer(), nullable=True),
        sa.Column('lines', sa.JSON(), nullable=True),
        sa.Column('terminal', sa.String(length=32), nullable=True),
        sa.Column('shift', sa.String(length=32), nullable=True),
        sa.Column('clerk_id', sa.Integer(), nullable=True),
        sa.Column('clerk_name', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('voided_by_id', sa.Integer(), nullable=True),
        sa.Column('voided_by', sa.String(length=120), nullable=True),
        sa.Column('void_reason', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_receipts_branch_id_branches')),
        sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_receipts_shipment_id_shipments')),
        sa.ForeignKeyConstraint(['clerk_id'], ['users.id'], name=op.f('fk_receipts_clerk_id_users')),
        sa.ForeignKeyConstraint(['voided_by_id'], ['users.id'], name=op.f('fk_receipts_voided_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_receipts')),
        sa.UniqueConstraint('number', name=op.f('uq_receipts_number')),
        sa.UniqueConstraint('branch_id', 'business_date', 'kind', 'seq', name='uq_receipts_seq'),
    )
    with op.batch_alter_table('receipts') as batch:
        batch.create_index(batch.f('ix_receipts_branch_id'), ['branch_id'], unique=False)
        batch.create_index(batch.f('ix_receipts_business_date'), ['business_date'], unique=False)
        batch.create_index(batch.f('ix_receipts_shipment_id'), ['shipment_id'], unique=False)
    op.create_table(
        'claim_signatures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('shipment_id', sa.Integer(), nullable=False),
        sa.Column('png', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['package_events.id'], name=op.f('fk_claim_signatures_event_id_package_events')),
        sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_claim_signatures_shipment_id_shipments')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_signatures')),
        sa.UniqueConstraint('event_id', name=op.f('uq_claim_signatures_event_id')),
    )
    with op.batch_alter_table('claim_signatures') as batch:
        batch.create_index(batch.f('ix_claim_signatures_shipment_id'), ['shipment_id'], unique=False)
    with op.batch_alter_table('branches') as batch:
        batch.add_column(sa.Column('signature_required', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('branches') as batch:
        batch.drop_column('signature_required')
    with op.batch_alter_table('claim_signatures') as batch:
        batch.drop_index(batch.f('ix_claim_signatures_shipment_id'))
    op.drop_table('claim_signatures')
    with op.batch_alter_table('receipts') as batch:
        batch.drop_index(batch.f('ix_receipts_shipment_id'))
        batch.drop_index(batch.f('ix_receipts_business_date'))
        batch.drop_index(batch.f('ix_receipts_branch_id'))
    op.drop_table('receipts')
