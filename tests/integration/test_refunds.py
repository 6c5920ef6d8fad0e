"""Refunds go through the outbox: decided in the transaction that refuses the payment, sent to
Stripe by the worker, retried when Stripe can't be reached and parked for the operator, once
per payment however often it is decided. Against a closed port and against localstripe."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.checkout import service as checkout
from shop.clock import now as utcnow
from shop.extensions import db
from shop.notify import service as notify
from shop.notify.models import OutboxMessage, OutboxStatus
from shop.payments import service as payments
from tests.conftest import free_port, log_in, text
from tests.integration.test_payments import _event, _order, _place, _signed


def _messages(app) -> list[OutboxMessage]:
    """The refunds in the outbox (the order's mail is there too)."""
    with app.app_context():
        rows = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == "stripe_refund")
            .order_by(OutboxMessage.created_at)
        )
        rows = rows.all()
        db.session.expunge_all()
        return rows


def _expire(app) -> None:
    with app.app_context():
        assert checkout.expire_unpaid(now=utcnow() + timedelta(days=1)) == 1
        # The order's own mail is not what these tests are about.
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.kind == "mail"))
        db.session.commit()


def _webhook(app, client, number, total, event_id, pi) -> str:
    payload = json.dumps(_event(number, total, event_id=event_id, pi=pi)).encode()
    response = client.post("/payments/stripe/webhook", data=payload, headers=_signed(app, payload))
    assert response.status_code == 200
    return response.json["outcome"]


def _deliver(app) -> list[notify.Outcome]:
    with app.app_context():
        return notify.deliver_due().outcomes


def test_a_refund_stripe_cannot_take_is_retried_then_parked_for_the_operator(
    app, client, make, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    number, total = _place(app, make.item(), make.branch())
    _expire(app)
    assert _webhook(app, client, number, total, "evt_1", "pi_1") == "refund"
    # The same payment in another event (or the browser's round trip) decides it again:
    assert _webhook(app, client, number, total, "evt_2", "pi_1") == "refund"
    [message] = _messages(app)
    assert (message.kind, message.key, message.payload) == (
        "stripe_refund",
        "refund-pi_1",
        {"payment_intent": "pi_1"},
    )
    assert message.status is OutboxStatus.PENDING  # saved with the webhook's transaction

    clock.advance(seconds=0)  # freeze: the worker's waits are read off the clock
    for attempt in (1, 2):
        [outcome] = _deliver(app)
        assert (outcome.result, outcome.attempt) == ("retry", attempt)
        assert "APIConnectionError" in outcome.error
        clock.set(outcome.next_attempt_at)
    [outcome] = _deliver(app)
    assert outcome.result == "parked"
    [message] = _messages(app)
    assert message.status is OutboxStatus.PARKED and message.attempts == 3
    assert "APIConnectionError" in message.last_error

    log_in(client, make.user(role=Role.ADMIN).email)
    page = text(client.get("/admin/outbox"))
    assert "refund of pi_1" in page and "APIConnectionError" in page


def test_a_refund_stripe_refuses_is_parked_at_once(app, localstripe, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", localstripe)
    with app.app_context():
        payments.refund("pi_no_such_payment")
        db.session.commit()
    [outcome] = _deliver(app)
    assert outcome.result == "parked" and "Stripe refused the refund" in outcome.error


def _paid_on_localstripe(app, number: str, amount: int):
    """A PaymentIntent that succeeded on localstripe, for `number`'s order."""
    with app.app_context():
        stripe = payments.client()
        card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
        method = stripe.v1.payment_methods.create(params={"type": "card", "card": card})
        intent = stripe.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": "php",
                "payment_method": method.id,
                "payment_method_types": ["card"],
                "confirm": True,
                "metadata": {"order": number},
            }
        )
    assert intent.status == "succeeded"
    return intent


def test_the_workers_refund_reaches_stripe_once(
    app, client, make, runner, localstripe, monkeypatch
):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", localstripe)
    number, total = _place(app, make.item(), make.branch())
    intent = _paid_on_localstripe(app, number, total)
    _expire(app)  # the hold ran out before the browser came back from the payment
    with app.app_context(), pytest.raises(payments.NotPayable, match="refunded"):
        payments.complete(_order(app, number), intent.id)
    [message] = _messages(app)
    assert message.kind == "stripe_refund" and message.status is OutboxStatus.PENDING
    # ...and Stripe's webhook for the same payment arrives too: still one refund.
    assert _webhook(app, client, number, total, "evt_ls_1", intent.id) == "refund"
    assert len(_messages(app)) == 1

    result = runner.invoke(args=["shop", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert f"delivered stripe_refund {message.id} (attempt 1)" in result.output
    assert runner.invoke(args=["shop", "worker", "--once"]).output.strip() == "Nothing due."

    with app.app_context():
        refunds = payments.client().v1.refunds.list(params={"payment_intent": intent.id}).data
        charge = payments.client().v1.charges.retrieve(refunds[0].charge)
    assert [(r.amount, r.status) for r in refunds] == [(total, "succeeded")]
    assert charge.amount == total and charge.payment_intent == intent.id
    [message] = _messages(app)
    assert message.status is OutboxStatus.DELIVERED and message.delivered_at is not None
