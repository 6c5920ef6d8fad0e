"""Users, the catalog (categories, items) and the branches

Revision ID: 553b60b7c153
Revises: 
Create Date: 2026-11-25 04:36:46.410298

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '553b60b7c153'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('branches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('city', sa.String(length=80), nullable=False),
    sa.Column('province', sa.String(length=80), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lng', sa.Float(), nullable=False),
    sa.Column('opens_at', sa.Integer(), nullable=False),
    sa.Column('closes_at', sa.Integer(), nullable=False),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('shelf_capacity', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('store', 'dc', name='branchkind', native_enum=False, length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('closes_at BETWEEN 0 AND 1439', name=op.f('ck_branches_closes_at_in_day')),
    sa.CheckConstraint('opens_at BETWEEN 0 AND 1439', name=op.f('ck_branches_opens_at_in_day')),
    sa.CheckConstraint('shelf_capacity >= 0', name=op.f('ck_branches_shelf_capacity_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_branches')),
    sa.UniqueConstraint('code', name=op.f('uq_branches_code'))
    )
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_branches_city'), ['city'], unique=False)
        batch_op.create_index('ix_branches_lat_lng', ['lat', 'lng'], unique=False)

    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('slug', name=op.f('uq_categories_slug'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('shopper', 'publisher', 'merchant', 'seller', 'clerk', 'dc', 'admin', name='role', native_enum=False, length=16), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('length_mm', sa.Integer(), nullable=False),
    sa.Column('width_mm', sa.Integer(), nullable=False),
    sa.Column('height_mm', sa.Integer(), nullable=False),
    sa.Column('weight_g', sa.Integer(), nullable=False),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('virtual', sa.Boolean(), nullable=False),
    sa.Column('image', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price > 0', name=op.f('ck_items_price_positive')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_items_stock_not_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_items_category_id_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('slug', name=op.f('uq_items_slug'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_category_id_name', ['category_id', 'name'], unique=False)
        batch_op.create_index('ix_items_created_at', ['created_at'], unique=False)




def downgrade():
    
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_created_at')
        batch_op.drop_index('ix_items_category_id_name')

    op.drop_table('items')
    op.drop_table('users')
    op.drop_table('categories')
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.drop_index('ix_branches_lat_lng')
        batch_op.drop_index(batch_op.f('ix_branches_city'))

    op.drop_table('branches')

