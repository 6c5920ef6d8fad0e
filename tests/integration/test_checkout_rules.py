"""Checkout's rules tried at their edges (issue #8, points 4, 5 and 11): the bounds on unpaid
holds, the COD cap at its boundary, and the packing an order keeps from its placing to its
payment."""

import json

import pytest
import sqlalchemy as sa

from shop.branches.models import Branch
from shop.catalog.models import Item
from shop.checkout import service
from shop.checkout.models import Order, OrderStatus, PaymentMethod
from shop.extensions import db
from shop.fulfillment.models import Package
from tests.conftest import text
from tests.integration.test_checkout import _add, _checkout, _count, _get
from tests.integration.test_payments import _event, _signed
from tests.orders import place_order


def _place(app, item, branch, holder, quantity=1, method=PaymentMethod.ONLINE, key=None):
    with app.app_context():
        contents = {str(item.id): quantity}
        offer, _ = service.quote(contents)
        return place_order(
            contents,
            idempotency_key=key or f"k{id(holder)}{quantity}{_count(app, Order)}",
            holder=holder,
            contact=service.check_contact("Maria Santos", "09171234567", "maria@example.com"),
            method=method,
            branch_code=branch.code,
            expected_total=offer.total.centavos,
        )


# --- the bounds on unpaid holds ------------------------------------------------------------


def test_one_session_holds_at_most_its_bound_of_unpaid_orders(app, make):
    item, branch = make.item(stock=50), make.branch(shelf_capacity=60)
    holder = service.Holder(session="one-browser", address="198.51.100.7")
    limit = app.config["UNPAID_ORDERS_PER_SESSION"]
    for _ in range(limit):
        _place(app, item, branch, holder)
    with pytest.raises(service.TooManyUnpaid, match=f"You have {limit} orders waiting"):
        _place(app, item, branch, holder)
    assert _count(app, Order) == limit
    assert _get(app, Item, id=item.id).stock == 50 - limit  # the refused one took nothing
    assert _get(app, Branch, id=branch.id).reserved == limit


def test_one_address_holds_at_most_its_bound_whatever_the_sessions(app, make):
    item, branch = make.item(stock=50), make.branch(shelf_capacity=60)
    limit = app.config["UNPAID_ORDERS_PER_ADDRESS"]
    for n in range(limit):
        _place(app, item, branch, service.Holder(session=f"browser-{n}", address="203.0.113.9"))
    with pytest.raises(service.TooManyUnpaid, match="from your network"):
        _place(app, item, branch, service.Holder(session="fresh", address="203.0.113.9"))
    # Another address is not held back by this one.
    _place(app, item, branch, service.Holder(session="fresh", address="203.0.113.10"))
    assert _count(app, Order) == limit + 1


def test_units_held_are_bounded_too(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "UNPAID_UNITS_PER_SESSION", 10)
    item, branch = make.item(stock=50, weight_g=10), make.branch(shelf_capacity=60)
    holder = service.Holder(session="bulk", address="198.51.100.8")
    _place(app, item, branch, holder, quantity=6)
    with pytest.raises(service.TooManyUnpaid, match="at most 10 items"):
        _place(app, item, branch, holder, quantity=5)
    _place(app, item, branch, holder, quantity=4)  # exactly the bound: allowed
    assert _get(app, Item, id=item.id).stock == 40


def test_cash_on_delivery_not_yet_collected_counts_as_unpaid(app, make):
    item, branch = make.item(stock=50), make.branch(shelf_capacity=60)
    holder = service.Holder(session="cod-browser", address="198.51.100.9")
    for _ in range(app.config["UNPAID_ORDERS_PER_SESSION"]):
        _place(app, item, branch, holder, method=PaymentMethod.COD)
    with pytest.raises(service.TooManyUnpaid):
        _place(app, item, branch, holder, method=PaymentMethod.COD)


def test_paid_and_expired_orders_free_the_bound(app, make, client):
    item, branch = make.item(stock=50), make.branch(shelf_capacity=60)
    holder = service.Holder(session="payer", address="198.51.100.10")
    placed = [_place(app, item, branch, holder) for _ in range(3)]
    with pytest.raises(service.TooManyUnpaid):
        _place(app, item, branch, holder)
    payload = json.dumps(_event(placed[0].number, placed[0].total)).encode()
    client.post("/payments/stripe/webhook", data=payload, headers=_signed(app, payload))
    _place(app, item, branch, holder)  # one was paid: room for one more
    with app.app_context():
        db.session.execute(
            sa.update(Order)
            .where(Order.number == placed[1].number)
            .values(status=OrderStatus.EXPIRED)
        )
        db.session.commit()
    _place(app, item, branch, holder)


