"""What the operator's overview shows, gathered from each feature's service."""

from dataclasses import dataclass

from flask import current_app

from shop.admin import console
from shop.auth import service as auth
from shop.branches import service as branches
from shop.catalog import service as catalog
from shop.catalog.models import Item
from shop.errors import InvalidInput
from shop.notify import service as notify
from shop.notify.models import OutboxStatus


@dataclass(frozen=True)
class Overview:
    stock: catalog.StockSummary
    low_stock: list[Item]
    branches: branches.BranchSummary
    users_by_role: dict[str, int]
    outbox: dict[OutboxStatus, int]


def overview() -> Overview:
    return Overview(
        stock=catalog.stock_summary(),
        low_stock=catalog.low_stock_items(),
        branches=branches.summary(),
        users_by_role=auth.count_by_role(),
        outbox=notify.counts_by_status(),
    )


@dataclass(frozen=True)
class Outbox:
    counts: dict[OutboxStatus, int]
    parked: list[notify.MessageView]
    retrying: list[notify.MessageView]
    max_attempts: int


def outbox() -> Outbox:
    """The outbox as the operator sees it: counts by status, what is parked, what is failing."""
    return Outbox(
        counts=notify.counts_by_status(),
        parked=notify.parked(),
        retrying=notify.retrying(),
        max_attempts=current_app.config["OUTBOX_MAX_ATTEMPTS"],
    )


# --- Branch closures (issue #10, point 10) -------------------------------------------------


@dataclass(frozen=True)
class BranchLine:
    code: str
    name: str
    city: str
    frozen: bool
    reserved: int
    shelf_capacity: int
    status: str  # "Open", "Closed until Thu 3 Dec", "Closes Fri 4 Dec", "Closed for good"
    closed: bool  # closed today
    signature_required: bool = False  # the counter asks the shopper to sign at every claim


def _line(branch) -> BranchLine:
    today = branches.today()
    closed = branches.closed_on(branch, today)
    if closed:
        status = branches.closure_text(branch)
    elif branch.closed_until is not None and branch.closed_until < today:
        status = "Open (a closure ended)"
    else:
        status = "Open" if branch.active else "Not taking pickups"
    return BranchLine(
        code=branch.code,
        name=branch.name,
        city=branch.city,
        frozen=branch.frozen,
        reserved=branch.reserved,
        shelf_capacity=branch.shelf_capacity,
        status=status,
        closed=closed,
        signature_required=branch.signature_required,
    )


BRANCH_LIST = 50  # stores the operator's branch screen lists at once


def branch_list(q: str = "") -> list[BranchLine]:
    """The stores on the operator's branch screen (at most BRANCH_LIST): closed first, a
    search by name, city or code."""
    return [_line(branch) for branch in branches.operator_list(q, limit=BRANCH_LIST)]


@dataclass(frozen=True)
class BranchView:
    line: BranchLine
    address: str
    closed_from: object
    closed_until: object
    today: object  # the earliest "until" the form offers (Manila)
    opens_at: str = ""  # "07:00", as the edit form shows it
    closes_at: str = ""


SIGNATURE_CHOICES = {"required": True, "not_required": False}


def ask_for_signature(actor, code: str, choice) -> tuple:
    """The operator's setting: whether the branch's counter asks for a signature at every
    claim (`choice`: "required" or "not_required", as the form sends it), audited. Returns the
    branch and the setting. Raises InvalidInput for another choice, BranchNotFound."""
    if not isinstance(choice, str) or choice not in SIGNATURE_CHOICES:
        raise InvalidInput("Choose whether the counter asks for a signature.", field="signature")
    required = SIGNATURE_CHOICES[choice]
    return console.ask_for_signature(actor, code, required), required


def branch_facts(form) -> dict:
    """What branches.update_branch takes, from a validated BranchForm. Raises InvalidInput
    for a time that isn't one."""
    return {
        "shelf_capacity": int(form.shelf_capacity.data),
        "opens_at": branches.parse_hours(form.opens_at.data, "opens_at"),
        "closes_at": branches.parse_hours(form.closes_at.data, "closes_at"),
        "frozen": bool(form.takes_frozen.data),
    }


def branch_view(code: str) -> BranchView:
    """One store for the operator. Raises BranchNotFound."""
    branch = branches.find_any_branch(code)
    return BranchView(
        line=_line(branch),
        address=f"{branch.address}, {branch.city}",
        closed_from=branch.closed_from,
        closed_until=branch.closed_until,
        today=branches.today(),
        opens_at=branches.hours_text(branch.opens_at),
        closes_at=branches.hours_text(branch.closes_at),
    )
