"""The bounds on unpaid holds: an order awaiting payment (or cash on delivery not yet collected)
holds stock and shelf space, so one browser session and one client address may hold only so
many orders and items at once (settings UNPAID_*; see docs/decisions.md)."""

import hashlib
import hmac
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from shop.checkout.models import Order, OrderStatus, PaymentMethod
from shop.errors import TooMany
from shop.extensions import db


@dataclass(frozen=True)
class Holder:
    """Who is placing an order, for the limits on unpaid holds: the browser session and the
    client address, each kept only as a keyed hash (the shop never stores the address)."""

    session: str
    address: str

    def hashes(self) -> tuple[str, str]:
        return _holder_hash("session", self.session), _holder_hash("address", self.address)


class TooManyUnpaid(TooMany):
    """You have too many orders waiting for payment. Pay for one, or wait until one expires,
    before placing another."""

    code = "too_many_unpaid"


def _holder_hash(kind: str, value: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"holder\0{kind}\0{value}".encode(), hashlib.sha256).hexdigest()[:32]


def hold_limits() -> dict[str, int]:
    """The bounds on unpaid holds (settings, see README): orders and units, per browser
    session and per client address."""
    config = current_app.config
    return {
        "session_orders": config["UNPAID_ORDERS_PER_SESSION"],
        "session_units": config["UNPAID_UNITS_PER_SESSION"],
        "address_orders": config["UNPAID_ORDERS_PER_ADDRESS"],
        "address_units": config["UNPAID_UNITS_PER_ADDRESS"],
    }


def _unpaid_open():
    """Orders that hold stock and shelf space without having been paid: awaiting an online
    or code payment, or cash on delivery not yet collected at the counter."""
    return sa.or_(
        Order.status == OrderStatus.AWAITING_PAYMENT,
        sa.and_(
            Order.payment_method == PaymentMethod.COD,
            Order.status == OrderStatus.CONFIRMED,
            Order.paid_at.is_(None),
        ),
    )


def lock_holder(holder: Holder) -> None:
    """Make this order's count of unpaid holds and its insert one step for its address, so
    parallel requests from one address can't all pass the count at once. On PostgreSQL: a
    transaction-scoped advisory lock per address, taken first (before any row lock, so the
    lock order is the same for everyone). On SQLite nothing is needed here: the count runs
    after the transaction's first write (taking stock), and SQLite lets one writer at a time
    in, so each count sees the orders committed before it."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": holder.hashes()[1]}
        )


def _count_holds_statement():
    """Unpaid orders and their units for one session and for one address, in one read (on
    the indexes (session_hash, status) and (client_hash, status))."""
    mine = Order.session_hash == sa.bindparam("session_hash")
    here = Order.client_hash == sa.bindparam("client_hash")
    return sa.select(
        sa.func.coalesce(sa.func.sum(sa.case((mine, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((mine, Order.units), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((here, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((here, Order.units), else_=0)), 0),
    ).where(sa.or_(mine, here), _unpaid_open())


COUNT_HOLDS = _count_holds_statement()  # built once: it runs with every order


def check_holds(holder: Holder, units: int) -> None:
    """Refuse an order that would take this session or this address past its bound on unpaid
    orders or units held (TooManyUnpaid). Runs after lock_holder and the first write (see
    there for why)."""
    session_hash, address_hash = holder.hashes()
    row = db.session.execute(
        COUNT_HOLDS, {"session_hash": session_hash, "client_hash": address_hash}
    ).one()
    limits = hold_limits()
    session_orders, session_units, address_orders, address_units = (int(n) for n in row)
    if (
        session_orders + 1 > limits["session_orders"]
        or address_orders + 1 > limits["address_orders"]
    ):
        raise TooManyUnpaid(
            f"You have {max(session_orders, 1)} order{'s' if session_orders != 1 else ''} "
            "waiting for payment. Pay for one (or wait until an unpaid one expires) before "
            "placing another."
            if session_orders + 1 > limits["session_orders"]
            else "Too many orders from your network are waiting for payment. Please try "
            "again later."
        )
    if (
        session_units + units > limits["session_units"]
        or address_units + units > limits["address_units"]
    ):
        raise TooManyUnpaid(
            f"Unpaid orders can hold at most {limits['session_units']} items at a time. "
            "Pay for an order you placed, or order fewer items."
        )
