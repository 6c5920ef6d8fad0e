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


@bp.get("/orders")
@role_required(Role.ADMIN)
def orders():
    """Orders by number, email, phone, status and the day placed."""
    try:
        found = search.orders(request.args)
    except DomainError as exc:
        return render_template(
            "admin/orders.html", error=exc, args=request.args, statuses=OrderStatus
        ), status_of(exc)
    return render_template(
        "admin/orders.html", found=found, args=request.args, statuses=OrderStatus
    )


@bp.get("/orders/<number>")
@role_required(Role.ADMIN)
def order(number: str):
    """One order: its lines, payment, branch and packages with their states."""
    return render_template("admin/order.html", detail=search.order_detail(number))


@bp.get("/packages")
@role_required(Role.ADMIN)
def packages():
    """Packages by tracking number, state and branch."""
    try:
        found = search.packages(request.args)
    except DomainError as exc:
        return render_template(
            "admin/packages.html", error=exc, args=request.args, states=PackageState
        ), status_of(exc)
    return render_template(
        "admin/packages.html", found=found, args=request.args, states=PackageState
    )


@bp.get("/packages/<tracking_number>")
@role_required(Role.ADMIN)
def package(tracking_number: str):
    """One package: every event (who, where, when, what it measured) and its label."""
    detail = search.package_detail(tracking_number)
    return render_template("admin/package.html", detail=detail, event_text=ecms.event_text)
