"""The merchant console's operations (/merchants/..., issue #12 point 8): what a merchant login
reads and does in its browser, through the same services the API calls (shop.merchants.
shipments, shop.merchants.service, shop.notify.webhooks, shop.counter.remittance). Every
function takes the merchant the login works for (service.merchant_of): another merchant's
shipment, key, endpoint or delivery reads as one that doesn't exist.

A suspended merchant's console reads, but does nothing its API keys couldn't: no new key, no
cancel, re-route or return (service.check_active)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shop import clock
from shop.branches import service as branches
from shop.counter import remittance
from shop.errors import InvalidInput
from shop.fulfillment import reroute
from shop.fulfillment.lifecycle import TRANSITIONS, Action
from shop.fulfillment.models import PackageState
from shop.merchants import events, service, shipments
from shop.merchants.models import Merchant, MerchantStatus
from shop.notify import webhooks
from shop.timeutil import MANILA, parse_day
from shop.transaction import transaction

PER_PAGE = 25
RECENT = 5
MAX_PAGE = 10_000
MAX_SEARCH = 64  # a reference is at most 64 characters
MAX_REASON = 500  # a cancel's reason, as the API's CancelIn takes it
STATUSES = tuple(state.value for state in PackageState)
CANCELLABLE = frozenset(state.value for state, action in TRANSITIONS if action == Action.CANCEL)
REROUTABLE = frozenset(state.value for state in reroute.ON_THE_WAY)
RETURNABLE = frozenset({PackageState.CLAIMED.value})
S = PackageState
TONES = {  # how a status is coloured in the lists: done, needs a look, stopped
    **{state.value: "info" for state in PackageState},
    S.AT_BRANCH.value: "warn",
    S.CLAIMED.value: "ok",
    S.RETURNED_TO_MERCHANT.value: "ok",
    S.CANCELLED.value: "stop",
    S.REJECTED.value: "stop",
    S.UNCLAIMED.value: "stop",
}


def _via(merchant: Merchant, user) -> str:
    """How a console login shows on a package's events: "console:<slug> (<email>)"."""
    return f"console:{merchant.slug} ({getattr(user, 'email', '')})"


# --- The overview -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    merchant: Merchant
    counts: dict[str, int]  # status -> shipments now in it
    total: int
    recent: list[shipments.Listed]
    keys_in_use: int
    endpoints: int


def overview(merchant: Merchant) -> Overview:
    """The console's home: shipments by status, the latest few, how many keys and endpoints."""
    counts = shipments.counts_by_status(merchant)
    keys = service.list_keys(merchant.id)
    return Overview(
        merchant=merchant,
        counts=counts,
        total=sum(counts.values()),
        recent=shipments.search(merchant, per_page=RECENT).shipments,
        keys_in_use=sum(1 for key in keys if not key.revoked),
        endpoints=len(webhooks.list_endpoints(events.OWNER_TYPE, merchant.id)),
    )


# --- Shipments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """A shipment search as the form sends it (text as typed), and what it found."""

    q: str
    status: str
    start: date | None
    end: date | None
    found: shipments.Found

    def args(self) -> dict:
        """The search as query arguments (for the pager's links)."""
        values = {
            "q": self.q,
            "status": self.status,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
        }
        return {name: value for name, value in values.items() if value}


def _page(text) -> int:
    if text is None or text == "":
        return 1
    if not (isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 5):
        raise InvalidInput("That page doesn't exist.", field="page")
    return min(max(int(text), 1), MAX_PAGE)


def _manila_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, MANILA)


def find_shipments(merchant: Merchant, q=None, status=None, start=None, end=None, page=None):
    """The merchant's shipments for the console's list: `q` a tracking number or the start of
    a reference, `status` a package state (blank: any), made from `start` to `end` (Manila
    days, YYYY-MM-DD, both included, either blank), `page` from 1. Raises InvalidInput naming
    the field (q, status, from, to, page)."""
    q = " ".join(q.split()) if isinstance(q, str) else ""
    if len(q) > MAX_SEARCH:
        raise InvalidInput(
            f"Search by a tracking number or a reference (up to {MAX_SEARCH} characters).",
            field="q",
        )
    status = status if isinstance(status, str) else ""
    if status and status not in STATUSES:
        raise InvalidInput("Choose a status from the list.", field="status")
    first, last = parse_day(start, "from"), parse_day(end, "to")
    if first and last and last < first:
        raise InvalidInput("The end date comes before the start date.", field="to")
    found = shipments.search(
        merchant,
        text=q,
        status=status or None,
        created_from=_manila_midnight(first) if first else None,
        created_before=_manila_midnight(last + timedelta(days=1)) if last else None,
        page=_page(page),
        per_page=PER_PAGE,
    )
    return Search(q, status, first, last, found)


