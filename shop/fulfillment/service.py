"""The ECMS: the one place that issues tracking numbers and codes, creates shipments and their
packages, and moves packages through their states. The shop's checkout, the counter screens
and the merchant API all call these functions.

Issuing (create_shipment, issue_code, ...) only flushes: the caller's service call commits
once, so a shipment, its packages, its codes and the order that asked for them are one
transaction.

Moving: one function per transition of the lifecycle (lifecycle.TABLE): drop_off, accept,
reject, dispatch, arrive, claim, pickup_deadline_passed, pull_out, return_drop_off,
return_to_merchant, cancel (and expire_pickups, the tick); reach_dc records a package's
arrival at the DC (from its origin store, or on its way back) without changing its state.
Each takes the package's tracking number (claim: the shipment's code and the scanned labels)
and an `Actor`, and in one unit of work (`transaction()`: its own, or the caller's it joins):

1. refuses an actor whose role may not do it (NotAllowed, before any lookup);
2. finds the package (PackageNotFound, InvalidCode for a mistyped number);
3. refuses an actor who is not where it must happen (NotYours for a clerk of another branch,
   which reads exactly as PackageNotFound; NotAllowed otherwise);
4. refuses a package in another state (InvalidTransition, 409);
5. moves it with one conditional UPDATE (`... WHERE id IN (...) AND state = :from`): of two
   concurrent attempts exactly one changes the row, the other is refused, on PostgreSQL and
   SQLite alike;
6. writes the event row (who, role, where, terminal, shift, when, detail), gives the branch's
   shelf slot back when the package leaves it for good, and queues the shopper's mail in the
   same transaction (keyed, so it is sent once).

Anything refused changes nothing."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template, url_for
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from shop import clock, codes
from shop.branches.models import Branch, BranchKind
from shop.codes import CodeType
from shop.errors import Conflict, InvalidInput, NotFound
from shop.extensions import db
from shop.fulfillment import packing
from shop.fulfillment.lifecycle import (  # noqa: F401  (service.py is the ECMS's one face)
    RULES,
    SHOP,
    SYSTEM,
    TABLE,
    TRANSITIONS,
    Action,
    Actor,
    InvalidTransition,
    NotAllowed,
    NotYours,
    PackageNotFound,
    Places,
    check_place,
    check_role,
    next_state,
    state_words,
)
from shop.fulfillment.models import Code, Package, PackageEvent, PackageState, PaymentMode, Shipment
from shop.fulfillment.packing import Package as PackedPackage
from shop.notify import service as notify
from shop.timeutil import format_manila
from shop.transaction import transaction

S = PackageState
A = Action

# Built once, on the tables (plain Core, no ORM bulk machinery): create_shipment runs inside
# every checkout, and a statement built per call costs more Python than its round trip.
INSERT_SHIPMENT = sa.insert(Shipment.__table__).returning(Shipment.__table__.c.id)
INSERT_PACKAGES = sa.insert(Package.__table__)


@dataclass(frozen=True)
class Recipient:
    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class Parcel:
    """One package as the order reserved shelf space for it: what its label and the DC's
    inspection need, as plain values that can be kept on the order (see `as_dict`) until the
    shipment is created. Packed once, at order time: an item edited during the payment hold
    can't change how many packages the branch's shelf was reserved for. `lines` says which
    order lines travel in it, ((item_id, quantity), ...), so that a package that goes
    unclaimed, is rejected or returned reverses the commission of its own units only (empty:
    not known, as for a parcel kept on an order placed before it was recorded)."""

    frozen: bool
    weight_g: int
    volume_cm3: int
    contents: str
    lines: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, package: PackedPackage) -> "Parcel":
        counts: dict[int, int] = {}
        for unit in package.units:
            if isinstance(unit.key, int):
                counts[unit.key] = counts.get(unit.key, 0) + 1
        return cls(
            frozen=package.frozen,
            weight_g=package.weight_g,
            volume_cm3=-(-package.volume_mm3 // 1000),
            contents=describe(package),
            lines=tuple(counts.items()),
        )

    def as_dict(self) -> dict:
        return {
            "frozen": self.frozen,
            "weight_g": self.weight_g,
            "volume_cm3": self.volume_cm3,
            "contents": self.contents,
            "lines": [[item_id, quantity] for item_id, quantity in self.lines],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Parcel":
        return cls(
            frozen=bool(data["frozen"]),
            weight_g=int(data["weight_g"]),
            volume_cm3=int(data["volume_cm3"]),
            contents=str(data["contents"]),
            lines=tuple((int(i), int(n)) for i, n in data.get("lines") or ()),
        )


# --- the pickup window ---------------------------------------------------------------------------


def pickup_days() -> int:
    """How many days a package waits at its branch: the PICKUP_DAYS setting (default 7)."""
    return current_app.config["PICKUP_DAYS"]


def pickup_deadline(arrived_at: datetime) -> datetime:
    """When a package that arrived at its branch at `arrived_at` stops waiting for its
    shopper: PICKUP_DAYS whole days later, to the minute, as the shop's other deadlines (the
    payment hold, the PAY CODE) are exact periods too. Returns an aware UTC datetime. From
    then on the package's `pickup_deadline_passed` transition makes it unclaimed (the ECMS
    tick). Raises ValueError for a naive `arrived_at`."""
    if arrived_at.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime (shop.clock.now)")
    return (arrived_at + timedelta(days=pickup_days())).astimezone(UTC)


def arrived_at(package: Package) -> datetime | None:
    """When the package last arrived at its branch (its latest `arrive` event), or None."""
    return next((e.at for e in reversed(package.events) if e.action == "arrive"), None)


def issue_code(
    kind: CodeType,
    *,
    reference: str = "",
    amount: int = 0,
    expires_at: datetime | None = None,
) -> Code:
    """Issue a PAY or RETURN code (CLAIM and REFERENCE codes are drawn with their shipment).
    Its uniqueness is the unique index's job: a code drawn twice (one in 10^12) fails the
    caller's flush or commit with an IntegrityError, and the caller draws again (checkout
    retries the whole order). Adds, never flushes."""
    if kind in (CodeType.TRACKING, CodeType.CLAIM, CodeType.REFERENCE):
        raise ValueError(f"a {kind} code belongs to a package or shipment: see create_shipment")
    code = Code(
        code=codes.generate(kind),
        kind=kind,
        reference=reference,
        amount=amount,
        expires_at=expires_at,
    )
    db.session.add(code)
    return code


def create_shipment(
    *,
    reference: str,
    payment: PaymentMode,
    branch_id: int,
    recipient: Recipient,
    parcels: Iterable[Parcel],
    amount_due: int = 0,
    source: str = "shop",
    actor: str = "system",
) -> "CreatedShipment":
    """Request shipping labels: one package per parcel, each with its own tracking number and
    state label_issued, and the shipment's code: a CLAIM CODE when
    prepaid, a PAY & CLAIM (REFERENCE) code when cash on delivery. Returns the shipment's id
    and that code.

    Written with a few multi-row INSERT statements rather than one ORM object per row: this
    runs inside every checkout. Random numbers are unique by index; a repeat fails the
    statement with an IntegrityError and the caller draws again. Never commits."""
    if payment is PaymentMode.PREPAID and amount_due:
        raise ValueError("a prepaid shipment has nothing due at the counter")
    now = clock.now()
    kind = CodeType.CLAIM if payment is PaymentMode.PREPAID else CodeType.REFERENCE
    code = codes.generate(kind)
    shipment_id = db.session.execute(
        INSERT_SHIPMENT,
        {
            "source": source,
            "reference": reference,
            "payment": payment,
            "code": code,
            "amount_due": amount_due,
            "branch_id": branch_id,
            "recipient_name": recipient.name,
            "recipient_phone": recipient.phone,
            "recipient_email": recipient.email,
            "created_at": now,
        },
    ).scalar_one()
    # A package is born label_issued at created_at: that is its first timeline entry, and
    # events record the transitions after it (see tracking()).
    db.session.execute(
        INSERT_PACKAGES,
        [
            {
                "shipment_id": shipment_id,
                "tracking_number": codes.generate(CodeType.TRACKING),
                "state": PackageState.LABEL_ISSUED,
                "frozen": parcel.frozen,
                "weight_g": parcel.weight_g,
                "volume_cm3": parcel.volume_cm3,
                "contents": parcel.contents,
                "lines": [list(line) for line in parcel.lines] or None,
                "created_at": now,
            }
            for parcel in parcels
        ],
    )
    return CreatedShipment(shipment_id, IssuedCode(code, kind))


@dataclass(frozen=True)
class CreatedShipment:
    id: int
    code: "IssuedCode"  # the CLAIM or REFERENCE code that unlocks it at the counter


def describe(parcel: PackedPackage) -> str:
    """What is in a package, for its label: "2 × Pork Siomai; 1 × Ube Ice Cream"."""
    counts: dict[str, int] = {}
    for unit in parcel.units:
        counts[unit.name] = counts.get(unit.name, 0) + 1
    return "; ".join(f"{n} × {name}" for name, n in counts.items())


def issue_pay_code(reference: str, amount: int, expires_at: datetime) -> Code:
    """A PAY CODE for paying `amount` at any counter before `expires_at`. Adds only."""
    return issue_code(CodeType.PAY, reference=reference, amount=amount, expires_at=expires_at)


def retire_code(code: str) -> None:
    """A code that can no longer be used (its order expired or was cancelled). Flushes only."""
    db.session.execute(
        sa.update(Code).where(Code.code == code).values(live=False),
        execution_options={"synchronize_session": False},
    )


def find_code(code: str, kind: CodeType, *, lock: bool = False) -> Code | None:
    """The PAY or RETURN code row with these bare digits (parse them first), as the database
    has it now; with `lock`, its row locked for the caller's transaction (PostgreSQL)."""
    query = sa.select(Code).where(Code.code == code, Code.kind == kind)
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query.execution_options(populate_existing=True))


def use_code(code_id: int, detail: dict, *, at: datetime | None = None) -> bool:
    """Mark a live code used at a counter `at` (default now; no longer live; who, where and
    what was taken in `detail`). One conditional update: of two uses at once exactly one gets
    True. Flushes only."""
    return (
        db.session.execute(
            sa.update(Code)
            .where(Code.id == code_id, Code.live.is_(True))
            .values(live=False, used_at=at or clock.now(), detail=detail),
            execution_options={"synchronize_session": False},
        ).rowcount
        == 1
    )


@dataclass(frozen=True)
class IssuedCode:
    code: str
    kind: CodeType


def shipment_code(shipment: Shipment) -> IssuedCode:
    """The CLAIM or REFERENCE code of a shipment, with its kind."""
    kind = CodeType.CLAIM if shipment.payment is PaymentMode.PREPAID else CodeType.REFERENCE
    return IssuedCode(shipment.code, kind)


def get_shipment(shipment_id: int) -> Shipment | None:
    return db.session.get(Shipment, shipment_id)


@dataclass(frozen=True)
class PackageFacts:
    """What the commission ledger needs of one package of a shop order (plain values)."""

    tracking_number: str
    state: PackageState
    claimed_at: datetime | None  # its latest claim (a voided claim's package is at_branch)
    lines: tuple[tuple[int, int], ...] | None  # ((item_id, quantity), ...); None: not recorded


def packages_of_orders(order_numbers: Iterable[str]) -> dict[str, list[PackageFacts]]:
    """The packages of the shop's own orders by order number (their shipments' reference), in
    id order, with when each was last claimed: two queries whatever the number of orders. An
    order with no shipment (digital, or not paid yet) is absent. For partners.ledger, which
    asks rather than reading the ECMS's tables."""
    numbers = list(dict.fromkeys(order_numbers))
    if not numbers:
        return {}
    rows = db.session.execute(
        sa.select(
            Shipment.reference,
            Package.id,
            Package.tracking_number,
            Package.state,
            Package.lines,
        )
        .join(Shipment, Shipment.id == Package.shipment_id)
        .where(Shipment.source == "shop", Shipment.reference.in_(numbers))
        .order_by(Package.id)
    ).all()
    claims = (
        dict(
            db.session.execute(
                sa.select(PackageEvent.package_id, sa.func.max(PackageEvent.at))
                .where(
                    PackageEvent.package_id.in_([row.id for row in rows]),
                    PackageEvent.action == A.CLAIM,
                )
                .group_by(PackageEvent.package_id)
            ).all()
        )
        if rows
        else {}
    )
    result: dict[str, list[PackageFacts]] = {}
    for row in rows:
        result.setdefault(row.reference, []).append(
            PackageFacts(
                tracking_number=row.tracking_number,
                state=row.state,
                claimed_at=claims.get(row.id),
                lines=_lines_of(row.lines),
            )
        )
    return result


def _lines_of(value) -> tuple[tuple[int, int], ...] | None:
    return tuple((int(i), int(n)) for i, n in value) if value else None


def _reverse_commission(packages: list[Package], reason: str) -> None:
    """Packages of a shop order that will never reach the shopper (or came back): the
    commission of their units is reversed, in this same transaction (partners.service; a
    shipment of a merchant's earns no commission). Flushes only."""
    shipment = packages[0].shipment
    if shipment.source != "shop":
        return
    # Imported here: partners asks the ECMS (packages_of_orders) when it approves, so the
    # two modules would otherwise import each other.
    from shop.partners import service as partners

    partners.packages_reversed(
        shipment.reference, [(p.tracking_number, _lines_of(p.lines)) for p in packages], reason
    )


def get_package(tracking_number: str) -> Package:
    """A package by its tracking number (spaces and dashes allowed). Raises PackageNotFound or
    codes.InvalidCode."""
    number = codes.parse(tracking_number, CodeType.TRACKING)
    package = db.session.scalar(
        sa.select(Package)
        .where(Package.tracking_number == number)
        .execution_options(populate_existing=True)  # its state as the database has it now
    )
    if package is None:
        raise PackageNotFound()
    return package


# What public tracking says, in a shopper's words: the headline of each state, what comes next,
# and where (the destination branch while it comes or waits; never a person, a phone or a code).
def find_tracked(tracking_number: str) -> Package:
    """The package public tracking shows for a number: a package's own tracking number, or the
    tracking number the kiosk gave its return (kept on the RETURN CODE's row): the same
    package, going back. Raises PackageNotFound alike for both, or codes.InvalidCode."""
    try:
        return get_package(tracking_number)
    except PackageNotFound:
        number = codes.parse(tracking_number, CodeType.TRACKING)
        package_id = db.session.scalar(
            sa.select(Code.package_id).where(
                Code.tracking_number == number, Code.kind == CodeType.RETURN
            )
        )
        package = db.session.get(Package, package_id) if package_id is not None else None
        if package is None:
            raise
        return package


STATE_TEXT = {
    S.LABEL_ISSUED: "Being prepared by the seller",
    S.RECEIVED: "Received at the distribution center",
    S.ACCEPTED: "Checked and accepted at the distribution center",
    S.REJECTED: "Couldn't be sent: it didn't pass the check at the distribution center",
    S.IN_TRANSIT: "On its way to the branch",
    S.AT_BRANCH: "Ready for pickup at the branch",
    S.CLAIMED: "Picked up",
    S.UNCLAIMED: "Not picked up in time",
    S.RETURN_DROPPED_OFF: "Return dropped off at a 7-Eleven branch",
    S.RETURNING: "On its way back to the seller",
    S.RETURNED_TO_MERCHANT: "Returned to the seller",
    S.CANCELLED: "Cancelled before it was sent",
}


@dataclass(frozen=True)
class Stage:
    """One stage of a package's way to the shopper, as tracking lists it."""

    text: str
    status: str  # "done", "current" or "to_come"
    at: datetime | None  # when it was reached (None for a stage still to come)


# The way every package takes to its shopper; other states (rejected, unclaimed, a return)
# leave it, and tracking then shows what happened instead of what was to come.
FORWARD = (S.LABEL_ISSUED, S.RECEIVED, S.ACCEPTED, S.IN_TRANSIT, S.AT_BRANCH, S.CLAIMED)

NEXT_STEP = {
    S.LABEL_ISSUED: "Next: the seller hands it to the distribution center in Pasig.",
    S.RECEIVED: "Next: it is checked at the distribution center.",
    S.ACCEPTED: "Next: it leaves the distribution center for the branch.",
    S.IN_TRANSIT: "Next: it arrives at the branch. This page says when it is ready.",
    S.AT_BRANCH: (
        "Show the code from your order email at the branch's counter. After the deadline it "
        "goes back to the seller."
    ),
    S.CLAIMED: "It is yours: nothing more happens to this package.",
    S.REJECTED: "It won't come to the branch: it goes back to the seller.",
    S.UNCLAIMED: (
        "It can no longer be picked up: the branch hands it to our delivery staff, and it "
        "goes back to the seller."
    ),
    S.RETURN_DROPPED_OFF: "Next: it goes back to the seller through our distribution center.",
    S.RETURNING: "Next: our distribution center hands it back to the seller.",
    S.RETURNED_TO_MERCHANT: "It is back with the seller: nothing more happens to this package.",
    S.CANCELLED: "It won't be sent: nothing more happens to this package.",
}

# Where the page says it is going (or was), by state: the destination branch's name only.
BRANCH_LINE = {
    **dict.fromkeys((S.LABEL_ISSUED, S.RECEIVED, S.ACCEPTED, S.IN_TRANSIT), "Going to {branch}"),
    S.AT_BRANCH: "At {branch}",
    S.CLAIMED: "Picked up at {branch}",
    S.UNCLAIMED: "Waited at {branch}",
}

# What an event says on the timeline when its action says more than its new state.
ACTION_TEXT = {
    A.PULL_OUT: "Handed to our delivery staff to go back to the seller",
    A.SEND_BACK: "Sent back to the seller: it wasn't picked up in time",
}


@dataclass(frozen=True)
class Tracking:
    tracking_number: str
    state_text: str
    branch_name: str
    timeline: list[tuple[datetime, str]]
    pickup_by: datetime | None = None  # while it waits at the branch: its pickup deadline
    stages: tuple[Stage, ...] = ()  # on its way forward: every stage, done and to come
    next_step: str | None = None  # what happens next, in the shopper's words
    branch_line: str | None = None  # "Going to 7-Eleven ...", "Picked up at ..."
    rerouted: bool = False  # it was sent to another branch on its way


def stages(package: Package) -> tuple[Stage, ...]:
    """Every stage of the forward way with its status, when the package is on it; () once it
    has left it (rejected, unclaimed, returning, cancelled): the timeline then tells."""
    if package.state not in FORWARD:
        return ()
    reached = {S.LABEL_ISSUED: package.created_at}
    said = {}
    for event in package.events:
        if event.action in MOVES_AWAY:  # a new destination, not a stage reached
            continue
        reached.setdefault(event.to_state, event.at)
        said.setdefault(event.to_state, event_text(event))
    last = package.events[-1] if package.events else None
    if last is not None and (last.action in MOVES_AWAY or last.action == A.RETURN_TO_DC):
        said[package.state] = event_text(last)  # where it stands now: sent elsewhere, or back
    here = FORWARD.index(package.state)
    return tuple(
        Stage(
            text=said.get(state, STATE_TEXT[state]) if i <= here else STATE_TEXT[state],
            status="done"
            if i < here or state is S.CLAIMED and i == here
            else "current"
            if i == here
            else "to_come",
            at=reached.get(state) if i <= here else None,
        )
        for i, state in enumerate(FORWARD)
    )


def tracking(package: Package) -> Tracking:
    """What public tracking shows: state, destination branch, what comes next and timeline, in
    a shopper's words; no personal data (no names, phones, codes or clerks)."""
    from shop.branches.service import get_branch_by_id

    branch = get_branch_by_id(package.shipment.branch_id)
    pickup_by = None
    if package.state is S.AT_BRANCH:
        arrival = arrived_at(package)
        pickup_by = package.pickup_deadline or (pickup_deadline(arrival) if arrival else None)
    branch_name = branch.name if branch else ""
    line = BRANCH_LINE.get(package.state)
    return Tracking(
        stages=stages(package),
        next_step=_next_step(package),
        tracking_number=package.tracking_number,
        state_text=STATE_TEXT[package.state],
        branch_name=branch_name,
        branch_line=line.format(branch=branch_name) if line and branch_name else None,
        rerouted=any(event.action == "reroute" for event in package.events),
        timeline=[
            *((event.at, event_text(event)) for event in reversed(package.events)),
            (package.created_at, STATE_TEXT[S.LABEL_ISSUED]),
        ],
        pickup_by=pickup_by,
    )


def _next_step(package: Package) -> str | None:
    """What happens next, in the shopper's words: a package called back from a closed branch
    goes on to its new one; a store-to-store parcel (a seller's) is dropped off at a branch and
    taken from there to the DC."""
    if reroute.recalled(package):
        return "Next: the distribution center sends it on to its new branch."
    if package.state is S.LABEL_ISSUED and package.shipment.source.startswith("seller:"):
        return "Next: the seller drops it off at a 7-Eleven branch."
    if package.state is S.RECEIVED and _at_store(package):
        return "Next: the delivery staff take it to the distribution center."
    return NEXT_STEP.get(package.state)


def _at_store(package: Package) -> bool:
    """Is the package at a store (not the DC): dropped off at a counter, not at the DC yet."""
    place = db.session.get(Branch, package.location_id) if package.location_id else None
    return place is not None and place.kind != BranchKind.DC


# A branch closure or the shopper's own choice (reroute.py): what the timeline says of them.
MOVES_AWAY = {
    A.REROUTE: "Sent to another pickup branch",
    A.RECALL: "On its way back to the distribution center (its branch closed)",
}


def event_text(event: PackageEvent) -> str:
    """What one event says on the public timeline, in the shopper's words: what its action
    did when that says more (a pull-out, the tick sending it back, a re-route, whatever its
    states), else its new state (a drop-off at a store counter said as such); no names, no
    personal data."""
    if event.action in MOVES_AWAY:
        return MOVES_AWAY[event.action]
    if event.action == A.RETURN_TO_DC:
        return "Back at the distribution center, to be sent to its new branch"
    if event.action in ACTION_TEXT:
        return ACTION_TEXT[event.action]
    if event.action == A.DROP_OFF and event.branch_id is not None:
        place = db.session.get(Branch, event.branch_id)
        if place is not None and place.kind != BranchKind.DC:
            return "Dropped off at a 7-Eleven branch"
    if event.action == A.REACH_DC and event.to_state is S.RETURNING:
        return "Back at the distribution center, to be returned to the seller"
    return STATE_TEXT.get(event.to_state, "Its journey was updated")


# --- the state machine ---------------------------------------------------------------------------
#
# One function per transition of lifecycle.TABLE (see the module docstring for what each does and
# refuses). Each returns the package (or, for claim, the Claim) as it is after the move.

