"""The counter screens' own tables: a DC trip (the packages one truck takes to one branch), a
counter receipt (AR, return, charge) and a claim's drawn signature."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop import clock
from shop.extensions import db, str_enum
from shop.fulfillment.models import Package
from shop.timeutil import UTCDateTime


class Trip(db.Model):
    """One dispatch from the DC to one branch: its packages (packages.trip_id) left together,
    in one cold truck or one ordinary one, never both (frozen goods travel cold, seed 004)."""

    __tablename__ = "trips"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)  # T-20261201-482913
    destination_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    cold: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by: Mapped[str] = mapped_column(sa.String(120), default="")
    terminal: Mapped[str | None] = mapped_column(sa.String(32))
    shift: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    packages: Mapped[list[Package]] = relationship(
        Package, order_by=Package.id, lazy="selectin", viewonly=True
    )
    destination = relationship("Branch", lazy="joined")


class ReceiptKind(enum.StrEnum):
    """What a counter receipt acknowledges: a COD claim's cash (ar), a return taken in
    (return), a PAY CODE paid (charge)."""

    AR = "ar"
    RETURN = "return"
    CHARGE = "charge"

    @property
    def prefix(self) -> str:
        return {"ar": "AR", "return": "RR", "charge": "CR"}[self.value]


class Receipt(db.Model):
    """A numbered counter receipt, printed for the shopper and kept for remittance: who issued
    it (branch, terminal, shift, clerk), on which business date (Manila), for what (the order,
    the code, the amounts, the lines). Its number is `<AR|RR|CR>-<branch code>-<YYYYMMDD>-<seq>`,
    the sequence counting per branch, business date and kind from 1 (docs/decisions.md, "The
    counter"). A void keeps the row and says when, by whom and why."""

    __tablename__ = "receipts"
    __table_args__ = (
        sa.UniqueConstraint("branch_id", "business_date", "kind", "seq", name="uq_receipts_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[ReceiptKind] = mapped_column(str_enum(ReceiptKind, 8))
    seq: Mapped[int] = mapped_column()
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    business_date: Mapped[date] = mapped_column(sa.Date, index=True)
    shipment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shipments.id"), index=True)
    code: Mapped[str | None] = mapped_column(sa.String(14))  # the code it answers
    reference: Mapped[str] = mapped_column(sa.String(64), default="")  # the order number
    amount_due: Mapped[int] = mapped_column(default=0)  # centavos
    cash_received: Mapped[int | None] = mapped_column()
    change: Mapped[int | None] = mapped_column()
    lines: Mapped[list | None] = mapped_column(sa.JSON, default=list)  # [{"text", "amount"}]
    terminal: Mapped[str | None] = mapped_column(sa.String(32))
    shift: Mapped[str | None] = mapped_column(sa.String(32))
    clerk_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    clerk_name: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    voided_by: Mapped[str | None] = mapped_column(sa.String(120))
    void_reason: Mapped[str | None] = mapped_column(sa.String(200))

    branch = relationship("Branch", lazy="joined")

    @property
    def void(self) -> bool:
        return self.voided_at is not None


class ClaimSignature(db.Model):
    """The shopper's signature drawn at the counter for a claim (branches.signature_required),
    kept with the claim event of the order's first package: a PNG of at most
    counter.service.SIGNATURE_MAX_BYTES."""

    __tablename__ = "claim_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("package_events.id"), unique=True)
    shipment_id: Mapped[int] = mapped_column(sa.ForeignKey("shipments.id"), index=True)
    png: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