@dataclass(frozen=True)
class ShipmentPage:
    """One shipment as its console page shows it, and what may be done to it now."""

    shipment: shipments.ShipmentView
    can_cancel: bool
    can_change_branch: bool
    can_return: bool
    picker: dict | None  # branches.rebranch_picker(), while the branch may change
    active: bool  # the merchant isn't suspended: the actions are offered


def shipment_page(
    merchant: Merchant, tracking_number, *, picker_data=None, error: str | None = None
) -> ShipmentPage:
    """The merchant's shipment with its timeline and the actions its state allows. Raises
    ShipmentNotFound (another merchant's, and a number that isn't one)."""
    found = shipments.get(merchant, tracking_number if isinstance(tracking_number, str) else "")
    reroutable = found.status in REROUTABLE
    return ShipmentPage(
        shipment=found,
        can_cancel=found.status in CANCELLABLE,
        can_change_branch=reroutable,
        can_return=found.status in RETURNABLE,
        picker=(
            branches.rebranch_picker(
                current_code=found.branch_code,
                frozen_required=found.frozen,
                packages=1,
                data=picker_data,
                error=error,
            )
            if reroutable
            else None
        ),
        active=merchant.status is MerchantStatus.ACTIVE,
    )


def label_pdf(merchant: Merchant, tracking_number) -> bytes:
    """The shipment's label, the API's very PDF. Raises ShipmentNotFound."""
    return shipments.label_pdf(merchant, tracking_number)


def _reason(text) -> str:
    reason = " ".join(text.split()) if isinstance(text, str) else ""
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"Keep the reason to {MAX_REASON} characters.", field="reason")
    return reason


def cancel(merchant: Merchant, user, tracking_number, reason="") -> shipments.ShipmentView:
    """Cancel before drop-off, as the API's cancel. Raises MerchantSuspended,
    ShipmentNotFound, InvalidTransition, InvalidInput (field reason)."""
    service.check_active(merchant)
    reason = _reason(reason)
    with transaction():
        return shipments.cancel(merchant, tracking_number, reason, via=_via(merchant, user))


def change_branch(merchant: Merchant, user, tracking_number, branch_code):
    """Another pickup branch before arrival, as the API's. Raises MerchantSuspended,
    ShipmentNotFound, InvalidTransition, InvalidInput (same_branch; no branch chosen),
    BranchUnavailable."""
    service.check_active(merchant)
    if not isinstance(branch_code, str) or not branch_code.strip():
        raise InvalidInput("Choose the new pickup branch.", field="branch_code")
    with transaction():
        return shipments.change_branch(
            merchant, tracking_number, branch_code.strip(), via=_via(merchant, user)
        )


def request_return(merchant: Merchant, tracking_number) -> shipments.Return:
    """A RETURN CODE for a claimed shipment, as the API's. Raises MerchantSuspended,
    ShipmentNotFound, and the returns' refusals (not_picked_up, return_window_closed,
    already_returned)."""
    service.check_active(merchant)
    with transaction():
        return shipments.request_return(merchant, tracking_number)


# --- Keys ---------------------------------------------------------------------------------------


def create_key(merchant: Merchant, user, name) -> service.NewKey:
    """A new secret key (shown this once). Raises MerchantSuspended, InvalidInput (field
    name), TooManyKeys."""
    service.check_active(merchant)
    return service.create_key(merchant.id, name, actor=getattr(user, "email", ""))


def revoke_key(merchant: Merchant, key_id: int):
    """Revoke one of the merchant's keys (a suspended merchant may too). Raises KeyNotFound."""
    return service.revoke_key(merchant.id, key_id)


# --- COD remittances ----------------------------------------------------------------------------


def remittances(merchant: Merchant, start=None, end=None) -> remittance.Report:
    """The cash on delivery the counters collected for the merchant's shipments, per branch and
    business day, from `start` to `end` (YYYY-MM-DD, blank: the last 7 days). Only the
    merchant's own lines. Raises InvalidInput (fields from, to)."""
    today = remittance.business_date(clock.now())
    if not start and not end:
        start, end = (today - timedelta(days=6)).isoformat(), today.isoformat()
    return remittance.report(start, end, today=today, source=merchant.slug)
