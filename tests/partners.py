"""Helpers for the partners tests: an approved app, clicks, orders placed through checkout with a
referral, their packages moved through the ECMS as the DC and the counter move them, and the
ledger read back (by SQL sums, as the dashboard and payouts read it)."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from shop.checkout import service as checkout
from shop.checkout.models import Order, PaymentMethod
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, Shipment
from shop.partners import ledger
from shop.partners import service as partners
from shop.partners.models import (
    App,
    AppStatus,
    Attribution,
    Bucket,
    Click,
    ClickKind,
    CommissionLine,
    LedgerEntry,
    RateOverride,
)
from tests.integration.test_ecms_lifecycle import FITS
from tests.orders import place_order

MOMENT = datetime(2026, 7, 14, 1, 0, tzinfo=UTC)
CLIENT = "203.0.113.7"


def make_app(app, publisher, *, status=AppStatus.APPROVED, rate_bp=500, rates=()) -> App:
    """An app of `publisher`, approved unless told; `rates`: RateOverride kwargs."""
    with app.app_context():
        row = App(
            publisher_id=publisher.id,
            name=f"App {uuid.uuid4().hex[:6]}",
            key=secrets.token_hex(8),
            origins=["https://partner.example"],
            default_rate_bp=rate_bp,
            status=status,
        )
        row.rates = [RateOverride(**r) for r in rates]
        db.session.add(row)
        db.session.commit()
        db.session.refresh(row)
        db.session.expunge(row)
        return row


def click(app, key, visitor, *, client=CLIENT, kind=ClickKind.EMBED, now=None):
    with app.app_context():
        found = partners.record_click(key, kind, visitor, client, now=now)
        if found is not None:
            db.session.refresh(found)
            db.session.expunge(found)
        return found


@dataclass
class Placed:
    number: str
    id: int
    total: int


def place(
    app,
    contents: dict,
    *,
    referral=None,
    branch=None,
    method=PaymentMethod.COD,
    email="maria@example.com",
    user_id=None,
) -> Placed:
    """An order placed through checkout's service, as the checkout view places it."""
    with app.app_context():
        contents = {str(item.id): n for item, n in contents.items()}
        offer, _ = checkout.quote(contents)
        placed = place_order(
            contents,
            idempotency_key=uuid.uuid4().hex[:12],
            contact=checkout.check_contact("Maria Santos", "09171234567", email),
            method=method,
            branch_code=branch.code if branch is not None else None,
            expected_total=offer.total.centavos,
            user_id=user_id,
            referral=referral,
        )
        order_id = db.session.scalar(sa.select(Order.id).where(Order.number == placed.number))
        return Placed(placed.number, order_id, placed.total)


def packages(app, number) -> list[Package]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Package)
            .join(Shipment)
            .where(Shipment.reference == number)
            .order_by(Package.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def shipment_code(app, number) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(Shipment.code).where(Shipment.reference == number))


def to_branch(app, world, tracking_number) -> None:
    """Drop-off, inspection, dispatch and arrival at branch A, as the DC and the clerk do."""
    with app.app_context():
        ecms.drop_off(tracking_number, world.dc_user)
    with app.app_context():
        ecms.accept(tracking_number, world.dc_user, inspection=FITS)
    with app.app_context():
        ecms.dispatch(tracking_number, world.dc_user)
    with app.app_context():
        ecms.arrive(tracking_number, world.clerk_a)


def claim(app, world, number, amount_due: int) -> None:
    """Every package of the order released at the counter of branch A (cash on pickup)."""
    numbers = [p.tracking_number for p in packages(app, number)]
    with app.app_context():
        ecms.claim(
            shipment_code(app, number), numbers, world.clerk_a, cash_received=amount_due or None
        )


def entries(app, order_id=None) -> list[LedgerEntry]:
    with app.app_context():
        query = sa.select(LedgerEntry).order_by(LedgerEntry.id)
        if order_id is not None:
            query = query.where(LedgerEntry.order_id == order_id)
        rows = db.session.scalars(query).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def moves(app, order_id) -> list[tuple]:
    """The order's rows as (bucket, from_bucket, units, amount, reason), in order."""
    return [(e.bucket, e.from_bucket, e.units, e.amount, e.reason) for e in entries(app, order_id)]


def lines(app, order_id) -> list[CommissionLine]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(CommissionLine)
            .where(CommissionLine.order_id == order_id)
            .order_by(CommissionLine.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def attribution(app, order_id) -> Attribution | None:
    with app.app_context():
        row = db.session.get(Attribution, order_id)
        if row is not None:
            db.session.expunge(row)
        return row


def balances(app, app_ids) -> dict[Bucket, int]:
    with app.app_context():
        return ledger.balances(app_ids)


def earned(app, app_ids) -> int:
    with app.app_context():
        return ledger.earned(app_ids)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def clicks(app) -> list[Click]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Click).order_by(Click.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows
