"""The card flow through the shop's routes against localstripe (a real Stripe API, run
locally): the card made into a payment method as the pay page does it, one PaymentIntent per
payment and no SetupIntent, 3-D Secure asked once, declines in our words, a payment for another
order, Stripe being down, and the switch to cash after a decline (and its race with a payment
that succeeds anyway). The browser's half (Stripe.js) is in tests/e2e/test_card_once.py."""

import json
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
import stripe

from shop import codes
from shop.branches.models import Branch
from shop.catalog.models import Item
from shop.checkout import service as checkout
from shop.checkout.models import Order, OrderStatus, PaymentMethod
from shop.clock import now as utcnow
from shop.codes import CodeType, kind_of
from shop.extensions import db
from shop.fulfillment.models import Code, Shipment
from shop.notify.models import OutboxMessage
from shop.payments import service as payments
from tests.conftest import csrf_token, free_port, text
from tests.integration.test_checkout import _count, _get
from tests.integration.test_payments import _place, _race

CARD_OK = "4242424242424242"
CARD_3DS = "4000002760003184"
CARD_DECLINED = "4000000000000341"  # what localstripe declines when charged (and Stripe too)
CARD_3DS_DECLINED = "4000008260003178"  # 3-D Secure, then declined


@pytest.fixture
def stripe_local(app, localstripe, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", localstripe)
    return localstripe


def _order_for(app, client, make, **item):
    """An online order placed by `client`'s session (so the session may pay it)."""
    number, total = _place(app, make.item(**item), make.branch(), key=uuid.uuid4().hex[:16])
    _own(client, number)
    return number, total


def _own(client, number):
    with client.session_transaction() as session:
        session["orders"] = [*session.get("orders", []), number]


def _localstripe(app, path: str, fields: dict) -> dict:
    """A POST to localstripe as the browser makes it: the publishable key in the body."""
    data = urllib.parse.urlencode({"key": app.config["STRIPE_PUBLISHABLE_KEY"], **fields})
    request = urllib.request.Request(app.config["STRIPE_API_BASE"] + path, data=data.encode())
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (localstripe)
        return json.loads(response.read())


def _card(app, number: str) -> str:
    """What the pay page's shim does on localstripe: the card, with the publishable key, made
    into a token's card; its id is the payment method."""
    card = {"number": number, "exp_month": "12", "exp_year": "2040", "cvc": "123"}
    token = _localstripe(app, "/v1/tokens", {f"card[{k}]": v for k, v in card.items()})
    return token["card"]["id"]


def _authenticate(app, charged: dict, success: bool) -> None:
    """The bank's 3-D Secure page, as localstripe's Stripe.js runs it."""
    _localstripe(
        app,
        f"/v1/payment_intents/{charged['payment_intent']}/_authenticate?success={str(success).lower()}",
        {"client_secret": charged["client_secret"]},
    )


def _post(client, path, body):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf_token(client)})


def _charge(client, number, payment_method):
    return _post(client, f"/orders/{number}/pay", {"payment_method": payment_method})


def _complete(client, number, payment_intent):
    return _post(client, f"/orders/{number}/pay/complete", {"payment_intent": payment_intent})


def _cash(client, number):
    return client.post(f"/orders/{number}/pay/cash", data={"csrf_token": csrf_token(client)})


def _intents(app, kind: str) -> list:
    with app.app_context():
        service = getattr(payments.client().v1, kind)
        return list(service.list(params={"limit": 100}).auto_paging_iter())


def _payments_of(app, number) -> list:
    intents = _intents(app, "payment_intents")
    return [pi for pi in intents if (pi.to_dict().get("metadata") or {}).get("order") == number]


def _refunds_queued(app) -> list:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(OutboxMessage.payload).where(OutboxMessage.kind == "stripe_refund")
        )
        return [payload["payment_intent"] for payload in rows]


