"""Public tracking: a package's state and timeline, no personal data."""

from flask import Blueprint, redirect, render_template, request, url_for

from shop import codes
from shop.codes import CodeType
from shop.errors import DomainError
from shop.extensions import limiter
from shop.fulfillment import service
from shop.web import status_of

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
        package = service.get_package(tracking_number)
    except DomainError as exc:
        return render_template("fulfillment/track.html", error=exc.message), status_of(exc)
    return render_template(
        "fulfillment/track.html", package=package, page=service.tracking(package)
    )
