"""The kiosk (issue #10, point 5): a touch screen in the store, no login. A shopper returns a
package (order number, UID or tracking number, and the mobile number on the order: a RETURN
CODE, the return's tracking number and a printable return label) or pays with a PAY CODE (a
printable charge slip for the counter). Every lookup is rate limited per address
(KIOSK_RATE_LIMIT); the pages never put a code in an address the next shopper could open from
the history, except the label's own (a PDF of the return, nothing more)."""

from flask import Blueprint, current_app, render_template, request

from shop.checkout import service as checkout
from shop.errors import DomainError
from shop.extensions import limiter
from shop.fulfillment import service as ecms
from shop.web import pdf_response, status_of

bp = Blueprint("kiosk", __name__, url_prefix="/counter/kiosk")


def _kiosk_limit() -> str:
    return current_app.config["KIOSK_RATE_LIMIT"]


# One budget per address for every lookup the kiosk makes: a return, a PAY CODE, a label.
kiosk_limit = limiter.shared_limit(_kiosk_limit, scope="kiosk")


@bp.after_request
def _not_kept(response):
    """A kiosk is shared: the next shopper's Back button must not bring a code back."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _form(name: str) -> str:
    value = request.form.get(name, "")
    return value if isinstance(value, str) else ""


@bp.get("")
def home():
    """The two tasks, as two big buttons."""
    return render_template("counter/kiosk.html")


@bp.get("/return")
def return_form():
    return render_template("counter/kiosk_return.html", typed={}, error=None, issued=None)


@bp.post("/return")
@kiosk_limit
def return_package():
    """Order number / UID / tracking number + phone → the RETURN CODE (asked again: the same)."""
    typed = {"lookup": _form("lookup")[:80], "phone": _form("phone")[:40]}
    try:
        issued = ecms.returns.request_return(typed["lookup"], typed["phone"])
    except DomainError as exc:
        return render_template(
            "counter/kiosk_return.html", typed=typed, error=exc, issued=None
        ), status_of(exc)
    return render_template("counter/kiosk_return.html", typed={}, error=None, issued=issued)


@bp.get("/returns/<code>/label.pdf")
@kiosk_limit
def return_label(code: str):
    """The return label to print and stick on the package (A6)."""
    data = ecms.returns.return_label_pdf(code)
    return pdf_response(data, "return-label")


@bp.get("/pay")
def pay_form():
    return render_template("counter/kiosk_pay.html", typed="", error=None, slip=None)


@bp.post("/pay")
@kiosk_limit
def pay():
    """A PAY CODE → the charge slip the shopper takes to the counter."""
    typed = _form("code")[:80]
    try:
        slip = checkout.check_pay_code(typed)
    except DomainError as exc:
        return render_template(
            "counter/kiosk_pay.html", typed=typed, error=exc, slip=None
        ), status_of(exc)
    return render_template("counter/kiosk_pay.html", typed="", error=None, slip=slip)
