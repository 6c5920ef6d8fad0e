"""The counter (POS) screen's operations (issue #10, point 4): arrivals, the claim of a CLAIM
or PAY & CLAIM (REFERENCE) code, the Acknowledgement Receipt, voiding a mistaken release,
drop-offs. Every package movement goes through the ECMS (shop.fulfillment.service), which
checks who, where and which state; this module adds the counter's own rules: what the clerk
typed, the ID and the signature a claim asks for, the receipts and their numbers.

Re-exported by counter/service.py (the counter feature's one face)."""

import base64
import binascii
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from shop import clock, codes
from shop.branches.models import Branch
from shop.codes import CodeType
from shop.counter.models import ClaimSignature, Receipt, ReceiptKind, Trip
from shop.errors import Conflict, InvalidInput, NotFound
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PackageEvent, PackageState, Shipment
from shop.money import Money
from shop.timeutil import MANILA
from shop.transaction import transaction

# The IDs a clerk checks the recipient's name against (seed 004), the first one preselected.
ID_TYPES = (
    "Government-issued ID",
    "PhilSys national ID",
    "Driver's license",
    "Passport",
    "UMID",
    "Postal ID",
    "Company or school ID",
)
CASH_LENGTH = 16  # cash received, as typed ("1,000.00")
MAX_CASH = 100_000_00  # centavos: ₱100,000 is more than any counter takes for one order
SIGNATURE_MAX_BYTES = 64 * 1024  # a drawn signature's PNG
SIGNATURE_MAX_CHARS = 4 * (SIGNATURE_MAX_BYTES // 3) + 64  # its data: URL
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX = "data:image/png;base64,"
MAX_LABELS = 50  # labels one claim carries (more packages than any shelf order)
RECEIPT_NUMBER_LENGTH = 40


class ReceiptNotFound(NotFound):
    """There is no receipt with that number."""

    code = "receipt_not_found"


class SignatureMissing(InvalidInput):
    """This branch asks for the shopper's signature: ask them to sign on the screen first."""

    code = "signature_missing"


class NoPanel(InvalidInput):
    """That number opens nothing in the code box: key in the shopper's code."""

    code = "no_panel"

    def __init__(self, kind: CodeType):
        if kind is CodeType.TRACKING:
            message = (
                "That is a package's tracking number: scan it under Arrivals or Drop-off, "
                "or key in the shopper's code here."
            )
        else:
            message = f"The code box doesn't take {kind.label}s: key in the shopper's code."
        super().__init__(message, field="code")


class ReceiptNumbersBusy(Conflict):
    """The receipt couldn't be numbered just now: try again."""

    code = "receipt_busy"


def business_date(moment=None) -> date:
    """The counter's business date: the Manila calendar day of `moment` (default now)."""
    return (moment or clock.now()).astimezone(MANILA).date()


# --- what the clerk typed ------------------------------------------------------------------------


def cash_of(typed) -> int | None:
    """Cash received as typed ("500", "1,000.50", "₱ 200"), in centavos; None when blank."""
    text = typed.strip() if isinstance(typed, str) else ""
    if not text:
        return None
    try:
        money = Money.parse(text) if len(text) <= CASH_LENGTH else None
    except ValueError:
        money = None
    if money is None or not 0 < money.centavos <= MAX_CASH:
        raise InvalidInput(
            "Enter the cash received in pesos, like 500 or 1,000.", field="cash_received"
        )
    return money.centavos


def id_type_of(typed) -> str:
    """The ID the clerk checked the name against: one of ID_TYPES."""
    if isinstance(typed, str) and typed in ID_TYPES:
        return typed
    raise InvalidInput("Choose the ID the shopper showed.", field="id_type")


def signature_of(typed) -> bytes | None:
    """A signature drawn on the pad as the page sends it: a PNG data: URL, decoded and checked
    (its size, base64, the PNG signature); None when blank."""
    if typed is None or typed == "":
        return None
    bad = InvalidInput(
        "The signature couldn't be read: ask the shopper to sign again.", field="signature"
    )
    if not isinstance(typed, str) or len(typed) > SIGNATURE_MAX_CHARS:
        raise bad
    if not typed.startswith(DATA_URL_PREFIX):
        raise bad
    try:
        png = base64.b64decode(typed[len(DATA_URL_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise bad from None
    if not png.startswith(PNG_MAGIC) or not 64 <= len(png) <= SIGNATURE_MAX_BYTES:
        raise bad
    return png


def labels_of(values) -> list[str]:
    """The labels scanned so far (tracking numbers), each parsed; at most MAX_LABELS."""
    values = [v for v in values if isinstance(v, str) and v.strip()]
    if len(values) > MAX_LABELS:
        raise InvalidInput("Too many labels for one order.", field="label")
    return list(dict.fromkeys(codes.parse(v, CodeType.TRACKING) for v in values))


def code_of(typed) -> tuple[str, CodeType]:
    """A code as keyed in or scanned at the counter, any kind: its digits and its kind (from
    the first digit). A typo is refused by the check digit (codes.parse), before any lookup."""
    digits = codes.parse(typed)
    return digits, codes.kind_of(digits)


# --- the claim -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimPanel:
    """What the claim panel shows for a code and the labels scanned so far."""

    code: str
    code_kind: CodeType
    recipient_name: str
    reference: str
    amount_due: int  # centavos, 0 when prepaid
    count: int  # packages to release
    scanned: tuple[str, ...]
    missing: tuple[str, ...]
    signature_required: bool

    @property
    def cod(self) -> bool:
        return self.amount_due > 0

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def next_label(self) -> str:
        """The next missing label, said as the clerk needs it: "package 2 of 3: 7xxx xxxx xxxx"."""
        if not self.missing:
            return ""
        all_numbers = [*self.scanned, *self.missing]
        ordered = sorted(all_numbers, key=lambda n: self._order.index(n))
        first = self.missing[0]
        return f"package {ordered.index(first) + 1} of {self.count}: {codes.group(first)}"

    _order: tuple[str, ...] = ()


def open_claim(code, labels, actor: ecms.Actor) -> ClaimPanel:
    """What the claim panel shows (see _open_claim). Changes nothing."""
    return _open_claim(code, labels, actor)[0]


def _open_claim(code, labels, actor: ecms.Actor) -> tuple[ClaimPanel, ecms.ClaimCheck]:
    """Where the claim of `code` stands with `labels` scanned: who collects, what is due, which
    label comes next, and the ECMS's check it was read from. Changes nothing. Raises as
    ecms.check_claim (CodeNotFound alike for an
    unknown code and another branch's; InvalidTransition "Already picked up."; NotArrived;
    PickupExpired; LabelMismatch for a label of another package)."""
    number = codes.parse(code, (CodeType.CLAIM, CodeType.REFERENCE))
    scanned = labels_of(labels)
    check = ecms.check_claim(number, scanned, actor)
    if check.on_the_way:
        first = check.on_the_way[0]
        raise ecms.NotArrived(
            f"Package {codes.group(first.tracking_number)} of this order hasn't arrived yet: "
            "the order is released when every package is here."
        )
    shipment = check.shipment
    branch = db.session.get(Branch, shipment.branch_id)
    panel = ClaimPanel(
        code=number,
        code_kind=check.code_kind,
        recipient_name=shipment.recipient_name,
        reference=shipment.reference,
        amount_due=check.amount_due,
        count=len(check.to_release),
        scanned=tuple(p.tracking_number for p in check.scanned),
        missing=tuple(p.tracking_number for p in check.missing),
        signature_required=bool(branch is not None and branch.signature_required),
        _order=tuple(p.tracking_number for p in check.to_release),
    )
    return panel, check


@dataclass(frozen=True)
class Released:
    """A release done at the counter: the ECMS's Claim and, for cash on delivery, the AR."""

    claim: ecms.Claim
    code: str
    recipient_name: str
    receipt: Receipt | None


@transaction()
def claim_step(
    code,
    labels,
    actor: ecms.Actor,
    *,
    label=None,
    cash_received=None,
    id_type=None,
    signature=None,
) -> "ClaimPanel | Released":
    """One step of a claim at the counter, the labels scanned so far in `labels` and the one
    just scanned in `label` (blank only once every label is in): while a label
    is missing, or the cash of a cash-on-delivery order isn't entered yet, the panel that says
    what comes next (nothing changes); then the release: ecms.claim (at_branch → claimed, the
    ID type on the event), for cash on delivery the Acknowledgement Receipt, and where the
    branch asks for it the shopper's drawn signature kept with the claim event. One
    transaction: a refusal anywhere leaves everything as it was.

    Raises as open_claim and ecms.claim; SignatureMissing where the branch asks for a
    signature and none came; InvalidInput for a bad ID type, cash or signature."""
    scanned = [*labels, label] if isinstance(label, str) and label.strip() else list(labels)
    panel, check = _open_claim(code, scanned, actor)
    if not panel.complete and scanned == list(labels):
        raise InvalidInput(f"Scan {panel.next_label}.", field="label")
    id_type = id_type_of(id_type)
    cash = cash_of(cash_received)
    if not panel.complete or (panel.cod and cash is None):
        return panel
    png = signature_of(signature)
    if panel.signature_required and png is None:
        raise SignatureMissing()
    claim = ecms.claim(
        panel.code, panel.scanned, actor, cash_received=cash, id_type=id_type, checked=check
    )
    receipt = None
    if claim.cash_received is not None:
        receipt = issue_receipt(
            ReceiptKind.AR,
            branch_id=claim.branch_id,
            actor=actor,
            shipment_id=claim.shipment_id,
            code=panel.code,
            reference=claim.reference,
            amount_due=claim.amount_due,
            cash_received=claim.cash_received,
            change=claim.change,
            lines=[{"text": f"Package {codes.group(n)}"} for n in claim.tracking_numbers],
        )
    if png is not None:
        event_id = db.session.scalar(
            sa.select(PackageEvent.id)
            .join(Package, Package.id == PackageEvent.package_id)
            .where(
                Package.tracking_number == claim.tracking_numbers[0],
                PackageEvent.action == str(ecms.Action.CLAIM),
            )
            .order_by(PackageEvent.id.desc())
            .limit(1)
        )
        db.session.add(
            ClaimSignature(
                event_id=event_id, shipment_id=claim.shipment_id, png=png, created_at=clock.now()
            )
        )
        db.session.flush()
    return Released(claim, panel.code, panel.recipient_name, receipt)


@dataclass(frozen=True)
class VoidedRelease:
    voided: ecms.Voided
    receipt: Receipt | None


@transaction()
def void_release(code, actor: ecms.Actor, reason) -> VoidedRelease:
    """Void a mistaken release (ecms.void_claim: the same clerk, within VOID_MINUTES, with a
    reason) and mark its AR void, the cash taken back shown on it."""
    number = codes.parse(code, (CodeType.CLAIM, CodeType.REFERENCE))
    voided = ecms.void_claim(number, actor, reason=reason)
    receipt = db.session.scalar(
        sa.select(Receipt)
        .where(
            Receipt.shipment_id == voided.shipment_id,
            Receipt.kind == ReceiptKind.AR,
            Receipt.voided_at.is_(None),
        )
        .order_by(Receipt.id.desc())
        .limit(1)
    )
    if receipt is not None:
        receipt.voided_at = clock.now()
        receipt.voided_by_id = actor.user_id
        receipt.voided_by = actor.name[:120]
        receipt.void_reason = voided.reason
        db.session.flush()
    return VoidedRelease(voided, receipt)


# --- receipts ------------------------------------------------------------------------------------


def issue_receipt(
    kind: ReceiptKind | str,
    *,
    branch_id: int,
    actor: ecms.Actor,
    shipment_id: int | None = None,
    code: str | None = None,
    reference: str = "",
    amount_due: int = 0,
    cash_received: int | None = None,
    change: int | None = None,
    lines: list[dict] | None = None,
) -> Receipt:
    """A numbered counter receipt (AR for a COD claim, "return" for a return taken in,
    "charge" for a PAY CODE paid), recording branch, terminal, shift, clerk and the Manila
    business date. Its number is `<AR|RR|CR>-<branch code>-<YYYYMMDD>-<seq, 4 digits>`, the
    sequence per branch, business date and kind; two counters numbering at once are kept
    apart by the unique index (the loser draws the next number, in a savepoint). Flushes only:
    the caller's transaction commits it with what it acknowledges."""
    kind = ReceiptKind(kind)
    branch = db.session.get(Branch, branch_id)
    if branch is None:
        raise ValueError(f"no branch {branch_id}")
    now = clock.now()
    day = business_date(now)
    for _ in range(5):
        seq = (
            db.session.scalar(
                sa.select(sa.func.max(Receipt.seq)).where(
                    Receipt.branch_id == branch_id,
                    Receipt.business_date == day,
                    Receipt.kind == kind,
                )
            )
            or 0
        ) + 1
        receipt = Receipt(
            number=f"{kind.prefix}-{branch.code}-{day:%Y%m%d}-{seq:04d}",
            kind=kind,
            seq=seq,
            branch_id=branch_id,
            business_date=day,
            shipment_id=shipment_id,
            code=code,
            reference=reference or "",
            amount_due=amount_due,
            cash_received=cash_received,
            change=change,
            lines=list(lines or []),
            terminal=actor.terminal,
            shift=actor.shift,
            clerk_id=actor.user_id,
            clerk_name=actor.name[:120],
            created_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(receipt)
        except IntegrityError:
            continue  # another counter took this number meanwhile
        return receipt
    raise ReceiptNumbersBusy()


def get_receipt(number, actor: ecms.Actor) -> Receipt:
    """A receipt by its number, for a clerk of its branch or an operator; ReceiptNotFound
    alike for an unknown number and another branch's."""
    text = number.strip().upper() if isinstance(number, str) else ""
    receipt = None
    if 0 < len(text) <= RECEIPT_NUMBER_LENGTH and text.isascii() and text.isprintable():
        receipt = db.session.scalar(sa.select(Receipt).where(Receipt.number == text))
    if receipt is None or (actor.role != "admin" and receipt.branch_id != actor.branch_id):
        raise ReceiptNotFound()
    return receipt


# --- arrivals and drop-offs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Arrivals:
    """What is on its way to this branch: the trips (their packages still in transit) and the
    packages travelling without a trip."""

    trips: tuple[tuple[Trip, tuple[Package, ...]], ...]
    loose: tuple[Package, ...]
    branch_name: str = ""  # the counter's branch ("" for an operator)

    @property
    def count(self) -> int:
        return len(self.loose) + sum(len(p) for _, p in self.trips)


def arrivals(actor: ecms.Actor, limit: int = 200) -> Arrivals:
    """The packages in transit to the actor's branch, by trip (one query for the packages, one
    for their trips). An operator (no branch) sees none: they scan a label instead."""
    if actor.branch_id is None:
        return Arrivals((), ())
    branch = db.session.get(Branch, actor.branch_id)
    packages = db.session.scalars(
        sa.select(Package)
        .join(Shipment, Shipment.id == Package.shipment_id)
        .where(Shipment.branch_id == actor.branch_id, Package.state == PackageState.IN_TRANSIT)
        .order_by(Package.trip_id, Package.id)
        .limit(limit)
        .options(lazyload(Package.events), lazyload(Package.shipment))
    ).all()
    trip_ids = sorted({p.trip_id for p in packages if p.trip_id is not None})
    trips = (
        {
            t.id: t
            for t in db.session.scalars(
                sa.select(Trip)
                .where(Trip.id.in_(trip_ids))
                .options(lazyload(Trip.packages), lazyload(Trip.destination))
            )
        }
        if trip_ids
        else {}
    )
    grouped: dict[int, list[Package]] = {}
    loose = []
    for package in packages:
        if package.trip_id in trips:
            grouped.setdefault(package.trip_id, []).append(package)
        else:
            loose.append(package)
    return Arrivals(
        tuple((trips[t], tuple(grouped[t])) for t in trip_ids if t in grouped),
        tuple(loose),
        branch.name if branch is not None else "",
    )


@dataclass(frozen=True)
class Moved:
    """What a scan at the counter did to packages: their numbers and what happens next."""

    tracking_numbers: tuple[str, ...]
    what: str  # "arrived", "dropped_off"
    deadline: object = None  # an arrival's pickup deadline


def arrive(tracking_number, actor: ecms.Actor) -> Moved:
    """A package of an arriving trip, its label scanned: in_transit → at_branch."""
    number = codes.parse(tracking_number, CodeType.TRACKING)
    package = ecms.arrive(number, actor)
    return Moved((package.tracking_number,), "arrived", package.pickup_deadline)


@transaction()
def arrive_trip(trip_number, actor: ecms.Actor) -> Moved:
    """Every package of a trip still in transit to the actor's branch taken in at once, in one
    transaction (all or none)."""
    text = trip_number.strip().upper() if isinstance(trip_number, str) else ""
    trip = (
        db.session.scalar(
            sa.select(Trip).options(lazyload(Trip.packages)).where(Trip.number == text)
        )
        if 0 < len(text) <= 20
        else None
    )
    if trip is None or (actor.role != "admin" and trip.destination_id != actor.branch_id):
        raise ecms.PackageNotFound("There is no trip with that number coming here.")
    numbers = db.session.scalars(
        sa.select(Package.tracking_number)
        .where(Package.trip_id == trip.id, Package.state == PackageState.IN_TRANSIT)
        .order_by(Package.id)
    ).all()
    if not numbers:
        raise ecms.InvalidTransition("Every package of this trip has been taken in already.")
    deadline = None
    for number in numbers:
        deadline = ecms.arrive(number, actor).pickup_deadline
    return Moved(tuple(numbers), "arrived", deadline)


# --- pull-out: what goes back to the DC with the delivery staff ---------------------------------

GOING_BACK = (PackageState.UNCLAIMED, PackageState.RETURN_DROPPED_OFF)


@dataclass(frozen=True)
class PullOuts:
    """The packages on this branch's shelf that go back to the DC: unclaimed (their pickup
    deadline passed) and returns taken in at this counter."""

    unclaimed: tuple[Package, ...]
    returns: tuple[Package, ...]

    @property
    def count(self) -> int:
        return len(self.unclaimed) + len(self.returns)


def pull_outs(actor: ecms.Actor, limit: int = 200) -> PullOuts:
    """What the actor's branch holds to hand to the delivery staff (one query). An operator
    (no branch) sees none: they scan a label instead."""
    if actor.branch_id is None:
        return PullOuts((), ())
    packages = db.session.scalars(
        sa.select(Package)
        .where(Package.location_id == actor.branch_id, Package.state.in_(GOING_BACK))
        .order_by(Package.id)
        .limit(limit)
        .options(lazyload(Package.events), lazyload(Package.shipment))
    ).all()
    return PullOuts(
        tuple(p for p in packages if p.state is PackageState.UNCLAIMED),
        tuple(p for p in packages if p.state is PackageState.RETURN_DROPPED_OFF),
    )


def pull_out(tracking_number, actor: ecms.Actor) -> Moved:
    """One package handed to the delivery staff going back to the DC, its label scanned:
    unclaimed or return_dropped_off → returning."""
    number = codes.parse(tracking_number, CodeType.TRACKING)
    package = ecms.pull_out(number, actor)
    return Moved((package.tracking_number,), "pulled_out")


@transaction()
def pull_out_all(_typed, actor: ecms.Actor) -> Moved:
    """Every package the branch holds to go back, handed over at once, in one transaction (all
    or none: one that changed meanwhile stops them all, and the list is shown again)."""
    listed = pull_outs(actor)
    numbers = [p.tracking_number for p in (*listed.unclaimed, *listed.returns)]
    if not numbers:
        raise ecms.InvalidTransition("Nothing here goes back to the distribution center.")
    for number in numbers:
        ecms.pull_out(number, actor)
    return Moved(tuple(numbers), "pulled_out")


def drop_off(tracking_number, actor: ecms.Actor) -> Moved:
    """A store-to-store or merchant package handed in at this counter: label_issued →
    received, here."""
    number = codes.parse(tracking_number, CodeType.TRACKING)
    package = ecms.drop_off(number, actor)
    return Moved((package.tracking_number,), "dropped_off")
