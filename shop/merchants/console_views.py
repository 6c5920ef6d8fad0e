"""The merchant console, /merchants/...: a merchant login's shipments (search, timeline, label,
cancel, re-route, return), API keys, webhook endpoints with their delivery log, and COD
remittances. Views parse, call shop.merchants.console and render; every object in a URL is
looked up as the login's merchant's (another's is a 404, as one that doesn't exist)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.auth.access import role_required
from shop.auth.models import Role
from shop.errors import DomainError
from shop.extensions import limiter
from shop.merchants import console, events
from shop.merchants import service as merchants
from shop.notify.webhook_pages import WebhookPages, add_webhook_pages
from shop.web import pdf_response, status_of

bp = Blueprint("merchants", __name__, url_prefix="/merchants")
merchant_only = role_required(Role.MERCHANT)


@bp.context_processor
def _words() -> dict:
    return {
        "tones": console.TONES,
        "max_search": console.MAX_SEARCH,
        "max_reason": console.MAX_REASON,
    }


def _merchant():
    """The merchant the signed-in login works for. Raises NoMerchant (403) when unlinked."""
    return merchants.merchant_of(current_user)


def _form(name: str) -> str:
    value = request.form.get(name, "")
    return value if isinstance(value, str) else ""


# --- Home ----------------------------------------------------------------------------------------


@bp.get("/")
@merchant_only
def home():
    return render_template(
        "merchants/index.html",
        overview=console.overview(_merchant()),
        statuses=console.STATUSES,
    )


# --- Shipments -----------------------------------------------------------------------------------


def _report_page(template: str, find, **context):
    """A page of what `find(merchant)` reads (a search, a report) as `found`, or the same page
    with the refusal (the form's field at fault) and its status."""
    merchant = _merchant()
    try:
        found, error, status = find(merchant), None, 200
    except DomainError as exc:
        found, error, status = None, exc, status_of(exc)
    page = render_template(
        template, merchant=merchant, found=found, error=error, args=request.args, **context
    )
    return page, status


@bp.get("/shipments")
@merchant_only
def shipments():
    args = request.args
    return _report_page(
        "merchants/shipments.html",
        lambda merchant: console.find_shipments(
            merchant,
            args.get("q"),
            args.get("status"),
            args.get("from"),
            args.get("to"),
            args.get("page"),
        ),
        statuses=console.STATUSES,
    )


def _shipment_page(tracking_number: str, *, picker_data=None, error=None, status=200):
    merchant = _merchant()
    page = console.shipment_page(
        merchant, tracking_number, picker_data=picker_data, error=error.message if error else None
    )
    return render_template(
        "merchants/shipment.html", merchant=merchant, page=page, error=error
    ), status


def _to_shipment(tracking_number: str):
    return redirect(url_for("merchants.shipment", tracking_number=tracking_number), 303)


@bp.get("/shipments/<tracking_number>")
@merchant_only
def shipment(tracking_number: str):
    return _shipment_page(tracking_number)


@bp.get("/shipments/<tracking_number>/label")
@merchant_only
def label(tracking_number: str):
    pdf = console.label_pdf(_merchant(), tracking_number)
    return pdf_response(pdf, f"label-{tracking_number}")


@bp.post("/shipments/<tracking_number>/cancel")
@merchant_only
def cancel(tracking_number: str):
    try:
        done = console.cancel(_merchant(), current_user, tracking_number, _form("reason"))
    except DomainError as exc:
        return _shipment_page(tracking_number, error=exc, status=status_of(exc))
    flash(f"Shipment {done.reference} is cancelled: its branch's shelf slot is free.", "success")
    return _to_shipment(done.tracking_number)


@bp.post("/shipments/<tracking_number>/branch")
@merchant_only
@limiter.limit("30 per minute")  # each change reserves a shelf and mails the buyer
def change_branch(tracking_number: str):
    """The picker's form: without JS, its "Search branches" button sends action=search-branches
    and the page comes back with the search applied."""
    if _form("action") == "search-branches":
        return _shipment_page(tracking_number, picker_data=request.form)
    try:
        moved = console.change_branch(
            _merchant(), current_user, tracking_number, _form("branch_code")
        )
    except DomainError as exc:
        return _shipment_page(
            tracking_number, picker_data=request.form, error=exc, status=status_of(exc)
        )
    flash(f"It goes to {moved.branch_name} now. We've emailed the buyer.", "success")
    return _to_shipment(moved.tracking_number)


@bp.post("/shipments/<tracking_number>/return")
@merchant_only
def request_return(tracking_number: str):
    try:
        issued = console.request_return(_merchant(), tracking_number)
    except DomainError as exc:
        return _shipment_page(tracking_number, error=exc, status=status_of(exc))
    flash(
        f"RETURN CODE {issued.return_code} (mailed to the buyer): they drop the parcel off at "
        f"any branch counter with it. The return's tracking number is {issued.tracking_number}.",
        "success",
    )
    return _to_shipment(tracking_number)


# --- API keys ------------------------------------------------------------------------------------


def _keys_page(*, error=None, name="", created=None, status=200, headers=None):
    merchant = _merchant()
    page = render_template(
        "merchants/keys.html",
        merchant=merchant,
        keys=merchants.list_keys(merchant.id),
        created=created,
        error=error,
        name=name,
        max_keys=merchants.MAX_KEYS,
        max_name=merchants.KEY_NAME_LENGTH,
    )
    return page, status, headers or {}


@bp.get("/keys")
@merchant_only
def keys():
    return _keys_page()


@bp.post("/keys")
@merchant_only
@limiter.limit("20 per minute")
def create_key():
    name = _form("key_name")
    try:
        made = console.create_key(_merchant(), current_user, name)
    except DomainError as exc:
        return _keys_page(error=exc, name=name, status=status_of(exc))
    # The secret is on this page only, this once: no cache keeps it.
    return _keys_page(created=made, status=201, headers={"Cache-Control": "no-store"})


@bp.post("/keys/<int:key_id>/revoke")
@merchant_only
def revoke_key(key_id: int):
    key = console.revoke_key(_merchant(), key_id)
    flash(f"The key “{key.name}” ({key.prefix}…) is revoked: it works no more.", "success")
    return redirect(url_for("merchants.keys"), 303)


# --- COD remittances -----------------------------------------------------------------------------


@bp.get("/remittances")
@merchant_only
def remittances():
    args = request.args
    return _report_page(
        "merchants/remittances.html",
        lambda merchant: console.remittances(merchant, args.get("from"), args.get("to")),
    )


# --- Webhook endpoints (every console's pages, shop.notify.webhook_pages) ------------------------

add_webhook_pages(
    bp,
    WebhookPages(
        owner_type=events.OWNER_TYPE,
        owner_id=lambda: _merchant().id,
        guard=merchant_only,
        event_types=events.EVENT_TYPES,
        all_events="All shipment events",
        intro="merchants/_webhooks_intro.html",
        nav="merchants/_nav.html",
    ),
)
