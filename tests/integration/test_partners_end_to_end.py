"""Issue #11, end to end with the ECMS, on both databases: an order placed inside an app's frame
(through HTTP, as the iframe places it) is the app's; its package goes through the DC to the
branch and is claimed at the counter; the tick (with an injected clock) approves the commission
once the return window has passed; `flask shop payout` pays it; a return asked for at the kiosk
late in the window and handed in after that payout is a clawback, netted in the next payout.
A second order, returned inside the window, is reversed before it was ever approved. Every move
is also a signed `commission.*` event for the publisher (shop.partners.events)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.checkout.models import Order
from shop.cli import run_tick
from shop.extensions import db
from shop.fulfillment import returns
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Code
from shop.notify.models import WebhookEvent
from shop.partners import payouts
from shop.partners.models import Attribution, Bucket, LedgerEntry, Payout
from tests import partners as p
from tests.integration import test_ecms_lifecycle
from tests.integration.test_embed import _add_in_frame, _checkout_in_frame, enter
from tests.integration.test_kiosk import post_return

world = test_ecms_lifecycle.world
P, A, R, PAID = Bucket.PENDING, Bucket.APPROVED, Bucket.REVERSED, Bucket.PAID
MOMENT = p.MOMENT
RETURN_OK = ecms.Inspection(length_mm=300, width_mm=300, height_mm=200, weight_g=2000)


@pytest.fixture
def partner(app, make, clock):
    """An approved app at 5 % whose publisher can be paid, and the payout minimum at ₱1 (the
    orders here earn a few pesos)."""
    clock.set(MOMENT)
    publisher = make.user(Role.PUBLISHER, name="Pia Publisher", email="pia@example.com")
    partner = make.partner_app(publisher_id=publisher.id, default_rate_bp=500)
    with app.app_context():
        payouts.save_account(publisher.id, "Pia Publisher", "BPI", "1234567890")
    minimum = app.config["PAYOUT_MINIMUM"]
    app.config["PAYOUT_MINIMUM"] = 100
    yield partner
    app.config["PAYOUT_MINIMUM"] = minimum


def buy_in_frame(client, partner, item, branch) -> str:
    """A shopper in the app's frame: the entry (the embed click), the item into the cart, cash
    on pickup at `branch`. Returns the order number."""
    prefix = enter(client, partner)
    assert _add_in_frame(client, prefix, item).status_code in (200, 303)
    placed = _checkout_in_frame(client, prefix, branch)
    assert placed.status_code == 303, placed.get_data(as_text=True)[:2000]
    number = placed.headers["Location"].rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    assert number.startswith("CQ-"), placed.headers["Location"]
    return number


def order_id(app, number) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Order.id).where(Order.number == number))


def sums(app, partner) -> dict[Bucket, int]:
    totals = p.balances(app, [partner.id])
    assert sum(totals.values()) == p.earned(app, [partner.id])
    return totals


def events(app) -> list[tuple[str, int, str | None]]:
    """The publisher's events: (type, amount, order number), in order."""
    with app.app_context():
        rows = db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id)).all()
        return [(row.type, row.data["amount"], row.data["order_number"]) for row in rows]


def deliver_and_claim(app, world, number):
    for package in p.packages(app, number):
        p.to_branch(app, world, package.tracking_number)
    with app.app_context():
        amount = db.session.scalar(sa.select(Order.amount_due).where(Order.number == number))
    p.claim(app, world, number, amount)


def tick(app, clock, when):
    clock.set(when)
    with app.app_context():
        return run_tick()


