"""Commission entries keep a ref, attributions when the tick looks next, packages their lines
(issue #11)

- commission_entries.ref and a unique (line_id, ref, from_bucket, reason): a package
  reversed twice, or two ticks approving one line, write the move once;
- attributions.settle_at (indexed): the approval tick's queue;
- packages.lines: [[item_id, quantity], ...], which order lines travel in the package, so
  a package that goes unclaimed, is rejected or returned reverses its own units only.

Revision ID: bae3ce8b34c9
Revises: a24789169bf1
Create Date: 2026-12-01 17:12:27.332599

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bae3ce8b34c9'
down_revision = 'a24789169bf1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attributions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settle_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_attributions_settle_at'), ['settle_at'], unique=False)

    with op.batch_alter_table('commission_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint('uq_commission_entries_line_ref', ['line_id', 'ref', 'from_bucket', 'reason'])

    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lines', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.drop_column('lines')

    with op.batch_alter_table('commission_entries', schema=None) as batch_op:
        batch_op.drop_constraint('uq_commission_entries_line_ref', type_='unique')
        batch_op.drop_column('ref')

    with op.batch_alter_table('attributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attributions_settle_at'))
        batch_op.drop_column('settle_at')
