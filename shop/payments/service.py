"""Stripe, and nothing else talks to it. The card flow ("finalize payments on the server",
see docs/decisions.md, "Pay by card once"):

1. the browser turns the card into a PaymentMethod with Stripe.js (`createPaymentMethod`: no
   charge, no 3-D Secure) and sends us its id;
2. the server creates the PaymentIntent for the order's total with that payment method and
   `confirm=True` (one idempotency key per order and payment method: a double-click charges
   once);
3. when Stripe answers `requires_action` (3-D Secure) the page runs `handleNextAction`, the one
   time the bank asks, and sends us the PaymentIntent's id again;
4. the order is confirmed by whichever sees the success first, that round trip or the
   `payment_intent.succeeded` webhook; confirming is idempotent, and a payment the order can't
   take (paid already, expired, turned to cash) is refunded.

A declined card is told in our own words (DECLINE_WORDS), never in Stripe's. Every Stripe call
happens outside our database transactions."""

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
    """Your bank declined this card. Try another card."""

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
# What Stripe.js's createPaymentMethod returns is a pm_ id. Stripe's PaymentIntents also take
# a card_ id (a card made by Stripe.js's createToken), which is what the localstripe shim
# (static/js/localstripe-shim.js) can make with a publishable key: see docs/decisions.md.
PAYMENT_METHOD_ID = re.compile(r"(?:pm|card)_[A-Za-z0-9_]{1,250}")

# --- Declines, in our words ------------------------------------------------------------------

DECLINED = "Your bank declined this card. Try another card."
CHECK_CARD = "Check the card number, the expiry date and the security code, then try again."
TRY_LATER = "Your bank couldn't take the payment just now. Please try again in a minute."
NOT_CONFIRMED = "Your bank didn't confirm the payment, so nothing was charged. Try again."

# Stripe's error `code` or `decline_code` -> what the shopper reads. The decline_code (the
# bank's reason) is looked up first, then the code, then DECLINED. Reasons a shopper can do
# nothing about, or that must not be told (lost, stolen, fraud), all read as DECLINED.
# Stripe.js's own validation codes are here too: the pay page gets this table (pay.js).
DECLINE_WORDS: dict[str, str] = {
    "card_declined": DECLINED,
    "generic_decline": DECLINED,
    "do_not_honor": DECLINED,
    "lost_card": DECLINED,
    "stolen_card": DECLINED,
    "pickup_card": DECLINED,
    "fraudulent": DECLINED,
    "restricted_card": DECLINED,
    "security_violation": DECLINED,
    "merchant_blacklist": DECLINED,
    "transaction_not_allowed": DECLINED,
    "not_permitted": DECLINED,
    "insufficient_funds": (
        "Your card doesn't have enough funds for this payment. Try another card."
    ),
    "card_velocity_exceeded": (
        "Your card has reached its spending limit. Try another card, or call your bank."
    ),
    "withdrawal_count_limit_exceeded": (
        "Your card has reached its spending limit. Try another card, or call your bank."
    ),
    "expired_card": "Your card has expired. Check the expiry date, or try another card.",
    "invalid_expiry_month": "The expiry month isn't right. Check it on your card.",
    "invalid_expiry_year": "The expiry year isn't right. Check it on your card.",
    "incomplete_expiry": "Enter the card's expiry date.",
    "incorrect_cvc": "The security code doesn't match. Check the 3 digits on the back.",
    "invalid_cvc": "The security code doesn't match. Check the 3 digits on the back.",
    "incomplete_cvc": "Enter the card's security code (3 digits on the back).",
    "incorrect_number": "The card number isn't right. Check it and try again.",
    "invalid_number": "The card number isn't right. Check it and try again.",
    "incomplete_number": "Enter the whole card number.",
    "incorrect_zip": "The postal code doesn't match your card. Check it and try again.",
    "incomplete_zip": "Enter the card's postal code.",
    "card_not_supported": "This card can't pay online here. Try another card.",
    "currency_not_supported": "This card can't pay in pesos. Try another card.",
    "processing_error": TRY_LATER,
    "issuer_not_available": TRY_LATER,
    "try_again_later": TRY_LATER,
    "reenter_transaction": TRY_LATER,
    "payment_intent_authentication_failure": NOT_CONFIRMED,
    "authentication_required": NOT_CONFIRMED,
    "authentication_not_handled": NOT_CONFIRMED,
}


def decline_words(code: str | None, decline_code: str | None = None) -> str:
    """What a shopper reads for a card Stripe refused with `code` (and `decline_code`): our
    sentence, never Stripe's."""
    return DECLINE_WORDS.get(decline_code or "") or DECLINE_WORDS.get(code or "") or DECLINED


def browser_words() -> dict[str, str]:
    """The table, for the pay page's script (Stripe.js's own refusals: an incomplete card)."""
    return DECLINE_WORDS | {"default": CHECK_CARD}


