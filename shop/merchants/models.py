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


class MerchantShipment(db.Model):
    """A shipment a merchant made through the API: whose it is (a merchant sees only its own:
    another's is a 404) and, for a marketplace seller's parcel, the store it is dropped off at
    instead of the distribution center (the label names both)."""

    __tablename__ = "merchant_shipments"
    __table_args__ = (
        sa.Index(
            "ix_merchant_shipments_merchant_created", "merchant_id", "created_at", "shipment_id"
        ),
    )

    shipment_id: Mapped[int] = mapped_column(sa.ForeignKey("shipments.id"), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"))
    drop_off_branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class IdempotentRequest(db.Model):
    """A POST made with an `Idempotency-Key`: the hash of what was asked and the answer given,
    replayed to the same key and body for IDEMPOTENCY_HOURS (shop.api.idempotency)."""

    __tablename__ = "api_idempotent_requests"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "key", name="uq_api_idempotent_requests_merchant_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"))
    key: Mapped[str] = mapped_column(sa.String(255))
    request_hash: Mapped[str] = mapped_column(sa.String(64))  # method, path and body
    status: Mapped[int] = mapped_column(default=0)
    response: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
