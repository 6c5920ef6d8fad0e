"""A PAY CODE paid at the counter (issue #10, point 4), on both databases: the order is paid
once, however often it is submitted, the code used, the items' mail sent; an unknown, used or
expired code is refused and changes nothing."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop import codes
from shop.auth.models import Role
from shop.catalog.models import AsksFor
from shop.checkout import service as checkout
from shop.checkout.models import Order, OrderStatus, PaymentMethod
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Code
from shop.notify.models import OutboxMessage
from tests.orders import place_order

DIGITAL = {"virtual": True, "length_mm": 0, "width_mm": 0, "height_mm": 0, "weight_g": 0}


@pytest.fixture
def load(make):
    return make.item(
        name="Prepaid Load 100", price=10000, stock=50, asks_for=AsksFor.MOBILE, **DIGITAL
    )


@pytest.fixture
def clerk(make):
    branch = make.branch(name="7-Eleven Ayala Triangle")
    user = make.user(role=Role.CLERK, name="Ana A", branch_id=branch.id)
    return ecms.Actor.of(user, terminal="POS-1", shift=2)


@pytest.fixture
def other_clerk(make):
    branch = make.branch(name="7-Eleven Cubao")
    return ecms.Actor.of(make.user(role=Role.CLERK, name="Ben B", branch_id=branch.id))


def placed(app, load, key="k"):
    with app.app_context():
        order = place_order(
            {str(load.id): 1},
            idempotency_key=key,
            contact=checkout.Contact("Juan dela Cruz", "+639171234567", "juan@example.com"),
            method=PaymentMethod.CODE,
            branch_code=None,
            expected_total=10000,
            answers={f"deliver_to_{load.id}": "0918 765 4321"},
        )
    return order


def order_of(app, number) -> Order:
    with app.app_context():
        found = db.session.scalar(sa.select(Order).where(Order.number == number))
        db.session.expunge(found)
        return found


def paid_mails(app, number) -> list[dict]:
    with app.app_context():
        return [
            m.payload
            for m in db.session.scalars(sa.select(OutboxMessage))
            if m.kind == "mail"
            and m.payload["subject"].startswith("Paid:")
            and number in m.payload["subject"]
        ]


def test_the_charge_slip_says_what_it_pays(app, load):
    order = placed(app, load)
    with app.app_context():
        slip = checkout.check_pay_code(codes.group(order.pay_code))
    assert slip.order_number == order.number and slip.amount == 10000
    assert slip.expires_at == order.hold_until
    assert [(line.name, line.quantity, line.goes_to) for line in slip.lines] == [
        ("Prepaid Load 100", 1, "0918 *** 4321")
    ]


def test_pay_by_code_pays_delivers_and_uses_the_code(app, load, clerk):
    order = placed(app, load)
    with app.app_context():
        paid = checkout.pay_by_code(order.pay_code, clerk, cash_received=20000)
    assert (paid.amount, paid.cash_received, paid.change, paid.repeated) == (
        10000,
        20000,
        10000,
        False,
    )
    now = order_of(app, order.number)
    assert now.status is OrderStatus.PAID and now.paid_at is not None and now.hold_until is None
    with app.app_context():
        row = db.session.scalar(sa.select(Code).where(Code.code == order.pay_code))
        assert not row.live and row.detail["cash_received"] == 20000
        assert row.detail["terminal"] == "POS-1" and row.detail["actor_id"] == clerk.user_id
    (mail,) = paid_mails(app, order.number)
    assert "Prepaid Load 100 to 0918 *** 4321" in mail["text"]


def test_a_double_submit_pays_once(app, load, clerk, other_clerk):
    order = placed(app, load)
    with app.app_context():
        first = checkout.pay_by_code(order.pay_code, clerk, cash_received=10000)
    with app.app_context():
        again = checkout.pay_by_code(order.pay_code, clerk, cash_received=50000)
    assert again.repeated and again.paid_at == first.paid_at
    assert (again.cash_received, again.change) == (10000, 0)  # the first payment, read back
    assert len(paid_mails(app, order.number)) == 1
    with app.app_context(), pytest.raises(checkout.PayCodeUsed, match="was paid on"):
        checkout.pay_by_code(order.pay_code, other_clerk, cash_received=10000)
    with app.app_context(), pytest.raises(checkout.PayCodeUsed):
        checkout.check_pay_code(order.pay_code)


def test_two_submits_at_once_pay_once(app, backend, load, clerk, other_clerk):
    if backend != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    order = placed(app, load)
    outcomes, barrier = [], threading.Barrier(2)

    def pay(actor):
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(checkout.pay_by_code(order.pay_code, actor, cash_received=10000))
            except checkout.PayCodeUsed as refused:
                outcomes.append(refused)

    threads = [threading.Thread(target=pay, args=(a,)) for a in (clerk, other_clerk)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    paid = [o for o in outcomes if isinstance(o, checkout.CodePayment)]
    assert len(paid) == 1 and len(outcomes) == 2
    assert len(paid_mails(app, order.number)) == 1


def test_an_expired_code_is_refused_and_changes_nothing(app, load, clerk, clock):
    order = placed(app, load)
    clock.set(order.hold_until)
    with app.app_context(), pytest.raises(checkout.PayCodeExpired, match="expired on"):
        checkout.pay_by_code(order.pay_code, clerk, cash_received=10000)
    assert order_of(app, order.number).status is OrderStatus.AWAITING_PAYMENT
    clock.set(order.hold_until + timedelta(minutes=1))
    with app.app_context():
        checkout.expire_unpaid()
    with app.app_context(), pytest.raises(checkout.PayCodeExpired):
        checkout.check_pay_code(order.pay_code)
    assert order_of(app, order.number).status is OrderStatus.EXPIRED
    assert paid_mails(app, order.number) == []


@pytest.mark.parametrize("cash", [None, 9999, "100", True, 10000 + 10_000_001])
def test_cash_must_cover_the_amount(app, load, clerk, cash):
    order = placed(app, load)
    with app.app_context(), pytest.raises(checkout.InvalidInput) as refused:
        checkout.pay_by_code(order.pay_code, clerk, cash_received=cash)
    assert refused.value.field == "cash_received"
    assert order_of(app, order.number).status is OrderStatus.AWAITING_PAYMENT


def test_unknown_typo_and_roles(app, load, make):
    order = placed(app, load)
    shopper = ecms.Actor.of(make.user(name="Shopper"))
    with app.app_context():
        with pytest.raises(checkout.PayCodeNotFound):
            checkout.check_pay_code(codes.generate(codes.CodeType.PAY))
        with pytest.raises(codes.InvalidCode):
            checkout.check_pay_code(order.pay_code[:-1] + str((int(order.pay_code[-1]) + 1) % 10))
        with pytest.raises(codes.InvalidCode):
            checkout.check_pay_code(codes.generate(codes.CodeType.RETURN))
        with pytest.raises(ecms.NotAllowed):
            checkout.pay_by_code(order.pay_code, shopper, cash_received=10000)
    assert order_of(app, order.number).status is OrderStatus.AWAITING_PAYMENT
