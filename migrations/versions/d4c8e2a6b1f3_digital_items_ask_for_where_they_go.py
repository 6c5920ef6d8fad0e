"""Digital items ask for where they go (a number to load, an address to send to)

Revision ID: d4c8e2a6b1f3
Revises: b6c1f0a2d9e4
Create Date: 2026-12-01 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4c8e2a6b1f3'
down_revision = 'b6c1f0a2d9e4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('items') as batch:
        batch.add_column(
            sa.Column('asks_for', sa.String(length=8), server_default='none', nullable=False)
        )
    with op.batch_alter_table('order_lines') as batch:
        batch.add_column(sa.Column('deliver_to', sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table('order_lines') as batch:
        batch.drop_column('deliver_to')
    with op.batch_alter_table('items') as batch:
        batch.drop_column('asks_for')
