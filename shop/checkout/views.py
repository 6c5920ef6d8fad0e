"""The checkout page and the shopper's order page."""

import secrets

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from shop.branches.service import picker_context
from shop.checkout import service
from shop.checkout.forms import CheckoutForm
from shop.checkout.models import OrderStatus, PaymentMethod
from shop.embed.service import current_referral
from shop.errors import DomainError
from shop.extensions import limiter, order_lookup_limit
from shop.web import status_of

bp = Blueprint("checkout", __name__)

REMEMBERED_ORDERS = 20
LAST_BRANCH = "last_branch"  # a guest's last pickup branch code: the picker opens near it


def _picker(offer, data) -> dict:
    """The branch picker's state: the shopper's choice and own search (without JS) as the form
    sent them; before any, their last pickup branch (a signed-in shopper's latest order's, read
    in the picker's own query; a guest's kept in the session), else only a prompt."""
    state = {
        "frozen_required": offer.frozen,
        "packages": max(1, offer.packages),
        "selected": data.get("branch_code") or None,
        "limit": 8,
    }
    if current_user.is_authenticated:
        state["last_branch_id"] = service.latest_branch_id(current_user.id)
    else:
        state["last_code"] = session.get(LAST_BRANCH)
    try:
        return picker_context(q=data.get("branch_q"), near=data.get("branch_near"), **state)
    except DomainError as exc:
        return picker_context(error=exc.message, **state)


def _render(form, offer, status=200, error=None, answers=None):
    """The checkout page. `answers`: what the per-line questions start with (the submitted
    form on a POST); `error`: a DomainError from placing the order."""
    data = request.form if request.method == "POST" else request.args
    picker = _picker(offer, data) if offer.packages else None  # nothing to pick up: no branch
    if offer.digital_only:
        form.speak_of_digital()
    return render_template(
        "checkout/checkout.html",
        form=form,
        offer=offer,
        methods=offer.shown_methods(),
        asks=service.asks(offer, request.form if answers is None else answers, error),
        picker=picker,
        error=error.message if error is not None else None,
    ), status


def _key_binding() -> str:
    """What a checkout's idempotency key is bound to: this browser session (a random id kept
    in it) and who is signed in, so a key works nowhere else and not after signing out."""
    if "checkout_sid" not in session:
        session["checkout_sid"] = secrets.token_urlsafe(16)
    user = current_user.get_id() if current_user.is_authenticated else ""
    return f"{session['checkout_sid']}:{user}"


def _holder() -> service.Holder:
    return service.Holder(
        session=session.get("checkout_sid", ""), address=request.remote_addr or ""
    )


def _checkout_limit() -> str:
    return current_app.config["CHECKOUT_RATE_LIMIT"]


@bp.route("/checkout", methods=["GET", "POST"])
@limiter.limit(_checkout_limit, methods=["POST"])  # placing an order holds stock and shelf
def checkout():
    form = CheckoutForm()
    if request.method == "GET":
        offer, kept = service.quote(session.get("cart"))
        if kept != session.get("cart", {}):
            session["cart"] = kept
        if current_user.is_authenticated:
            saved = service.contact_defaults(current_user.id, current_user.name, current_user.email)
            form.name.data = form.name.data or saved.name
            form.email.data = form.email.data or saved.email
            form.phone.data = form.phone.data or saved.phone
        form.idempotency_key.data = service.checkout_key(_key_binding())
        form.expected_total.data = str(offer.total.centavos)
        form.payment.data = form.payment.data or service.only_method(offer)
        return _render(form, offer, answers=service.default_answers(offer, form.phone.data))
    if request.form.get("action") == "search-branches":  # the picker's search, without JS
        return _render(form, service.quote(session.get("cart"))[0])
    if not form.validate_on_submit():
        return _render(form, service.quote(session.get("cart"))[0], 422)
    try:
        contact = service.check_contact(form.name.data, form.phone.data, form.email.data)
        order = service.place_order(
            session.get("cart"),
            idempotency_key=form.idempotency_key.data,
            key_binding=_key_binding(),
            holder=_holder(),
            contact=contact,
            method=PaymentMethod(form.payment.data),
            branch_code=request.form.get("branch_code") or None,
            expected_total=_int_or_none(form.expected_total.data),
            user_id=current_user.id if current_user.is_authenticated else None,
            answers=request.form,
            referral=current_referral(),  # who may earn it: the frame's app, a link's visitor
        )
    except DomainError as exc:
        field = getattr(form, exc.field or "", None)
        if field is not None and hasattr(field, "errors") and exc.field != "branch_code":
            field.errors = [*field.errors, exc.message]
        offer, kept = service.quote(session.get("cart"))
        session["cart"] = kept
        form.expected_total.data = str(offer.total.centavos)
        return _render(form, offer, status_of(exc), error=exc)
    session.pop("cart", None)
    remembered = [n for n in session.get("orders", []) if n != order.number]
    session["orders"] = [order.number, *remembered][:REMEMBERED_ORDERS]
    if request.form.get("branch_code") and not current_user.is_authenticated:
        session[LAST_BRANCH] = request.form["branch_code"]  # the picker opens there next time
    key = service.order_key(order.number)
    if (
        order.payment_method is PaymentMethod.ONLINE
        and order.status is OrderStatus.AWAITING_PAYMENT
    ):
        return redirect(url_for("payments.pay", number=order.number, key=key), 303)
    return redirect(url_for("checkout.order", number=order.number, key=key), 303)


@bp.get("/orders/<number>")
@order_lookup_limit  # order numbers are a lookup: no guessing at speed
def order(number: str):
    found = service.find_order(  # missing or not yours: one answer (OrderNotFound)
        number,
        user_id=current_user.id if current_user.is_authenticated else None,
        session_orders=session.get("orders"),
        key=request.args.get("key"),
    )
    page = service.order_page(found)
    return render_template("checkout/order.html", page=page, order=found)


def _change_branch_limit() -> str:
    return current_app.config["CHANGE_BRANCH_RATE_LIMIT"]


@bp.post("/orders/<number>/branch")
@order_lookup_limit
@limiter.limit(_change_branch_limit)  # each change reserves a shelf and sends a mail
def change_branch(number: str):
    """Choose another pickup branch from the order page (before the package arrives): the
    picker's form. Without JS, its "Search branches" button sends the same form with
    action=search-branches: the page comes back with the search applied."""
    key = request.args.get("key")
    found = service.find_order(  # missing or not yours: one answer (OrderNotFound)
        number,
        user_id=current_user.id if current_user.is_authenticated else None,
        session_orders=session.get("orders"),
        key=key,
    )
    if request.form.get("action") == "search-branches":
        page = service.order_page(found, picker_data=request.form)
        return render_template("checkout/order.html", page=page, order=found)
    try:
        moved = service.change_branch(found, request.form.get("branch_code"))
    except DomainError as exc:
        page = service.order_page(found, picker_data=request.form, error=exc.message)
        return render_template("checkout/order.html", page=page, order=found), status_of(exc)
    flash(f"Your order now goes to {moved.to_name}. We've emailed you too.", "success")
    return redirect(url_for("checkout.order", number=found.number, key=key), 303)


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 12 else None
