"""The outbox: messages saved with the change they report, delivered by the worker

Revision ID: b6c1f0a2d9e4
Revises: 8b1f2c3d4e50
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6c1f0a2d9e4'
down_revision = '8b1f2c3d4e50'
branch_labels = None
depends_on = None

CLAIMABLE = sa.text("status IN ('pending', 'delivering')")


def upgrade():
    op.create_table(
        'outbox_messages',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column(
            'status',
            sa.Enum('pending', 'delivering', 'delivered', 'parked', name='outboxstatus',
                    native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('locked_by', sa.String(length=120), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_messages_attempts_not_negative')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
        sa.UniqueConstraint('key', name=op.f('uq_outbox_messages_key')),
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(
            'ix_outbox_messages_due', ['next_attempt_at'], unique=False,
            postgresql_where=CLAIMABLE, sqlite_where=CLAIMABLE,
        )
        batch_op.create_index(
            'ix_outbox_messages_status_created_at', ['status', 'created_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_created_at')
        batch_op.drop_index('ix_outbox_messages_due')
    op.drop_table('outbox_messages')
