"""The commission ledger (issue #11, point 4): rates, rounding, and every move of commission.

The rows are transfers (see partners.models): each moves `units` of one order line's
commission, worth `amount` centavos, into `bucket` out of `from_bucket`. A bucket's balance
is what moved into it less what moved out of it, summed in SQL (`balances`).

**Rate.** `rate_for(app, item)`: the app's override for the item, else its override for the
item's category, else the app's default; frozen on the CommissionLine when the order is placed.

**Rounding.** Commission is computed per UNIT: `unit_commission = unit_price * rate_bp /
10000`, rounded half up to the centavo, in integers only (`(unit_price * rate_bp + 5000) //
10000`). Every row moves a whole number of units and is worth exactly `units *
unit_commission`, so a partial reversal of k units is k times the unit's commission and the
buckets always add up to the line's total (`quantity * unit_commission`) to the centavo. The
price of this rule: a line of many cheap units may earn up to half a centavo per unit more or
less than rounding the line's total once would; it is the only rule under which every partial
reversal adds up exactly.

**Moves.**

    record_order   -> pending              (one CommissionLine and one row per order line)
    approve_due    -> approved from pending (the tick, in batches; ref "approval")
    reverse_units  -> reversed from pending first, then from approved (not yet paid), then
                      from approved for units already paid: a clawback (reason "clawback")
    reverse_order  -> the same for every unit of the order not reversed yet

A line never reverses more units than it has (quantity less the units already reversed).
A package's reversal carries its tracking number as `ref`; a second reversal of the same
package finds it and writes nothing (the unique (line_id, ref, from_bucket, reason) is the
last word when two transactions race).

**Approval** (`approve_due`, run by `flask shop tick`): an attributed order's pending units
turn approved once the order is paid, every package of it is claimed or reversed (unclaimed,
rejected, cancelled, returned), and RETURN_DAYS have passed since the last claim. An order
with no package (digital items only) is approved RETURN_DAYS after it was paid, the same
window (it gives the operator time to catch a load that failed or a disputed card payment).
Old packages without their lines (made before packages kept them): their reversal takes every
unit of the order still not reversed (the whole order), erring on the shop's side.

Locking: `approve_batch` takes attributions with FOR UPDATE SKIP LOCKED (a second tick takes
others); a reversal locks its order's attribution (FOR UPDATE, waiting), so a reversal and an
approval of one order run one after the other and each reads what the other wrote.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from shop import clock
from shop.catalog.models import Item
from shop.checkout import service as checkout
from shop.extensions import db
from shop.fulfillment import returns
from shop.fulfillment import service as ecms
from shop.partners import events
from shop.partners.models import App, Attribution, Bucket, CommissionLine, LedgerEntry
from shop.transaction import transaction

APPROVAL = "approval"  # the ref of an approval row: one per line, ever
CLAWBACK = "clawback"
ENTRIES = LedgerEntry.__table__
S = ecms.PackageState
# A package in one of these will not (or no longer) go to the shopper: its units were reversed.
REVERSED_STATES = frozenset(
    {
        S.REJECTED,
        S.CANCELLED,
        S.UNCLAIMED,
        S.RETURN_DROPPED_OFF,
        S.RETURNING,
        S.RETURNED_TO_MERCHANT,
    }
)


# --- rates and rounding (pure) ---------------------------------------------------------------


def unit_commission(unit_price: int, rate_bp: int) -> int:
    """What one unit earns: unit_price * rate_bp / 10000, rounded half up to the centavo, in
    integers only. Raises ValueError for a negative price, a rate outside 0..10000 or a
    float."""
    for name, value in (("unit_price", unit_price), ("rate_bp", rate_bp)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an int, not {type(value).__name__}")
    if unit_price < 0:
        raise ValueError("unit_price must be >= 0")
    if not 0 <= rate_bp <= 10000:
        raise ValueError("rate_bp must be within 0..10000")
    return (unit_price * rate_bp + 5000) // 10000


def rate_for(app: App, item) -> tuple[int, str]:
    """The rate of `item` (anything with id and category_id) in `app`, and where it came from:
    the app's item override ("item"), else its category override ("category"), else the app's
    default ("app")."""
    by_item = {r.item_id: r.rate_bp for r in app.rates if r.item_id is not None}
    if item.id in by_item:
        return by_item[item.id], "item"
    by_category = {r.category_id: r.rate_bp for r in app.rates if r.category_id is not None}
    if item.category_id in by_category:
        return by_category[item.category_id], "category"
    return app.default_rate_bp, "app"


@dataclass(frozen=True)
class Units:
    """Where a line's units are now (sums of its rows): each bucket's balance in units, and the
    units already clawed back."""

    quantity: int
    pending: int = 0
    approved: int = 0  # below zero after a clawback not yet netted by a payout
    paid: int = 0
    reversed: int = 0
    clawed: int = 0

    @property
    def left(self) -> int:
        """Units not reversed yet: what a reversal may still take."""
        return self.quantity - self.reversed


@dataclass(frozen=True)
class Take:
    """One reversal row to write: `units` out of `from_bucket`, with its reason."""

    from_bucket: Bucket
    units: int
    reason: str


def plan_reversal(units: Units, wanted: int, reason: str) -> list[Take]:
    """The rows that reverse `wanted` units of a line (at most the units not reversed yet):
    from pending first, then from approved (not yet paid), then, for units already paid, a
    clawback from approved. Pure."""
    wanted = max(0, min(wanted, units.left))
    takes = []
    from_pending = min(wanted, max(units.pending, 0))
    if from_pending:
        takes.append(Take(Bucket.PENDING, from_pending, reason))
    rest = wanted - from_pending
    from_approved = min(rest, max(units.approved, 0))
    if from_approved:
        takes.append(Take(Bucket.APPROVED, from_approved, reason))
    clawed = rest - from_approved
    if clawed:
        takes.append(Take(Bucket.APPROVED, clawed, CLAWBACK))
    return takes


# --- the rows --------------------------------------------------------------------------------


def record_order(order, attribution: Attribution) -> list[CommissionLine]:
    """One CommissionLine per order line (its rate frozen) and one pending row per line, for
    an attribution that isn't flagged (a flagged one earns nothing: no lines, no rows). The
    attribution is queued for the tick (settle_at: RETURN_DAYS from now, the earliest its
    commission could be approved). Flushes only."""
    if attribution.flag:
        return []
    app = db.session.get(App, attribution.app_id)
    item_ids = sorted({line.item_id for line in order.lines})
    # The items' categories, read in one query by primary key (the rate's precedence needs
    # them; the order line keeps no category).
    categories = {
        row.id: row.category_id
        for row in db.session.execute(
            sa.select(Item.id, Item.category_id).where(Item.id.in_(item_ids))
        )
    }
    now = attribution.created_at or clock.now()
    lines = []
    for line in order.lines:
        rate_bp, source = rate_for(app, _ItemRef(line.item_id, categories.get(line.item_id)))
        lines.append(
            CommissionLine(
                order_line_id=line.id,
                order_id=order.id,
                app_id=app.id,
                item_id=line.item_id,
                rate_bp=rate_bp,
                rate_source=source,
                unit_price=line.unit_price,
                quantity=line.quantity,
                unit_commission=unit_commission(line.unit_price, rate_bp),
            )
        )
    db.session.add_all(lines)
    db.session.flush()
    rows = [
        LedgerEntry(
            app_id=app.id,
            order_id=order.id,
            line_id=line.id,
            bucket=Bucket.PENDING,
            from_bucket=None,
            units=line.quantity,
            amount=line.quantity * line.unit_commission,
            reason="order",
            created_at=now,
        )
        for line in lines
    ]
    db.session.add_all(rows)
    attribution.settle_at = now + return_window()
    db.session.flush()
    events.announce(rows)
    return lines


@dataclass(frozen=True)
class _ItemRef:
    id: int
    category_id: int | None


def return_window() -> timedelta:
    return timedelta(days=returns.return_days())


def _units_query(line_ids: list[int]):
    def into(bucket):
        return sa.func.coalesce(
            sa.func.sum(sa.case((ENTRIES.c.bucket == bucket, ENTRIES.c.units), else_=0)), 0
        )

    def out_of(bucket):
        return sa.func.coalesce(
            sa.func.sum(sa.case((ENTRIES.c.from_bucket == bucket, ENTRIES.c.units), else_=0)), 0
        )

    return (
        sa.select(
            ENTRIES.c.line_id,
            (into(Bucket.PENDING) - out_of(Bucket.PENDING)).label("pending"),
            (into(Bucket.APPROVED) - out_of(Bucket.APPROVED)).label("approved"),
            into(Bucket.PAID).label("paid"),
            into(Bucket.REVERSED).label("reversed"),
            sa.func.coalesce(
                sa.func.sum(sa.case((ENTRIES.c.reason == CLAWBACK, ENTRIES.c.units), else_=0)), 0
            ).label("clawed"),
        )
        .where(ENTRIES.c.line_id.in_(line_ids))
        .group_by(ENTRIES.c.line_id)
    )


def line_units(lines: list[CommissionLine]) -> dict[int, Units]:
    """Where each line's units are, by line id, in one query."""
    if not lines:
        return {}
    rows = {row.line_id: row for row in db.session.execute(_units_query([c.id for c in lines]))}
    result = {}
    for line in lines:
        row = rows.get(line.id)
        result[line.id] = Units(
            quantity=line.quantity,
            **(
                {
                    key: int(getattr(row, key))
                    for key in ("pending", "approved", "paid", "reversed", "clawed")
                }
                if row is not None
                else {}
            ),
        )
    return result


