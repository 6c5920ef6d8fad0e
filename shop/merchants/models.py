"""Merchants: the businesses that ship through CLiQQ Shop (issue #12 adds their API keys)."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop import clock
from shop.extensions import db, str_enum
from shop.timeutil import UTCDateTime

SLUG_LENGTH = 40  # a shipment names its merchant by slug in shipments.source (String(40))


class MerchantStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # may not create shipments (issue #12's API refuses its keys)


class Merchant(db.Model):
    """A merchant. `slug` is what a shipment's `source` holds for the merchant's shipments
    ("shop" is the shop's own orders, so no merchant may take it)."""

    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(SLUG_LENGTH), unique=True)
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    status: Mapped[MerchantStatus] = mapped_column(
        str_enum(MerchantStatus, 12), default=MerchantStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    def __repr__(self) -> str:
        return f"<Merchant {self.slug}>"


class ApiKey(db.Model):
    """A merchant's secret key for the API (issue #12). The secret is shown once, when the key
    is made; only its SHA-256 is kept (a 256-bit random secret needs no slow hash: nothing
    guessable goes in) with its first characters, so the console can tell keys apart."""

    __tablename__ = "merchant_api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    prefix: Mapped[str] = mapped_column(sa.String(16))  # "sk_" and the secret's first 8
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # hex SHA-256
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[str] = mapped_column(sa.String(254), default="")
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