def test_the_address_is_never_stored(app, make):
    item, branch = make.item(), make.branch()
    _place(app, item, branch, service.Holder(session="s", address="198.51.100.77"))
    with app.app_context():
        row = db.session.execute(sa.select(Order.__table__)).one()._mapping
    assert not any("198.51.100.77" in str(value) for value in row.values())
    assert len(row["client_hash"]) == 32 and len(row["session_hash"]) == 32


def test_the_web_checkout_is_bounded_per_session(app, client, make):
    item, branch = make.item(stock=50), make.branch(shelf_capacity=60)
    statuses = []
    for _ in range(app.config["UNPAID_ORDERS_PER_SESSION"] + 1):
        _add(client, item)
        statuses.append(_checkout(client, branch).status_code)
    assert statuses == [303] * app.config["UNPAID_ORDERS_PER_SESSION"] + [429]
    assert _count(app, Order) == app.config["UNPAID_ORDERS_PER_SESSION"]


def test_placing_orders_is_rate_limited_per_address(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKOUT_RATE_LIMIT", "2 per minute")
    _add(client, make.item())
    statuses = [_checkout(client, make.branch(), payment="bitcoin").status_code for _ in range(3)]
    assert statuses == [422, 422, 429]


# --- the COD cap at its boundary -----------------------------------------------------------


@pytest.mark.parametrize(("over", "allowed"), [(0, True), (1, False)])
def test_cod_cap_boundary(app, client, make, over, allowed):
    fee = service.SHIPPING_FEE_PER_PACKAGE.centavos
    item = make.item(price=service.COD_CAP.centavos - fee + over, stock=5)
    _add(client, item)
    response = _checkout(client, make.branch(), payment="cod")
    if allowed:
        assert response.status_code == 303
        order = _get(app, Order, payment_method=PaymentMethod.COD)
        assert order.total == order.amount_due == service.COD_CAP.centavos
    else:
        assert response.status_code == 422
        assert "Cash on pickup is for orders up to ₱50,000.00" in text(response)
        assert _count(app, Order) == 0


# --- the packing is the order's -----------------------------------------------------------


def test_paying_ships_the_packages_the_shelf_was_reserved_for(app, client, make):
    """An item edited during the payment hold (it became bigger) must not change the
    packages: the branch's shelf was reserved for the packing made at order time."""
    item = make.item(stock=10, length_mm=100, width_mm=100, height_mm=100, weight_g=1000)
    branch = make.branch(shelf_capacity=10)
    holder = service.Holder(session="s", address="a")
    placed = _place(app, item, branch, holder, quantity=3)  # 3 small units: one package
    with app.app_context():
        db.session.get(Item, item.id).length_mm = 290
        db.session.get(Item, item.id).width_mm = 290
        db.session.get(Item, item.id).height_mm = 290  # now one unit per package
        db.session.commit()
    payload = json.dumps(_event(placed.number, placed.total)).encode()
    response = client.post("/payments/stripe/webhook", data=payload, headers=_signed(app, payload))
    assert response.json["outcome"] == "confirmed"
    order = _get(app, Order, number=placed.number)
    assert order.packages == 1
    packages = _count(app, Package, Package.shipment_id == order.shipment_id)
    assert packages == order.packages == _get(app, Branch, id=branch.id).reserved
    package = _get(app, Package, shipment_id=order.shipment_id)
    assert package.weight_g == 3000 and package.volume_cm3 == 3000
    assert package.contents == f"3 × {item.name}"


def test_parallel_orders_from_one_address_never_pass_the_bound(app, make, backend):
    """Eight orders from one address at the same moment: the advisory lock per address makes
    count-then-insert one step, so exactly the bound is placed (PostgreSQL; SQLite runs one
    writer at a time, which serializes them anyway)."""
    from tests.integration.test_payments import _race

    # One item each: no stock row lock lines the orders up, only the lock per address.
    items, branch = [make.item(stock=5) for _ in range(8)], make.branch(shelf_capacity=60)
    limit = app.config["UNPAID_ORDERS_PER_SESSION"]

    def order(i):
        with app.app_context():
            holder = service.Holder(session="one-tab-burst", address="198.51.100.99")
            return _place(app, items[i], branch, holder, key=f"burst{i}")

    results = _race(8, order)
    placed = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(placed) == limit, refused
    assert all(isinstance(r, service.TooManyUnpaid) for r in refused), refused
    assert _count(app, Order) == limit
    assert sum(_get(app, Item, id=item.id).stock for item in items) == 8 * 5 - limit
