"""The outbox table: one row per message to deliver, kept after delivery."""

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop import clock
from shop.extensions import db, str_enum
from shop.timeutil import UTCDateTime


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt, due at next_attempt_at
    DELIVERING = "delivering"  # a worker holds its lease (until locked_until) and is sending it
    DELIVERED = "delivered"  # the receiver took it
    PARKED = "parked"  # given up on (out of attempts, or refused for good): an operator retries

    @property
    def label(self) -> str:
        return {
            OutboxStatus.PENDING: "Waiting",
            OutboxStatus.DELIVERING: "Being delivered",
            OutboxStatus.DELIVERED: "Delivered",
            OutboxStatus.PARKED: "Parked",
        }[self]


# The rows a worker may claim. The worker's query is `status IN (these) AND next_attempt_at
# <= now`: a claim moves next_attempt_at to the end of its lease, so one column says when a
# pending message is due and when a dead worker's lease runs out.
CLAIMABLE = (OutboxStatus.PENDING, OutboxStatus.DELIVERING)
_CLAIMABLE_SQL = sa.text("status IN ('pending', 'delivering')")


def new_message_id() -> str:
    return str(uuid.uuid4())


class OutboxMessage(db.Model):
    """A message to deliver once its transaction commits. Its `id` is what the receiver sees
    (Message-ID for mail, the idempotency key for Stripe, `webhook-id` for webhooks): a
    receiver that drops a repeated id gets each message once, though the outbox may deliver it
    more than once (a worker that dies after sending but before recording)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The worker's query: only the rows still to deliver, in the order they fall due. A
        # partial index stays small however many delivered rows the table keeps.
        sa.Index(
            "ix_outbox_messages_due",
            "next_attempt_at",
            postgresql_where=_CLAIMABLE_SQL,
            sqlite_where=_CLAIMABLE_SQL,
        ),
        # The operator's page: counts by status, the parked messages oldest first.
        sa.Index("ix_outbox_messages_status_created_at", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_message_id)
    kind: Mapped[str] = mapped_column(sa.String(40))  # the channel: mail, stripe_refund, ...
    # An optional caller's key ("refund-pi_123"): a message with a key already in the outbox
    # is not added again, so a decision taken twice (the browser and the webhook) sends once.
    key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    payload: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, 16), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")  # deliveries started
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the lease's end
    locked_by: Mapped[str | None] = mapped_column(sa.String(120))  # the worker holding it
    last_error: Mapped[str | None] = mapped_column(sa.Text())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