def test_an_embedded_order_is_claimed_approved_paid_and_clawed_back(
    app, client, world, make, partner, clock, runner, tmp_path
):
    item = make.item(name="Bamboo Speaker", price=80_000, stock=5)
    number = buy_in_frame(client, partner, item, world.a)
    oid = order_id(app, number)
    with app.app_context():
        credited = db.session.get(Attribution, oid)
        assert (credited.app_id, credited.via, credited.flag) == (partner.id, "iframe", None)
    earned = 4000  # 5 % of ₱800.00
    assert sums(app, partner) == {P: earned, A: 0, R: 0, PAID: 0}

    clock.set(MOMENT + timedelta(hours=2))
    deliver_and_claim(app, world, number)
    days = app.config["RETURN_DAYS"]
    # Asked for at the kiosk on the window's last day: the code may be handed in three days
    # later (RETURN_DROP_OFF_DAYS), so this return can come after the approval and a payout.
    clock.set(MOMENT + timedelta(days=days, hours=1))
    asked = post_return(client, number)
    assert asked.status_code == 200, asked.get_data(as_text=True)[:2000]
    with app.app_context():
        [package] = p.packages(app, number)
        code = db.session.scalar(sa.select(Code.code).where(Code.package_id == package.id))
    assert sums(app, partner)[R] == 0  # asked, not yet returned

    tick(app, clock, MOMENT + timedelta(days=days, hours=3))  # the window closed at +days+2h
    assert sums(app, partner) == {P: 0, A: earned, R: 0, PAID: 0}

    paid = runner.invoke(args=["shop", "payout", "--csv", str(tmp_path / "first.csv")])
    assert paid.exit_code == 0, paid.output
    assert sums(app, partner) == {P: 0, A: 0, R: 0, PAID: earned}
    again = runner.invoke(args=["shop", "payout", "--csv", str(tmp_path / "again.csv")])
    assert "Nothing to pay" in again.output  # paid once

    clock.set(MOMENT + timedelta(days=days + 2))
    with app.app_context():
        returns.accept_return(code, world.clerk_a, inspection=RETURN_OK)
    # The paid row stays as it was; the return is a clawback out of approved.
    assert sums(app, partner) == {P: 0, A: -earned, R: earned, PAID: earned}
    with app.app_context():
        clawback = db.session.scalars(
            sa.select(LedgerEntry).where(LedgerEntry.order_id == oid, LedgerEntry.bucket == R)
        ).one()
    assert (clawback.from_bucket, clawback.reason, clawback.amount) == (A, "clawback", earned)

    # The next order earns more than the clawback: the next payout pays the difference.
    second = buy_in_frame(client, partner, make.item(price=200_000, stock=5), world.a)
    clock.set(MOMENT + timedelta(days=days + 3))
    deliver_and_claim(app, world, second)
    tick(app, clock, MOMENT + timedelta(days=2 * days + 4))
    assert sums(app, partner)[A] == 10_000 - earned
    netted = runner.invoke(args=["shop", "payout", "--csv", str(tmp_path / "second.csv")])
    assert netted.exit_code == 0, netted.output
    with app.app_context():
        batches = db.session.scalars(sa.select(Payout).order_by(Payout.id)).all()
        assert [batch.total for batch in batches] == [earned, 10_000 - earned]
    assert sums(app, partner) == {P: 0, A: 0, R: earned, PAID: 10_000}
    assert [kind for kind, _, _ in events(app)] == [
        "commission.pending",
        "commission.approved",
        "commission.paid",
        "commission.reversed",
        "commission.pending",
        "commission.approved",
        "commission.paid",  # the second order's line
        "commission.paid",  # the first order's clawback, netted: paid less
    ]
    assert events(app)[3] == ("commission.reversed", -earned, number)
    assert sorted(amount for kind, amount, _ in events(app)[-2:]) == [-earned, 10_000]


def test_an_embedded_order_returned_inside_the_window_is_reversed_before_approval(
    app, client, world, make, partner, clock
):
    item = make.item(price=50_000, stock=5)
    number = buy_in_frame(client, partner, item, world.a)
    clock.set(MOMENT + timedelta(hours=2))
    deliver_and_claim(app, world, number)
    clock.set(MOMENT + timedelta(days=2))
    asked = post_return(client, number)
    assert asked.status_code == 200
    with app.app_context():
        [package] = p.packages(app, number)
        code = db.session.scalar(sa.select(Code.code).where(Code.package_id == package.id))
        returns.accept_return(code, world.clerk_a, inspection=RETURN_OK)
    assert sums(app, partner) == {P: 0, A: 0, R: 2500, PAID: 0}
    tick(app, clock, MOMENT + timedelta(days=30))
    assert sums(app, partner) == {P: 0, A: 0, R: 2500, PAID: 0}  # nothing left to approve
    assert [(kind, amount) for kind, amount, _ in events(app)] == [
        ("commission.pending", 2500),
        ("commission.reversed", -2500),
    ]
