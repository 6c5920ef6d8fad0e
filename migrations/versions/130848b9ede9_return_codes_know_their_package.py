"""Return codes know their package and the return's tracking number; codes record their use
(issue #10, points 4 and 5)

Revision ID: 130848b9ede9
Revises: 3cce7a45d87c
Create Date: 2026-12-01 14:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '130848b9ede9'
down_revision = '3cce7a45d87c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('codes') as batch:
        batch.add_column(sa.Column('package_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('tracking_number', sa.String(length=12), nullable=True))
        batch.add_column(sa.Column('used_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('detail', sa.JSON(), nullable=True))
        batch.create_foreign_key(
            batch.f('fk_codes_package_id_packages'), 'packages', ['package_id'], ['id']
        )
        batch.create_unique_constraint(batch.f('uq_codes_package_id'), ['package_id'])
        batch.create_unique_constraint(batch.f('uq_codes_tracking_number'), ['tracking_number'])


def downgrade():
    with op.batch_alter_table('codes') as batch:
        batch.drop_constraint(batch.f('uq_codes_tracking_number'), type_='unique')
        batch.drop_constraint(batch.f('uq_codes_package_id'), type_='unique')
        batch.drop_constraint(batch.f('fk_codes_package_id_packages'), type_='foreignkey')
        batch.drop_column('detail')
        batch.drop_column('used_at')
        batch.drop_column('tracking_number')
        batch.drop_column('package_id')