def _mail(app, key) -> dict:
    with app.app_context():
        return db.session.scalar(sa.select(OutboxMessage.payload).where(OutboxMessage.key == key))


def _mail_keys(app) -> list:
    with app.app_context():
        return list(
            db.session.scalars(sa.select(OutboxMessage.key).where(OutboxMessage.kind == "mail"))
        )


# --- One payment, one PaymentIntent, no SetupIntent -----------------------------------------


def test_paying_by_card_makes_one_payment_intent_and_no_setup_intent(
    app, client, make, stripe_local
):
    number, total = _order_for(app, client, make)
    setups_before = len(_intents(app, "setup_intents"))
    page = client.get(f"/orders/{number}/pay")
    assert page.status_code == 200
    assert "data-secret" not in text(page)  # nothing made at Stripe for the page
    result = _charge(client, number, _card(app, CARD_OK))
    assert result.status_code == 200, result.json
    assert result.json["status"] == "succeeded"
    assert result.json["redirect"].startswith(f"/orders/{number}?key=")
    order = _get(app, Order, number=number)
    assert order.status is OrderStatus.CONFIRMED and order.paid_at is not None
    [payment] = _payments_of(app, number)
    assert (payment.amount, payment.currency, payment.status) == (total, "php", "succeeded")
    assert order.stripe_payment_intent == payment.id
    assert len(_intents(app, "setup_intents")) == setups_before
    assert _count(app, Shipment) == 1
    assert "is confirmed: nothing to pay" in text(client.get(f"/orders/{number}/pay"))


def test_a_payment_method_made_by_stripe_js_pays_the_same(app, client, make, stripe_local):
    """Real Stripe.js makes a pm_ id, not the shim's card_: the server takes either."""
    number, _ = _order_for(app, client, make)
    with app.app_context():
        card = {"number": CARD_OK, "exp_month": 12, "exp_year": 2040, "cvc": "123"}
        method = payments.client().v1.payment_methods.create(params={"type": "card", "card": card})
    assert method.id.startswith("pm_")
    assert _charge(client, number, method.id).json["status"] == "succeeded"
    assert _get(app, Order, number=number).status is OrderStatus.CONFIRMED


def test_one_order_and_card_send_stripe_one_idempotency_key(
    app, client, make, stripe_local, monkeypatch
):
    """A double-click sends the same card twice: Stripe's idempotency key makes it one
    PaymentIntent (localstripe ignores the key, so the key itself is what is checked)."""
    keys = []
    create = stripe.PaymentIntentService.create

    def counting(self, params=None, options=None):
        keys.append((options or {}).get("idempotency_key"))
        return create(self, params, options)

    monkeypatch.setattr(stripe.PaymentIntentService, "create", counting)
    number, _ = _order_for(app, client, make)
    card = _card(app, CARD_DECLINED)
    assert _charge(client, number, card).status_code == 402
    assert _charge(client, number, card).status_code == 402
    assert keys == [f"pay-{number}-{card}"] * 2


def test_real_stripe_is_told_that_stripe_js_handles_3d_secure(app, client, make, monkeypatch):
    """With real Stripe (no STRIPE_API_BASE) the PaymentIntent says `use_stripe_sdk`, as
    Stripe asks of a server that confirms and lets Stripe.js handle the next action;
    localstripe, which refuses it, is never sent it."""
    sent = []

    def offline(self, params=None, options=None):
        sent.append(params)
        raise stripe.APIConnectionError("no network in tests")

    monkeypatch.setattr(stripe.PaymentIntentService, "create", offline)
    number, _ = _order_for(app, client, make)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", None)
    assert _charge(client, number, "pm_card").status_code == 503
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:1")
    assert _charge(client, number, "pm_card").status_code == 503
    assert [params.get("use_stripe_sdk") for params in sent] == [True, None]
    assert all(params["confirm"] is True and params["amount"] > 0 for params in sent)


