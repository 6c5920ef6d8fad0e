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
_ORDERED_SQL = sa.text("status IN ('pending', 'delivering') AND ordering_key IS NOT NULL")


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
        # The worker's query: only the rows still to deliver, in the order they fall due (the
        # claim's whole ORDER BY, so that it walks the index and stops at its batch instead of
        # sorting every due row: a backlog of 2,000 took 10 ms a claim, now 0.2). A partial
        # index stays small however many delivered rows the table keeps.
        sa.Index(
            "ix_outbox_messages_due",
            "next_attempt_at",
            "created_at",
            "id",
            postgresql_where=_CLAIMABLE_SQL,
            sqlite_where=_CLAIMABLE_SQL,
        ),
        # The operator's page: counts by status, the parked messages oldest first.
        sa.Index("ix_outbox_messages_status_created_at", "status", "created_at"),
        # The claim's "is an earlier message of this ordering key still to deliver?": only the
        # ordered rows still to deliver, so it stays as small as the due index.
        sa.Index(
            "ix_outbox_messages_ordering",
            "ordering_key",
            "ordering_position",
            postgresql_where=_ORDERED_SQL,
            sqlite_where=_ORDERED_SQL,
        ),
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
    # Messages with one ordering key go one at a time, by ordering_position: a message is not
    # claimed while one with the same key and a lower position is still pending or delivering
    # (shop.notify.service, "Order"). None: no order, as before.
    ordering_key: Mapped[str | None] = mapped_column(sa.String(200))
    ordering_position: Mapped[int | None] = mapped_column(sa.BigInteger())


# --- Webhooks (shop.notify.webhooks) -----------------------------------------------------------
#
# An endpoint belongs to an owner named by a type and an id, not by a foreign key: a publisher
# is a user (owner_id = users.id), a merchant a merchants row (issue #12). The rows of one owner
# are found by (owner_type, owner_id); a foreign key per owner type would need a column each.


class WebhookEndpoint(db.Model):
    """Where an owner receives its events, signed with `secret`.

    `secret` is the Standard Webhooks signing key ("whsec_" + base64 of 32 random bytes). It is
    stored as it is, not hashed: every delivery computes an HMAC with it, so the shop needs the
    key itself (a hash could only check a key someone shows us, and nobody does). It is shown
    to its owner once, at creation; afterwards only its last four characters."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (sa.Index("ix_webhook_endpoints_owner", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(sa.String(16))  # "publisher" | "merchant"
    owner_id: Mapped[int] = mapped_column()
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    secret: Mapped[str] = mapped_column(sa.String(100))
    # The event types it receives; None means every type its owner can receive.
    event_types: Mapped[list | None] = mapped_column(sa.JSON)
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # When its current run of failures began (None while deliveries succeed).
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    @property
    def secret_hint(self) -> str:
        return "whsec_…" + self.secret[-4:]

    def receives(self, event_type: str) -> bool:
        return self.event_types is None or event_type in self.event_types


class WebhookEvent(db.Model):
    """Every event published to an owner, whether or not an endpoint took it: the source of
    the owner's event feed (`GET /api/v1/events?after=<id>`, in id order) and of resends. `key`
    makes a publish idempotent: an event whose key is already here is not published again."""

    __tablename__ = "webhook_events"
    __table_args__ = (sa.Index("ix_webhook_events_owner_id", "owner_type", "owner_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(sa.String(16))
    owner_id: Mapped[int] = mapped_column()
    type: Mapped[str] = mapped_column(sa.String(80))
    data: Mapped[dict] = mapped_column(sa.JSON)
    key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class WebhookDelivery(db.Model):
    """One attempt to deliver one message to one endpoint: the endpoint's delivery log. Written
    by the channel in a short transaction of its own, after the attempt (never inside the
    outbox's claim), whatever the outcome."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (sa.Index("ix_webhook_deliveries_endpoint_at", "endpoint_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    message_id: Mapped[str] = mapped_column(sa.String(36))  # the outbox id = webhook-id
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("webhook_events.id", ondelete="SET NULL")
    )
    event_type: Mapped[str] = mapped_column(sa.String(80))
    attempt: Mapped[int] = mapped_column()
    request_body: Mapped[str] = mapped_column(sa.Text())  # truncated
    response_status: Mapped[int | None] = mapped_column()  # None: no answer (refused, timeout)
    response_body: Mapped[str | None] = mapped_column(sa.Text())  # an excerpt
    error: Mapped[str | None] = mapped_column(sa.Text())
    duration_ms: Mapped[int] = mapped_column(default=0)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300
