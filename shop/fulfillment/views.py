"""Public tracking: a package's state and timeline, no personal data."""

from flask import Blueprint, render_template

from shop.errors import DomainError
from shop.extensions import limiter
from shop.fulfillment import service
from shop.web import status_of

bp = Blueprint("fulfillment", __name__)


@bp.get("/track/<tracking_number>")
@limiter.limit("30 per minute")
def track(tracking_number: str):
    try:
        package = service.get_package(tracking_number)
    except DomainError as exc:
        return render_template("fulfillment/track.html", error=exc.message), status_of(exc)
    return render_template(
        "fulfillment/track.html", package=package, page=service.tracking(package)
    )
