"""Orders no longer keep a SetupIntent: the card is collected and charged in one step

Revision ID: a9d3e5f7c1b2
Revises: d4c8e2a6b1f3
Create Date: 2026-12-01 11:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9d3e5f7c1b2'
down_revision = 'd4c8e2a6b1f3'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite rebuilds the table (it can't drop a column with constraints
    # around it everywhere); PostgreSQL drops the column in place.
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('stripe_setup_intent')


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('stripe_setup_intent', sa.String(length=255), nullable=True)
        )
