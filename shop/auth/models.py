"""Users and their roles."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from shop import clock
from shop.extensions import db
from shop.timeutil import UTCDateTime


class Role(enum.StrEnum):
    SHOPPER = "shopper"
    PUBLISHER = "publisher"
    MERCHANT = "merchant"
    SELLER = "seller"
    CLERK = "clerk"
    DC = "dc"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.SHOPPER: "Shopper",
    Role.PUBLISHER: "App publisher",
    Role.MERCHANT: "Merchant",
    Role.SELLER: "Marketplace seller",
    Role.CLERK: "Store clerk",
    Role.DC: "Distribution center",
    Role.ADMIN: "Operator",
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    # Where a clerk works (their store) or a DC user (the DC); None for every other role. A
    # clerk acts only for their own branch, a DC user only at the DC (shop.fulfillment).
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    # The merchant a merchant login works for (its console shows that merchant's shipments,
    # keys, webhooks and remittances only); None for every other role, and for a merchant
    # login no operator has linked yet (docs/decisions.md, "Merchant console").
    merchant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    # Bumped on password change: sessions made before it stop working (see get_id).
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
