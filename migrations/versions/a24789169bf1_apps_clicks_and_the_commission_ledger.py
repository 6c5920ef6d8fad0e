"""Apps, their rates and clicks, attributions, the commission ledger and payouts (issue #11)

Revision ID: a24789169bf1
Revises: 130848b9ede9
Create Date: 2026-12-01 17:01:57.401332

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a24789169bf1'
down_revision = '130848b9ede9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('publishers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts')),
    sa.UniqueConstraint('number', name=op.f('uq_payouts_number'))
    )
    op.create_table('apps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publisher_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('origins', sa.JSON(), nullable=False),
    sa.Column('default_rate_bp', sa.Integer(), nullable=False),
    sa.Column('theme_colour', sa.String(length=7), nullable=False),
    sa.Column('category_ids', sa.JSON(), nullable=True),
    sa.Column('item_ids', sa.JSON(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'approved', 'suspended', name='appstatus', native_enum=False, length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('default_rate_bp >= 0 AND default_rate_bp <= 10000', name=op.f('ck_apps_rate_in_range')),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], name=op.f('fk_apps_approved_by_users')),
    sa.ForeignKeyConstraint(['publisher_id'], ['users.id'], name=op.f('fk_apps_publisher_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apps')),
    sa.UniqueConstraint('key', name=op.f('uq_apps_key'))
    )
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apps_publisher_id'), ['publisher_id'], unique=False)

    op.create_table('payout_accounts',
    sa.Column('publisher_id', sa.Integer(), nullable=False),
    sa.Column('account_name', sa.String(length=120), nullable=False),
    sa.Column('bank', sa.String(length=80), nullable=False),
    sa.Column('account_number', sa.String(length=34), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['publisher_id'], ['users.id'], name=op.f('fk_payout_accounts_publisher_id_users')),
    sa.PrimaryKeyConstraint('publisher_id', name=op.f('pk_payout_accounts'))
    )
    op.create_table('payout_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=False),
    sa.Column('publisher_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('account_name', sa.String(length=120), nullable=False),
    sa.Column('bank', sa.String(length=80), nullable=False),
    sa.Column('account_number', sa.String(length=34), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payout_lines_amount_positive')),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_payout_lines_payout_id_payouts')),
    sa.ForeignKeyConstraint(['publisher_id'], ['users.id'], name=op.f('fk_payout_lines_publisher_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_lines')),
    sa.UniqueConstraint('payout_id', 'publisher_id', name='uq_payout_lines_payout_publisher')
    )
    with op.batch_alter_table('payout_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_lines_publisher_id'), ['publisher_id'], unique=False)

    op.create_table('app_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.CheckConstraint('(item_id IS NULL) <> (category_id IS NULL)', name=op.f('ck_app_rates_item_or_category')),
    sa.CheckConstraint('rate_bp >= 0 AND rate_bp <= 10000', name=op.f('ck_app_rates_rate_in_range')),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], name=op.f('fk_app_rates_app_id_apps')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_app_rates_category_id_categories')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_app_rates_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_rates')),
    sa.UniqueConstraint('app_id', 'category_id', name='uq_app_rates_app_category'),
    sa.UniqueConstraint('app_id', 'item_id', name='uq_app_rates_app_item')
    )
    with op.batch_alter_table('app_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_rates_app_id'), ['app_id'], unique=False)

    op.create_table('clicks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('embed', 'link', name='clickkind', native_enum=False, length=8), nullable=False),
    sa.Column('visitor', sa.String(length=32), nullable=False),
    sa.Column('client_hash', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('flag', sa.String(length=32), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], name=op.f('fk_clicks_app_id_apps')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_clicks_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clicks'))
    )
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.create_index('ix_clicks_app_id_at', ['app_id', 'at'], unique=False)
        batch_op.create_index('ix_clicks_app_id_visitor_at', ['app_id', 'visitor', 'at'], unique=False)
        batch_op.create_index('ix_clicks_client_hash_at', ['client_hash', 'at'], unique=False)
        batch_op.create_index('ix_clicks_visitor_at', ['visitor', 'at'], unique=False)

    op.create_table('attributions',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.Integer(), nullable=False),
    sa.Column('click_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=8), nullable=False),
    sa.Column('flag', sa.String(length=32), nullable=True),
    sa.Column('sales', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], name=op.f('fk_attributions_app_id_apps')),
    sa.ForeignKeyConstraint(['click_id'], ['clicks.id'], name=op.f('fk_attributions_click_id_clicks')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_attributions_order_id_orders')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_attributions'))
    )
    with op.batch_alter_table('attributions', schema=None) as batch_op:
        batch_op.create_index('ix_attributions_app_id_created_at', ['app_id', 'created_at'], unique=False)

    op.create_table('commission_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('rate_source', sa.String(length=8), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_commission', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], name=op.f('fk_commission_lines_app_id_apps')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_commission_lines_item_id_items')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_commission_lines_order_id_orders')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_commission_lines_order_line_id_order_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_lines')),
    sa.UniqueConstraint('order_line_id', name=op.f('uq_commission_lines_order_line_id'))
    )
    with op.batch_alter_table('commission_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commission_lines_app_id'), ['app_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_lines_order_id'), ['order_id'], unique=False)

    op.create_table('commission_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('line_id', sa.Integer(), nullable=True),
    sa.Column('bucket', sa.Enum('pending', 'approved', 'reversed', 'paid', name='bucket', native_enum=False, length=10), nullable=False),
    sa.Column('from_bucket', sa.Enum('pending', 'approved', 'reversed', 'paid', name='bucket', native_enum=False, length=10), nullable=True),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_commission_entries_amount_not_negative')),
    sa.CheckConstraint('units >= 0', name=op.f('ck_commission_entries_units_not_negative')),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], name=op.f('fk_commission_entries_app_id_apps')),
    sa.ForeignKeyConstraint(['line_id'], ['commission_lines.id'], name=op.f('fk_commission_entries_line_id_commission_lines')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_commission_entries_order_id_orders')),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_commission_entries_payout_id_payouts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_entries'))
    )
    with op.batch_alter_table('commission_entries', schema=None) as batch_op:
        batch_op.create_index('ix_commission_entries_app_id_created_at', ['app_id', 'created_at'], unique=False)
        batch_op.create_index('ix_commission_entries_line_id', ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_entries_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_commission_entries_payout_id', ['payout_id'], unique=False)



def downgrade():
    with op.batch_alter_table('commission_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_commission_entries_payout_id')
        batch_op.drop_index(batch_op.f('ix_commission_entries_order_id'))
        batch_op.drop_index('ix_commission_entries_line_id')
        batch_op.drop_index('ix_commission_entries_app_id_created_at')

    op.drop_table('commission_entries')
    with op.batch_alter_table('commission_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commission_lines_order_id'))
        batch_op.drop_index(batch_op.f('ix_commission_lines_app_id'))

    op.drop_table('commission_lines')
    with op.batch_alter_table('attributions', schema=None) as batch_op:
        batch_op.drop_index('ix_attributions_app_id_created_at')

    op.drop_table('attributions')
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.drop_index('ix_clicks_visitor_at')
        batch_op.drop_index('ix_clicks_client_hash_at')
        batch_op.drop_index('ix_clicks_app_id_visitor_at')
        batch_op.drop_index('ix_clicks_app_id_at')

    op.drop_table('clicks')
    with op.batch_alter_table('app_rates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_rates_app_id'))

    op.drop_table('app_rates')
    with op.batch_alter_table('payout_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_lines_publisher_id'))

    op.drop_table('payout_lines')
    op.drop_table('payout_accounts')
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apps_publisher_id'))

    op.drop_table('apps')
    op.drop_table('payouts')
