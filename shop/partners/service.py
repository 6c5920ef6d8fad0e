"""Partners' face for the rest of the shop: what checkout, the ECMS, the embed and the tick call.

Each function joins the caller's transaction and only flushes (checkout's place_order and
expiry, the ECMS's package moves), except `record_click` (a public call from a view), and
`approve_due` and `roll_up` (the tick), which run their own. The rules are in attribution.py
(who an order is credited to), ledger.py (rates, rounding, the rows) and rollup.py (the
dashboard's daily sums); see docs/decisions.md, "Commission: attribution and the ledger
(#11)".
"""

from collections.abc import Iterable
from datetime import datetime

from shop import clock
from shop.checkout import service as checkout
from shop.partners import ledger, rollup
from shop.partners.attribution import (  # noqa: F401  (the facade names them for callers)
    Referral,
    attribute,
    last_click,
    record_click,
)
from shop.partners.ledger import balances, rate_for, unit_commission  # noqa: F401
from shop.partners.models import Attribution, Bucket, ClickKind  # noqa: F401

# Why a whole order's commission is reversed (order_closed) and why a package's is.
ORDER_REASONS = frozenset({"cancelled", "expired"})
PACKAGE_REASONS = frozenset({"unclaimed", "rejected", "returned", "cancelled"})


def order_placed(order, referral: Referral | None) -> Attribution | None:
    """A new order (checkout's Order, with its lines), placed with `referral`: credit it to an
    app (attribution.attribute) and, unless flagged, record its pending commission (one line
    and one pending row per order line). In the caller's transaction; flushes only. Returns
    the attribution, or None when no app gets the order."""
    if referral is None:
        return None
    attribution = attribute(order, referral, clock.now())
    if attribution is not None:
        ledger.record_order(order, attribution)
    return attribution


def order_closed(order, reason: str) -> int:
    """The order was cancelled or expired: every unit of its commission not reversed yet is
    reversed (a clawback for any already paid). Idempotent. In the caller's transaction.
    Returns the units reversed."""
    if reason not in ORDER_REASONS:
        raise ValueError(f"an order closes as one of {sorted(ORDER_REASONS)}, not {reason!r}")
    return ledger.reverse_order(order.id, reason)


def packages_reversed(
    order_number: str,
    packages: Iterable[tuple[str, Iterable[tuple[int, int]] | None]],
    reason: str,
) -> int:
    """Packages of the order `order_number` went unclaimed, were rejected or cancelled, or
    came back (a return dropped off): each is (tracking number, its lines as ((item_id,
    quantity), ...), or None when the package doesn't know them: then the whole order). Their
    units' commission is reversed, once per package however often this is called. In the
    caller's transaction. Returns the units reversed."""
    if reason not in PACKAGE_REASONS:
        raise ValueError(f"a package is reversed as one of {sorted(PACKAGE_REASONS)}")
    packages = list(packages)
    if not packages:
        return 0
    found = checkout.order_states(numbers=[order_number])
    if not found:
        return 0
    order_id = found[0].id
    done = 0
    for tracking_number, lines in packages:
        units = None
        if lines is not None:
            units = {}
            for item_id, quantity in lines:
                units[item_id] = units.get(item_id, 0) + quantity
        done += ledger.reverse_units(order_id, units, reason, ref=tracking_number)
    return done


def approve_due(now: datetime | None = None, batch: int = 200) -> int:
    """The tick's approvals: every order whose commission is due turns approved (ledger
    .approve_due: batch after batch, each its own transaction). Returns how many orders."""
    return ledger.approve_due(now=now, batch=batch)


def roll_up(now: datetime | None = None) -> int:
    """The tick's roll-up of the dashboard's daily sums (partners.rollup.roll_up: batch after
    batch, each its own transaction). Returns how many rows' ids it moved over."""
    return rollup.roll_up(now=now)
