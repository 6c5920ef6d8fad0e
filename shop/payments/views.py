"""The card payment page of an online order, its two JSON steps, and Stripe's webhook."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, render_template, request, session, url_for
from flask_login import current_user

from shop.checkout import service as checkout
from shop.extensions import csrf, limiter
from shop.payments import service
from shop.web import CSP, answers_json

bp = Blueprint("payments", __name__)


def _order(number: str):
    order = checkout.get_order(number)
    allowed = checkout.can_view(
        order,
        user_id=current_user.id if current_user.is_authenticated else None,
        session_orders=session.get("orders"),
        key=request.args.get("key") or (request.get_json(silent=True) or {}).get("key"),
    )
    if not allowed:
        abort(404)
    return order


def _done_url(order) -> str:
    return url_for("checkout.order", number=order.number, key=checkout.order_key(order.number))


@bp.get("/orders/<number>/pay")
def pay(number: str):
    order = _order(number)
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
def charge(number: str):
    return _step(number, service.charge, "setup_intent")


@bp.post("/orders/<number>/pay/complete")
@answers_json
def complete(number: str):
    return _step(number, service.complete, "payment_intent")


def _step(number: str, step, field: str):
    """One JSON step of the card flow: the order, the Stripe id the page sends, the result."""
    order = _order(number)
    body = request.get_json(silent=True) or {}
    result = step(order, str(body.get(field) or "")[:255])
    return jsonify(
        status=result.status, client_secret=result.client_secret, redirect=_done_url(order)
    )


@bp.post("/payments/stripe/webhook")
@csrf.exempt
@limiter.exempt
@answers_json
def webhook():
    outcome = service.handle_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    return jsonify(received=True, outcome=outcome)
