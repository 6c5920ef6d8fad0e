"""The card payment page of an online order, its two JSON steps, its switch to cash, and
Stripe's webhook."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
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
        service.check_payable(order)
    except service.NotPayable as why:
        return render_template(
            "payments/paid.html", order=order, reason=why.message, done_url=_done_url(order)
        )
    config = current_app.config
    response = current_app.make_response(
        render_template(
            "payments/pay.html",
            order=order,
            key=checkout.order_key(order.number),
            stripe_js=config["STRIPE_JS_URL"],
            # localstripe's Stripe.js lacks what the flow uses: the shim adds it (demo, tests)
            localstripe=config.get("STRIPE_API_BASE"),
            publishable_key=config["STRIPE_PUBLISHABLE_KEY"],
            words=service.browser_words(),
            cash=checkout.cash_offer(order),
            done_url=_done_url(order),
        )
    )
    # This page alone may load Stripe.js and let it talk to Stripe (or to localstripe).
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(config["STRIPE_JS_URL"]))
    response.headers["Content-Security-Policy"] = (
        CSP.replace("script-src 'self'", f"script-src 'self' {origin}")
        .replace("connect-src 'self'", f"connect-src 'self' {origin} https://api.stripe.com")
        .replace(
            "object-src 'none'",
            f"object-src 'none'; frame-src 'self' {origin} https://hooks.stripe.com",
        )
    )
    return response


@bp.post("/orders/<number>/pay")
@answers_json
@order_lookup_limit
def charge(number: str):
    return _step(number, service.charge, "payment_method")


@bp.post("/orders/<number>/pay/cash")
@order_lookup_limit
def cash(number: str):
    """Pay in cash at the store (or get a pay code) instead of by card."""
    key = request.args.get("key") or request.form.get("key") or None
    order = _order(number, key)
    service.pay_in_cash(order)
    return redirect(_done_url(order), 303)


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
        status=result.status,
        client_secret=result.client_secret,
        payment_intent=result.payment_intent,
        redirect=_done_url(order),
    )


@bp.post("/payments/stripe/webhook")
@server_to_server
@limiter.exempt
@answers_json
@reads_raw_body  # the signature is over the exact bytes: handle_webhook checks it first
def webhook():
    outcome = service.handle_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    return jsonify(received=True, outcome=outcome)
