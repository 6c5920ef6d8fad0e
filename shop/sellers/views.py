"""Store-to-store for signed-in sellers (issue #10, point 6): their shipments, a new one, one
shipment with its tracking, its label."""

import secrets

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user

from shop.auth.access import role_required
from shop.auth.service import Role
from shop.branches.service import picker_context
from shop.errors import DomainError
from shop.extensions import limiter
from shop.sellers import service
from shop.web import pdf_response, status_of

bp = Blueprint("sellers", __name__, url_prefix="/sellers")

SID = "seller_sid"  # a random id of this browser session: what a form's key is bound to
FIELDS = ("name", "phone", "email", "origin_code", "length", "width", "height", "weight",
          "contents", "payment", "amount")  # fmt: skip
BRANCH_ERRORS = ("branch_not_found", "branch_unavailable")


def _binding() -> str:
    if not isinstance(session.get(SID), str):
        session[SID] = secrets.token_urlsafe(16)
    return f"{session[SID]}:{current_user.id}"


def _form_page(data: dict, *, error: DomainError | None = None, status: int = 200, key=None):
    """The new-shipment form with what was typed, the picker and the error next to its
    field (or, for a branch refusal, in the picker)."""
    frozen = data.get("frozen") == "yes"
    picker_error = None
    if error is not None and (error.field == "branch_code" or error.code in BRANCH_ERRORS):
        picker_error = error.message
    try:
        picker = picker_context(
            q=data.get("branch_q"),
            near=data.get("branch_near"),
            frozen_required=frozen,
            selected=data.get("branch_code"),
            error=picker_error,
            legend="Buyer's pickup branch",
        )
    except DomainError as exc:
        picker = picker_context(frozen_required=frozen, error=exc.message)
    values = {name: data.get(name, "") for name in FIELDS}
    values["frozen"] = frozen
    if not values["origin_code"]:
        values["origin_code"] = service.last_origin_code(current_user.id)
    values["payment"] = values["payment"] if values["payment"] in ("cod", "prepaid") else "cod"
    return render_template(
        "sellers/new.html",
        picker=picker,
        values=values,
        error=error,
        key=key or service.form_key(_binding()),
    ), status


@bp.get("/")
@role_required(Role.SELLER)
def index():
    return render_template("sellers/index.html", rows=service.shipments_of(current_user.id))


@bp.get("/shipments/new")
@role_required(Role.SELLER)
def new():
    return _form_page({})


@bp.post("/shipments")
@role_required(Role.SELLER)
@limiter.limit("30 per minute")
def create():
    form = request.form
    key = form.get("key") if isinstance(form.get("key"), str) else None
    if form.get("action") == "search-branches":  # the picker's search, without JS
        return _form_page(form, key=key)
    try:
        created = service.create(
            current_user,
            key=key,
            binding=_binding(),
            name=form.get("name"),
            phone=form.get("phone"),
            email=form.get("email"),
            branch_code=form.get("branch_code"),
            origin_code=form.get("origin_code"),
            length=form.get("length"),
            width=form.get("width"),
            height=form.get("height"),
            weight=form.get("weight"),
            frozen=form.get("frozen") == "yes",
            contents=form.get("contents"),
            payment=form.get("payment"),
            amount=form.get("amount"),
        )
    except service.StaleShipmentForm as exc:
        return _form_page(form, error=exc, status=status_of(exc))
    except DomainError as exc:
        return _form_page(form, error=exc, status=status_of(exc), key=key)
    return redirect(url_for("sellers.show", shipment_id=created.shipment_id, made=1), 303)


@bp.get("/shipments/<int:shipment_id>")
@role_required(Role.SELLER)
def show(shipment_id: int):
    shipment = service.view(current_user.id, shipment_id)
    return render_template(
        "sellers/show.html", shipment=shipment, made=request.args.get("made") == "1"
    )


@bp.get("/shipments/<int:shipment_id>/label.pdf")
@role_required(Role.SELLER)
def label(shipment_id: int):
    data, filename = service.label_pdf(current_user.id, shipment_id)
    return pdf_response(data, filename)
