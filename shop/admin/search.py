"""The operator's searches: orders and packages, read-only.

A deliberate exception to "a feature reads only its own tables": these are read-only screens
that join orders, shipments, packages and branches the way an operator asks for them (by email,
phone, state, branch, date), which no single feature's service offers. Every write the console
makes still goes through the owning feature's service (see shop/admin/console.py). Each search
is one query with the total as a window count, PER_PAGE rows a page."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from shop import codes
from shop.branches.models import Branch
from shop.checkout.models import Order, OrderStatus
from shop.codes import CodeType
from shop.errors import InvalidInput, NotFound
from shop.extensions import db
from shop.fulfillment.models import Package, PackageState, Shipment
from shop.timeutil import MANILA

PER_PAGE = 50
MAX_TEXT = 100
ORDER_NUMBER = re.compile(r"^CQ-?[0-9A-Z]{4}-?[0-9A-Z]{4}$")


class OrderNotFound(NotFound):
    """We couldn't find that order."""

    code = "order_not_found"


class PackageNotFound(NotFound):
    """We couldn't find that package."""

    code = "package_not_found"


def _text(args, name: str) -> str:
    value = args.get(name, "")
    value = " ".join(value.split()) if isinstance(value, str) else ""
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"The {name.replace('_', ' ')} is too long.", field=name)
    return value


def _day(args, name: str) -> date | None:
    value = _text(args, name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Enter a date like 2026-12-01.", field=name) from None


def _page(args) -> int:
    raw = args.get("page", "") or "1"
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 5:
        raise InvalidInput("The page number must be a whole number from 1.", field="page")
    if int(raw) < 1:
        raise InvalidInput("The page number must be a whole number from 1.", field="page")
    return int(raw)


def _manila_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=MANILA)


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class Results:
    rows: list
    total: int
    page: int
    filters: dict

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def orders(args) -> Results:
    """Orders by number (exact, dashes optional), email or phone (a part of either), status and
    the Manila day placed (from, to: both included), newest first. `args` is the query string.
    Raises InvalidInput for a bad filter, NotFound past the last page."""
    number = _text(args, "number").upper()
    email = _text(args, "email").lower()
    phone = "".join(ch for ch in _text(args, "phone") if ch.isdigit())
    status = _text(args, "status")
    start, end = _day(args, "from"), _day(args, "to")
    page = _page(args)
    conditions = []
    if number:
        if not ORDER_NUMBER.match(number):
            raise InvalidInput("An order number looks like CQ-7K4M-2Q9P.", field="number")
        bare = number.replace("-", "")[2:]
        conditions.append(Order.number == f"CQ-{bare[:4]}-{bare[4:]}")
    if email:
        conditions.append(sa.func.lower(Order.email).like(_like(email), escape="\\"))
    if phone:
        # Phones are kept in E.164 (+639171234567): a local 0917... matches from its 917.
        conditions.append(Order.phone.like(_like(phone.removeprefix("0")), escape="\\"))
    if status:
        try:
            conditions.append(Order.status == OrderStatus(status))
        except ValueError:
            raise InvalidInput("Choose a status from the list.", field="status") from None
    if start:
        conditions.append(Order.created_at >= _manila_start(start))
    if end:
        conditions.append(Order.created_at < _manila_start(end + timedelta(days=1)))
    rows = db.session.execute(
        sa.select(
            Order.number,
            Order.name,
            Order.email,
            Order.phone,
            Order.status,
            Order.payment_method,
            Order.total,
            Order.created_at,
            sa.func.count().over().label("total_rows"),
        )
        .where(*conditions)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    if not rows and page > 1:
        raise NotFound(f"There is no page {page:,} of these orders.")
    filters = {
        "number": number,
        "email": email,
        "phone": phone,
        "status": status,
        "from": start.isoformat() if start else "",
        "to": end.isoformat() if end else "",
    }
    return Results(rows, rows[0].total_rows if rows else 0, page, filters)


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    branch: Branch | None
    shipment: Shipment | None


def order_detail(number: str) -> OrderDetail:
    """One order with its lines, its branch and its shipment's packages (with their events).
    Raises OrderNotFound."""
    number = number.upper() if isinstance(number, str) else ""
    if not ORDER_NUMBER.match(number) or len(number) != 12:
        raise OrderNotFound()
    order = db.session.scalar(sa.select(Order).where(Order.number == number))
    if order is None:
        raise OrderNotFound()
    branch = db.session.get(Branch, order.branch_id) if order.branch_id else None
    shipment = db.session.get(Shipment, order.shipment_id) if order.shipment_id else None
    return OrderDetail(order, branch, shipment)


def packages(args) -> Results:
    """Packages by tracking number (exact, spaces and dashes allowed), state and destination
    branch code, newest first. Raises InvalidInput for a bad filter (a tracking number with a
    typo too), NotFound past the last page."""
    tracking = _text(args, "tracking_number")
    state = _text(args, "state")
    branch_code = _text(args, "branch").upper()
    page = _page(args)
    conditions = []
    if tracking:
        conditions.append(Package.tracking_number == codes.parse(tracking, CodeType.TRACKING))
    if state:
        try:
            conditions.append(Package.state == PackageState(state))
        except ValueError:
            raise InvalidInput("Choose a state from the list.", field="state") from None
    if branch_code:
        if len(branch_code) > 12:
            raise InvalidInput("A branch code is at most 12 characters.", field="branch")
        conditions.append(Branch.code == branch_code)
    rows = db.session.execute(
        sa.select(
            Package.tracking_number,
            Package.state,
            Package.frozen,
            Package.created_at,
            Shipment.reference,
            Shipment.source,
            Branch.code.label("branch_code"),
            Branch.name.label("branch_name"),
            sa.func.count().over().label("total_rows"),
        )
        .join(Shipment, Package.shipment_id == Shipment.id)
        .join(Branch, Shipment.branch_id == Branch.id)
        .where(*conditions)
        .order_by(Package.created_at.desc(), Package.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    if not rows and page > 1:
        raise NotFound(f"There is no page {page:,} of these packages.")
    filters = {"tracking_number": tracking, "state": state, "branch": branch_code}
    return Results(rows, rows[0].total_rows if rows else 0, page, filters)


@dataclass(frozen=True)
class PackageDetail:
    package: Package
    branch: Branch | None
    order_number: str | None  # the shop's order it belongs to, if any


def package_detail(tracking_number: str) -> PackageDetail:
    """One package, its shipment and every event (who, where, when). Raises PackageNotFound."""
    try:
        number = codes.parse(tracking_number, CodeType.TRACKING)
    except InvalidInput:
        raise PackageNotFound() from None
    package = db.session.scalar(sa.select(Package).where(Package.tracking_number == number))
    if package is None:
        raise PackageNotFound()
    shipment = package.shipment
    branch = db.session.get(Branch, shipment.branch_id)
    order_number = shipment.reference if shipment.source == "shop" else None
    return PackageDetail(package, branch, order_number)
