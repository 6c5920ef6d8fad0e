"""The card payment page of an online order, its two JSON steps, and Stripe's webhook."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, render_template, request, session, url_for
from flask_login import current_user

from shop.checkout import service as checkout
from shop.extensions import limiter, order_lookup_limit
from shop.payments import service
from shop.web import CSP, answers_json, json_body, json_text, reads_raw_body, server_to_server

bp = Blueprint("payments", __name__)


def _order(number: str, key: str | None):
    """The order, for a visitor who may pay it; OrderNotFound (one answer) otherwise."""
    return checkout.find_order(
        number,
        user_id=current_user.id if current_user.is_authenticated else None,
        session_orders=session.get("orders"),
        key=key,
    )


def _done_url(order) -> str:
    return url_for("checkout.order", number=order.number, key=checkout.order_key(order.number))


@bp.get("/orders/<number>/pay")
@order_lookup_limit
def pay(number: str):
    order = _order(number, request.args.get("key"))
    try:
        client_secret = service.setup_card(order)
    except service.NotPayable:
        return render_template("payments/paid.html", order=order, done_url=_done_url(order))
    response = current_app.make_response(
        render_template(
            "payments/pay.html",
            order=order,
            client_secret=client_secret,
            key=checkout.order_key(order.number),
            stripe_js=current_app.config["STRIPE_JS_URL"],
            publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
            done_url=_done_url(order),
        )
    )
    # This page alone may load Stripe.js and let it talk to Stripe (or to localstripe).
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(current_app.config["STRIPE_JS_URL"]))
    response.headers["Content-Security-Policy"] = (
        CSP.replace("script-src 'self'", f"script-src 'self' {origin}")
        .replace("connect-src 'self'", f"connect-src 'self' {origin} https://api.stripe.com")
        .replace("object-src 'none'", f"object-src 'none'; frame-src 'self' {origin}")
    )
    return response


@bp.post("/orders/<number>/pay")
@answers_json
@order_lookup_limit
def charge(number: str):
    return _step(number, service.charge, "setup_intent")


@bp.post("/orders/<number>/pay/complete")
@answers_json
@order_lookup_limit
def complete(number: str):
    return _step(number, service.complete, "payment_intent")


def _step(number: str, step, field: str):
    """One JSON step of the card flow: the Stripe id the page sends, the order, the result.
    The body is read whole before the order is looked up, so a bad body gets the same answer
    whether the order exists or not."""
    body = json_body()
    stripe_id = json_text(body, field)
    key = request.args.get("key") or json_text(body, "key") or None
    order = _order(number, key)
    result = step(order, stripe_id)
    return jsonify(
        status=result.status, client_secret=result.client_secret, redirect=_done_url(order)
    )


@bp.post("/payments/stripe/webhook")
@server_to_server
@limiter.exempt
@answers_json
@reads_raw_body  # the signature is over the exact bytes: handle_webhook checks it first
def webhook():
    outcome = service.handle_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    return jsonify(received=True, outcome=outcome)
