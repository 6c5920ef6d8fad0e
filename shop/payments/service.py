"""Stripe, and nothing else talks to it. The card flow (see docs/decisions.md):

1. the pay page gets a SetupIntent and the browser confirms the card with Stripe.js
   (`confirmCardSetup`: a declined card fails right there, before any charge);
2. the server creates the PaymentIntent with that payment method and `confirm=True`;
3. when Stripe answers `requires_action` (3-D Secure) the page runs `confirmCardPayment`;
4. the order is confirmed by whichever sees the success first, the browser's round trip or
   the `payment_intent.succeeded` webhook; confirming is idempotent.

Every Stripe call happens outside our database transactions."""

import logging
import re
from dataclasses import dataclass

import sqlalchemy as sa
import stripe
from flask import current_app

from shop.checkout import service as checkout
from shop.checkout.models import Order, OrderStatus, PaymentMethod
from shop.errors import Conflict, DomainError, InvalidInput, Unavailable
from shop.extensions import db
from shop.payments.models import StripeEvent

log = logging.getLogger(__name__)


class CardDeclined(DomainError):
    """Your card was declined. Try another card, or choose another way to pay."""

    code = "card_declined"


class PaymentUnavailable(Unavailable):
    """Card payments are unavailable right now. Please try again in a minute."""

    code = "payment_unavailable"


class NotPayable(Conflict):
    """This order can't be paid by card now."""

    code = "not_payable"


class BadSignature(InvalidInput):
    """The webhook's signature doesn't match."""

    code = "bad_signature"


PAYMENT_INTENT_ID = re.compile(r"pi_[A-Za-z0-9_]{1,252}")


@dataclass(frozen=True)
class ChargeResult:
    status: str  # "succeeded", "requires_action" or "processing"
    client_secret: str | None = None


def client() -> stripe.StripeClient:
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base.rstrip("/")} if base else {},
        max_network_retries=2,
    )


def _payable(order: Order) -> None:
    if order.payment_method is not PaymentMethod.ONLINE:
        raise NotPayable("This order is paid at the store, not by card.")
    if order.status is not OrderStatus.AWAITING_PAYMENT:
        raise NotPayable(f"This order is {order.status.label.lower()}: nothing to pay.")


def setup_card(order: Order) -> str:
    """The client secret of a SetupIntent for paying this order: the one already made for it
    while it can still take a card, else a new one. Raises NotPayable, PaymentUnavailable."""
    _payable(order)
    try:
        if order.stripe_setup_intent:
            intent = client().v1.setup_intents.retrieve(order.stripe_setup_intent)
            if intent.status in ("requires_payment_method", "requires_confirmation"):
                return intent.client_secret
        intent = client().v1.setup_intents.create(
            params={"payment_method_types": ["card"], "metadata": {"order": order.number}}
        )
    except stripe.StripeError as exc:
        log.warning("stripe setup intent for %s failed: %s", order.number, exc)
        raise PaymentUnavailable() from exc
    checkout.attach_setup_intent(order.id, intent.id)
    return intent.client_secret


def charge(order: Order, setup_intent_id: str) -> ChargeResult:
    """Charge the order's total to the card the shopper just confirmed with `setup_intent_id`.
    Raises NotPayable, CardDeclined, PaymentUnavailable."""
    _payable(order)
    if not setup_intent_id or setup_intent_id != order.stripe_setup_intent:
        raise NotPayable("That card confirmation isn't for this order. Reload and try again.")
    try:
        intent = client().v1.setup_intents.retrieve(setup_intent_id)
        if intent.status != "succeeded" or not intent.payment_method:
            raise CardDeclined("Your card wasn't confirmed. Please enter it again.")
        payment = client().v1.payment_intents.create(
            params={
                "amount": order.total,
                "currency": "php",
                "payment_method": intent.payment_method,
                "payment_method_types": ["card"],
                "confirm": True,
                "metadata": {"order": order.number},
            },
            options={"idempotency_key": f"charge-{order.number}-{setup_intent_id}"},
        )
    except stripe.CardError as exc:
        raise CardDeclined(_card_message(exc)) from exc
    except stripe.StripeError as exc:
        log.warning("stripe charge for %s failed: %s", order.number, exc)
        raise PaymentUnavailable() from exc
    return _settle(payment)


