"""Checkout and the ECMS: orders and their lines, shipments, packages and their events,
the codes issued, and the Stripe events processed

Revision ID: e37bd3733bfd
Revises: 660470c77214
Create Date: 2026-11-25 05:07:25.102911

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e37bd3733bfd'
down_revision = '660470c77214'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('stripe_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events'))
    )
    op.create_table('shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('payment', sa.Enum('prepaid', 'cod', name='paymentmode', native_enum=False, length=8), nullable=False),
    sa.Column('code', sa.String(length=14), nullable=False),
    sa.Column('amount_due', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('recipient_name', sa.String(length=120), nullable=False),
    sa.Column('recipient_phone', sa.String(length=20), nullable=False),
    sa.Column('recipient_email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_due >= 0', name=op.f('ck_shipments_amount_due_not_negative')),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_shipments_branch_id_branches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments')),
    sa.UniqueConstraint('code', name=op.f('uq_shipments_code')),
    sa.UniqueConstraint('source', 'reference', name='uq_shipments_source_reference')
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_branch_id'), ['branch_id'], unique=False)

    op.create_table('codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=14), nullable=False),
    sa.Column('kind', sa.Enum('tracking', 'pay', 'claim', 'reference', 'return', name='codetype', native_enum=False, length=12), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('live', sa.Boolean(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_codes_shipment_id_shipments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_codes_code'))
    )
    with op.batch_alter_table('codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_codes_shipment_id'), ['shipment_id'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('payment_method', sa.Enum('online', 'cod', 'code', name='paymentmethod', native_enum=False, length=8), nullable=False),
    sa.Column('status', sa.Enum('awaiting_payment', 'confirmed', 'paid', 'expired', 'cancelled', name='orderstatus', native_enum=False, length=20), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('packages', sa.Integer(), nullable=False),
    sa.Column('subtotal', sa.Integer(), nullable=False),
    sa.Column('shipping_fee', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('amount_due', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('pay_code', sa.String(length=14), nullable=True),
    sa.Column('hold_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stripe_setup_intent', sa.String(length=255), nullable=True),
    sa.Column('stripe_payment_intent', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_due >= 0 AND amount_due <= total', name=op.f('ck_orders_amount_due_in_total')),
    sa.CheckConstraint('total = subtotal + shipping_fee', name=op.f('ck_orders_total_adds_up')),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_orders_branch_id_branches')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_orders_shipment_id_shipments')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_orders_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_orders_idempotency_key')),
    sa.UniqueConstraint('number', name=op.f('uq_orders_number')),
    sa.UniqueConstraint('stripe_payment_intent', name=op.f('uq_orders_stripe_payment_intent'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index('ix_orders_status_hold_until', ['status', 'hold_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_user_id'), ['user_id'], unique=False)

    op.create_table('packages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('tracking_number', sa.String(length=12), nullable=False),
    sa.Column('state', sa.Enum('label_issued', 'received', 'accepted', 'rejected', 'in_transit', 'at_branch', 'claimed', 'unclaimed', 'return_dropped_off', 'returning', 'returned_to_merchant', 'cancelled', name='packagestate', native_enum=False, length=24), nullable=False),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('weight_g', sa.Integer(), nullable=False),
    sa.Column('volume_cm3', sa.Integer(), nullable=False),
    sa.Column('contents', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_packages_shipment_id_shipments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_packages')),
    sa.UniqueConstraint('tracking_number', name=op.f('uq_packages_tracking_number'))
    )
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_packages_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_packages_state'), ['state'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('virtual', sa.Boolean(), nullable=False),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_order_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_order_lines_item_id_items')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines'))
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_lines_order_id'), ['order_id'], unique=False)

    op.create_table('package_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.Enum('label_issued', 'received', 'accepted', 'rejected', 'in_transit', 'at_branch', 'claimed', 'unclaimed', 'return_dropped_off', 'returning', 'returned_to_merchant', 'cancelled', name='packagestate', native_enum=False, length=24), nullable=True),
    sa.Column('to_state', sa.Enum('label_issued', 'received', 'accepted', 'rejected', 'in_transit', 'at_branch', 'claimed', 'unclaimed', 'return_dropped_off', 'returning', 'returned_to_merchant', 'cancelled', name='packagestate', native_enum=False, length=24), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('place', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_package_events_package_id_packages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_package_events'))
    )
    with op.batch_alter_table('package_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_package_events_package_id'), ['package_id'], unique=False)




def downgrade():

    with op.batch_alter_table('package_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_package_events_package_id'))

    op.drop_table('package_events')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_lines_order_id'))

    op.drop_table('order_lines')
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_packages_state'))
        batch_op.drop_index(batch_op.f('ix_packages_shipment_id'))

    op.drop_table('packages')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_user_id'))
        batch_op.drop_index('ix_orders_status_hold_until')
        batch_op.drop_index(batch_op.f('ix_orders_branch_id'))

    op.drop_table('orders')
    with op.batch_alter_table('codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_codes_shipment_id'))

    op.drop_table('codes')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_branch_id'))

    op.drop_table('shipments')
    op.drop_table('stripe_events')

