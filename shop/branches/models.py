"""The 7-Eleven branches where shoppers claim packages, and the distribution center."""

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.extensions import db


class BranchKind(enum.StrEnum):
    STORE = "store"
    DC = "dc"  # the distribution center (CDI, Pasig)


class Branch(db.Model):
    """A place packages go. Opening hours are minutes after midnight, Manila time; a store open
    round the clock has opens_at = closes_at = 0, and one open past midnight has closes_at <
    opens_at."""

    __tablename__ = "branches"
    __table_args__ = (
        sa.CheckConstraint("shelf_capacity >= 0", name="shelf_capacity_not_negative"),
        sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        sa.CheckConstraint("opens_at BETWEEN 0 AND 1439", name="opens_at_in_day"),
        sa.CheckConstraint("closes_at BETWEEN 0 AND 1439", name="closes_at_in_day"),
        sa.Index("ix_branches_lat_lng", "lat", "lng"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    address: Mapped[str] = mapped_column(sa.String(255))
    city: Mapped[str] = mapped_column(sa.String(80), index=True)
    province: Mapped[str] = mapped_column(sa.String(80))
    lat: Mapped[float] = mapped_column(sa.Float)
    lng: Mapped[float] = mapped_column(sa.Float)
    opens_at: Mapped[int] = mapped_column(default=0)
    closes_at: Mapped[int] = mapped_column(default=0)
    frozen: Mapped[bool] = mapped_column(default=False)
    shelf_capacity: Mapped[int] = mapped_column(default=40)
    # Packages on the shelf or on their way here: taken by a conditional update at order time
    # (never above shelf_capacity), given back on claim, expiry or cancel.
    reserved: Mapped[int] = mapped_column(default=0, server_default="0")
    kind: Mapped[BranchKind] = mapped_column(
        sa.Enum(
            BranchKind, native_enum=False, length=8, values_callable=lambda e: [m.value for m in e]
        ),
        default=BranchKind.STORE,
    )
    active: Mapped[bool] = mapped_column(default=True)
    # The claim asks for the shopper's signature on the counter's touch screen (seed 004).
    signature_required: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    @property
    def free_capacity(self) -> int:
        return max(0, self.shelf_capacity - self.reserved)

    @property
    def open_24_hours(self) -> bool:
        return self.opens_at == self.closes_at

    def __repr__(self) -> str:
        return f"<Branch {self.code} {self.name}>"
