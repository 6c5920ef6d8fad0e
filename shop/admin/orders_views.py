"""The operator's orders and packages: search, an order's detail, a package's timeline."""

from flask import render_template, request

from shop.admin import search
from shop.admin.blueprint import bp
from shop.auth.access import role_required
from shop.auth.service import Role
from shop.checkout.models import OrderStatus
from shop.errors import DomainError
from shop.fulfillment import service as ecms
from shop.fulfillment.models import PackageState
from shop.web import status_of


def _search_page(template: str, run, **choices):
    """A search page: the results of `run(request.args)`, or its refusal next to the form."""
    try:
        found = run(request.args)
    except DomainError as exc:
        return render_template(template, error=exc, args=request.args, **choices), status_of(exc)
    return render_template(template, found=found, args=request.args, **choices)


@bp.get("/orders")
@role_required(Role.ADMIN)
def orders():
    """Orders by number, email, phone, status and the day placed."""
    return _search_page("admin/orders.html", search.orders, statuses=OrderStatus)


@bp.get("/orders/<number>")
@role_required(Role.ADMIN)
def order(number: str):
    """One order: its lines, payment, branch and packages with their states."""
    return render_template("admin/order.html", detail=search.order_detail(number))


@bp.get("/packages")
@role_required(Role.ADMIN)
def packages():
    """Packages by tracking number, state and branch."""
    return _search_page("admin/packages.html", search.packages, states=PackageState)


@bp.get("/packages/<tracking_number>")
@role_required(Role.ADMIN)
def package(tracking_number: str):
    """One package: every event (who, where, when, what it measured) and its label."""
    detail = search.package_detail(tracking_number)
    return render_template("admin/package.html", detail=detail, event_text=ecms.event_text)