def complete(order: Order, payment_intent_id: str) -> ChargeResult:
    """After 3-D Secure: look at the PaymentIntent and confirm the order if it succeeded.
    Raises NotPayable (also for an id that isn't a PaymentIntent Stripe knows), CardDeclined,
    PaymentUnavailable."""
    if not PAYMENT_INTENT_ID.fullmatch(payment_intent_id or ""):
        raise NotPayable("That payment isn't for this order.")
    try:
        payment = client().v1.payment_intents.retrieve(payment_intent_id)
    except stripe.InvalidRequestError as exc:  # no such PaymentIntent: the page sent a wrong id
        raise NotPayable("That payment isn't for this order.") from exc
    except stripe.StripeError as exc:
        raise PaymentUnavailable() from exc
    if _metadata(payment).get("order") != order.number:
        raise NotPayable("That payment isn't for this order.")
    return _settle(payment)


def _settle(payment) -> ChargeResult:
    if payment.status == "succeeded":
        order = _metadata(payment).get("order")
        if checkout.confirm_online_payment(order, payment.id, payment.amount) is None:
            refund(payment.id)
            raise NotPayable("This order expired before the payment arrived: it was refunded.")
        return ChargeResult("succeeded")
    if payment.status == "requires_action":
        return ChargeResult("requires_action", payment.client_secret)
    if payment.status == "processing":
        return ChargeResult("processing")
    raise CardDeclined()


def refund(payment_intent_id: str) -> None:
    """Give a payment back (once: the idempotency key makes a repeat a no-op)."""
    log.warning("refunding %s: its order could not take it", payment_intent_id)
    try:
        client().v1.refunds.create(
            params={"payment_intent": payment_intent_id},
            options={"idempotency_key": f"refund-{payment_intent_id}"},
        )
    except stripe.StripeError:
        log.exception("refund of %s failed: refund it by hand", payment_intent_id)


def handle_webhook(payload: bytes, signature: str | None) -> str:
    """Verify and process one webhook delivery, once per event however often it arrives: the
    event's id is written in the same transaction that confirms the order, so a second
    delivery finds it (or, arriving at the same moment, fails on its primary key).
    Returns what was done. Raises BadSignature (and changes nothing)."""
    try:
        event = stripe.Webhook.construct_event(
            payload, signature or "", current_app.config["STRIPE_WEBHOOK_SECRET"]
        )
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise BadSignature() from exc
    if db.session.get(StripeEvent, event.id) is not None:
        return "duplicate"
    outcome = "ignored"
    try:
        db.session.add(StripeEvent(id=event.id, type=event.type))
        db.session.flush()
        if event.type == "payment_intent.succeeded":
            payment = event.data.object.to_dict()
            order = (payment.get("metadata") or {}).get("order")
            if order:
                done = checkout.confirm_online_payment(order, payment["id"], payment["amount"])
                outcome = "confirmed" if done else "refund"
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return "duplicate"
    except BaseException:
        db.session.rollback()
        raise
    if outcome == "refund":
        refund(event.data.object.id)
    return outcome


def _metadata(stripe_object) -> dict:
    return (stripe_object.to_dict().get("metadata") or {}) if stripe_object else {}


def _card_message(exc: stripe.CardError) -> str:
    message = getattr(exc, "user_message", None) or str(exc.user_message or "")
    return f"Your card was declined{': ' + message if message else ''}. Try another card."


def register_localstripe_webhook(url: str, attempts: int = 30) -> None:
    """localstripe only: send webhooks to `url`, signed with STRIPE_WEBHOOK_SECRET
    (POST /_config/webhooks/<id>). Waits for localstripe to come up."""
    import time
    import urllib.parse
    import urllib.request

    base = current_app.config.get("STRIPE_API_BASE")
    if not base:
        raise RuntimeError("STRIPE_API_BASE is not set: this is for localstripe only")
    data = urllib.parse.urlencode(
        {"url": url, "secret": current_app.config["STRIPE_WEBHOOK_SECRET"]}
    ).encode()
    for attempt in range(attempts):
        try:
            endpoint = f"{base.rstrip('/')}/_config/webhooks/cliqq"
            request = urllib.request.Request(endpoint, data=data)  # noqa: S310  (our localstripe)
            with urllib.request.urlopen(request, timeout=5):  # noqa: S310
                return
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