def test_a_second_payment_that_succeeds_after_the_first_is_refunded(
    app, client, make, stripe_local
):
    number, _ = _order_for(app, client, make)
    first = _charge(client, number, _card(app, CARD_OK))
    assert first.json["status"] == "succeeded"
    # A second tab, or a reload, paid again before the first answer arrived.
    with app.app_context():
        second = payments.client().v1.payment_intents.create(
            params={
                "amount": _get(app, Order, number=number).total,
                "currency": "php",
                "payment_method": _card(app, CARD_OK),
                "confirm": True,
                "metadata": {"order": number},
            }
        )
    late = _complete(client, number, second.id)
    assert late.status_code == 409 and "refunded" in late.json["error"]["message"]
    assert _refunds_queued(app) == [second.id]
    order = _get(app, Order, number=number)
    assert order.status is OrderStatus.CONFIRMED and order.stripe_payment_intent != second.id
    assert _count(app, Shipment) == 1
    # Once paid, the card step itself refuses before Stripe is asked.
    again = _charge(client, number, _card(app, CARD_OK))
    assert again.status_code == 409 and again.json["error"]["code"] == "not_payable"
    assert len(_payments_of(app, number)) == 2


# --- 3-D Secure, once ------------------------------------------------------------------------


def test_3d_secure_is_asked_once_for_the_payment(app, client, make, stripe_local):
    number, _ = _order_for(app, client, make)
    charged = _charge(client, number, _card(app, CARD_3DS)).json
    assert charged["status"] == "requires_action"
    assert charged["client_secret"].startswith(charged["payment_intent"] + "_secret_")
    # Kept on the order while it waits, so a switch to cash can cancel it.
    assert _get(app, Order, number=number).stripe_payment_intent == charged["payment_intent"]
    _authenticate(app, charged, success=True)
    done = _complete(client, number, charged["payment_intent"])
    assert done.status_code == 200 and done.json["status"] == "succeeded"
    assert _get(app, Order, number=number).status is OrderStatus.CONFIRMED
    assert [pi.id for pi in _payments_of(app, number)] == [charged["payment_intent"]]


def test_a_failed_3d_secure_check_is_said_in_our_words(app, client, make, stripe_local):
    number, _ = _order_for(app, client, make)
    charged = _charge(client, number, _card(app, CARD_3DS)).json
    _authenticate(app, charged, success=False)
    [payment] = _payments_of(app, number)
    stripes_words = payment.last_payment_error.message
    result = _complete(client, number, charged["payment_intent"])
    assert result.status_code == 402
    assert result.json["error"]["code"] == "card_declined"
    assert result.json["error"]["message"] == payments.NOT_CONFIRMED
    assert stripes_words not in result.json["error"]["message"]
    assert _get(app, Order, number=number).status is OrderStatus.AWAITING_PAYMENT


def test_a_card_declined_after_3d_secure_is_said_in_our_words(app, client, make, stripe_local):
    number, _ = _order_for(app, client, make)
    charged = _charge(client, number, _card(app, CARD_3DS_DECLINED)).json
    with pytest.raises(urllib.error.HTTPError):  # the bank said yes, the card still says no
        _authenticate(app, charged, success=True)
    result = _complete(client, number, charged["payment_intent"])
    assert (result.status_code, result.json["error"]["message"]) == (402, payments.DECLINED)


# --- Declines in plain words -----------------------------------------------------------------


def test_a_declined_card_is_said_in_our_words(app, client, make, stripe_local):
    number, _ = _order_for(app, client, make)
    result = _charge(client, number, _card(app, CARD_DECLINED))
    assert result.status_code == 402
    error = result.json["error"]
    assert (error["code"], error["message"], error["field"]) == (
        "card_declined",
        payments.DECLINED,
        "card",
    )
    assert "Your card was declined." not in error["message"]  # localstripe's (Stripe's) words
    assert _get(app, Order, number=number).status is OrderStatus.AWAITING_PAYMENT
    # Another card then pays the same order.
    assert _charge(client, number, _card(app, CARD_OK)).json["status"] == "succeeded"


