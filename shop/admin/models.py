"""The operator console's own table: the audit log of every change made from it."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop import clock
from shop.extensions import db
from shop.timeutil import UTCDateTime


class AuditEntry(db.Model):
    """One change an operator made: who (`actor_id`, and `actor_email` as it was then, so the
    row still reads after the account goes), when (`at`), what (`action` on `object_type`
    `object_id`, with the fields it changed `before` and `after`, as JSON). Append-only: written
    by shop.admin.audit.record in the transaction of the change it describes, never updated."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_object", "object_type", "object_id", "id"),
        sa.Index("ix_audit_log_actor", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_email: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    before: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
