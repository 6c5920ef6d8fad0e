"""Stripe's webhook against tricks and losses (issue #8, point 5): signatures from the future,
payments in another currency, signed payloads of the wrong shape, a failure in the middle of
processing, and two deliveries of one event at the same moment."""

import json
import time

import pytest
import sqlalchemy as sa

from shop.checkout.models import Order, OrderStatus
from shop.extensions import db
from shop.fulfillment.models import Package, Shipment
from shop.payments.models import StripeEvent
from tests.integration.test_payments import _count, _event, _order, _place, _race, _signed

WEBHOOK = "/payments/stripe/webhook"


def _post(app, client, event, **signing):
    payload = json.dumps(event).encode()
    return client.post(WEBHOOK, data=payload, headers=_signed(app, payload, **signing))


@pytest.mark.parametrize("seconds", [301, 3600, 86400 * 365])
def test_a_signature_dated_in_the_future_is_refused(app, client, make, seconds):
    number, total = _place(app, make.item(), make.branch())
    response = _post(app, client, _event(number, total), timestamp=int(time.time()) + seconds)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_signature"
    assert _order(app, number).status is OrderStatus.AWAITING_PAYMENT
    assert _count(app, StripeEvent) == 0


def test_a_signature_a_little_off_either_way_is_accepted(app, client, make, clock):
    number, total = _place(app, make.item(), make.branch())
    clock.set(clock.now())
    signed_at = int(clock.now().timestamp()) + 120  # the sender's clock runs 2 minutes ahead
    response = _post(app, client, _event(number, total), timestamp=signed_at)
    assert response.status_code == 200 and response.json["outcome"] == "confirmed"


def test_the_shops_clock_decides_what_is_old(app, client, make, clock):
    number, total = _place(app, make.item(), make.branch())
    signed_at = int(time.time())
    clock.advance(minutes=6)  # the event arrives 6 minutes after it was signed
    response = _post(app, client, _event(number, total), timestamp=signed_at)
    assert response.status_code == 400
    assert _count(app, StripeEvent) == 0


@pytest.mark.parametrize("currency", ["usd", "PHX", "", None, 5])
def test_a_payment_in_another_currency_confirms_nothing(app, client, make, monkeypatch, currency):
    from shop.payments import service as payments

    refunded = []
    monkeypatch.setattr(payments, "refund", refunded.append)
    number, total = _place(app, make.item(), make.branch())
    event = _event(number, total)
    event["data"]["object"]["currency"] = currency
    response = _post(app, client, event)
    order = _order(app, number)
    assert order.status is OrderStatus.AWAITING_PAYMENT and order.shipment_id is None
    assert _count(app, Shipment) == 0
    if isinstance(currency, str):  # a real payment we can't apply: it goes back
        assert response.status_code == 200 and response.json["outcome"] == "refund"
        assert refunded == ["pi_1"]
    else:  # not even a currency: the payload is malformed
        assert response.status_code == 422
        assert response.json["error"]["code"] == "bad_payload"
        assert _count(app, StripeEvent) == 0


def test_the_upper_case_currency_of_our_own_is_accepted(app, client, make):
    number, total = _place(app, make.item(), make.branch())
    event = _event(number, total)
    event["data"]["object"]["currency"] = "PHP"
    assert _post(app, client, event).json["outcome"] == "confirmed"


def _without(event, *path):
    target = event
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return event


@pytest.mark.parametrize(
    "mangle",
    [
        lambda e: _without(e, "data"),
        lambda e: _without(e, "data", "object"),
        lambda e: _without(e, "data", "object", "id"),
        lambda e: _without(e, "data", "object", "amount"),
        lambda e: _without(e, "data", "object", "currency"),
        lambda e: e["data"].update(object=[1, 2]),
        lambda e: e["data"].update(object="pi_1"),
        lambda e: e["data"]["object"].update(amount="58500"),
        lambda e: e["data"]["object"].update(amount=True),
        lambda e: e["data"]["object"].update(amount=None),
        lambda e: e["data"]["object"].update(id={"x": 1}),
        lambda e: e["data"]["object"].update(metadata={"order": ["CQ-AAAA-AAAA"]}),
        lambda e: e.update(data=None),
    ],
)
def test_a_signed_payment_event_without_what_we_read_is_a_clear_422(app, client, make, mangle):
    number, total = _place(app, make.item(), make.branch())
    event = _event(number, total)
    mangle(event)
    response = _post(app, client, event)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "bad_payload"
    assert _count(app, StripeEvent) == 0
    assert _order(app, number).status is OrderStatus.AWAITING_PAYMENT


