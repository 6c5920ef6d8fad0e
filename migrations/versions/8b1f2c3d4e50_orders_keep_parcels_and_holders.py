"""Orders keep their packing and who held them: parcels, units, session and address hashes

Revision ID: 8b1f2c3d4e50
Revises: e37bd3733bfd
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8b1f2c3d4e50'
down_revision = 'e37bd3733bfd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parcels', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('units', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('session_hash', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('client_hash', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_orders_session_hash_status', ['session_hash', 'status'], unique=False)
        batch_op.create_index('ix_orders_client_hash_status', ['client_hash', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_client_hash_status')
        batch_op.drop_index('ix_orders_session_hash_status')
        batch_op.drop_column('client_hash')
        batch_op.drop_column('session_hash')
        batch_op.drop_column('units')
        batch_op.drop_column('parcels')
