"""Orders placed in the shop and their lines."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop import clock
from shop.contact import format_phone
from shop.extensions import db, str_enum
from shop.timeutil import UTCDateTime


class PaymentMethod(enum.StrEnum):
    ONLINE = "online"  # card through Stripe, before pickup
    COD = "cod"  # cash at the 7-Eleven counter, at pickup
    CODE = "code"  # a PAY CODE paid at the counter (digital items only)

    @property
    def label(self) -> str:
        return {
            PaymentMethod.ONLINE: "Pay online (card)",
            PaymentMethod.COD: "Pay at the store (cash on pickup)",
            PaymentMethod.CODE: "Pay with a code at any 7-Eleven",
        }[self]


class OrderStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"  # online: card not yet paid; code: PAY CODE unpaid
    CONFIRMED = "confirmed"  # paid online, or COD placed: packages have tracking numbers
    PAID = "paid"  # a code-payment order paid at the counter (digital: nothing to ship)
    EXPIRED = "expired"  # unpaid past its hold or deadline: stock and shelf given back
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {
            OrderStatus.AWAITING_PAYMENT: "Waiting for payment",
            OrderStatus.CONFIRMED: "Confirmed",
            OrderStatus.PAID: "Paid",
            OrderStatus.EXPIRED: "Expired (not paid in time)",
            OrderStatus.CANCELLED: "Cancelled",
        }[self]


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        sa.CheckConstraint("total = subtotal + shipping_fee", name="total_adds_up"),
        sa.CheckConstraint("amount_due >= 0 AND amount_due <= total", name="amount_due_in_total"),
        sa.Index("ix_orders_status_hold_until", "status", "hold_until"),
        sa.Index("ix_orders_session_hash_status", "session_hash", "status"),
        sa.Index("ix_orders_client_hash_status", "client_hash", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(16), unique=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str] = mapped_column(sa.String(20))  # E.164: +639171234567
    email: Mapped[str] = mapped_column(sa.String(254))
    payment_method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, 8))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, 20))
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    packages: Mapped[int] = mapped_column(default=0)  # how many were reserved at the branch
    # The packages those slots were reserved for, packed once at order time (see
    # fulfillment.service.Parcel): the shipment made when an online order is paid gets these.
    parcels: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    units: Mapped[int] = mapped_column(default=0)  # items ordered, for the bounds on unpaid holds
    # Who held it, as keyed hashes (never the address itself): see checkout.service.Holder.
    session_hash: Mapped[str | None] = mapped_column(sa.String(32))
    client_hash: Mapped[str | None] = mapped_column(sa.String(32))
    subtotal: Mapped[int] = mapped_column()  # centavos
    shipping_fee: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column()
    amount_due: Mapped[int] = mapped_column(default=0)  # COD: fixed at order time, never recomputed
    shipment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shipments.id"))
    pay_code: Mapped[str | None] = mapped_column(sa.String(14))
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The card payment waiting for the shopper (3-D Secure) while the order awaits it; once
    # paid, the payment that paid it (see checkout.service.note_open_payment).
    stripe_payment_intent: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.id", lazy="selectin"
    )

    @property
    def payable_by_card(self) -> bool:
        """Can this order still be paid by card (online, and not yet paid or expired)?"""
        return (
            self.payment_method is PaymentMethod.ONLINE
            and self.status is OrderStatus.AWAITING_PAYMENT
        )


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"))
    name: Mapped[str] = mapped_column(sa.String(120))  # as sold: the item may be renamed later
    unit_price: Mapped[int] = mapped_column()
    quantity: Mapped[int] = mapped_column()
    virtual: Mapped[bool] = mapped_column(default=False)
    frozen: Mapped[bool] = mapped_column(default=False)
    # Where a digital item goes, as the shopper gave it at checkout (see catalog AsksFor): the
    # mobile number to load (E.164) or the email address to send it to; None for the rest.
    deliver_to: Mapped[str | None] = mapped_column(sa.String(254), nullable=True)

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.quantity

    @property
    def destination(self) -> str | None:
        """Where the line goes, as the shopper reads it: "0917 123 4567" or an address."""
        if not self.deliver_to:
            return None
        return format_phone(self.deliver_to) if self.deliver_to.startswith("+") else self.deliver_to
