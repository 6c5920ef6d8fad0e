"""The ECMS: shipments, their packages, the codes it issues and every package movement."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop import clock
from shop.codes import CodeType
from shop.extensions import db, str_enum
from shop.timeutil import UTCDateTime


class PaymentMode(enum.StrEnum):
    PREPAID = "prepaid"  # paid before: the shopper claims with a CLAIM CODE
    COD = "cod"  # cash on delivery: the shopper pays and claims with a REFERENCE code


class PackageState(enum.StrEnum):
    LABEL_ISSUED = "label_issued"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_TRANSIT = "in_transit"
    AT_BRANCH = "at_branch"
    CLAIMED = "claimed"
    UNCLAIMED = "unclaimed"
    RETURN_DROPPED_OFF = "return_dropped_off"
    RETURNING = "returning"
    RETURNED_TO_MERCHANT = "returned_to_merchant"
    CANCELLED = "cancelled"


class Shipment(db.Model):
    """What the ECMS knows of one order going to one branch: the recipient, how it is paid, and
    its packages. The shop's own orders and (later) merchants' API shipments are both this."""

    __tablename__ = "shipments"
    __table_args__ = (
        sa.CheckConstraint("amount_due >= 0", name="amount_due_not_negative"),
        sa.UniqueConstraint("source", "reference", name="uq_shipments_source_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(40), default="shop")  # "shop" or a merchant
    reference: Mapped[str] = mapped_column(sa.String(64))  # the source's order number
    payment: Mapped[PaymentMode] = mapped_column(str_enum(PaymentMode, 8))
    # The code that unlocks it at the counter: a CLAIM CODE when prepaid, a PAY & CLAIM
    # (REFERENCE) code when cash on delivery. It lives on the shipment it unlocks (its first
    # digit says which kind), unique by index.
    code: Mapped[str] = mapped_column(sa.String(14), unique=True)
    amount_due: Mapped[int] = mapped_column(default=0)  # centavos to collect at the counter
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    recipient_name: Mapped[str] = mapped_column(sa.String(120))
    recipient_phone: Mapped[str] = mapped_column(sa.String(20))
    recipient_email: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    packages: Mapped[list["Package"]] = relationship(
        back_populates="shipment", order_by="Package.id", lazy="selectin"
    )


class Package(db.Model):
    __tablename__ = "packages"
    __table_args__ = (
        # The tick's query: packages at a branch whose pickup deadline passed, soonest first.
        sa.Index("ix_packages_state_pickup_deadline", "state", "pickup_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(sa.ForeignKey("shipments.id"), index=True)
    tracking_number: Mapped[str] = mapped_column(sa.String(12), unique=True)
    state: Mapped[PackageState] = mapped_column(str_enum(PackageState, 24), index=True)
    frozen: Mapped[bool] = mapped_column(default=False)
    weight_g: Mapped[int] = mapped_column(default=0)
    volume_cm3: Mapped[int] = mapped_column(default=0)
    contents: Mapped[str] = mapped_column(sa.Text, default="")  # "2 × Pork Siomai; 1 × ..."
    # Which order lines travel in it: [[item_id, quantity], ...], packed at order time (see
    # service.Parcel); None for packages made before it was kept, and for merchants' packages.
    lines: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # Where it is now: the branch or DC that holds it (the origin branch after a store drop-off,
    # the DC after inspection, the destination after arrival, the branch that took a return);
    # None before drop-off, on a truck, and once it left the network (claimed, handed back).
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    # Set when it arrives at its branch (pickup_deadline()); the tick makes it unclaimed after.
    pickup_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The pickup deadline the shopper was reminded of (shop.fulfillment.timing): one reminder
    # per package and deadline, a new deadline (a re-route) is reminded again.
    reminded_for: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The DC trip that took it to its branch (counter.models.Trip), once dispatched.
    trip_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trips.id"), index=True)

    shipment: Mapped[Shipment] = relationship(back_populates="packages")
    events: Mapped[list["PackageEvent"]] = relationship(
        back_populates="package", order_by="PackageEvent.id", lazy="selectin"
    )


class PackageEvent(db.Model):
    """One movement of a package: who did what, where, when. Append-only.

    `actor` and `place` are the words (the person's name, the branch's name) as they were at
    the time; `actor_id`, `actor_role` and `branch_id` the same facts as keys. `terminal` and
    `shift` say which counter and shift (at a branch). `detail` holds what the step measured or
    took: inspection measurements, a rejection reason, the cash received and change, an ID
    type, later AR and APO numbers or a void's reason (see docs/decisions.md)."""

    __tablename__ = "package_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(sa.ForeignKey("packages.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(32))
    from_state: Mapped[PackageState | None] = mapped_column(
        str_enum(PackageState, 24), nullable=True
    )
    to_state: Mapped[PackageState] = mapped_column(str_enum(PackageState, 24))
    actor: Mapped[str] = mapped_column(sa.String(120), default="system")
    place: Mapped[str] = mapped_column(sa.String(120), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_role: Mapped[str] = mapped_column(
        sa.String(16), default="system", server_default="system"
    )
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    terminal: Mapped[str | None] = mapped_column(sa.String(32))
    shift: Mapped[str | None] = mapped_column(sa.String(32))
    detail: Mapped[dict | None] = mapped_column(sa.JSON, default=dict)

    package: Mapped[Package] = relationship(back_populates="events")


class Code(db.Model):
    """A PAY or RETURN code: a code that stands for something other than a shipment (a
    payment to take at the counter, a return to accept). CLAIM and REFERENCE codes live on
    their shipment. Unique across every code of the kind ever issued, a stricter rule than
    "among live codes" (the space of 10^12 allows it)."""

    __tablename__ = "codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(14), unique=True)
    kind: Mapped[CodeType] = mapped_column(str_enum(CodeType, 12))
    shipment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shipments.id"), index=True)
    reference: Mapped[str] = mapped_column(sa.String(64), default="")  # order number
    amount: Mapped[int] = mapped_column(default=0)  # PAY CODE: centavos to pay at the counter
    live: Mapped[bool] = mapped_column(default=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # A RETURN CODE stands for one package going back (unique: one return per package ever)
    # and carries the return's own tracking number, printed on the return label
    # (shop/fulfillment/returns.py, docs/decisions.md "Returns and PAY CODEs at the counter").
    package_id: Mapped[int | None] = mapped_column(sa.ForeignKey("packages.id"), unique=True)
    tracking_number: Mapped[str | None] = mapped_column(sa.String(12), unique=True)
    # When the code was used at a counter (a PAY CODE paid, a RETURN CODE accepted) and what
    # was taken: who, where, the cash and change (a double submit reads it back).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    detail: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
