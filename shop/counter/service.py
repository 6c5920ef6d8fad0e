"""The distribution center screen's operations (issue #10, point 3): receive, inspect,
dispatch a trip. Every package movement goes through the ECMS (shop.fulfillment.service),
which checks who, where and which state; this module adds the screen's own rules: parsing
what the clerk typed, grouping the accepted packages into trips, and the trip itself."""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shop import clock, codes
from shop.branches.models import Branch
from shop.codes import CodeType
from shop.counter import apo
from shop.counter.apo import (  # noqa: F401  (the APO's operations, through this service)
    ApoChanged,
    ApoNotFound,
    create_apo,
    get_apo,
    merchant_name,
    recent_apos,
    release_apo,
    returning_groups,
)
from shop.counter.models import Trip
from shop.counter.remittance import as_csv as remittance_csv  # noqa: F401  (counter's face)
from shop.counter.remittance import report as remittance_report  # noqa: F401
from shop.errors import Conflict, InvalidInput, NotFound
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PackageState, Shipment
from shop.transaction import transaction

MAX_TRIP_PACKAGES = 500
COUNTER_TEXT_LENGTH = 32  # a terminal or shift name
MEASURE_LENGTH = 12  # a measurement as typed
NOTE_LENGTH = 500  # an inspection's note


class NoCounter(Conflict):
    """Choose your terminal and shift first."""

    code = "no_counter"


class TripNotFound(NotFound):
    """There is no trip with that number."""

    code = "trip_not_found"


class TripChanged(Conflict):
    """A package of this trip changed meanwhile: nothing was dispatched. Look at the list again."""

    code = "trip_changed"


@dataclass(frozen=True)
class Handled:
    """What the screen says after a scan: what the package is and where it goes."""

    tracking_number: str
    state: PackageState
    contents: str
    frozen: bool
    weight_g: int
    destination: str
    reason: str = ""  # a rejection's reason
    came_from: str = ""  # the store it was dropped off at, when it came from one
    merchant: str = ""  # a package going back: whose APO it joins


def _handled(package: Package, reason: str = "", came_from: str = "") -> Handled:
    branch = db.session.get(Branch, package.shipment.branch_id)
    returning = package.state is PackageState.RETURNING
    return Handled(
        tracking_number=package.tracking_number,
        state=package.state,
        contents=package.contents,
        frozen=package.frozen,
        weight_g=package.weight_g,
        destination=branch.name if branch is not None else "",
        reason=reason,
        came_from=came_from,
        merchant=apo.merchant_name(package.shipment.source) if returning else "",
    )


def counter_of(terminal, shift) -> tuple[str, str]:
    """A terminal ("DC-1") and shift ("2") as the clerk typed them: 1 to 32 characters each."""
    cleaned = []
    for name, value in (("terminal", terminal), ("shift", shift)):
        text = " ".join(value.split()) if isinstance(value, str) else ""
        if not 1 <= len(text) <= COUNTER_TEXT_LENGTH or not text.isprintable():
            raise InvalidInput(
                f"Enter the {name} (1 to {COUNTER_TEXT_LENGTH} characters).", field=name
            )
        cleaned.append(text)
    return cleaned[0], cleaned[1]


def receive(tracking_number, actor: ecms.Actor) -> Handled:
    """A package handed in at the DC. A merchant's, at label_issued: dropped off here
    (received). One received at a store's counter (store-to-store), brought by the delivery
    staff, or one going back to its merchant (returning): it reaches the DC (an event; its
    state stays), ready for inspection or the APO. One called back from a closed branch's shelf
    (in_transit, ecms.reroute): in_transit → accepted, ready to dispatch again. A mistyped
    number is refused by its check digit before any lookup (codes.parse); the role is checked
    before the lookup too."""
    number = codes.parse(tracking_number, CodeType.TRACKING)
    ecms.check_role(ecms.A.REACH_DC, actor, ecms.distribution_center_id())
    found = ecms.get_package(number)
    if found.state in (PackageState.RECEIVED, PackageState.RETURNING):
        came_from = ecms.package_place_name(found.location_id)
        return _handled(ecms.reach_dc(number, actor), came_from=came_from)
    if found.state is PackageState.IN_TRANSIT:
        return _handled(ecms.reroute.return_to_dc(number, actor))
    return _handled(ecms.drop_off(number, actor))


