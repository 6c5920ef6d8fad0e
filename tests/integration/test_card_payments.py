"""The card flow through the shop's routes against localstripe (a real Stripe API, run
locally): the pay page's SetupIntent, the charge, 3-D Secure, declines, a payment for another
order, and Stripe being down. The browser's half (Stripe.js) is in tests/e2e."""

import re
import uuid

import pytest

from shop.checkout.models import Order, OrderStatus, PaymentMethod
from shop.fulfillment.models import Shipment
from shop.payments import service as payments
from tests.conftest import csrf_token, free_port, text
from tests.integration.test_checkout import _count, _get
from tests.integration.test_payments import _place

CARD_OK = "4242424242424242"


@pytest.fixture
def stripe_local(app, localstripe, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", localstripe)
    return localstripe


def _order_for(app, client, make, **item):
    """An online order placed by `client`'s session (so the session may pay it)."""
    number, total = _place(app, make.item(**item), make.branch(), key=uuid.uuid4().hex[:16])
    with client.session_transaction() as session:
        session["orders"] = [number]
    return number, total


def _pay_page(client, number):
    response = client.get(f"/orders/{number}/pay")
    page = text(response)
    secret = re.search(r'data-secret="([^"]*)"', page)
    return response, page, secret.group(1) if secret else None


def _confirm_setup(app, client_secret: str, card: str) -> str:
    """What Stripe.js's confirmCardSetup does in the browser: the card, on the SetupIntent."""
    intent_id = client_secret.split("_secret_")[0]
    with app.app_context():
        card_data = {"number": card, "exp_month": 12, "exp_year": 2040, "cvc": "123"}
        payments.client().v1.setup_intents.confirm(
            intent_id,
            params={"payment_method_data": {"type": "card", "card": card_data}},
        )
    return intent_id


def _charge(client, number, body):
    return client.post(
        f"/orders/{number}/pay",
        json=body,
        headers={"X-CSRFToken": csrf_token(client)},
    )


def test_paying_by_card_confirms_the_order_and_issues_its_labels(app, client, make, stripe_local):
    number, total = _order_for(app, client, make)
    response, page, secret = _pay_page(client, number)
    assert response.status_code == 200 and secret and "_secret_" in secret
    assert _pay_page(client, number)[2] == secret  # a reload reuses the SetupIntent
    setup_intent = _confirm_setup(app, secret, CARD_OK)
    result = _charge(client, number, {"setup_intent": setup_intent})
    assert result.status_code == 200, result.json
    assert result.json["status"] == "succeeded"
    assert result.json["redirect"].startswith(f"/orders/{number}?key=")
    order = _get(app, Order, number=number)
    assert order.status is OrderStatus.CONFIRMED and order.paid_at is not None
    assert _count(app, Shipment) == 1
    assert _pay_page(client, number)[2] is None  # paid: the page offers no card form again


def test_an_unconfirmed_card_is_declined_in_plain_words(app, client, make, stripe_local):
    number, _ = _order_for(app, client, make)
    _, _, secret = _pay_page(client, number)
    result = _charge(client, number, {"setup_intent": secret.split("_secret_")[0]})
    assert result.status_code == 402
    assert result.json["error"]["code"] == "card_declined"
    assert "Please enter it again" in result.json["error"]["message"]
    assert _get(app, Order, number=number).status is OrderStatus.AWAITING_PAYMENT


def test_a_setup_intent_of_another_order_is_refused(app, client, make, stripe_local):
    mine, _ = _order_for(app, client, make)
    _pay_page(client, mine)
    other_client = app.test_client()
    theirs, _ = _order_for(app, other_client, make)
    _, _, their_secret = _pay_page(other_client, theirs)
    stolen = _confirm_setup(app, their_secret, CARD_OK)
    result = _charge(client, mine, {"setup_intent": stolen})
    assert result.status_code == 409 and result.json["error"]["code"] == "not_payable"
    assert _count(app, Shipment) == 0


def test_completing_with_a_payment_of_another_order_is_refused(app, client, make, stripe_local):
    mine, _ = _order_for(app, client, make)
    with app.app_context():
        card = {"number": CARD_OK, "exp_month": 12, "exp_year": 2040, "cvc": "123"}
        stripe = payments.client()
        method = stripe.v1.payment_methods.create(params={"type": "card", "card": card})
        elsewhere = stripe.v1.payment_intents.create(
            params={
                "amount": 100,
                "currency": "php",
                "payment_method": method.id,
                "confirm": True,
                "metadata": {"order": "CQ-ZZZZ-ZZZZ"},
            }
        )
    response = client.post(
        f"/orders/{mine}/pay/complete",
        json={"payment_intent": elsewhere.id},
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_payable"
    assert _get(app, Order, number=mine).status is OrderStatus.AWAITING_PAYMENT


def test_stripe_down_is_a_calm_503_and_changes_nothing(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", f"http://127.0.0.1:{free_port()}")
    number, _ = _order_for(app, client, make)
    response = client.get(f"/orders/{number}/pay")
    assert response.status_code == 503
    assert "unavailable right now" in text(response)
    assert _get(app, Order, number=number).stripe_setup_intent is None


def test_a_cod_order_has_nothing_to_pay_by_card(app, client, make, stripe_local):
    number, _ = _place(app, make.item(), make.branch(), method=PaymentMethod.COD)
    with client.session_transaction() as session:
        session["orders"] = [number]
    response = client.get(f"/orders/{number}/pay")
    assert response.status_code == 200 and 'data-secret="' not in text(response)
    result = _charge(client, number, {"setup_intent": "seti_x"})
    assert result.status_code == 409 and "paid at the store" in result.json["error"]["message"]
