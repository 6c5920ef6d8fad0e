"""Stripe, and nothing else talks to it. The card flow (see docs/decisions.md):

1. the pay page gets a SetupIntent and the browser confirms the card with Stripe.js
   (`confirmCardSetup`: a declined card fails right there, before any charge);
2. the server creates the PaymentIntent with that payment method and `confirm=True`;
3. when Stripe answers `requires_action` (3-D Secure) the page runs `confirmCardPayment`;
4. the order is confirmed by whichever sees the success first, the browser's round trip or
   the `payment_intent.succeeded` webhook; confirming is idempotent.

Every Stripe call happens outside our database transactions."""

import json
import logging
import re
from dataclasses import dataclass

import sqlalchemy as sa
import stripe
from flask import current_app

from shop import clock
from shop.checkout import service as checkout
from shop.checkout.models import Order, PaymentMethod
from shop.errors import Conflict, DomainError, InvalidInput, Unavailable
from shop.extensions import db
from shop.notify import service as notify
from shop.payments.models import StripeEvent
from shop.transaction import transaction

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


def client(max_network_retries: int = 2) -> stripe.StripeClient:
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base.rstrip("/")} if base else {},
        max_network_retries=max_network_retries,
    )


def _payable(order: Order) -> None:
    if order.payable_by_card:
        return
    if order.payment_method is not PaymentMethod.ONLINE:
        raise NotPayable("This order is paid at the store, not by card.")
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
                "currency": checkout.CURRENCY,
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
        with transaction():  # the refund is saved with the decision not to apply the payment
            applied = checkout.confirm_online_payment(
                order, payment.id, payment.amount, payment.currency
            )
            if applied is None:
                refund(payment.id)
        if applied is None:
            raise NotPayable("This order expired before the payment arrived: it was refunded.")
        return ChargeResult("succeeded")
    if payment.status == "requires_action":
        return ChargeResult("requires_action", payment.client_secret)
    if payment.status == "processing":
        return ChargeResult("processing")
    raise CardDeclined()


def refund(payment_intent_id: str) -> str:
    """Give a payment back: a `stripe_refund` message in the caller's transaction (flushed, not
    committed), which the outbox worker sends to Stripe, retrying with backoff and parking it
    for the operator if it keeps failing. Once per payment, however often it is decided (the
    browser and the webhook): the outbox key and Stripe's idempotency key are both
    `refund-<payment intent>`. Returns the outbox message id."""
    log.warning("refunding %s: its order could not take it", payment_intent_id)
    key = f"refund-{payment_intent_id}"
    return notify.enqueue("stripe_refund", {"payment_intent": payment_intent_id}, key=key)


def deliver_refund(message: notify.Message) -> None:
    """The outbox's `stripe_refund` channel: ask Stripe for the refund. No retries of its own
    (the outbox retries, with backoff, and parks). A payment already refunded counts as done;
    a request Stripe calls invalid is parked at once."""
    payment_intent_id = message.payload["payment_intent"]
    try:
        client(max_network_retries=0).v1.refunds.create(
            params={"payment_intent": payment_intent_id},
            options={"idempotency_key": f"refund-{payment_intent_id}"},
        )
    except stripe.InvalidRequestError as exc:
        if exc.code == "charge_already_refunded":
            return
        reason = exc.user_message or str(exc)
        raise notify.PermanentFailure(f"Stripe refused the refund: {reason}") from exc


notify.register(
    "stripe_refund", deliver_refund, lambda payload: f"refund of {payload['payment_intent']}"
)


WEBHOOK_TOLERANCE_SECONDS = 300  # Stripe's own default: a signed time this far off either way


class BadPayload(InvalidInput):
    """The webhook is signed but doesn't carry what its type promises."""

    code = "bad_payload"


@dataclass(frozen=True)
class SucceededPayment:
    """What a payment_intent.succeeded event says, checked for shape."""

    id: str
    amount: int
    currency: str
    order: str | None


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    object: dict  # data.object: what the event is about


def verify_webhook(payload: bytes, signature: str | None) -> WebhookEvent:
    """The event in a webhook delivery, if it is signed with our secret at a time within
    WEBHOOK_TOLERANCE_SECONDS of the shop's clock, in the past or the future (Stripe's library
    refuses only old ones: a signature made for a time to come would be a replay that never
    grows old). Raises BadSignature."""
    header = signature or ""
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), header, current_app.config["STRIPE_WEBHOOK_SECRET"], None
        )
        timestamps = [int(part[2:]) for part in header.split(",") if part.startswith("t=")]
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError, stripe.SignatureVerificationError):
        raise BadSignature() from None
    now = clock.now().timestamp()
    if len(timestamps) != 1 or abs(now - timestamps[0]) > WEBHOOK_TOLERANCE_SECONDS:
        raise BadSignature("The webhook's signature is too old or dated in the future.")
    if not isinstance(event, dict):
        raise BadPayload("The webhook is not an event.")
    event_id, event_type, data = event.get("id"), event.get("type"), event.get("data")
    if not (isinstance(event_id, str) and event_id and len(event_id) <= 255):
        raise BadPayload("The webhook has no event id.")
    if not (isinstance(event_type, str) and event_type and len(event_type) <= 80):
        raise BadPayload("The webhook has no event type.")
    thing = data.get("object") if isinstance(data, dict) else None
    return WebhookEvent(event_id, event_type, thing if isinstance(thing, dict) else {})


def succeeded_payment(event: WebhookEvent) -> SucceededPayment:
    """The payment of a payment_intent.succeeded event. Raises BadPayload."""
    payment = event.object
    metadata = payment.get("metadata")
    order = metadata.get("order") if isinstance(metadata, dict) else None
    amount, currency, payment_id = (
        payment.get("amount"),
        payment.get("currency"),
        payment.get("id"),
    )
    if (
        not isinstance(payment_id, str)
        or not 0 < len(payment_id) <= 255
        or not isinstance(amount, int)
        or isinstance(amount, bool)
        or not isinstance(currency, str)
        or not (order is None or isinstance(order, str))
    ):
        raise BadPayload("The payment in the event lacks its id, amount or currency.")
    return SucceededPayment(payment_id, amount, currency, order)


def handle_webhook(payload: bytes, signature: str | None) -> str:
    """Verify and process one webhook delivery, once per event however often it arrives.

    The event's id, the order's confirmation and any refund it calls for are one transaction:
    a second delivery finds the event (or, arriving at the same moment, fails on its primary
    key and changes nothing), and a failure anywhere leaves neither the event row nor the
    order changed, so Stripe's retry processes it afresh. Returns what was done: confirmed,
    refund, ignored or duplicate. Raises BadSignature or BadPayload (and changes nothing)."""
    event = verify_webhook(payload, signature)
    payment = succeeded_payment(event) if event.type == "payment_intent.succeeded" else None
    if db.session.get(StripeEvent, event.id) is not None:
        return "duplicate"
    outcome = "ignored"
    try:
        with transaction():
            db.session.add(StripeEvent(id=event.id, type=event.type))
            db.session.flush()  # a simultaneous delivery of the same event stops here
            if payment is not None and payment.order:
                done = checkout.confirm_online_payment(
                    payment.order, payment.id, payment.amount, payment.currency
                )
                outcome = "confirmed" if done else "refund"
                if not done:
                    refund(payment.id)  # in this transaction, with the event row
    except sa.exc.IntegrityError:
        return "duplicate"
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