def _measure(value, field: str, unit: str, scale: int) -> int:
    """A measurement typed in `unit` (a decimal point allowed) as a whole number of the
    smaller unit (`scale` of them per `unit`): "25.5" cm → 255 mm."""
    text = value.strip().replace(",", ".") if isinstance(value, str) else ""
    try:
        number = Decimal(text) if 0 < len(text) <= MEASURE_LENGTH else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number <= 0 or number > 100_000:
        raise InvalidInput(f"Enter the {field} in {unit}, like 25 or 25.5.", field=field)
    whole = int((number * scale).to_integral_value())
    if whole < 1:
        raise InvalidInput(f"Enter the {field} in {unit}, like 25 or 25.5.", field=field)
    return whole


def inspection_of(length, width, height, weight, damaged: bool, note) -> ecms.Inspection:
    """The inspection as the screen takes it: dimensions in cm, weight in kg."""
    note = " ".join(note.split()) if isinstance(note, str) else ""
    if len(note) > NOTE_LENGTH:
        raise InvalidInput(f"A note is at most {NOTE_LENGTH} characters.", field="note")
    return ecms.Inspection(
        length_mm=_measure(length, "length", "cm", 10),
        width_mm=_measure(width, "width", "cm", 10),
        height_mm=_measure(height, "height", "cm", 10),
        weight_g=_measure(weight, "weight", "kg", 1000),
        damaged=bool(damaged),
        note=note,
    )


def inspect(
    tracking_number, actor: ecms.Actor, inspection: ecms.Inspection, *, reject: bool = False
) -> Handled:
    """received → accepted, or rejected: the ECMS's rule (inspection_problems) decides; a
    package over the limit or damaged is rejected with the reason it names (and the clerk's
    note). The clerk may also reject one that passes (`reject`), saying why in the note."""
    number = codes.parse(tracking_number, CodeType.TRACKING)
    problems = ecms.inspection_problems(inspection)
    if not problems and not reject:
        return _handled(ecms.accept(number, actor, inspection=inspection))
    reason = " ".join([*problems, inspection.note]).strip()
    if not problems and len(inspection.note) < 3:
        raise InvalidInput("Say in the note why you reject it.", field="note")
    package = ecms.reject(number, actor, reason=reason, inspection=inspection)
    return _handled(package, reason)


@dataclass(frozen=True)
class Group:
    """Accepted packages at the DC bound for one branch, in one kind of truck."""

    destination_id: int
    destination: str
    cold: bool
    packages: tuple[Package, ...]

    @property
    def weight_g(self) -> int:
        return sum(p.weight_g for p in self.packages)


def accepted_groups() -> list[Group]:
    """The accepted packages waiting at the DC, by destination branch, frozen ones in groups
    of their own (cold trips). One query."""
    rows = db.session.execute(
        sa.select(Package, Branch.id, Branch.name)
        .join(Shipment, Shipment.id == Package.shipment_id)
        .join(Branch, Branch.id == Shipment.branch_id)
        .where(Package.state == PackageState.ACCEPTED)
        .order_by(Branch.name, Branch.id, Package.frozen.desc(), Package.id)
        .options(sa.orm.lazyload(Package.events), sa.orm.lazyload(Package.shipment))
    ).all()
    groups: dict[tuple[int, bool], list] = {}
    names: dict[int, str] = {}
    for package, branch_id, name in rows:
        groups.setdefault((branch_id, package.frozen), []).append(package)
        names[branch_id] = name
    return [
        Group(branch_id, names[branch_id], cold, tuple(packages))
        for (branch_id, cold), packages in groups.items()
    ]


def _trip_number() -> str:
    return f"T-{clock.now().strftime('%Y%m%d')}-{secrets.randbelow(10**6):06d}"


TRIP_NUMBER_ATTEMPTS = 5


class TripNumbersBusy(Conflict):
    """No free trip number could be drawn: try again."""

    code = "trip_numbers_busy"


