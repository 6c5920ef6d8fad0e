"""The ECMS: the one place that issues tracking numbers and codes, creates shipments and their
packages, and moves packages through their states. The shop's checkout, the counter screens
and the merchant API all call these functions.

Every function here only flushes: the caller's service call commits once, so a shipment, its
packages, its codes and the order that asked for them are one transaction."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from shop import clock, codes
from shop.codes import CodeType
from shop.errors import Conflict, NotFound
from shop.extensions import db
from shop.fulfillment.models import Code, Package, PackageEvent, PackageState, PaymentMode, Shipment
from shop.fulfillment.packing import Package as PackedPackage

S = PackageState

# (state, action) -> next state: the whole package lifecycle of DESIGN.md.
TRANSITIONS: dict[tuple[PackageState, str], PackageState] = {
    (S.LABEL_ISSUED, "drop_off"): S.RECEIVED,
    (S.LABEL_ISSUED, "cancel"): S.CANCELLED,
    (S.RECEIVED, "accept"): S.ACCEPTED,
    (S.RECEIVED, "reject"): S.REJECTED,
    (S.ACCEPTED, "dispatch"): S.IN_TRANSIT,
    (S.IN_TRANSIT, "arrive"): S.AT_BRANCH,
    (S.AT_BRANCH, "claim"): S.CLAIMED,
    (S.AT_BRANCH, "pickup_deadline_passed"): S.UNCLAIMED,
    (S.UNCLAIMED, "pull_out"): S.RETURNING,
    (S.CLAIMED, "return_drop_off"): S.RETURN_DROPPED_OFF,
    (S.RETURN_DROPPED_OFF, "pull_out"): S.RETURNING,
    (S.RETURNING, "return_to_merchant"): S.RETURNED_TO_MERCHANT,
}


# Built once, on the tables (plain Core, no ORM bulk machinery): create_shipment runs inside
# every checkout, and a statement built per call costs more Python than its round trip.
INSERT_SHIPMENT = sa.insert(Shipment.__table__).returning(Shipment.__table__.c.id)
INSERT_PACKAGES = sa.insert(Package.__table__)


class InvalidTransition(Conflict):
    """That can't be done to the package in its current state."""

    code = "invalid_state"


class PackageNotFound(NotFound):
    """There is no package with that tracking number."""

    code = "package_not_found"


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
    can't change how many packages the branch's shelf was reserved for."""

    frozen: bool
    weight_g: int
    volume_cm3: int
    contents: str

    @classmethod
    def of(cls, package: PackedPackage) -> "Parcel":
        return cls(
            frozen=package.frozen,
            weight_g=package.weight_g,
            volume_cm3=-(-package.volume_mm3 // 1000),
            contents=describe(package),
        )

    def as_dict(self) -> dict:
        return {
            "frozen": self.frozen,
            "weight_g": self.weight_g,
            "volume_cm3": self.volume_cm3,
            "contents": self.contents,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Parcel":
        return cls(
            frozen=bool(data["frozen"]),
            weight_g=int(data["weight_g"]),
            volume_cm3=int(data["volume_cm3"]),
            contents=str(data["contents"]),
        )


def next_state(state: PackageState, action: str) -> PackageState:
    """The state `action` leads to from `state`. Raises InvalidTransition."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransition(
            f"A package that is {state.value.replace('_', ' ')} can't be "
            f"{action.replace('_', ' ')}."
        ) from None


def transition(package: Package, action: str, *, actor: str = "system", place: str = "") -> None:
    """Move a package by `action`, recording who, where and when. Raises InvalidTransition
    (and changes nothing). Flushes only."""
    new = next_state(package.state, action)
    db.session.add(
        PackageEvent(
            package=package,
            action=action,
            from_state=package.state,
            to_state=new,
            actor=actor,
            place=place,
        )
    )
    package.state = new
    db.session.flush()


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


def get_package(tracking_number: str) -> Package:
    """A package by its tracking number (spaces and dashes allowed). Raises PackageNotFound or
    codes.InvalidCode."""
    number = codes.parse(tracking_number, CodeType.TRACKING)
    package = db.session.scalar(sa.select(Package).where(Package.tracking_number == number))
    if package is None:
        raise PackageNotFound()
    return package


STATE_TEXT = {
    S.LABEL_ISSUED: "Label issued: being prepared by the seller",
    S.RECEIVED: "Received at the distribution center",
    S.ACCEPTED: "Checked and accepted at the distribution center",
    S.REJECTED: "Rejected at inspection",
    S.IN_TRANSIT: "On its way to the branch",
    S.AT_BRANCH: "Ready for pickup at the branch",
    S.CLAIMED: "Picked up",
    S.UNCLAIMED: "Not picked up in time",
    S.RETURN_DROPPED_OFF: "Return dropped off",
    S.RETURNING: "On its way back to the seller",
    S.RETURNED_TO_MERCHANT: "Returned to the seller",
    S.CANCELLED: "Cancelled",
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


def stages(package: Package) -> tuple[Stage, ...]:
    """Every stage of the forward way with its status, when the package is on it; () once it
    has left it (rejected, unclaimed, returning, cancelled): the timeline then tells."""
    if package.state not in FORWARD:
        return ()
    reached = {S.LABEL_ISSUED: package.created_at}
    for event in package.events:
        reached.setdefault(event.to_state, event.at)
    here = FORWARD.index(package.state)
    return tuple(
        Stage(
            text=STATE_TEXT[state],
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
    """What public tracking shows: state, destination branch and timeline; no personal data."""
    from shop.branches.service import get_branch_by_id

    branch = get_branch_by_id(package.shipment.branch_id)
    arrival = arrived_at(package) if package.state is S.AT_BRANCH else None
    return Tracking(
        stages=stages(package),
        next_step=NEXT_STEP.get(package.state),
        tracking_number=package.tracking_number,
        state_text=STATE_TEXT[package.state],
        branch_name=branch.name if branch else "",
        timeline=[
            *((event.at, STATE_TEXT[event.to_state]) for event in reversed(package.events)),
            (package.created_at, STATE_TEXT[S.LABEL_ISSUED]),
        ],
        pickup_by=pickup_deadline(arrival) if arrival else None,
    )