@dataclass(frozen=True)
class ChargeResult:
    status: str  # "succeeded", "requires_action" or "processing"
    client_secret: str | None = None
    payment_intent: str | None = None


def client(max_network_retries: int = 2) -> stripe.StripeClient:
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base.rstrip("/")} if base else {},
        max_network_retries=max_network_retries,
    )


def check_payable(order: Order) -> None:
    """Raises NotPayable, saying why, unless the order waits for its card payment."""
    if order.payable_by_card:
        return
    if order.payment_method is not PaymentMethod.ONLINE:
        raise NotPayable("This order is paid at the store, not by card.")
    raise NotPayable(f"This order is {order.status.label.lower()}: nothing to pay.")


def charge(order: Order, payment_method_id: str) -> ChargeResult:
    """Charge the order's total to the card the browser just made into `payment_method_id`,
    confirming at once: 3-D Secure, if the bank wants it, is asked once, for this payment.
    The same order and payment method make one PaymentIntent however often this is called
    (Stripe's idempotency key); a payment left waiting for 3-D Secure is kept on the order
    (note_open_payment) so a switch to cash can cancel it.
    Raises NotPayable, CardDeclined, PaymentUnavailable."""
    check_payable(order)
    if not PAYMENT_METHOD_ID.fullmatch(payment_method_id or ""):
        raise CardDeclined(CHECK_CARD, field="card")
    params = {
        "amount": order.total,
        "currency": checkout.CURRENCY,
        "payment_method": payment_method_id,
        "payment_method_types": ["card"],
        "confirm": True,
        "metadata": {"order": order.number},
    }
    if not current_app.config.get("STRIPE_API_BASE"):
        # Stripe.js handles the next action (handleNextAction), in the page: Stripe asks to be
        # told so when the server confirms. localstripe refuses the parameter it lacks.
        params["use_stripe_sdk"] = True
    try:
        payment = client().v1.payment_intents.create(
            params=params,
            options={"idempotency_key": f"pay-{order.number}-{payment_method_id}"},
        )
    except stripe.CardError as exc:
        error = exc.error
        raise CardDeclined(
            decline_words(exc.code, getattr(error, "decline_code", None)), field="card"
        ) from exc
    except stripe.InvalidRequestError as exc:  # no such payment method: the card must be redone
        log.info("stripe refused the payment method for %s: %s", order.number, exc)
        raise CardDeclined(CHECK_CARD, field="card") from exc
    except stripe.StripeError as exc:
        log.warning("stripe charge for %s failed: %s", order.number, exc)
        raise PaymentUnavailable() from exc
    if payment.status in ("requires_action", "processing"):
        checkout.note_open_payment(order.id, payment.id)
    return _settle(payment)


def complete(order: Order, payment_intent_id: str) -> ChargeResult:
    """After 3-D Secure: look at the PaymentIntent and confirm the order if it succeeded; a
    failed check or a decline after it is told in our words.
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


def pay_in_cash(order: Order) -> checkout.CashSwitch:
    """The shopper pays in cash at the store (or by pay code) instead of by card: the order
    switches in one transaction (checkout.switch_to_cash), then the card payment that was
    waiting, if any, is cancelled at Stripe, as a courtesy: should it succeed all the same,
    the order refuses it and it is refunded. Raises checkout.NotAwaitingCard,
    checkout.CashNotAllowed."""
    switched = checkout.switch_to_cash(order.number)
    if switched.open_payment_intent:
        cancel_payment(switched.open_payment_intent)
    return switched


def cancel_payment(payment_intent_id: str) -> bool:
    """Cancel a PaymentIntent nobody will complete; True if Stripe cancelled it. Best effort:
    one that already succeeded, or Stripe being unreachable, leaves it as it is (a success
    is refunded when it arrives)."""
    try:
        client(max_network_retries=1).v1.payment_intents.cancel(
            payment_intent_id,
            options={"idempotency_key": f"cancel-{payment_intent_id}"},
        )
    except stripe.StripeError as exc:
        log.info("could not cancel %s: %s", payment_intent_id, exc)
        return False
    return True


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
            raise NotPayable(
                "This order no longer takes a card payment (it was paid, changed to cash or "
                "expired), so this payment is refunded in full."
            )
        return ChargeResult("succeeded", payment_intent=payment.id)
    if payment.status == "requires_action":
        return ChargeResult("requires_action", payment.client_secret, payment.id)
    if payment.status == "processing":
        return ChargeResult("processing", payment_intent=payment.id)
    error = payment.to_dict().get("last_payment_error") or {}
    if payment.status == "canceled":
        raise NotPayable("This card payment was cancelled. Reload the page to pay again.")
    raise CardDeclined(decline_words(error.get("code"), error.get("decline_code")), field="card")


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