def _new_trip(actor: ecms.Actor, destination_id: int, cold: bool) -> Trip:
    """A new trip row with a fresh random number; a number drawn twice (one in a million a day)
    fails the unique index inside a savepoint and is drawn again. Flushes only."""
    for _ in range(TRIP_NUMBER_ATTEMPTS):
        trip = Trip(
            number=_trip_number(),
            destination_id=destination_id,
            cold=cold,
            created_by_id=actor.user_id,
            created_by=actor.name[:120],
            terminal=actor.terminal,
            shift=actor.shift,
            created_at=clock.now(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(trip)
        except IntegrityError:
            continue
        return trip
    raise TripNumbersBusy()


@transaction()
def dispatch_trip(
    actor: ecms.Actor, destination_id: int, cold: bool, tracking_numbers: Iterable[str]
) -> Trip:
    """One trip: the listed accepted packages (as the screen showed them) leave for one
    branch together, accepted → in_transit, in ONE transaction: if any of them changed
    meanwhile, isn't bound there or isn't of the trip's kind (frozen in a cold trip, the rest
    in an ordinary one), nothing is dispatched (TripChanged)."""
    numbers = []
    for typed in tracking_numbers:
        numbers.append(codes.parse(typed, CodeType.TRACKING))
    numbers = list(dict.fromkeys(numbers))
    if not numbers or len(numbers) > MAX_TRIP_PACKAGES:
        raise InvalidInput("Choose the packages of the trip.", field="packages")
    ecms.check_role(ecms.A.DISPATCH, actor, ecms.distribution_center_id())
    packages = db.session.scalars(
        sa.select(Package)
        .join(Shipment, Shipment.id == Package.shipment_id)
        .where(Package.tracking_number.in_(numbers))
        .where(Shipment.branch_id == destination_id, Package.frozen.is_(bool(cold)))
        .where(Package.state == PackageState.ACCEPTED)
        .order_by(Package.id)
        .execution_options(populate_existing=True)
    ).all()
    if len(packages) != len(numbers):
        raise TripChanged()
    trip = _new_trip(actor, destination_id, bool(cold))
    for package in packages:
        try:
            ecms.dispatch(package.tracking_number, actor, detail={"trip": trip.number})
        except ecms.InvalidTransition:
            raise TripChanged() from None
    db.session.execute(
        sa.update(Package).where(Package.id.in_([p.id for p in packages])).values(trip_id=trip.id),
        execution_options={"synchronize_session": False},
    )
    db.session.flush()
    return trip


def units(contents: str) -> int:
    """How many items a package holds, from its contents ("2 × Siomai; 1 × Ube" → 3)."""
    total = 0
    for part in (contents or "").split("; "):
        count, _, _ = part.partition(" × ")
        total += int(count) if count.isdigit() else (1 if part else 0)
    return total


def get_trip(number) -> Trip:
    text = number.strip().upper() if isinstance(number, str) else ""
    trip = (
        db.session.scalar(sa.select(Trip).where(Trip.number == text))
        if 0 < len(text) <= 20
        else None
    )
    if trip is None:
        raise TripNotFound()
    return trip


def recent_trips(limit: int = 10) -> list[Trip]:
    return list(
        db.session.scalars(
            sa.select(Trip)
            .order_by(Trip.id.desc())
            .limit(limit)
            .options(sa.orm.lazyload(Trip.packages))
        )
    )


# The counter (POS) screen's operations live in their own module; this is their one face too.
from shop.counter.pos import (  # noqa: E402, F401
    CASH_LENGTH,
    ID_TYPES,
    MAX_LABELS,
    SIGNATURE_MAX_BYTES,
    ClaimPanel,
    NoPanel,
    ReceiptNotFound,
    Released,
    SignatureMissing,
    arrivals,
    arrive,
    arrive_trip,
    business_date,
    claim_step,
    code_of,
    drop_off,
    get_receipt,
    issue_receipt,
    open_claim,
    pull_out,
    pull_out_all,
    pull_outs,
    void_release,
)

# The PAY CODE and RETURN CODE panels' operations, likewise.
from shop.counter.pos_codes import (  # noqa: E402, F401
    Charged,
    Returned,
    open_pay,
    open_return,
    pay_step,
    return_step,
)