PACKAGES = Package.__table__


class CodeNotFound(NotFound):
    """We couldn't find that code. Check the digits, or ask for the order number."""

    code = "code_not_found"


class NotArrived(InvalidTransition):
    """That order hasn't arrived at this branch yet."""

    code = "not_arrived"


class LabelMismatch(Conflict):
    """That label is not this order's: scan the label of the package with this order."""

    code = "label_mismatch"


class LabelMissing(Conflict):
    """Scan every package's label before releasing the order."""

    code = "label_missing"


class PickupExpired(Conflict):
    """The pickup deadline passed: the package goes back to the seller."""

    code = "pickup_expired"


class NotDue(Conflict):
    """Its pickup deadline hasn't passed yet."""

    code = "not_due"


class FailsInspection(Conflict):
    """The package doesn't pass inspection: reject it, with the reason."""

    code = "fails_inspection"


@dataclass(frozen=True)
class Inspection:
    """What the DC (or a counter, for a return) measured: outer dimensions in millimetres,
    weight in grams, and whether it is damaged, with an optional note."""

    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int
    damaged: bool = False
    note: str = ""

    def __post_init__(self):
        for name in ("length_mm", "width_mm", "height_mm", "weight_g"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 10_000_000:
                raise InvalidInput("Enter each measurement as a whole positive number.", field=name)
        if not isinstance(self.note, str) or len(self.note) > 500:
            raise InvalidInput("A note is at most 500 characters.", field="note")

    def as_dict(self) -> dict:
        return {
            "length_mm": self.length_mm,
            "width_mm": self.width_mm,
            "height_mm": self.height_mm,
            "weight_g": self.weight_g,
            "damaged": bool(self.damaged),
            "note": self.note,
        }


def inspection_problems(inspection: Inspection, *, returning: bool = False) -> list[str]:
    """Why a package fails inspection (empty when it passes): over the branch limit (30 × 30 ×
    30 cm, 10 kg; a return: 45 × 30 × 30 cm, 10 kg, packing.RETURN_*), or damaged. The limits
    are packing's constants, read when this runs."""
    box = packing.RETURN_BOX_MM if returning else packing.BRANCH_BOX_MM
    weight = packing.RETURN_MAX_WEIGHT_G if returning else packing.BRANCH_MAX_WEIGHT_G
    dimensions = (inspection.length_mm, inspection.width_mm, inspection.height_mm)
    problems = []
    if not packing.fits(dimensions, 0, box, weight):
        problems.append(f"It is larger than {packing.limits_text(box, weight).split(',')[0]}.")
    if inspection.weight_g > weight:
        problems.append(f"It weighs more than {weight / 1000:g} kg.")
    if inspection.damaged:
        problems.append("It is damaged.")
    return problems


def distribution_center_id() -> int | None:
    """The DC's branch id (the one Branch of kind dc), or None before the branches are loaded."""
    return db.session.scalar(
        sa.select(Branch.id).where(Branch.kind == BranchKind.DC).order_by(Branch.id).limit(1)
    )


def _places(package: Package, dc_id: int | None) -> Places:
    return Places(dc_id, package.shipment.branch_id, package.location_id)


def _subject(action: Action, tracking_number: str, actor: Actor) -> tuple[Package, int | None]:
    """The package `actor` may do `action` to, or the refusal, in the order that tells nothing
    to whoever may not know: role (no lookup), package, place, state. Returns it and the DC's
    id."""
    dc_id = distribution_center_id()
    check_role(action, actor, dc_id)
    package = get_package(tracking_number)
    check_place(action, actor, _places(package, dc_id))
    next_state(package.state, action)
    return package, dc_id


def _move(
    packages: list[Package],
    action: Action,
    actor: Actor,
    *,
    values: dict | None = None,
    detail: dict | None = None,
    details: dict[int, dict] | None = None,
    where_id: int | None = None,
    place: str | None = None,
    strict: bool = True,
) -> bool:
    """Move `packages` (all in one state) by `action` with ONE conditional UPDATE (`WHERE id IN
    (...) AND state = :from`), set `values` on them too, and write one event per package.

    All or none: if the UPDATE changed fewer rows than asked (another request moved one of
    them first; on PostgreSQL this one waited for its row lock and then found the new state),
    the rows it did change are put back and the move is refused: InvalidTransition, or False
    when `strict` is off (the tick skips a package another tick took). Flushes only.

    `where_id` is the branch or DC where it happened (default: the actor's); `detail` goes on
    every event, `details` (by package id) on one package's event only."""
    source = packages[0].state
    if any(p.state is not source for p in packages):
        raise ValueError("a move takes packages in one state")
    target = next_state(source, action)
    values = values or {}
    ids = [p.id for p in packages]
    before = {p.id: {key: getattr(p, key) for key in values} for p in packages}
    moved = set(
        db.session.execute(
            sa.update(PACKAGES)
            .where(PACKAGES.c.id.in_(ids), PACKAGES.c.state == source)
            .values(state=target, **values)
            .returning(PACKAGES.c.id)
        ).scalars()
    )
    if len(moved) != len(ids):
        for package_id in sorted(moved):  # in id order, as every writer locks them
            db.session.execute(
                sa.update(PACKAGES)
                .where(PACKAGES.c.id == package_id)
                .values(state=source, **before[package_id])
            )
        if not strict:
            return False
        raise InvalidTransition(
            "Someone else just moved that package: look it up again to see where it is now."
        )
    now = clock.now()
    where_id = actor.branch_id if where_id is None else where_id
    if place is None:
        branch = db.session.get(Branch, where_id) if where_id is not None else None
        place = branch.name if branch is not None else ""
    written = []
    for package in packages:
        set_committed_value(package, "state", target)
        for key, value in values.items():
            set_committed_value(package, key, value)
        event = PackageEvent(
            package=package,
            action=str(action),
            from_state=source,
            to_state=target,
            actor=actor.name[:120],
            place=place[:120],
            at=now,
            actor_id=actor.user_id,
            actor_role=actor.role,
            branch_id=where_id,
            terminal=actor.terminal,
            shift=actor.shift,
            detail={**(detail or {}), **((details or {}).get(package.id) or {})},
        )
        db.session.add(event)
        written.append((package, event))
    db.session.flush()
    _tell_merchant(written)
    return True


def _tell_merchant(moves: list[tuple[Package, PackageEvent]]) -> None:
    """A merchant's shipment moved: its `shipment.<state>` events, in this same transaction
    (shop.merchants.events; the shop's own orders and sellers' parcels publish nothing)."""
    # Imported here: merchants reads the ECMS's models and services.
    from shop.merchants import events

    events.packages_moved(moves)


def _give_back_shelf(shipment: Shipment, packages: int) -> None:
    """The shelf slots the order reserved at its branch (branches.reserve, at order time) come
    back when packages can no longer come to it or stay on it: claimed, rejected, cancelled,
    pulled out after going unclaimed (docs/decisions.md, "ECMS state machine")."""
    from shop.branches import service as branches

    if packages:
        branches.release(shipment.branch_id, packages)


def transition(
    package: Package,
    action: str,
    *,
    actor: Actor | str = "system",
    place: str = "",
    detail: dict | None = None,
) -> None:
    """Move one package by `action` with no check of who or where, no mail and no shelf: the
    bare state change and its event (an arrival also sets the place and pickup deadline).
    For tests, demos and data repair only; screens and services call the named functions
    below, which check the actor. Raises InvalidTransition (and changes nothing). Flushes
    only."""
    if isinstance(actor, str):
        actor = Actor(role=SYSTEM, name=actor)
    next_state(package.state, action)
    values = {}
    if action in (A.DROP_OFF, A.REACH_DC):  # handed in where the actor is (default: the DC)
        values = {"location_id": actor.branch_id or distribution_center_id()}
    if action == A.ARRIVE:
        values = {
            "location_id": package.shipment.branch_id,
            "pickup_deadline": pickup_deadline(clock.now()),
        }
    _move([package], Action(action), actor, values=values, detail=detail, place=place)


@transaction()
def drop_off(tracking_number: str, actor: Actor, *, detail: dict | None = None) -> Package:
    """label_issued → received: the package is handed in where the actor works (the DC, or a
    branch's counter for a store-to-store or merchant drop-off) and is there now. DC, clerk or
    admin (an admin without a branch takes it in at the DC)."""
    package, dc_id = _subject(A.DROP_OFF, tracking_number, actor)
    here = actor.branch_id if actor.branch_id is not None else dc_id
    _move([package], A.DROP_OFF, actor, values={"location_id": here}, where_id=here, detail=detail)
    return package


class NotAtDC(Conflict):
    """That package isn't at the distribution center yet: scan it in at Receive first."""

    code = "not_at_dc"


class AlreadyAtDC(Conflict):
    """That package is already at the distribution center."""

    code = "already_at_dc"


@transaction()
def reach_dc(tracking_number: str, actor: Actor) -> Package:
    """A package reaches the DC and is there now (location = the DC), its state unchanged: a
    package received at a store's counter (store-to-store: the origin branch handed it to the
    delivery staff), or one returning to its merchant (it joins the APO). One event (action
    reach_dc, where it came from in its detail). Raises AlreadyAtDC for a package already
    there. DC or admin, at the DC."""
    package, dc_id = _subject(A.REACH_DC, tracking_number, actor)
    if dc_id is None or package.location_id == dc_id:
        raise AlreadyAtDC(
            f"That package is already at the distribution center: it is "
            f"{state_words(package.state)}."
        )
    came_from = package.location_id
    detail = {"from": package_place_name(came_from)} if came_from is not None else None
    _move(
        [package],
        A.REACH_DC,
        actor,
        values={"location_id": dc_id},
        where_id=dc_id,
        detail=detail,
    )
    return package


def _at_dc(package: Package, dc_id: int | None) -> None:
    """Inspection happens at the DC: a package still at the store it was dropped off at
    (store-to-store) must reach it first (reach_dc)."""
    if dc_id is None or package.location_id != dc_id:
        raise NotAtDC()


@transaction()
def accept(tracking_number: str, actor: Actor, *, inspection: Inspection) -> Package:
    """received → accepted at the DC's inspection; the measurements go on the event. Raises
    FailsInspection (naming why) for a package over the branch limit or damaged: reject it;
    NotAtDC for a package not at the DC yet (still at its origin branch). DC or admin, at the
    DC."""
    package, dc_id = _subject(A.ACCEPT, tracking_number, actor)
    _at_dc(package, dc_id)
    problems = inspection_problems(inspection)
    if problems:
        raise FailsInspection(" ".join([*problems, "Reject it, with the reason."]))
    _move(
        [package],
        A.ACCEPT,
        actor,
        values={"location_id": dc_id},
        where_id=dc_id,
        detail={"inspection": inspection.as_dict()},
    )
    return package


@transaction()
def reject(
    tracking_number: str, actor: Actor, *, reason: str, inspection: Inspection | None = None
) -> Package:
    """received → rejected at the DC's inspection, with the reason (and what was measured).
    The branch's shelf slot comes back; the shopper is told. DC or admin, at the DC. Raises
    InvalidInput for a missing reason."""
    package, dc_id = _subject(A.REJECT, tracking_number, actor)
    _at_dc(package, dc_id)
    reason = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not 3 <= len(reason) <= 500:
        raise InvalidInput("Say why the package is rejected (3 to 500 characters).", field="reason")
    detail = {"reason": reason}
    if inspection is not None:
        detail["inspection"] = inspection.as_dict()
    _move([package], A.REJECT, actor, values={"location_id": dc_id}, where_id=dc_id, detail=detail)
    _give_back_shelf(package.shipment, 1)
    _reverse_commission([package], "rejected")
    _mail(
        package.shipment,
        "rejected",
        key=f"package-rejected-{package.tracking_number}",
        packages=[package],
        reason=reason,
    )
    return package


@transaction()
def dispatch(tracking_number: str, actor: Actor, *, detail: dict | None = None) -> Package:
    """accepted → in_transit: it leaves the DC for its branch (on a truck: no place until it
    arrives). `detail` is room for the trip and its manifest. DC or admin, at the DC."""
    package, dc_id = _subject(A.DISPATCH, tracking_number, actor)
    _move([package], A.DISPATCH, actor, values={"location_id": None}, where_id=dc_id, detail=detail)
    return package


@transaction()
def arrive(tracking_number: str, actor: Actor) -> Package:
    """in_transit → at_branch: the destination branch's clerk takes it in; its pickup deadline
    is set (pickup_deadline(now)) and the shopper is told where and until when. The shelf slot
    was reserved when the order was placed. A clerk of another branch gets NotYours."""
    package, _ = _subject(A.ARRIVE, tracking_number, actor)
    if reroute.recalled(package):  # called back from a closed branch: it goes to the DC first
        raise InvalidTransition("That package is on its way back to the distribution center.")
    shipment = package.shipment
    # Its destination, read again under the shipment's row lock: a re-route (which takes the
    # same lock first) either went before, and this clerk's branch is no longer it, or waits.
    if _locked_destination(shipment) != shipment.branch_id:
        raise InvalidTransition("That package was just sent to another branch.")
    deadline = pickup_deadline(clock.now())
    _move(
        [package],
        A.ARRIVE,
        actor,
        values={"location_id": shipment.branch_id, "pickup_deadline": deadline},
        where_id=shipment.branch_id,
    )
    branch = db.session.get(Branch, shipment.branch_id)
    _mail(
        shipment,
        "ready",
        # Once per package and branch: a package re-routed to another branch is news again.
        key=f"package-ready-{package.tracking_number}-{shipment.branch_id}",
        packages=[package],
        branch_name=branch.name,
        deadline=deadline,
        subject=f"Ready for pickup at {branch.name} until {format_manila(deadline)}",
    )
    _text(
        shipment,
        "ready",
        key=f"sms-package-ready-{package.tracking_number}-{shipment.branch_id}",
        packages=[package],
        branch_name=branch.name,
        deadline=deadline,
    )
    return package


def _locked_destination(shipment: Shipment) -> int | None:
    """The shipment's branch as the database has it now, its row locked (PostgreSQL) until the
    caller's transaction ends."""
    return db.session.scalar(
        sa.select(Shipment.branch_id).where(Shipment.id == shipment.id).with_for_update()
    )


# --- the claim: a shipment's code, then every package's label ------------------------------------

ON_THE_WAY = (S.LABEL_ISSUED, S.RECEIVED, S.ACCEPTED, S.IN_TRANSIT)


def find_shipment(code: str, actor: Actor) -> Shipment:
    """The shipment a CLAIM or PAY & CLAIM (REFERENCE) code unlocks, for a clerk of its branch
    (an admin: any). Raises codes.InvalidCode for a mistyped code (its check digit, before any
    lookup), CodeNotFound alike for an unknown code and another branch's, NotAllowed for a
    role that doesn't release packages."""
    check_role(A.CLAIM, actor, distribution_center_id())
    number = codes.parse(code, (CodeType.CLAIM, CodeType.REFERENCE))
    shipment = db.session.scalar(
        sa.select(Shipment)
        .options(lazyload(Shipment.packages))  # check_claim reads them fresh, and only them
        .where(Shipment.code == number)
        .execution_options(populate_existing=True)
    )
    if shipment is None:
        raise CodeNotFound()
    if actor.role == "clerk" and shipment.branch_id != actor.branch_id:
        raise CodeNotFound()  # another branch's: said exactly as an unknown code
    return shipment


@dataclass(frozen=True)
class ClaimCheck:
    """Where a counter's claim stands: what the code unlocks and which labels are still to
    scan. `complete` when every package at the branch has been scanned and none is still on
    its way: then `claim` releases them."""

    shipment: Shipment
    code_kind: CodeType
    amount_due: int  # centavos to collect in cash (0 when prepaid)
    to_release: tuple[Package, ...]  # at the branch, waiting for the shopper
    scanned: tuple[Package, ...]  # their labels scanned so far
    missing: tuple[Package, ...]  # at the branch, label not scanned yet
    on_the_way: tuple[Package, ...]  # not at the branch yet: the order waits for them

    @property
    def complete(self) -> bool:
        return bool(self.to_release) and not self.missing and not self.on_the_way


def check_claim(code: str, scanned: Iterable[str], actor: Actor) -> ClaimCheck:
    """What releasing the order of `code` needs at this counter, given the labels `scanned`
    so far (tracking numbers as scanned or typed). Changes nothing.

    Raises as find_shipment; codes.InvalidCode for a mistyped label; LabelMismatch for a label
    of another package; InvalidTransition when nothing of the order is waiting at the branch
    (already picked up, gone back, cancelled); NotArrived when it is still on its way;
    PickupExpired once a package's pickup deadline has passed."""
    shipment = find_shipment(code, actor)
    packages = list(
        db.session.scalars(
            sa.select(Package)
            .options(lazyload(Package.events))  # a release reads no history
            .where(Package.shipment_id == shipment.id)
            .order_by(Package.id)
            .execution_options(populate_existing=True)
        )
    )
    if isinstance(scanned, str):  # one label, not its digits one by one
        scanned = [scanned]
    numbers = {codes.parse(label, CodeType.TRACKING) for label in scanned}
    ours = {p.tracking_number: p for p in packages}
    strangers = sorted(numbers - set(ours))
    if strangers:
        raise LabelMismatch(
            f"The label {codes.group(strangers[0])} is not this order's: scan the label of the "
            "package with this order."
        )
    to_release = tuple(p for p in packages if p.state is S.AT_BRANCH)
    on_the_way = tuple(p for p in packages if p.state in ON_THE_WAY)
    if not to_release:
        if on_the_way:
            raise NotArrived("This order hasn't arrived at the branch yet.")
        state = packages[0].state if packages else S.CANCELLED
        raise InvalidTransition(
            "Already picked up." if state is S.CLAIMED else f"This order is {state_words(state)}."
        )
    now = clock.now()
    late = [p for p in to_release if p.pickup_deadline is not None and p.pickup_deadline <= now]
    if late:
        raise PickupExpired(
            f"The pickup deadline passed on {format_manila(late[0].pickup_deadline)}: "
            "the package goes back to the seller."
        )
    kind = shipment_code(shipment).kind
    return ClaimCheck(
        shipment=shipment,
        code_kind=kind,
        amount_due=shipment.amount_due if shipment.payment is PaymentMode.COD else 0,
        to_release=to_release,
        scanned=tuple(p for p in to_release if p.tracking_number in numbers),
        missing=tuple(p for p in to_release if p.tracking_number not in numbers),
        on_the_way=on_the_way,
    )


@dataclass(frozen=True)
class Claim:
    """What a release did, read before the commit (plain values, safe after it): the order,
    the packages released, the cash taken and the change given (None when prepaid)."""

    shipment_id: int
    reference: str
    tracking_numbers: tuple[str, ...]
    branch_id: int
    amount_due: int
    cash_received: int | None
    change: int | None


@transaction()
def claim(
    code: str,
    scanned: Iterable[str],
    actor: Actor,
    *,
    cash_received: int | None = None,
    id_type: str | None = None,
    checked: ClaimCheck | None = None,
) -> Claim:
    """at_branch → claimed for every package of the order at once: the shopper's CLAIM CODE
    (prepaid) or PAY & CLAIM (REFERENCE) code, every package's label scanned, and for cash on
    delivery the cash received (centavos, at least the amount due; the change is computed).
    The order is released whole: a package still on its way, or a label not scanned, stops it
    and is named. One conditional UPDATE moves them all, so of two clerks releasing the same
    order at once exactly one does (the other gets InvalidTransition). The shelf slots come
    back and the shopper is told. The event of the order's first package carries the money
    (amount due, cash received, change); every event carries the code's kind, the ID type and
    the labels scanned.

    Raises as check_claim; LabelMissing naming the first label not scanned; NotArrived naming
    a package still on its way; InvalidInput (field cash_received) for cash missing, short or
    given for a prepaid order."""
    # `checked`: the check_claim(code, scanned, actor) the caller just made in this same
    # transaction (the counter's step), not made twice; the move stays conditional.
    check = checked if checked is not None else check_claim(code, scanned, actor)
    if check.on_the_way:
        first = check.on_the_way[0]
        raise NotArrived(
            f"Package {codes.group(first.tracking_number)} of this order hasn't arrived yet: "
            "the order is released when every package is here."
        )
    if check.missing:
        first = check.missing[0]
        n = check.to_release.index(first) + 1
        raise LabelMissing(
            f"Scan the label of package {n} of {len(check.to_release)} too: "
            f"{codes.group(first.tracking_number)}."
        )
    change = None
    if check.amount_due:
        if isinstance(cash_received, bool) or not isinstance(cash_received, int):
            raise InvalidInput("Enter the cash received.", field="cash_received")
        if cash_received < check.amount_due:
            raise InvalidInput(
                "The cash received is less than the amount due.", field="cash_received"
            )
        change = cash_received - check.amount_due
    elif cash_received:
        raise InvalidInput("This order is paid: take no cash.", field="cash_received")
    else:
        cash_received = None
    if id_type is not None and (not isinstance(id_type, str) or len(id_type.strip()) > 40):
        raise InvalidInput("Name the ID in at most 40 characters.", field="id_type")
    packages = list(check.to_release)
    shipment = check.shipment
    detail = {
        "code_kind": str(check.code_kind),
        "scanned": [p.tracking_number for p in packages],
        "id_type": id_type.strip() if id_type else None,
    }
    money = {"amount_due": check.amount_due, "cash_received": cash_received, "change": change}
    branch = db.session.get(Branch, shipment.branch_id)
    _move(
        packages,
        A.CLAIM,
        actor,
        values={"location_id": None},
        where_id=shipment.branch_id,
        place=branch.name,
        detail=detail,
        details={packages[0].id: money},
    )
    _give_back_shelf(shipment, len(packages))
    _mail(
        shipment,
        "claimed",
        key=f"shipment-claimed-{shipment.id}-{'-'.join(str(p.id) for p in packages)}",
        packages=packages,
        shipment_packages=len(packages),  # known here: no need to load them again
        branch_name=branch.name,
        cash_received=cash_received,
        change=change,
        amount_due=check.amount_due,
    )
    return Claim(
        shipment_id=shipment.id,
        reference=shipment.reference,
        tracking_numbers=tuple(p.tracking_number for p in packages),
        branch_id=shipment.branch_id,
        amount_due=check.amount_due,
        cash_received=cash_received,
        change=change,
    )


def shipment_claimed(shipment: Shipment) -> bool:
    """True once every package of the shipment that was meant to reach the shopper has been
    claimed (a package rejected at inspection or cancelled never will, and doesn't count); a
    package claimed and later returned was claimed. False for a shipment with none claimed."""
    return not packages_to_claim(shipment) and any(_was_claimed(p) for p in shipment.packages)


def packages_to_claim(shipment: Shipment) -> list[Package]:
    """The packages of the shipment not claimed (yet), in order: what keeps it from being
    claimed, each with its tracking number and state so a screen can name it."""
    return [
        p
        for p in shipment.packages
        if not _was_claimed(p) and p.state not in (S.REJECTED, S.CANCELLED)
    ]


def _was_claimed(package: Package) -> bool:
    return package.state is S.CLAIMED or any(e.action == A.CLAIM for e in package.events)


# --- time, returns, cancel -----------------------------------------------------------------------


@transaction()
def pickup_deadline_passed(tracking_number: str, actor: Actor) -> Package:
    """at_branch → unclaimed once its pickup deadline has passed: the shop's clock only
    (Actor.system()). It stays on the branch's shelf until pulled out. The shopper is told.
    Raises NotDue before the deadline. The tick does this in batches: expire_pickups."""
    package, _ = _subject(A.PICKUP_DEADLINE_PASSED, tracking_number, actor)
    if package.pickup_deadline is None or package.pickup_deadline > clock.now():
        raise NotDue()
    _unclaimed(package, actor)
    return package


def _unclaimed(package: Package, actor: Actor, *, strict: bool = True) -> bool:
    moved = _move(
        [package], A.PICKUP_DEADLINE_PASSED, actor, where_id=package.location_id, strict=strict
    )
    if moved:
        _reverse_commission([package], "unclaimed")
        branch = db.session.get(Branch, package.shipment.branch_id)
        _mail(
            package.shipment,
            "unclaimed",
            key=f"package-unclaimed-{package.tracking_number}",
            packages=[package],
            branch_name=branch.name,
            deadline=package.pickup_deadline,
        )
    return moved


def expire_pickups(now: datetime | None = None, batch: int = 200) -> int:
    """The tick: every package at its branch whose pickup deadline passed (up to `batch`,
    soonest deadline first) becomes unclaimed, with its event and mail. Safe when several
    ticks run at once: on PostgreSQL the rows are taken with FOR UPDATE SKIP LOCKED (a second
    tick takes others instead of waiting), and each move is a conditional update, so even
    without row locks (SQLite) each package is moved once. Returns how many moved. Runs its
    own transaction (or joins the caller's)."""
    now = now or clock.now()
    actor = Actor.system()
    moved = 0
    with transaction():
        for package in due_packages(S.AT_BRANCH, now, batch):
            moved += _unclaimed(package, actor, strict=False)
    return moved


def due_packages(state: PackageState, deadline_by: datetime, batch: int) -> list[Package]:
    """A tick's batch: up to `batch` packages in `state` whose pickup deadline is at or before
    `deadline_by`, soonest first, taken FOR UPDATE SKIP LOCKED (a second tick takes others
    instead of waiting) and read fresh, in id order; those another writer moved meanwhile are
    left out. The caller moves each by a conditional update (strict=False), so without row
    locks (SQLite) each is still moved once. Call inside a transaction."""
    ids = db.session.scalars(
        sa.select(Package.id)
        .where(Package.state == state, Package.pickup_deadline <= deadline_by)
        .order_by(Package.pickup_deadline, Package.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        return []
    packages = db.session.scalars(
        sa.select(Package)
        .where(Package.id.in_(ids))
        .order_by(Package.id)
        .execution_options(populate_existing=True)
    ).all()
    return [p for p in packages if p.state is state]


def unclaimed_return_period() -> timedelta:
    """How long an unclaimed package waits for its branch's pull_out before the tick sends it
    back itself: the UNCLAIMED_RETURN_HOURS setting (default 24; 0: at once)."""
    return timedelta(hours=current_app.config["UNCLAIMED_RETURN_HOURS"])


@transaction()
def send_back(tracking_number: str, actor: Actor) -> Package:
    """unclaimed → returning by the shop's clock (Actor.system()) once UNCLAIMED_RETURN_HOURS
    have passed since the pickup deadline and no clerk has pulled it out: its shelf slot comes
    back and it is on its way back to the seller (no place until the DC's APO). Raises NotDue
    before then. The tick does this in batches (shop.fulfillment.timing.send_back_unclaimed)."""
    package, _ = _subject(A.SEND_BACK, tracking_number, actor)
    due = package.pickup_deadline
    if due is None or due + unclaimed_return_period() > clock.now():
        raise NotDue("It waits for its branch to hand it over until its grace period ends.")
    _sent_back(package, actor)
    return package


def _sent_back(package: Package, actor: Actor, *, strict: bool = True) -> bool:
    holder = package.location_id
    moved = _move(
        [package],
        A.SEND_BACK,
        actor,
        values={"location_id": None},
        where_id=holder,
        strict=strict,
    )
    if moved:
        _give_back_shelf(package.shipment, 1)
    return moved


@transaction()
def pull_out(tracking_number: str, actor: Actor, *, detail: dict | None = None) -> Package:
    """unclaimed or return_dropped_off → returning: the branch holding it hands it to the
    delivery staff going back to the DC (no place until the DC's APO). An unclaimed package
    gives its shelf slot back now (a return never held one). Clerk of the branch holding it,
    or admin."""
    package, _ = _subject(A.PULL_OUT, tracking_number, actor)
    was = package.state
    holder = package.location_id
    _move(
        [package], A.PULL_OUT, actor, values={"location_id": None}, where_id=holder, detail=detail
    )
    if was is S.UNCLAIMED:
        _give_back_shelf(package.shipment, 1)
    return package


@transaction()
def return_drop_off(
    tracking_number: str,
    actor: Actor,
    *,
    inspection: Inspection | None = None,
    detail: dict | None = None,
) -> Package:
    """claimed → return_dropped_off: a shopper hands a claimed package back at a branch's
    counter; it is there now. With `inspection`, a package over the return limit (45 × 30 ×
    30 cm, 10 kg) is refused (FailsInspection). `detail` is room for the RETURN CODE, the
    return's tracking number and the AR. The shopper is told it was received. Clerk (at their
    branch) or admin."""
    package, _ = _subject(A.RETURN_DROP_OFF, tracking_number, actor)
    extra = dict(detail or {})
    if inspection is not None:
        problems = inspection_problems(inspection, returning=True)
        if problems:
            raise FailsInspection(" ".join([*problems, "A return can't be taken in like this."]))
        extra["inspection"] = inspection.as_dict()
    here = actor.branch_id
    _move(
        [package],
        A.RETURN_DROP_OFF,
        actor,
        values={"location_id": here},
        where_id=here,
        detail=extra,
    )
    # The moment a return is certain: the package is back in the network (a RETURN CODE
    # asked for at the kiosk may never be used).
    _reverse_commission([package], "returned")
    _mail(
        package.shipment,
        "return_received",
        key=f"package-return-received-{package.tracking_number}",
        packages=[package],
        branch_name=package_place_name(here),
    )
    return package


@transaction()
def return_to_merchant(
    tracking_number: str, actor: Actor, *, detail: dict | None = None
) -> Package:
    """returning → returned_to_merchant: the APO's release at the DC hands it to its merchant.
    `detail` is room for the APO number. DC or admin, at the DC."""
    package, dc_id = _subject(A.RETURN_TO_MERCHANT, tracking_number, actor)
    _move(
        [package],
        A.RETURN_TO_MERCHANT,
        actor,
        values={"location_id": None},
        where_id=dc_id,
        detail=detail,
    )
    return package


@transaction()
def cancel(tracking_number: str, actor: Actor, *, reason: str = "") -> Package:
    """label_issued → cancelled, before drop-off: the shipment's owner (Actor.shop(...), after
    checking the shipment is theirs) or an operator. Its shelf slot comes back."""
    package, _ = _subject(A.CANCEL, tracking_number, actor)
    _cancel([package], actor, reason)
    return package


@transaction()
def cancel_shipment(shipment_id: int, actor: Actor, *, reason: str = "") -> list[Package]:
    """Cancel every package of a shipment, all or none: refused (InvalidTransition) once any
    of them has been dropped off. Their shelf slots come back. For the shipment's owner
    (Actor.shop) or an operator. Raises NotFound for an unknown shipment."""
    check_role(A.CANCEL, actor, None)
    shipment = db.session.get(Shipment, shipment_id, populate_existing=True)
    if shipment is None:
        raise NotFound("There is no such shipment.")
    packages = list(shipment.packages)
    for package in packages:
        db.session.refresh(package, ["state"])
        next_state(package.state, A.CANCEL)
    _cancel(packages, actor, reason)
    return packages


def _cancel(packages: list[Package], actor: Actor, reason: str) -> None:
    reason = " ".join(reason.split())[:500] if isinstance(reason, str) else ""
    _move(
        packages,
        A.CANCEL,
        actor,
        values={"location_id": None},
        detail={"reason": reason} if reason else None,
    )
    _give_back_shelf(packages[0].shipment, len(packages))
    _reverse_commission(packages, "cancelled")


def package_place_name(branch_id: int | None) -> str:
    branch = db.session.get(Branch, branch_id) if branch_id is not None else None
    return branch.name if branch is not None else ""


# --- what the shopper is told --------------------------------------------------------------------

MAIL_SUBJECTS = {
    "reminder": "Reminder: your CLiQQ Shop package waits for you",
    "rerouted": "Your CLiQQ Shop order goes to another branch",
    "rejected": "Your CLiQQ Shop package couldn't be sent",
    "claimed": "Picked up: your CLiQQ Shop order",
    "unclaimed": "Not picked up: your CLiQQ Shop package goes back",
    "return_received": "Your return was received",
}


def _mail(
    shipment: Shipment, event: str, *, key: str, packages, subject: str | None = None, **facts
) -> None:
    """Queue the shopper's mail about `event` (templates/fulfillment/mail/<event>.txt) in the
    caller's transaction: it goes out, through the outbox, only if the move is saved, and once
    per `key` however often the caller runs. It carries the public tracking link of each
    package and promises no other message."""
    if not shipment.recipient_email:
        return
    if "shipment_packages" not in facts:
        facts["shipment_packages"] = len(shipment.packages)
    text = render_template(
        f"fulfillment/mail/{event}.txt",
        name=shipment.recipient_name,
        reference=shipment.reference,
        code=shipment_code(shipment),
        payment=shipment.payment.value,
        amount_due_now=shipment.amount_due if shipment.payment is PaymentMode.COD else 0,
        packages=[(p.tracking_number, tracking_link(p.tracking_number)) for p in packages],
        texts=_texts_to(shipment),  # a text goes with it: the mail may say so, never otherwise
        **facts,
    )
    notify.enqueue_mail(shipment.recipient_email, subject or MAIL_SUBJECTS[event], text, key=key)


def _texts_to(shipment: Shipment) -> bool:
    """True when the shopper's messages about this shipment also go by text: a sender is
    configured and the shipment has a phone number."""
    return bool(shipment.recipient_phone) and notify.texts_enabled()


def _text(shipment: Shipment, event: str, *, key: str, packages, **facts) -> None:
    """Queue the shopper's text message about `event` (templates/fulfillment/sms/<event>.txt)
    next to its mail, in the caller's transaction: only when a text sender is configured
    (notify.texts_enabled()) and the shipment has a phone number. Once per `key`."""
    if not _texts_to(shipment):
        return
    text = render_template(
        f"fulfillment/sms/{event}.txt",
        reference=shipment.reference,
        code=shipment_code(shipment),
        amount_due_now=shipment.amount_due if shipment.payment is PaymentMode.COD else 0,
        packages=[(p.tracking_number, tracking_link(p.tracking_number)) for p in packages],
        **facts,
    )
    notify.enqueue_sms(shipment.recipient_phone, " ".join(text.split()), key=key)


def notify_reminder(package: Package) -> None:
    """Queue the pickup reminder of a package waiting at its branch (mail, and a text when a
    sender is configured): once per package and pickup deadline (a re-routed package has a new
    deadline, and is reminded again). Flushes only: the tick's batch commits it."""
    shipment = package.shipment
    deadline = package.pickup_deadline
    branch = db.session.get(Branch, shipment.branch_id)
    stamp = deadline.astimezone(UTC).strftime("%Y%m%dT%H%M")
    facts = {"branch_name": branch.name, "deadline": deadline}
    _mail(
        shipment,
        "reminder",
        key=f"package-reminder-{package.tracking_number}-{stamp}",
        packages=[package],
        subject=f"Reminder: pick up your package at {branch.name} by {format_manila(deadline)}",
        **facts,
    )
    _text(
        shipment,
        "reminder",
        key=f"sms-package-reminder-{package.tracking_number}-{stamp}",
        packages=[package],
        **facts,
    )


def notify_rerouted(
    shipment: Shipment,
    old_branch: Branch,
    new_branch: Branch,
    *,
    packages: Iterable[Package] | None = None,
    reason: str = "",
    recalled: int = 0,
    change_link: str | None = None,
    move_id: int | None = None,
) -> None:
    """Tell the shopper their order now goes to `new_branch` instead of `old_branch`: a mail,
    and a text when a sender is configured, queued in the caller's transaction (the
    re-route's), once per move (`move_id`, e.g. the move's last event id; default: once per
    shipment and new branch). `packages`: those moved (default: every package of the
    shipment); `reason`: reroute.CLOSED, reroute.CHOSEN or a short public reason; `recalled`:
    how many were called back from the old branch's shelf; `change_link`: where the shopper
    may pick another branch (their order page), if any. The codes stay the same, and the mail
    says so. Flushes only."""
    moved = list(packages) if packages is not None else list(shipment.packages)
    facts = {
        "old_branch": old_branch.name,
        "new_branch": new_branch.name,
        "new_branch_address": getattr(new_branch, "address", "") or "",
        "reason": " ".join(str(reason).split())[:200],
        "recalled": recalled,
        "choose_link": change_link,
    }
    key = f"shipment-rerouted-{shipment.id}-{new_branch.id if move_id is None else move_id}"
    _mail(
        shipment,
        "rerouted",
        key=key,
        packages=moved,
        subject=f"Your pickup branch is now {new_branch.name}",
        **facts,
    )
    _text(shipment, "rerouted", key=f"sms-{key}", packages=moved, **facts)


def tracking_link(number: str) -> str:
    """A package's public tracking page, in full: on SHOP_URL when set, else on the address of
    the request being served (outside a request, on http://localhost)."""
    base = current_app.config.get("SHOP_URL")
    if base is None and has_request_context():
        return url_for("fulfillment.track", tracking_number=number, _external=True)
    parts = urlsplit(base or "http://localhost")
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build("fulfillment.track", {"tracking_number": number}, force_external=True)


# Imported last, as they build on the functions above, and still the ECMS's one face: branch
# closure and re-routing (shop/fulfillment/reroute.py: close_branch, reopen_branch,
# closure_preview, change_branch, return_to_dc), reached as ecms.reroute.<function>; returns
# (shop/fulfillment/returns.py: the kiosk's RETURN CODE, the counter's acceptance, the return
# label), as ecms.returns.<function>; voiding a mistaken release (shop/fulfillment/voids.py,
# which uses _move and find_shipment).
from shop.fulfillment import reroute, returns  # noqa: E402, F401
from shop.fulfillment.voids import (  # noqa: E402, F401
    NotYourRelease,
    Voided,
    VoidTooLate,
    void_claim,
    void_minutes,
)