def _lines_of_order(order_id: int) -> list[CommissionLine]:
    return list(
        db.session.scalars(
            sa.select(CommissionLine)
            .where(CommissionLine.order_id == order_id)
            .order_by(CommissionLine.id)
        )
    )


def _lock_attribution(order_id: int) -> Attribution | None:
    """The order's attribution, locked (waiting for a tick that holds it) so that this move and
    an approval of the same order never interleave (PostgreSQL; SQLite has one writer)."""
    return db.session.scalar(
        sa.select(Attribution)
        .where(Attribution.order_id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _write(
    line: CommissionLine, takes: list[Take], ref: str | None, now: datetime, written: list
) -> int:
    """The reversal rows of `takes` (added to `written`, for events.announce). Returns the
    units they reverse."""
    for take in takes:
        written.append(
            LedgerEntry(
                app_id=line.app_id,
                order_id=line.order_id,
                line_id=line.id,
                bucket=Bucket.REVERSED,
                from_bucket=take.from_bucket,
                units=take.units,
                amount=take.units * line.unit_commission,
                reason=take.reason,
                ref=ref,
                created_at=now,
            )
        )
    db.session.add_all(written[len(written) - len(takes) :])
    return sum(take.units for take in takes)


def reverse_units(
    order_id: int,
    units: dict[int, int] | None,
    reason: str,
    *,
    ref: str | None = None,
    now: datetime | None = None,
) -> int:
    """Reverse some units of an order's commission: `units` is {item_id: how many} (a
    package's lines), None for every unit not reversed yet. Pending first, then approved, then
    a clawback of units already paid (see plan_reversal); never more than a line has. With
    `ref` (a package's tracking number) a repeat of the same reversal writes nothing. Returns
    how many units were reversed. Flushes only."""
    now = now or clock.now()
    if _lock_attribution(order_id) is None:
        return 0  # not attributed (or flagged before any line): nothing to reverse
    lines = _lines_of_order(order_id)
    if not lines:
        return 0
    if ref is not None:
        done = set(
            db.session.scalars(
                sa.select(LedgerEntry.line_id).where(
                    LedgerEntry.order_id == order_id, LedgerEntry.ref == ref
                )
            )
        )
        lines = [line for line in lines if line.id not in done]
    where = line_units(lines)
    wanted = dict(units) if units is not None else None
    reversed_units = 0
    written: list[LedgerEntry] = []
    for line in lines:
        state = where[line.id]
        if wanted is None:
            n = state.left
        else:
            n = min(wanted.get(line.item_id, 0), state.left)
            if n:
                wanted[line.item_id] -= n
        reversed_units += _write(line, plan_reversal(state, n, reason), ref, now, written)
    db.session.flush()
    events.announce(written)
    return reversed_units


def reverse_order(order_id: int, reason: str, *, now: datetime | None = None) -> int:
    """Every unit of the order's commission not reversed yet is reversed (cancelled, expired):
    pending and approved, and a clawback for what was already paid. Idempotent (a second call
    finds nothing left). Flushes only."""
    return reverse_units(order_id, None, reason, ref=f"order:{reason}"[:40], now=now)


# --- approval (the tick) ---------------------------------------------------------------------


def approvable_at(order: checkout.OrderState, packages: list[ecms.PackageFacts]) -> datetime | None:
    """The moment the order's pending commission may turn approved, or None while it can't be
    known yet (not paid, or a package neither claimed nor reversed). RETURN_DAYS after the
    last claim; with no package claimed (digital items only, or every package reversed),
    RETURN_DAYS after payment."""
    if not order.paid:
        return None
    claims = []
    for package in packages:
        if package.state is S.CLAIMED and package.claimed_at is not None:
            claims.append(package.claimed_at)
        elif package.state not in REVERSED_STATES:
            return None
    start = max(claims) if claims else order.paid_at
    if start is None:
        return None
    return returns.window_end(start, returns.return_days())


def _locked(query):
    """Take the rows for this tick alone: another tick skips them instead of waiting."""
    return query.with_for_update(skip_locked=True)


def _before_writing(taken: list) -> None:
    """A seam for the race test: two ticks meet here, each having read its batch and its
    pending units, before either writes."""


@dataclass(frozen=True)
class Batch:
    looked_at: int  # attributions taken (fewer than the batch: nothing more is due)
    approved: int  # orders whose pending commission turned approved


MAX_BATCHES = 50  # per tick: a bigger backlog waits for the next tick


def approve_due(now: datetime | None = None, batch: int = 200) -> int:
    """Every approval due, batch after batch (each its own transaction, see approve_batch)
    until a batch comes back short, at most MAX_BATCHES. Returns how many orders' commission
    turned approved. Must run outside a transaction."""
    now = now or clock.now()
    approved = 0
    for _ in range(MAX_BATCHES):
        done = approve_batch(now=now, batch=batch)
        approved += done.approved
        if done.looked_at < batch:
            break
    return approved


def approve_batch(now: datetime | None = None, batch: int = 200) -> Batch:
    """One batch of approvals, in one transaction (its own): attributions whose settle time
    has come, soonest first, taken FOR UPDATE SKIP LOCKED (a second tick takes others). For
    each, its pending units turn approved (one row per line, ref "approval") once
    approvable_at has passed; otherwise the attribution waits until then (or, when that can't
    be known yet, until RETURN_DAYS from now: the earliest an approval could then come);
    nothing pending: it leaves the queue."""
    now = now or clock.now()
    with transaction():
        taken = db.session.scalars(
            _locked(
                sa.select(Attribution)
                .where(Attribution.settle_at <= now)
                .order_by(Attribution.settle_at, Attribution.order_id)
                .limit(batch)
            ).execution_options(populate_existing=True)
        ).all()
        if not taken:
            return Batch(0, 0)
        orders = {o.id: o for o in checkout.order_states(ids=[a.order_id for a in taken])}
        packages = ecms.packages_of_orders(o.number for o in orders.values())
        lines = list(
            db.session.scalars(
                sa.select(CommissionLine)
                .where(CommissionLine.order_id.in_([a.order_id for a in taken]))
                .order_by(CommissionLine.id)
            )
        )
        units = line_units(lines)
        _before_writing(taken)
        by_order: dict[int, list[CommissionLine]] = {}
        for line in lines:
            by_order.setdefault(line.order_id, []).append(line)
        written: list[LedgerEntry] = []
        approved = sum(
            _settle(a, orders, packages, by_order.get(a.order_id, []), units, now, written)
            for a in taken
        )
        db.session.flush()
        events.announce(written)
        return Batch(len(taken), approved)


def _settle(attribution, orders, packages, lines, units, now, written: list) -> bool:
    """Approve one order's pending units if due, else set when to look again. True if it
    approved."""
    pending = [line for line in lines if units[line.id].pending > 0]
    if not pending or attribution.flag:
        attribution.settle_at = None
        return False
    order = orders.get(attribution.order_id)
    ready = approvable_at(order, packages.get(order.number, [])) if order else None
    if ready is None:
        attribution.settle_at = now + return_window()
        return False
    if now < ready:
        attribution.settle_at = ready
        return False
    for line in pending:
        n = units[line.id].pending
        written.append(
            LedgerEntry(
                app_id=line.app_id,
                order_id=line.order_id,
                line_id=line.id,
                bucket=Bucket.APPROVED,
                from_bucket=Bucket.PENDING,
                units=n,
                amount=n * line.unit_commission,
                reason="approved",
                ref=APPROVAL,
                created_at=now,
            )
        )
        db.session.add(written[-1])
    attribution.settle_at = None
    return True


# --- sums ------------------------------------------------------------------------------------


def balances(
    app_ids: Iterable[int], start: datetime | None = None, end: datetime | None = None
) -> dict[Bucket, int]:
    """Each bucket's balance in centavos for these apps, summed in the database (one query on
    the (app_id, created_at) index): what moved into it less what moved out of it, counting
    the rows written from `start` (included) to `end` (excluded) when given. Approved may be
    below zero (a clawback the next payout nets)."""
    app_ids = list(app_ids)
    if not app_ids:
        return {bucket: 0 for bucket in Bucket}
    columns = []
    for bucket in Bucket:
        into = sa.case((ENTRIES.c.bucket == bucket, ENTRIES.c.amount), else_=0)
        out_of = sa.case((ENTRIES.c.from_bucket == bucket, ENTRIES.c.amount), else_=0)
        columns.append(sa.func.coalesce(sa.func.sum(into - out_of), 0).label(bucket.value))
    query = sa.select(*columns).where(ENTRIES.c.app_id.in_(app_ids))
    if start is not None:
        query = query.where(ENTRIES.c.created_at >= start)
    if end is not None:
        query = query.where(ENTRIES.c.created_at < end)
    row = db.session.execute(query).one()
    return {bucket: int(getattr(row, bucket.value)) for bucket in Bucket}


def earned(app_ids: Iterable[int]) -> int:
    """What the apps' orders earned when placed: the sum of the pending rows from nothing (the
    total every bucket together always adds up to)."""
    return int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(ENTRIES.c.amount), 0)).where(
                ENTRIES.c.app_id.in_(list(app_ids)), ENTRIES.c.from_bucket.is_(None)
            )
        )
    )
