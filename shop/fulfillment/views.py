"""Public tracking: a package's state and timeline, no personal data; an order's labels."""

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user

from shop import codes
from shop.checkout import service as checkout
from shop.codes import CodeType
from shop.errors import DomainError
from shop.extensions import limiter, order_lookup_limit
from shop.fulfillment import labels, service
from shop.web import pdf_response, status_of

bp = Blueprint("fulfillment", __name__)


# Tracking numbers are a lookup: the box and the package page share one budget per client.
tracking_lookup_limit = limiter.shared_limit("30 per minute", scope="tracking-lookup")


@bp.get("/track")
@tracking_lookup_limit
def find():
    """A box to type a tracking number as it came in a message (spaces and dashes allowed);
    a valid one goes to its package's page."""
    typed = request.args.get("number")
    if typed is None:
        return render_template("fulfillment/find.html", typed="")
    try:
        number = codes.parse(typed, CodeType.TRACKING)
    except DomainError as exc:
        return render_template(
            "fulfillment/find.html", typed=typed[: codes.MAX_INPUT_CHARS], error=exc.message
        ), status_of(exc)
    return redirect(url_for("fulfillment.track", tracking_number=number), 303)


@bp.get("/track/<tracking_number>")
@tracking_lookup_limit
def track(tracking_number: str):
    try:
        package = service.find_tracked(tracking_number)
    except DomainError as exc:
        return render_template("fulfillment/track.html", error=exc.message), status_of(exc)
    return render_template(
        "fulfillment/track.html", package=package, page=service.tracking(package)
    )


@bp.get("/orders/<number>/labels.pdf")
@order_lookup_limit  # the order page's lookup and budget: missing or not yours, one answer
def order_labels(number: str):
    found = checkout.find_order(
        number,
        user_id=current_user.id if current_user.is_authenticated else None,
        session_orders=session.get("orders"),
        key=request.args.get("key"),
    )
    data = labels.order_labels_pdf(found.shipment_id)
    return pdf_response(data, f"labels-{labels.safe_filename(found.number)}")