@pytest.mark.parametrize(
    "body", [b"[]", b'"event"', b"1", b"true", b"null", b"[" * 5000 + b"]" * 5000, b"\xff\xfe"]
)
def test_a_signed_body_that_is_not_an_event_is_refused(app, client, body):
    response = client.post(WEBHOOK, data=body, headers=_signed(app, body))
    assert response.status_code in (400, 422)
    assert response.json["error"]["code"] in ("bad_payload", "bad_signature")
    assert _count(app, StripeEvent) == 0


@pytest.mark.parametrize("missing", ["id", "type"])
def test_an_event_without_id_or_type_is_refused(app, client, make, missing):
    number, total = _place(app, make.item(), make.branch())
    response = _post(app, client, _without(_event(number, total), missing))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "bad_payload"


def test_other_event_types_are_recorded_and_ignored(app, client):
    event = {"id": "evt_x", "type": "charge.refunded", "data": {"object": {"id": "ch_1"}}}
    response = _post(app, client, event)
    assert response.json["outcome"] == "ignored"
    assert _count(app, StripeEvent) == 1


def test_a_failure_while_confirming_loses_neither_the_event_nor_the_order(
    app, client, make, monkeypatch
):
    """The event row and the order's confirmation are one transaction: a failure in between
    leaves neither, so Stripe's retry finds the event new and confirms the order."""
    from shop.fulfillment import service as ecms

    number, total = _place(app, make.item(), make.branch())
    real = ecms.create_shipment

    def broken(**kwargs):
        real(**kwargs)  # the shipment is written, then the worker dies
        raise RuntimeError("worker killed")

    monkeypatch.setattr(ecms, "create_shipment", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_UNEXPECTED", False)
    assert _post(app, client, _event(number, total)).status_code == 500
    assert _count(app, StripeEvent) == 0
    assert _count(app, Shipment) == 0
    assert _order(app, number).status is OrderStatus.AWAITING_PAYMENT
    monkeypatch.setattr(ecms, "create_shipment", real)
    retry = _post(app, client, _event(number, total))
    assert retry.json["outcome"] == "confirmed"
    assert _count(app, StripeEvent) == 1 and _count(app, Shipment) == 1


def test_two_deliveries_of_one_event_at_the_same_moment_pay_once(app, make, backend):
    item = make.item(stock=5)
    number, total = _place(app, item, make.branch())
    payload = json.dumps(_event(number, total)).encode()
    headers = _signed(app, payload)

    def deliver(i):
        return app.test_client().post(WEBHOOK, data=payload, headers=headers).json["outcome"]

    outcomes = _race(4, deliver)
    assert sorted(outcomes) == ["confirmed", "duplicate", "duplicate", "duplicate"], outcomes
    assert _count(app, StripeEvent) == 1
    assert _count(app, Shipment) == 1
    order = _order(app, number)
    assert _count(app, Package, Package.shipment_id == order.shipment_id) == order.packages


def test_two_events_for_one_payment_at_the_same_moment_make_one_shipment(app, make, backend):
    """Stripe may send the success twice under two event ids (and the browser's round trip
    confirms too): the order row's lock makes one shipment."""
    number, total = _place(app, make.item(), make.branch())

    def deliver(i):
        payload = json.dumps(_event(number, total, event_id=f"evt_{i}")).encode()
        return (
            app.test_client()
            .post(WEBHOOK, data=payload, headers=_signed(app, payload))
            .json["outcome"]
        )

    outcomes = _race(4, deliver)
    assert outcomes == ["confirmed"] * 4  # each event confirms; only one does the work
    assert _count(app, Shipment) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