@pytest.mark.parametrize("sent", ["", "pm_nosuchcard", "tok_x", "x" * 300, "pm_a b"])
def test_a_card_stripe_does_not_know_asks_to_check_the_card(app, client, make, stripe_local, sent):
    number, _ = _order_for(app, client, make)
    result = _charge(client, number, sent)
    assert result.status_code in (402, 422), result.json
    if result.status_code == 402:
        assert result.json["error"]["message"] == payments.CHECK_CARD
    assert _get(app, Order, number=number).status is OrderStatus.AWAITING_PAYMENT


def test_completing_with_a_payment_of_another_order_is_refused(app, client, make, stripe_local):
    mine, _ = _order_for(app, client, make)
    with app.app_context():
        elsewhere = payments.client().v1.payment_intents.create(
            params={
                "amount": 100,
                "currency": "php",
                "payment_method": _card(app, CARD_OK),
                "confirm": True,
                "metadata": {"order": "CQ-ZZZZ-ZZZZ"},
            }
        )
    response = _complete(client, mine, elsewhere.id)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_payable"
    assert _get(app, Order, number=mine).status is OrderStatus.AWAITING_PAYMENT


def test_stripe_down_is_a_calm_503_and_changes_nothing(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", f"http://127.0.0.1:{free_port()}")
    number, _ = _order_for(app, client, make)
    assert client.get(f"/orders/{number}/pay").status_code == 200  # asks Stripe nothing
    response = _charge(client, number, "pm_anything")
    assert response.status_code == 503
    assert "unavailable right now" in response.json["error"]["message"]
    order = _get(app, Order, number=number)
    assert order.status is OrderStatus.AWAITING_PAYMENT and order.stripe_payment_intent is None


def test_a_cod_order_has_nothing_to_pay_by_card(app, client, make, stripe_local):
    number, _ = _place(app, make.item(), make.branch(), method=PaymentMethod.COD)
    _own(client, number)
    response = client.get(f"/orders/{number}/pay")
    assert response.status_code == 200 and 'id="pay-form"' not in text(response)
    result = _charge(client, number, "pm_x")
    assert result.status_code == 409 and "paid at the store" in result.json["error"]["message"]


# --- Cash at the store instead ---------------------------------------------------------------


def test_after_a_decline_the_order_turns_to_cash_on_pickup(app, client, make, stripe_local):
    item, branch = make.item(stock=5), make.branch(shelf_capacity=10)
    number, total = _place(app, item, branch, key=uuid.uuid4().hex[:16])
    _own(client, number)
    page = text(client.get(f"/orders/{number}/pay"))
    assert "Pay in cash at the store instead" in page
    assert _charge(client, number, _card(app, CARD_DECLINED)).status_code == 402
    mails_before = _mail_keys(app)

    response = _cash(client, number)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/orders/{number}?key=")
    order = _get(app, Order, number=number)
    assert (order.payment_method, order.status) == (PaymentMethod.COD, OrderStatus.CONFIRMED)
    assert (order.amount_due, order.hold_until, order.stripe_payment_intent) == (total, None, None)
    with app.app_context():
        shipment = db.session.get(Shipment, order.shipment_id)
        assert kind_of(shipment.code) is CodeType.REFERENCE
        assert shipment.amount_due == total and shipment.branch_id == branch.id
        assert len(shipment.packages) == order.packages == 1
        assert db.session.get(Item, item.id).stock == 4  # held once, at order time
        assert db.session.get(Branch, branch.id).reserved == 1
    assert set(_mail_keys(app)) - set(mails_before) == {f"order-cash-{number}"}
    mail = _mail(app, f"order-cash-{number}")
    assert mail["subject"] == f"Pay at the store: your CLiQQ Shop order {number}"
    assert codes.group(shipment.code) in mail["text"] and branch.name in mail["text"]
    order_page = text(client.get(response.headers["Location"]))
    assert "Your pay & claim code" in order_page
    # Twice (a double-click, a second tab): refused, nothing changed.
    again = _cash(client, number)
    assert again.status_code == 409 and "isn't waiting for a card payment" in text(again)
    assert _count(app, Shipment) == 1


def test_a_digital_order_gets_a_pay_code_instead(app, client, make, stripe_local):
    load = make.item(virtual=True, stock=10, length_mm=0, width_mm=0, height_mm=0, weight_g=0)
    number, total = _place(app, load, None, key=uuid.uuid4().hex[:16])
    _own(client, number)
    page = text(client.get(f"/orders/{number}/pay"))
    assert "Get a pay code instead" in page and "Pay in cash at the store" not in page
    assert _cash(client, number).status_code == 303
    order = _get(app, Order, number=number)
    assert order.payment_method is PaymentMethod.CODE
    assert order.status is OrderStatus.AWAITING_PAYMENT and order.shipment_id is None
    hours = app.config["PAY_CODE_HOURS"]
    assert abs(order.hold_until - (utcnow() + timedelta(hours=hours))) < timedelta(minutes=1)
    with app.app_context():
        code = db.session.scalar(sa.select(Code).where(Code.code == order.pay_code))
        assert kind_of(code.code) is CodeType.PAY and code.amount == total and code.live
    assert codes.group(order.pay_code) in _mail(app, f"order-cash-{number}")["text"]
    # The pay page, reloaded in another tab, says the card is no longer the way.
    assert "paid at the store, not by card" in text(client.get(f"/orders/{number}/pay"))


def test_an_order_over_the_cash_cap_gets_no_cash_offer(app, client, make, stripe_local):
    over = checkout.COD_CAP.centavos + 100
    number, _ = _order_for(app, client, make, price=over)
    page = text(client.get(f"/orders/{number}/pay"))
    assert 'id="pay-form"' in page and "instead" not in page
    response = _cash(client, number)
    assert response.status_code == 409
    assert "Cash on pickup is for orders up to" in text(response)
    order = _get(app, Order, number=number)
    assert (order.payment_method, order.status) == (PaymentMethod.ONLINE, order.status)
    assert order.status is OrderStatus.AWAITING_PAYMENT and _count(app, Shipment) == 0


@pytest.mark.parametrize("state", ["cod", "paid", "expired"])
def test_only_an_order_waiting_for_its_card_turns_to_cash(app, client, make, stripe_local, state):
    if state == "cod":
        number, _ = _place(app, make.item(), make.branch(), method=PaymentMethod.COD)
        _own(client, number)
    else:
        number, _ = _order_for(app, client, make)
        if state == "paid":
            assert _charge(client, number, _card(app, CARD_OK)).json["status"] == "succeeded"
        else:
            with app.app_context():
                checkout.expire_unpaid(now=utcnow() + timedelta(days=1))
    before = _get(app, Order, number=number)
    shipments = _count(app, Shipment)
    response = _cash(client, number)
    assert response.status_code == 409
    after = _get(app, Order, number=number)
    assert (after.payment_method, after.status) == (before.payment_method, before.status)
    assert _count(app, Shipment) == shipments


def test_the_cash_switch_needs_its_csrf_token_and_the_order(app, client, make, stripe_local):
    number, _ = _order_for(app, client, make)
    assert client.post(f"/orders/{number}/pay/cash").status_code == 400
    stranger = app.test_client()
    assert _cash(stranger, number).status_code == 404
    assert _get(app, Order, number=number).payment_method is PaymentMethod.ONLINE


def test_switching_to_cash_cancels_the_payment_waiting_for_3d_secure(
    app, client, make, stripe_local
):
    number, _ = _order_for(app, client, make)
    charged = _charge(client, number, _card(app, CARD_3DS)).json
    assert _cash(client, number).status_code == 303
    [payment] = _payments_of(app, number)
    assert payment.status == "canceled"
    # The bank's page, still open in another tab, can't make it pay now.
    late = _complete(client, number, charged["payment_intent"])
    assert late.status_code == 409
    assert _get(app, Order, number=number).payment_method is PaymentMethod.COD


def test_a_card_payment_that_succeeds_as_the_order_turns_to_cash_is_refunded(
    app, client, make, stripe_local
):
    """The race: the shopper finished 3-D Secure in one tab (Stripe took the payment) and, before
    our server heard of it, chose cash in another. Stripe can no longer cancel it; the order
    stays cash on pickup, and the payment, when it arrives, is refunded."""
    number, _ = _order_for(app, client, make)
    charged = _charge(client, number, _card(app, CARD_3DS)).json
    _authenticate(app, charged, success=True)  # paid at Stripe; the browser's step not yet here
    assert _cash(client, number).status_code == 303
    [payment] = _payments_of(app, number)
    assert payment.status == "succeeded"  # too late to cancel: best effort, no error
    late = _complete(client, number, charged["payment_intent"])
    assert late.status_code == 409 and "refunded" in late.json["error"]["message"]
    assert _refunds_queued(app) == [charged["payment_intent"]]
    order = _get(app, Order, number=number)
    assert (order.payment_method, order.status) == (PaymentMethod.COD, OrderStatus.CONFIRMED)
    with app.app_context():
        shipment = db.session.get(Shipment, order.shipment_id)
        assert kind_of(shipment.code) is CodeType.REFERENCE  # never a CLAIM CODE: not prepaid
    assert _count(app, Shipment) == 1


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite serializes every writer")


@pytest.mark.parametrize("kind", ["packages", "digital"])
def test_a_payment_and_a_switch_to_cash_at_the_same_moment_never_both_win(
    app, make, postgres_only, kind
):
    """Ten times over: the card payment's confirmation and the switch to cash (cash on pickup,
    or a pay code for a digital order), released at the same moment. The order row's lock and
    the conditional updates let exactly one win: a paid online order, or a cash one whose
    payment is refused (to be refunded)."""
    if kind == "packages":
        item, branch = make.item(stock=20), make.branch(shelf_capacity=20)
    else:
        item = make.item(virtual=True, stock=20, length_mm=0, width_mm=0, height_mm=0, weight_g=0)
        branch = None
    for round_ in range(10):
        number, total = _place(app, item, branch, key=f"race-{kind}-{round_}")

        def task(i, number=number, total=total, round_=round_):
            with app.app_context():
                if i == 0:
                    pi = f"pi_race_{kind}_{round_}"
                    paid = checkout.confirm_online_payment(number, pi, total, "php")
                    return "paid" if paid is not None else "refused"
                try:
                    checkout.switch_to_cash(number)
                except checkout.NotAwaitingCard:
                    return "refused"
                return "cash"

        outcome = _race(2, task)
        assert sorted(outcome) in (["paid", "refused"], ["cash", "refused"]), outcome
        order = _get(app, Order, number=number)
        if "paid" in outcome:
            assert (order.payment_method, order.status) == (
                PaymentMethod.ONLINE,
                OrderStatus.CONFIRMED,
            )
            assert order.pay_code is None
        else:
            assert order.payment_method in (PaymentMethod.COD, PaymentMethod.CODE)
            assert order.stripe_payment_intent is None and order.paid_at is None
        with app.app_context():
            shipments = db.session.scalars(sa.select(Shipment).where(Shipment.reference == number))
            shipments = shipments.all()
        if kind == "digital":
            assert shipments == []
        else:
            [shipment] = shipments
            expected = CodeType.CLAIM if "paid" in outcome else CodeType.REFERENCE
            assert kind_of(shipment.code) is expected
