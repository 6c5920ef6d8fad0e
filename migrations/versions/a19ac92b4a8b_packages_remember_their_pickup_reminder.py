"""Packages remember the pickup deadline their shopper was reminded of: packages.reminded_for

Revision ID: a19ac92b4a8b
Revises: 048aaeec0e90
Create Date: 2026-12-01 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a19ac92b4a8b'
down_revision = '048aaeec0e90'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('packages') as batch:
        batch.add_column(sa.Column('reminded_for', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('packages') as batch:
        batch.drop_column('reminded_for')
