"""Branch capacity: the packages reserved for each branch, never above its shelf

Revision ID: 660470c77214
Revises: 553b60b7c153
Create Date: 2026-11-25 05:02:21.473172

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '660470c77214'
down_revision = '553b60b7c153'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reserved', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_branches_reserved_not_negative'), 'reserved >= 0')



def downgrade():
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_branches_reserved_not_negative'), type_='check')
        batch_op.drop_column('reserved')

