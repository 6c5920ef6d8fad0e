"""Packages know where they are and who moved them: users.branch_id, packages.location_id and
pickup_deadline, package_events' actor, branch, terminal, shift and detail

Revision ID: f1a7c3e9b2d5
Revises: d4c8e2a6b1f3
Create Date: 2026-12-01 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a7c3e9b2d5'
down_revision = 'a9d3e5f7c1b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('branch_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f('fk_users_branch_id_branches'), 'branches', ['branch_id'], ['id']
        )
        batch.create_index(batch.f('ix_users_branch_id'), ['branch_id'], unique=False)
    with op.batch_alter_table('packages') as batch:
        batch.add_column(sa.Column('location_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('pickup_deadline', sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            batch.f('fk_packages_location_id_branches'), 'branches', ['location_id'], ['id']
        )
        batch.create_index(batch.f('ix_packages_location_id'), ['location_id'], unique=False)
        batch.create_index(
            'ix_packages_state_pickup_deadline', ['state', 'pickup_deadline'], unique=False
        )
    with op.batch_alter_table('package_events') as batch:
        batch.add_column(sa.Column('actor_id', sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column('actor_role', sa.String(length=16), server_default='system', nullable=False)
        )
        batch.add_column(sa.Column('branch_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('terminal', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('shift', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('detail', sa.JSON(), nullable=True))
        batch.create_foreign_key(
            batch.f('fk_package_events_actor_id_users'), 'users', ['actor_id'], ['id']
        )
        batch.create_foreign_key(
            batch.f('fk_package_events_branch_id_branches'), 'branches', ['branch_id'], ['id']
        )
        batch.create_index(batch.f('ix_package_events_actor_id'), ['actor_id'], unique=False)
        batch.create_index(batch.f('ix_package_events_branch_id'), ['branch_id'], unique=False)


def downgrade():
    with op.batch_alter_table('package_events') as batch:
        batch.drop_index(batch.f('ix_package_events_branch_id'))
        batch.drop_index(batch.f('ix_package_events_actor_id'))
        batch.drop_constraint(batch.f('fk_package_events_branch_id_branches'), type_='foreignkey')
        batch.drop_constraint(batch.f('fk_package_events_actor_id_users'), type_='foreignkey')
        for column in ('detail', 'shift', 'terminal', 'branch_id', 'actor_role', 'actor_id'):
            batch.drop_column(column)
    with op.batch_alter_table('packages') as batch:
        batch.drop_index('ix_packages_state_pickup_deadline')
        batch.drop_index(batch.f('ix_packages_location_id'))
        batch.drop_constraint(batch.f('fk_packages_location_id_branches'), type_='foreignkey')
        batch.drop_column('pickup_deadline')
        batch.drop_column('location_id')
    with op.batch_alter_table('users') as batch:
        batch.drop_index(batch.f('ix_users_branch_id'))
        batch.drop_constraint(batch.f('fk_users_branch_id_branches'), type_='foreignkey')
        batch.drop_column('branch_id')
