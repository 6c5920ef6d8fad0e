"""Branch closures: branches.closed_from and closed_until, Manila dates (issue #10, point 10)

A branch is closed from closed_from through closed_until (both included); closed_until NULL
with closed_from set is a closure for good. Both NULL: open.

Revision ID: 3cce7a45d87c
Revises: 44130b034528
Create Date: 2026-12-01 14:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3cce7a45d87c"
down_revision = "44130b034528"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("branches") as batch:
        batch.add_column(sa.Column("closed_from", sa.Date(), nullable=True))
        batch.add_column(sa.Column("closed_until", sa.Date(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_branches_closed_until_after_from"),
            "closed_until IS NULL OR (closed_from IS NOT NULL AND closed_until >= closed_from)",
        )


def downgrade():
    with op.batch_alter_table("branches") as batch:
        batch.drop_constraint(op.f("ck_branches_closed_until_after_from"), type_="check")
        batch.drop_column("closed_until")
        batch.drop_column("closed_from")
