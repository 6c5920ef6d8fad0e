"""Every ledger transition from the real order and package events, on both databases (issue #11,
point 4): an order placed with a referral is pending; expiry reverses it; claimed at the counter
and ticked after the return window it is approved; a package unclaimed, rejected or returned
reverses its own units only; a return after a payout is a clawback; and in every case pending
+ approved + paid + reversed adds up to what the order earned. Two ticks racing on PostgreSQL
approve each order once, with a control showing the race is real."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.checkout import service as checkout
from shop.checkout.models import Order, PaymentMethod
from shop.cli import run_tick
from shop.extensions import db
from shop.fulfillment import returns
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package
from shop.fulfillment.models import PackageState as S
from shop.partners import ledger
from shop.partners import service as partners
from shop.partners.attribution import Referral
from shop.partners.models import Bucket, LedgerEntry
from shop.transaction import transaction
from tests import partners as p
from tests.integration import test_ecms_lifecycle
from tests.integration.test_payments import _race

world = test_ecms_lifecycle.world
MOMENT = p.MOMENT
P, A, R, PAID = Bucket.PENDING, Bucket.APPROVED, Bucket.REVERSED, Bucket.PAID
RETURN_OK = ecms.Inspection(length_mm=300, width_mm=300, height_mm=200, weight_g=2000)


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite serializes every writer")


@pytest.fixture
def shop(app, make, world, clock):
    """A publisher's approved app at 5 % with an item override (12 %) and a category override
    (8 %), and items: `big` ones (one per package) and a small one."""
    clock.set(MOMENT)
    publisher = make.user(name="Pia Publisher")
    category = make.category()
    # 30 × 30 × 20 cm: two never share a 30 × 30 × 30 cm package.
    big = dict(length_mm=300, width_mm=300, height_mm=200, weight_g=2000, stock=50)
    boots = make.item(price=199_99, **big)
    tent = make.item(price=333_33, category_id=category.id, **big)
    soap = make.item(price=45_50, stock=50, length_mm=50, width_mm=50, height_mm=50)
    partner = p.make_app(
        app,
        publisher,
        rate_bp=500,
        rates=[
            {"item_id": boots.id, "rate_bp": 1200},
            {"category_id": category.id, "rate_bp": 800},
        ],
    )
    return type(
        "Shop",
        (),
        {"app": partner, "boots": boots, "tent": tent, "soap": soap, "ref": Referral(partner.key)},
    )


def sums(app, shop) -> dict[Bucket, int]:
    totals = p.balances(app, [shop.app.id])
    assert sum(totals.values()) == p.earned(app, [shop.app.id])  # always adds up
    return totals


def tick(app, clock, when):
    clock.set(when)
    with app.app_context():
        return run_tick()


# --- placed: pending, with the rate frozen by precedence -------------------------------------


def test_an_order_placed_with_a_referral_is_pending_at_its_frozen_rates(app, world, shop):
    order = p.place(
        app, {shop.boots: 1, shop.tent: 2, shop.soap: 3}, referral=shop.ref, branch=world.a
    )
    lines = {line.item_id: line for line in p.lines(app, order.id)}
    assert {i: (c.rate_bp, c.rate_source) for i, c in lines.items()} == {
        shop.boots.id: (1200, "item"),
        shop.tent.id: (800, "category"),
        shop.soap.id: (500, "app"),
    }
    # Per unit, half up: 19999 × 12 % = 2399.88 → 2400; 33333 × 8 % = 2666.64 → 2667;
    # 4550 × 5 % = 227.5 → 228.
    assert {i: c.unit_commission for i, c in lines.items()} == {
        shop.boots.id: 2400,
        shop.tent.id: 2667,
        shop.soap.id: 228,
    }
    earned = 2400 + 2 * 2667 + 3 * 228
    assert sorted(p.moves(app, order.id)) == sorted(
        [(P, None, 1, 2400, "order"), (P, None, 2, 5334, "order"), (P, None, 3, 684, "order")]
    )
    assert sums(app, shop) == {P: earned, A: 0, R: 0, PAID: 0}
    credited = p.attribution(app, order.id)
    assert credited.sales == 19999 + 2 * 33333 + 3 * 4550
    assert credited.settle_at == MOMENT + timedelta(days=app.config["RETURN_DAYS"])
    # The packages know their lines: three packages (boots, tent, tent) and the soap in one.
    packed = [sorted(map(tuple, pk.lines)) for pk in p.packages(app, order.number)]
    assert sorted(unit for lines in packed for unit in lines) == sorted(
        [(shop.boots.id, 1), (shop.tent.id, 1), (shop.tent.id, 1), (shop.soap.id, 3)]
    )


def test_an_online_orders_packages_get_their_lines_when_it_is_paid(app, world, shop):
    order = p.place(
        app,
        {shop.boots: 1, shop.soap: 1},
        referral=shop.ref,
        branch=world.a,
        method=PaymentMethod.ONLINE,
    )
    assert p.packages(app, order.number) == []
    with app.app_context():
        checkout.confirm_online_payment(order.number, "pi_lines", order.total, "php")
    [package] = p.packages(app, order.number)
    assert sorted(map(tuple, package.lines)) == sorted([(shop.boots.id, 1), (shop.soap.id, 1)])
    assert sums(app, shop)[P] == 2400 + 228


# --- closed unpaid: reversed ------------------------------------------------------------------


def test_an_order_that_expires_unpaid_is_reversed(app, world, shop, clock):
    order = p.place(
        app, {shop.tent: 2}, referral=shop.ref, branch=world.a, method=PaymentMethod.ONLINE
    )
    tick(app, clock, MOMENT + timedelta(minutes=app.config["ONLINE_PAYMENT_HOLD_MINUTES"] + 1))
    with app.app_context():
        assert db.session.get(Order, order.id).status.value == "expired"
    assert p.moves(app, order.id) == [
        (P, None, 2, 5334, "order"),
        (R, P, 2, 5334, "expired"),
    ]
    assert sums(app, shop) == {P: 0, A: 0, R: 5334, PAID: 0}
    with app.app_context(), transaction():  # closing it again reverses nothing more
        assert partners.order_closed(db.session.get(Order, order.id), "cancelled") == 0
    tick(app, clock, MOMENT + timedelta(days=30))  # and the tick never approves it
    assert sums(app, shop) == {P: 0, A: 0, R: 5334, PAID: 0}
    assert p.attribution(app, order.id).settle_at is None


def test_a_cancelled_order_is_reversed_whole(app, world, shop):
    order = p.place(app, {shop.boots: 1, shop.soap: 2}, referral=shop.ref, branch=world.a)
    with app.app_context(), transaction():
        assert partners.order_closed(db.session.get(Order, order.id), "cancelled") == 3
    assert sums(app, shop) == {P: 0, A: 0, R: 2400 + 456, PAID: 0}
    with pytest.raises(ValueError), app.app_context():
        partners.order_closed(db.session.get(Order, order.id), "lost")


# --- claimed and the return window passed: approved -------------------------------------------


def test_claimed_at_the_counter_and_ticked_after_the_return_window_is_approved(
    app, runner, world, shop, clock
):
    order = p.place(app, {shop.boots: 1, shop.soap: 1}, referral=shop.ref, branch=world.a)
    earned = 2400 + 228
    tick(app, clock, MOMENT + timedelta(days=30))  # not claimed: never approved
    assert sums(app, shop)[P] == earned
    clock.set(MOMENT + timedelta(days=31))
    for package in p.packages(app, order.number):
        p.to_branch(app, world, package.tracking_number)
    claimed_at = MOMENT + timedelta(days=32)
    clock.set(claimed_at)
    p.claim(app, world, order.number, order.total)
    days = app.config["RETURN_DAYS"]
    tick(app, clock, claimed_at + timedelta(days=days, seconds=-1))
    assert sums(app, shop) == {P: earned, A: 0, R: 0, PAID: 0}  # a second too early
    clock.set(claimed_at + timedelta(days=days))
    output = runner.invoke(args=["shop", "tick"]).output
    assert "Approved the commission of 1 order." in output
    assert sums(app, shop) == {P: 0, A: earned, R: 0, PAID: 0}
    assert sorted(p.moves(app, order.id)[-2:], key=str) == sorted(
        [(A, P, 1, 2400, "approved"), (A, P, 1, 228, "approved")], key=str
    )
    tick(app, clock, claimed_at + timedelta(days=days + 1))  # once
    assert len(p.entries(app, order.id)) == 4
    assert p.attribution(app, order.id).settle_at is None


def test_a_digital_order_is_approved_a_return_window_after_payment(app, make, shop, clock):
    load = make.item(price=10000, virtual=True, stock=100)
    order = p.place(app, {load: 1}, referral=shop.ref, method=PaymentMethod.ONLINE)
    paid_at = MOMENT + timedelta(minutes=5)
    clock.set(paid_at)
    with app.app_context():
        checkout.confirm_online_payment(order.number, "pi_load", order.total, "php")
    days = app.config["RETURN_DAYS"]
    tick(app, clock, paid_at + timedelta(days=days, seconds=-1))
    assert sums(app, shop) == {P: 500, A: 0, R: 0, PAID: 0}
    tick(app, clock, paid_at + timedelta(days=days))
    assert sums(app, shop) == {P: 0, A: 500, R: 0, PAID: 0}


# --- packages that never reach the shopper, or come back: their own units reversed ------------


def test_a_package_unclaimed_reverses_its_own_units_only(app, world, shop, clock):
    order = p.place(app, {shop.boots: 1, shop.tent: 1}, referral=shop.ref, branch=world.a)
    first, second = p.packages(app, order.number)
    p.to_branch(app, world, first.tracking_number)  # the second is still on its way
    first_units = dict(map(tuple, first.lines))
    tick(app, clock, MOMENT + timedelta(days=app.config["PICKUP_DAYS"], minutes=1))
    assert p.packages(app, order.number)[0].state is S.UNCLAIMED
    reversed_rows = [m for m in p.moves(app, order.id) if m[0] is R]
    [item_id] = first_units
    expected = 2400 if item_id == shop.boots.id else 2667
    assert reversed_rows == [(R, P, 1, expected, "unclaimed")]
    assert sums(app, shop) == {P: 2400 + 2667 - expected, A: 0, R: expected, PAID: 0}
    # The ECMS calling again for the same package reverses nothing more.
    with app.app_context(), transaction():
        again = partners.packages_reversed(
            order.number, [(first.tracking_number, first_units.items())], "unclaimed"
        )
    assert again == 0
    assert sums(app, shop)[R] == expected


def test_a_package_rejected_at_inspection_reverses_its_units_and_the_rest_is_approved(
    app, world, shop, clock
):
    order = p.place(app, {shop.boots: 1, shop.tent: 1}, referral=shop.ref, branch=world.a)
    first, second = p.packages(app, order.number)
    with app.app_context():
        ecms.drop_off(first.tracking_number, world.dc_user)
    with app.app_context():
        ecms.reject(first.tracking_number, world.dc_user, reason="Box crushed")
    [item_id] = dict(map(tuple, first.lines))
    lost = 2400 if item_id == shop.boots.id else 2667
    kept = 2400 + 2667 - lost
    assert sums(app, shop) == {P: kept, A: 0, R: lost, PAID: 0}
    p.to_branch(app, world, second.tracking_number)
    clock.set(MOMENT + timedelta(days=1))
    p.claim(app, world, order.number, order.total)
    tick(app, clock, MOMENT + timedelta(days=1 + app.config["RETURN_DAYS"]))
    assert sums(app, shop) == {P: 0, A: kept, R: lost, PAID: 0}


def _claimed(app, world, shop, clock, contents):
    order = p.place(app, contents, referral=shop.ref, branch=world.a)
    for package in p.packages(app, order.number):
        p.to_branch(app, world, package.tracking_number)
    clock.set(MOMENT + timedelta(days=1))
    p.claim(app, world, order.number, order.total)
    return order


def _return(app, world, order_number, tracking_number, clock, days=2):
    """The shopper asks at the kiosk (by tracking number), the clerk takes it in."""
    clock.set(MOMENT + timedelta(days=days))
    with app.app_context():
        issued = returns.request_return(tracking_number, "0917 123 4567")
    with app.app_context():
        returns.accept_return(issued.return_code, world.clerk_a, inspection=RETURN_OK)


def test_a_return_dropped_off_reverses_that_packages_units(app, world, shop, clock):
    order = _claimed(app, world, shop, clock, {shop.boots: 1, shop.tent: 1})
    first, second = p.packages(app, order.number)
    with app.app_context():
        returns.request_return(first.tracking_number, "0917 123 4567")
    assert sums(app, shop)[R] == 0  # asking is not returning: nothing reversed yet
    _return(app, world, order.number, first.tracking_number, clock)
    [item_id] = dict(map(tuple, first.lines))
    gone = 2400 if item_id == shop.boots.id else 2667
    assert sums(app, shop) == {P: 2400 + 2667 - gone, A: 0, R: gone, PAID: 0}
    assert [m for m in p.moves(app, order.id) if m[0] is R] == [(R, P, 1, gone, "returned")]
    tick(app, clock, MOMENT + timedelta(days=1 + app.config["RETURN_DAYS"]))
    assert sums(app, shop) == {P: 0, A: 2400 + 2667 - gone, R: gone, PAID: 0}


def _pay(app, order_id):
    """What the payouts helper writes: the approved balance of each line moved to paid (here
    after an approval written directly, as if the window had passed)."""
    with app.app_context(), transaction():
        for line in ledger._lines_of_order(order_id):
            n = line.quantity
            for bucket, source, reason in ((A, P, "approved"), (PAID, A, "payout")):
                db.session.add(
                    LedgerEntry(
                        app_id=line.app_id,
                        order_id=order_id,
                        line_id=line.id,
                        bucket=bucket,
                        from_bucket=source,
                        units=n,
                        amount=n * line.unit_commission,
                        reason=reason,
                    )
                )


def test_a_return_after_a_payout_is_a_clawback(app, world, shop, clock):
    order = _claimed(app, world, shop, clock, {shop.boots: 1, shop.tent: 1})
    _pay(app, order.id)
    earned = 2400 + 2667
    assert sums(app, shop) == {P: 0, A: 0, R: 0, PAID: earned}
    first = p.packages(app, order.number)[0]
    _return(app, world, order.number, first.tracking_number, clock)
    [item_id] = dict(map(tuple, first.lines))
    gone = 2400 if item_id == shop.boots.id else 2667
    assert [m for m in p.moves(app, order.id) if m[0] is R] == [(R, A, 1, gone, "clawback")]
    # Paid stays paid (never edited); approved goes below zero: the next payout nets it.
    assert sums(app, shop) == {P: 0, A: -gone, R: gone, PAID: earned}
    paid_rows = [e for e in p.entries(app, order.id) if e.bucket is PAID]
    assert [e.amount for e in sorted(paid_rows, key=lambda e: e.amount)] == sorted([2400, 2667])


def test_a_partial_line_splits_between_packages_and_the_sums_hold(app, world, shop, clock):
    order = _claimed(app, world, shop, clock, {shop.tent: 3})
    packages = p.packages(app, order.number)
    assert len(packages) == 3 and all(pk.lines == [[shop.tent.id, 1]] for pk in packages)
    _return(app, world, order.number, packages[0].tracking_number, clock)
    assert sums(app, shop) == {P: 2 * 2667, A: 0, R: 2667, PAID: 0}
    _return(app, world, order.number, packages[1].tracking_number, clock, days=3)
    assert sums(app, shop) == {P: 2667, A: 0, R: 2 * 2667, PAID: 0}
    tick(app, clock, MOMENT + timedelta(days=1 + app.config["RETURN_DAYS"]))
    assert sums(app, shop) == {P: 0, A: 2667, R: 2 * 2667, PAID: 0}


def test_an_old_package_without_its_lines_reverses_the_whole_order(app, world, shop):
    order = p.place(app, {shop.boots: 1, shop.tent: 1}, referral=shop.ref, branch=world.a)
    first = p.packages(app, order.number)[0]
    with app.app_context(), transaction():  # as a package made before packages kept lines
        db.session.execute(sa.update(Package).values(lines=None))
    with app.app_context():
        ecms.drop_off(first.tracking_number, world.dc_user)
    with app.app_context():
        ecms.reject(first.tracking_number, world.dc_user, reason="Box crushed")
    assert sums(app, shop) == {P: 0, A: 0, R: 2400 + 2667, PAID: 0}


def test_an_order_without_a_referral_writes_no_ledger_rows(app, world, shop):
    order = p.place(app, {shop.boots: 1}, branch=world.a)
    assert p.entries(app, order.id) == [] and p.attribution(app, order.id) is None
    first = p.packages(app, order.number)[0]
    with app.app_context():
        ecms.drop_off(first.tracking_number, world.dc_user)
    with app.app_context():
        ecms.reject(first.tracking_number, world.dc_user, reason="Box crushed")
    assert p.count(app, LedgerEntry) == 0


def test_a_date_range_counts_the_rows_written_in_it(app, world, shop, clock):
    order = p.place(app, {shop.soap: 2}, referral=shop.ref, branch=world.a)
    clock.set(MOMENT + timedelta(days=3))
    with app.app_context(), transaction():
        partners.order_closed(db.session.get(Order, order.id), "cancelled")
    with app.app_context():
        before = ledger.balances([shop.app.id], end=MOMENT + timedelta(days=1))
        after = ledger.balances([shop.app.id], start=MOMENT + timedelta(days=1))
        everything = ledger.balances([shop.app.id])
        nobody = ledger.balances([])
    assert before == {P: 456, A: 0, R: 0, PAID: 0}
    assert after == {P: -456, A: 0, R: 456, PAID: 0}
    assert everything == {P: 0, A: 0, R: 456, PAID: 0}
    assert nobody == {P: 0, A: 0, R: 0, PAID: 0}


# --- two ticks at once (PostgreSQL) ------------------------------------------------------------


def _due_orders(app, world, shop, clock, n):
    orders = [_claimed(app, world, shop, clock, {shop.soap: 1}) for _ in range(n)]
    clock.set(MOMENT + timedelta(days=1 + app.config["RETURN_DAYS"]))
    return orders


def _two_ticks_meeting_after_their_select(monkeypatch, app, batch):
    met = threading.Barrier(2, timeout=20)
    monkeypatch.setattr(ledger, "_before_writing", lambda taken: met.wait())

    def one_tick(i):
        with app.app_context():
            return ledger.approve_batch(batch=batch)

    return _race(2, one_tick)


def _approvals(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).where(LedgerEntry.bucket == A, LedgerEntry.from_bucket == P)
        )


def test_two_ticks_racing_approve_each_order_once(
    app, world, shop, clock, postgres_only, monkeypatch
):
    _due_orders(app, world, shop, clock, 6)
    results = _two_ticks_meeting_after_their_select(monkeypatch, app, 4)
    assert all(isinstance(r, ledger.Batch) for r in results), results
    assert sorted(r.approved for r in results) == [2, 4]  # the second took the other rows
    assert _approvals(app) == 6
    assert sums(app, shop) == {P: 0, A: 6 * 228, R: 0, PAID: 0}


def test_control_without_the_lock_or_the_unique_ref_two_ticks_approve_twice(
    app, world, shop, clock, postgres_only, monkeypatch
):
    _due_orders(app, world, shop, clock, 4)
    monkeypatch.setattr(ledger, "_locked", lambda query: query)
    monkeypatch.setattr(ledger, "APPROVAL", None)  # a NULL ref is never a repeat
    results = _two_ticks_meeting_after_their_select(monkeypatch, app, 4)
    assert [r.approved for r in results] == [4, 4], results  # the race is real
    assert _approvals(app) == 8


def test_without_the_lock_the_unique_ref_still_refuses_the_second_approval(
    app, world, shop, clock, postgres_only, monkeypatch
):
    _due_orders(app, world, shop, clock, 4)
    monkeypatch.setattr(ledger, "_locked", lambda query: query)
    results = _two_ticks_meeting_after_their_select(monkeypatch, app, 4)
    assert sorted(type(r).__name__ for r in results) == ["Batch", "IntegrityError"], results
    assert _approvals(app) == 4
    assert sums(app, shop) == {P: 0, A: 4 * 228, R: 0, PAID: 0}
