"""Online payments: the webhook, idempotency and expiry by tick, on both databases; the race
tests on PostgreSQL only (SQLite serializes writers, so it cannot show the race)."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.branches.models import Branch
from shop.catalog.models import Item
from shop.checkout import service
from shop.checkout.models import Order, OrderStatus, PaymentMethod
from shop.clock import now as utcnow
from shop.codes import CodeType, kind_of
from shop.extensions import db
from shop.fulfillment.models import Code, Package, PackageState, Shipment
from shop.payments.models import StripeEvent
from tests.orders import place_order


def _place(app, item, branch, method=PaymentMethod.ONLINE, key="k1", quantity=1):
    with app.app_context():
        contents = {str(item.id): quantity}
        offer, _ = service.quote(contents)
        order = place_order(
            contents,
            idempotency_key=key,
            contact=service.check_contact("Maria Santos", "09171234567", "maria@example.com"),
            method=method,
            branch_code=branch.code if branch else None,
            expected_total=offer.total.centavos,
        )
        return order.number, order.total


def _event(number, total, event_id="evt_1", pi="pi_1", type_="payment_intent.succeeded"):
    return {
        "id": event_id,
        "object": "event",
        "type": type_,
        "created": int(time.time()),
        "data": {
            "object": {
                "id": pi,
                "object": "payment_intent",
                "amount": total,
                "currency": "php",
                "status": "succeeded",
                "metadata": {"order": number},
            }
        },
    }


def _signed(app, payload: bytes, secret=None, timestamp=None) -> dict:
    timestamp = timestamp or int(time.time())
    secret = secret or app.config["STRIPE_WEBHOOK_SECRET"]
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return {
        "Stripe-Signature": f"t={timestamp},v1={signature.hexdigest()}",
        "Content-Type": "application/json",
    }


def _order(app, number) -> Order:
    with app.app_context():
        order = db.session.scalar(sa.select(Order).where(Order.number == number))
        db.session.expunge(order)
        return order


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_webhook_delivered_three_times_pays_once(app, client, make):
    item = make.item(stock=5)
    branch = make.branch()
    number, total = _place(app, item, branch)
    payload = json.dumps(_event(number, total)).encode()
    outcomes = []
    for _ in range(3):
        response = client.post(
            "/payments/stripe/webhook", data=payload, headers=_signed(app, payload)
        )
        assert response.status_code == 200
        outcomes.append(response.json["outcome"])
    assert outcomes == ["confirmed", "duplicate", "duplicate"]
    order = _order(app, number)
    assert order.status is OrderStatus.CONFIRMED
    assert order.stripe_payment_intent == "pi_1"
    assert _count(app, Package, Package.shipment_id == order.shipment_id) == 1
    with app.app_context():
        shipment = db.session.get(Shipment, order.shipment_id)
        assert kind_of(shipment.code) is CodeType.CLAIM
    assert _count(app, StripeEvent) == 1
    with app.app_context():
        package = db.session.scalar(sa.select(Package))
        assert package.state is PackageState.LABEL_ISSUED
    assert _count(app, Item, Item.stock == 4) == 1  # reserved once, at order time


def test_the_same_payment_in_another_event_changes_nothing(app, client, make):
    number, total = _place(app, make.item(), make.branch())
    for event_id in ("evt_a", "evt_b"):
        payload = json.dumps(_event(number, total, event_id=event_id)).encode()
        client.post("/payments/stripe/webhook", data=payload, headers=_signed(app, payload))
    order = _order(app, number)
    assert _count(app, Package, Package.shipment_id == order.shipment_id) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Stripe-Signature": "t=1,v1=deadbeef"},
        {"Stripe-Signature": "garbage"},
        "wrong-secret",
        "old-timestamp",
    ],
)
def test_forged_webhook_is_refused_and_changes_nothing(app, client, make, headers):
    number, total = _place(app, make.item(), make.branch())
    payload = json.dumps(_event(number, total)).encode()
    if headers == "wrong-secret":
        headers = _signed(app, payload, secret="whsec_not_ours")
    elif headers == "old-timestamp":
        headers = _signed(app, payload, timestamp=int(time.time()) - 3600)
    response = client.post("/payments/stripe/webhook", data=payload, headers=headers)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_signature"
    assert _order(app, number).status is OrderStatus.AWAITING_PAYMENT
    assert _count(app, StripeEvent) == 0


def _refunds_queued(app) -> list:
    """The payment intents of the refunds waiting in the outbox (tests/integration/
    test_refunds.py follows them to Stripe)."""
    from shop.notify.models import OutboxMessage

    with app.app_context():
        rows = db.session.scalars(
            sa.select(OutboxMessage.payload).where(OutboxMessage.kind == "stripe_refund")
        )
        return [payload["payment_intent"] for payload in rows]


def test_a_wrong_amount_is_not_applied(app, client, make):
    number, total = _place(app, make.item(), make.branch())
    payload = json.dumps(_event(number, total - 1)).encode()
    response = client.post("/payments/stripe/webhook", data=payload, headers=_signed(app, payload))
    assert response.json["outcome"] == "refund"
    assert _refunds_queued(app) == ["pi_1"]
    assert _order(app, number).status is OrderStatus.AWAITING_PAYMENT


def test_tick_expires_unpaid_orders_and_gives_stock_back(app, make, runner):
    item = make.item(stock=5)
    branch = make.branch(shelf_capacity=10)
    number, _ = _place(app, item, branch, quantity=2)
    with app.app_context():
        assert service.expire_unpaid() == 0  # not yet
        assert db.session.get(Item, item.id).stock == 3
        assert db.session.get(Branch, branch.id).reserved == 1
    with app.app_context():
        later = utcnow() + timedelta(minutes=app.config["ONLINE_PAYMENT_HOLD_MINUTES"] + 1)
        assert service.expire_unpaid(now=later) == 1
        assert service.expire_unpaid(now=later) == 0  # once
        assert db.session.get(Item, item.id).stock == 5
        assert db.session.get(Branch, branch.id).reserved == 0
    assert _order(app, number).status is OrderStatus.EXPIRED
    result = runner.invoke(args=["shop", "tick"])
    assert result.exit_code == 0 and "Expired 0 unpaid orders" in result.output


def test_code_payment_expires_after_its_deadline(app, make):
    load = make.item(virtual=True, stock=10, length_mm=0, width_mm=0, height_mm=0, weight_g=0)
    number, _ = _place(app, load, None, method=PaymentMethod.CODE)
    order = _order(app, number)
    with app.app_context():
        assert service.expire_unpaid(now=order.hold_until - timedelta(minutes=1)) == 0
        assert service.expire_unpaid(now=order.hold_until + timedelta(seconds=1)) == 1
        assert db.session.get(Item, load.id).stock == 10
        code = db.session.scalar(sa.select(Code).where(Code.code == order.pay_code))
        assert code.live is False


def test_a_payment_after_expiry_is_refunded(app, client, make):
    number, total = _place(app, make.item(), make.branch())
    with app.app_context():
        service.expire_unpaid(now=utcnow() + timedelta(days=1))
    payload = json.dumps(_event(number, total)).encode()
    response = client.post("/payments/stripe/webhook", data=payload, headers=_signed(app, payload))
    assert response.json["outcome"] == "refund"
    assert _refunds_queued(app) == ["pi_1"]
    assert _order(app, number).status is OrderStatus.EXPIRED


def _race(workers: int, task) -> list:
    """Run `task(i)` in `workers` threads released at the same moment."""
    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def run(i):
        barrier.wait()
        try:
            results[i] = task(i)
        except Exception as exc:  # noqa: BLE001  (the test inspects what each thread got)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite serializes every writer")


def test_twenty_checkouts_for_the_last_five(app, make, postgres_only):
    item = make.item(stock=5)
    branch = make.branch(shelf_capacity=100)

    def checkout(i):
        return _place(app, item, branch, method=PaymentMethod.COD, key=f"race-{i}")

    results = _race(20, checkout)
    placed = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(placed) == 5, refused
    assert all("sold out" in str(exc) for exc in refused), refused
    with app.app_context():
        assert db.session.get(Item, item.id).stock == 0
        assert db.session.get(Branch, branch.id).reserved == 5
    assert _count(app, Order) == 5


def test_control_without_the_conditional_update_oversells(app, make, postgres_only):
    """The control: read-then-write stock, as a naive shop would, does oversell under the
    same race, so the test above really exercises a race."""
    from sqlalchemy.orm import Session

    item = make.item(stock=5)
    with app.app_context():
        engine = db.engine

    def naive(i):
        with Session(engine) as session:
            stock = session.scalar(sa.select(Item.stock).where(Item.id == item.id))
            time.sleep(0.05)
            if stock >= 1:
                session.execute(sa.update(Item).where(Item.id == item.id).values(stock=stock - 1))
                session.commit()
                return True
            return False

    sold = sum(1 for r in _race(20, naive) if r is True)
    assert sold > 5


def test_two_ticks_at_once_release_stock_once(app, make, postgres_only):
    item = make.item(stock=10)
    branch = make.branch(shelf_capacity=50)
    for i in range(6):
        _place(app, item, branch, key=f"tick-{i}")
    later = utcnow() + timedelta(days=1)

    def tick(i):
        with app.app_context():
            return service.expire_unpaid(now=later)

    results = _race(2, tick)
    assert sum(results) == 6
    with app.app_context():
        assert db.session.get(Item, item.id).stock == 10
        assert db.session.get(Branch, branch.id).reserved == 0


def test_double_submit_race_makes_one_order(app, make, postgres_only):
    item = make.item(stock=10)
    branch = make.branch()
    results = _race(5, lambda i: _place(app, item, branch, method=PaymentMethod.COD, key="same"))
    assert len({r for r in results if isinstance(r, tuple)}) == 1, results
    assert _count(app, Order) == 1
    with app.app_context():
        assert db.session.get(Item, item.id).stock == 9
