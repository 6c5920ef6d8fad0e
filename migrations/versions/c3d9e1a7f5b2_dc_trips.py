"""DC trips: trips, and packages.trip_id (issue #10, point 3)

Revision ID: c3d9e1a7f5b2
Revises: f1a7c3e9b2d5
Create Date: 2026-12-01 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d9e1a7f5b2'
down_revision = 'f1a7c3e9b2d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'trips',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('destination_id', sa.Integer(), nullable=False),
        sa.Column('cold', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.Column('terminal', sa.String(length=32), nullable=True),
        sa.Column('shift', sa.String(length=32), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_trips_created_by_id_users')),
        sa.ForeignKeyConstraint(['destination_id'], ['branches.id'], name=op.f('fk_trips_destination_id_branches')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_trips')),
        sa.UniqueConstraint('number', name=op.f('uq_trips_number')),
    )
    with op.batch_alter_table('trips') as batch:
        batch.create_index(batch.f('ix_trips_destination_id'), ['destination_id'], unique=False)
    with op.batch_alter_table('packages') as batch:
        batch.add_column(sa.Column('trip_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f('fk_packages_trip_id_trips'), 'trips', ['trip_id'], ['id'])
        batch.create_index(batch.f('ix_packages_trip_id'), ['trip_id'], unique=False)


def downgrade():
    with op.batch_alter_table('packages') as batch:
        batch.drop_index(batch.f('ix_packages_trip_id'))
        batch.drop_constraint(batch.f('fk_packages_trip_id_trips'), type_='foreignkey')
        batch.drop_column('trip_id')
    with op.batch_alter_table('trips') as batch:
        batch.drop_index(batch.f('ix_trips_destination_id'))
    op.drop_table('trips')
