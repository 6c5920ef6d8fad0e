"""A merchant's shipments (use cases 1 and 2 of seed 000, issue #12): a prepaid order's label
(a tracking number and a CLAIM CODE) or a cash-on-delivery order (a tracking number and a PAY &
CLAIM code), made through the same services the shop's checkout and the store-to-store seller
use: the picker's branch rules (branches.reserve), the branch's size limit (packing), the
ECMS's shipment (fulfillment.service.create_shipment, source = the merchant's slug). From there
the package goes through the DC, the counter and the kiosk exactly as the shop's own do.

A marketplace's seller (use case 2) may hand the parcel in at a store counter instead of the
DC: `drop_off_branch_code`, which the label names as its origin.

A merchant sees only its own shipments: another merchant's tracking number reads as one that
doesn't exist."""

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, lazyload

from shop import clock, codes
from shop.branches import service as branches
from shop.branches.models import Branch
from shop.catalog.service import like_escape
from shop.checkout import service as checkout
from shop.codes import CodeType
from shop.errors import Conflict, DomainError, InvalidInput, NotFound
from shop.extensions import db
from shop.fulfillment import packing
from shop.fulfillment import service as ecms
from shop.fulfillment.lifecycle import Actor
from shop.fulfillment.models import Package, PackageEvent, PackageState, PaymentMode, Shipment
from shop.merchants import events
from shop.merchants.models import Merchant, MerchantShipment
from shop.money import Money

MAX_COD = Money.pesos(50_000)  # the most a buyer pays in cash at a counter (as a seller's)
MIN_COD = Money.pesos(1)
PAGE_SIZE = 50
ISSUED = PackageState.LABEL_ISSUED


class ParcelTooLarge(InvalidInput):
    """A branch takes parcels that fit in 30 x 30 x 30 cm and weigh at most 10 kg."""

    code = "parcel_too_large"


class BranchUnavailable(InvalidInput):
    """That branch can't take this shipment. Choose another (GET /api/v1/branches)."""

    code = "branch_unavailable"


class DuplicateReference(Conflict):
    """You already have a shipment with this reference."""

    code = "duplicate_reference"


class ShipmentNotFound(NotFound):
    """There is no shipment of yours with that tracking number."""

    code = "shipment_not_found"


# --- what a merchant asks for ------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A shipment as asked for, its shape already checked (shop.api.schemas.ShipmentIn)."""

    reference: str
    payment: str  # "prepaid" or "cod"
    amount_due: int  # centavos, cod only
    branch_code: str
    drop_off_branch_code: str | None
    recipient_name: str
    recipient_phone: str
    recipient_email: str
    length_cm: float
    width_cm: float
    height_cm: float
    weight_g: int
    frozen: bool
    contents: str


def _contact(request: Request) -> checkout.Contact:
    try:
        return checkout.check_contact(
            request.recipient_name, request.recipient_phone, request.recipient_email
        )
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=f"recipient.{exc.field}") from None


def _amount(request: Request) -> int:
    if request.payment == "prepaid":
        if request.amount_due:
            raise InvalidInput(
                "A prepaid shipment has nothing to collect: leave amount_due out, or 0.",
                field="amount_due",
            )
        return 0
    if not MIN_COD.centavos <= request.amount_due <= MAX_COD.centavos:
        raise InvalidInput(
            f"A cash-on-delivery shipment collects from {MIN_COD.centavos} to "
            f"{MAX_COD.centavos} centavos (₱1 to {MAX_COD}).",
            field="amount_due",
        )
    return request.amount_due


def _parcel(request: Request) -> ecms.Parcel:
    dimensions = tuple(
        max(1, round(cm * 10)) for cm in (request.length_cm, request.width_cm, request.height_cm)
    )
    box, most = packing.BRANCH_BOX_MM, packing.BRANCH_MAX_WEIGHT_G
    if request.weight_g > most or not packing.fits(dimensions, 0, box, most):
        sides = (request.length_cm, request.width_cm, request.height_cm)
        raise ParcelTooLarge(
            f"A branch takes parcels that fit in {packing.limits_text(box, most)}: this one "
            f"({' x '.join(f'{cm:g}' for cm in sides)} cm, {request.weight_g / 1000:g} kg) "
            "doesn't.",
            field="parcel",
        )
    volume = -(-(dimensions[0] * dimensions[1] * dimensions[2]) // 1000)
    return ecms.Parcel(request.frozen, request.weight_g, volume, " ".join(request.contents.split()))


def _drop_off(request: Request) -> Branch | None:
    if request.drop_off_branch_code is None:
        return None
    try:
        store = branches.get_branch(request.drop_off_branch_code)
    except DomainError:
        raise BranchUnavailable(
            "No open branch has that code to drop the parcel off at.", field="drop_off_branch_code"
        ) from None
    if request.frozen and not store.frozen:
        raise BranchUnavailable(
            f"{store.name} doesn't keep frozen parcels: drop this one off at a frozen-ready "
            "branch, or at the distribution center.",
            field="drop_off_branch_code",
        )
    return store


def reference_taken(merchant: Merchant, reference: str) -> bool:
    return (
        db.session.scalar(
            sa.select(Shipment.id).where(
                Shipment.source == merchant.slug, Shipment.reference == reference
            )
        )
        is not None
    )


def create(merchant: Merchant, request: Request) -> "ShipmentView":
    """The merchant's new shipment: the pickup branch's shelf slot reserved, the ECMS's shipment
    (one package, label_issued) and whose it is. In the caller's transaction (it flushes
    only); an IntegrityError means a random number drawn twice or a reference taken at the
    same moment: the caller runs it again in a new transaction. Raises InvalidInput (naming
    the field), ParcelTooLarge, BranchUnavailable, DuplicateReference."""
    contact = _contact(request)
    amount = _amount(request)
    parcel = _parcel(request)
    if reference_taken(merchant, request.reference):
        raise DuplicateReference(field="reference")
    store = _drop_off(request)
    try:
        taken = branches.reserve(request.branch_code, 1, frozen_required=request.frozen)
    except branches.BranchNotFound:
        raise BranchUnavailable("No branch has that code.", field="branch_code") from None
    except branches.BranchUnavailable as exc:
        raise BranchUnavailable(exc.message, field="branch_code") from None
    made = ecms.create_shipment(
        reference=request.reference,
        payment=PaymentMode.COD if amount else PaymentMode.PREPAID,
        amount_due=amount,
        branch_id=taken.id,
        recipient=ecms.Recipient(contact.name, contact.phone, contact.email),
        parcels=[parcel],
        source=merchant.slug,
        actor=merchant.name,
    )
    owned = MerchantShipment(
        shipment_id=made.id,
        merchant_id=merchant.id,
        drop_off_branch_id=store.id if store is not None else None,
        created_at=clock.now(),
    )
    db.session.add(owned)
    db.session.flush()
    # The shipment and its package in one statement (the ECMS wrote them with Core INSERTs),
    # and the view from what this call already holds: the branch is the one just reserved,
    # and a new package has no moves yet. Every API call to make a shipment runs this.
    (package,) = db.session.scalars(
        sa.select(Package)
        .join(Package.shipment)
        .where(Package.shipment_id == made.id)
        .options(contains_eager(Package.shipment), lazyload(Package.events))
    ).all()
    events.shipment_created(merchant.id, package, package.shipment)
    return _view(package, owned, branch=taken, moves=(), drop_off=store)


# --- what a merchant reads ----------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    at: datetime
    status: str
    text: str
    place: str


@dataclass(frozen=True)
class ShipmentView:
    tracking_number: str
    reference: str
    status: str
    payment: str
    amount_due: int
    code: str
    code_kind: str  # "claim_code" (prepaid) or "reference_code" (cod)
    branch_code: str
    branch_name: str
    drop_off_branch_code: str | None
    recipient_name: str
    recipient_phone: str
    recipient_email: str
    weight_g: int
    frozen: bool
    created_at: datetime
    events: tuple[Event, ...]


def _owned(merchant: Merchant, shipment_ids: Sequence[int]) -> dict[int, MerchantShipment]:
    rows = db.session.scalars(
        sa.select(MerchantShipment).where(
            MerchantShipment.shipment_id.in_(list(shipment_ids)),
            MerchantShipment.merchant_id == merchant.id,
        )
    )
    return {row.shipment_id: row for row in rows}


def _view(
    package: Package,
    owned: MerchantShipment,
    *,
    branch=None,
    moves: Sequence[PackageEvent] | None = None,
    drop_off=None,
) -> ShipmentView:
    """The shipment as the API shows it. `branch` (its pickup branch: anything with `code`
    and `name`), `moves` (its package's events, in order) and `drop_off` may be given by a
    caller that has them already; else they are read."""
    shipment = package.shipment
    if branch is None:
        branch = db.session.get(Branch, shipment.branch_id)
    if drop_off is None and owned.drop_off_branch_id:
        drop_off = db.session.get(Branch, owned.drop_off_branch_id)
    if moves is None:
        moves = db.session.scalars(
            sa.select(PackageEvent)
            .where(PackageEvent.package_id == package.id)
            .order_by(PackageEvent.at, PackageEvent.id)
        ).all()
    cod = shipment.payment is PaymentMode.COD
    return ShipmentView(
        tracking_number=package.tracking_number,
        reference=shipment.reference,
        status=package.state.value,
        payment=shipment.payment.value,
        amount_due=shipment.amount_due,
        code=shipment.code,
        code_kind="reference_code" if cod else "claim_code",
        branch_code=branch.code,
        branch_name=branch.name,
        drop_off_branch_code=drop_off.code if drop_off is not None else None,
        recipient_name=shipment.recipient_name,
        recipient_phone=shipment.recipient_phone,
        recipient_email=shipment.recipient_email,
        weight_g=package.weight_g,
        frozen=package.frozen,
        created_at=package.created_at,
        events=(
            Event(
                package.created_at, "label_issued", ecms.STATE_TEXT[PackageState.LABEL_ISSUED], ""
            ),
            *(
                Event(event.at, event.to_state.value, ecms.event_text(event), event.place or "")
                for event in moves
            ),
        ),
    )


def view_of(merchant: Merchant, shipment_id: int) -> ShipmentView:
    shipment = db.session.get(Shipment, shipment_id)
    owned = _owned(merchant, [shipment_id]).get(shipment_id)
    if shipment is None or owned is None or not shipment.packages:
        raise ShipmentNotFound()
    return _view(shipment.packages[0], owned)


def get(merchant: Merchant, tracking_number: str) -> ShipmentView:
    """The merchant's shipment with this tracking number. Raises ShipmentNotFound (another
    merchant's too, and a number that isn't one).

    One statement: the package, its shipment, the record that it is the merchant's, its
    pickup branch and its events (outer-joined, in their order: a row an event, one row
    without any). The package's events relationship loads by selectin: it is held back here,
    as the events come with the rows."""
    try:
        number = codes.parse(tracking_number, CodeType.TRACKING)
    except DomainError:
        raise ShipmentNotFound() from None
    rows = db.session.execute(
        sa.select(Package, MerchantShipment, Branch, PackageEvent)
        .join(Package.shipment)
        .join(
            MerchantShipment,
            sa.and_(
                MerchantShipment.shipment_id == Shipment.id,
                MerchantShipment.merchant_id == merchant.id,
            ),
        )
        .join(Branch, Branch.id == Shipment.branch_id)
        .outerjoin(PackageEvent, PackageEvent.package_id == Package.id)
        .where(Package.tracking_number == number)
        .order_by(PackageEvent.at, PackageEvent.id)
        .options(contains_eager(Package.shipment), lazyload(Package.events))
    ).all()
    if not rows:
        raise ShipmentNotFound()
    package, owned, branch, _ = rows[0]
    moves = [row.PackageEvent for row in rows if row.PackageEvent is not None]
    return _view(package, owned, branch=branch, moves=moves)


def label_pdf(merchant: Merchant, tracking_number: str) -> bytes:
    """The shipment's label (PDF, Code 128 of the tracking number): from the store it is
    dropped off at when the merchant named one, else via the DC. Raises ShipmentNotFound."""
    from shop.fulfillment import labels

    package, owned = _owned_package(merchant, tracking_number)
    return labels.label_pdf([package], origin_id=owned.drop_off_branch_id)


# --- changing one -------------------------------------------------------------------------------


def _owned_package(merchant: Merchant, tracking_number: str) -> tuple[Package, MerchantShipment]:
    """The package with this tracking number and the record that it is the merchant's. Raises
    ShipmentNotFound alike for another merchant's, an unknown and a malformed number."""
    try:
        package = ecms.get_package(tracking_number)
    except DomainError:
        raise ShipmentNotFound() from None
    owned = _owned(merchant, [package.shipment_id]).get(package.shipment_id)
    if owned is None:
        raise ShipmentNotFound()
    return package, owned


def _actor(merchant: Merchant, via: str) -> Actor:
    """Who the package's event names: "api:<slug>" through the API, else `via` as the caller
    words it (the console: "console:<slug> (<login's email>)")."""
    return Actor.shop((f"api:{merchant.slug}" if via == "api" else via)[:120])


def cancel(
    merchant: Merchant, tracking_number: str, reason: str = "", *, via: str = "api"
) -> ShipmentView:
    """Cancel the merchant's shipment before it is dropped off (the ECMS's cancel: its shelf
    slot comes back). In the caller's transaction. Raises ShipmentNotFound, InvalidTransition
    (invalid_state: dropped off already, or cancelled)."""
    package, _ = _owned_package(merchant, tracking_number)
    ecms.cancel(package.tracking_number, _actor(merchant, via), reason=reason)
    return get(merchant, package.tracking_number)


# --- listing them -------------------------------------------------------------------------------


class BadCursor(InvalidInput):
    """That cursor isn't one this list gave. Start again without it."""

    code = "invalid_cursor"


def _state(status: str) -> str:
    try:
        return PackageState(status).value
    except ValueError:
        raise InvalidInput(
            f"“status” is one of {', '.join(s.value for s in PackageState)}.", field="status"
        ) from None


@dataclass(frozen=True)
class Listed:
    tracking_number: str
    reference: str
    status: str
    payment: str
    amount_due: int
    branch_code: str
    created_at: datetime


@dataclass(frozen=True)
class Page:
    shipments: list[Listed]
    next_cursor: str | None


def _listed(merchant: Merchant):
    """The merchant's shipments as the lists show them, newest first (no limit yet)."""
    owned = MerchantShipment
    return (
        sa.select(
            Package.tracking_number,
            Shipment.reference,
            Package.state,
            Shipment.payment,
            Shipment.amount_due,
            Branch.code,
            owned.created_at,
            owned.shipment_id,
        )
        .join(Shipment, Shipment.id == owned.shipment_id)
        .join(Package, Package.shipment_id == Shipment.id)
        .join(Branch, Branch.id == Shipment.branch_id)
        .where(owned.merchant_id == merchant.id)
        .order_by(owned.created_at.desc(), owned.shipment_id.desc())
    )


def _listed_row(row) -> Listed:
    return Listed(
        tracking_number=row.tracking_number,
        reference=row.reference,
        status=PackageState(row.state).value,
        payment=PaymentMode(row.payment).value,
        amount_due=row.amount_due,
        branch_code=row.code,
        created_at=row.created_at,
    )


def _cursor(created_at: datetime, shipment_id: int) -> str:
    raw = f"{created_at.isoformat()}|{shipment_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, shipment_id = raw.split("|")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not shipment_id.isdigit() or len(shipment_id) > 10:
            raise ValueError
        return moment, int(shipment_id)
    except (ValueError, UnicodeDecodeError):
        raise BadCursor(field="cursor") from None


def listing(
    merchant: Merchant,
    *,
    status: str | None = None,
    created_after: datetime | None = None,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """The merchant's shipments, newest first, `limit` at a time (one query): of one `status`
    (a package state), made after `created_after`, after `cursor` (the last page's
    next_cursor). Raises InvalidInput (field "status"), BadCursor."""
    if status is not None:
        status = _state(status)
    owned = MerchantShipment
    statement = _listed(merchant).limit(limit + 1)
    if status is not None:
        statement = statement.where(Package.state == status)
    if created_after is not None:
        statement = statement.where(owned.created_at > created_after)
    if cursor:
        at, shipment_id = _after(cursor)
        statement = statement.where(
            sa.or_(
                owned.created_at < at,
                sa.and_(owned.created_at == at, owned.shipment_id < shipment_id),
            )
        )
    rows = db.session.execute(statement).all()
    found = [_listed_row(row) for row in rows[:limit]]
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return Page(found, _cursor(last.created_at, last.shipment_id) if last is not None else None)


@dataclass(frozen=True)
class Found:
    shipments: list[Listed]
    page: int
    has_next: bool


def search(
    merchant: Merchant,
    *,
    text: str | None = None,
    status: str | None = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> Found:
    """The merchant's shipments for the console, newest first, a page at a time (one query):
    `text` is a tracking number (spaces and dashes ignored) or the start of a reference (the
    merchant's order number, any case); of one `status`; made from `created_from` and before
    `created_before`. Raises InvalidInput (field "status")."""
    statement = _listed(merchant)
    if status:
        statement = statement.where(Package.state == _state(status))
    words = " ".join((text or "").split())
    if words:
        digits = words.replace(" ", "").replace("-", "")
        reference = Shipment.reference.ilike(like_escape(words) + "%", escape="\\")
        if digits.isdigit():
            statement = statement.where(sa.or_(Package.tracking_number == digits, reference))
        else:
            statement = statement.where(reference)
    if created_from is not None:
        statement = statement.where(MerchantShipment.created_at >= created_from)
    if created_before is not None:
        statement = statement.where(MerchantShipment.created_at < created_before)
    rows = db.session.execute(statement.offset((page - 1) * per_page).limit(per_page + 1)).all()
    return Found([_listed_row(row) for row in rows[:per_page]], page, len(rows) > per_page)


def counts_by_status(merchant: Merchant) -> dict[str, int]:
    """How many of the merchant's shipments are in each state now (states with none left
    out), in the lifecycle's order."""
    rows = dict(
        db.session.execute(
            sa.select(Package.state, sa.func.count())
            .join(MerchantShipment, MerchantShipment.shipment_id == Package.shipment_id)
            .where(MerchantShipment.merchant_id == merchant.id)
            .group_by(Package.state)
        ).all()
    )
    found = {PackageState(state).value: n for state, n in rows.items()}
    return {state.value: found[state.value] for state in PackageState if state.value in found}


def change_branch(
    merchant: Merchant, tracking_number: str, branch_code: str, *, via: str = "api"
) -> ShipmentView:
    """Send the merchant's shipment to another pickup branch before it arrives: the picker's
    rules and the shopper's mail, as the order page's change (fulfillment.reroute). In the
    caller's transaction. Raises ShipmentNotFound, InvalidTransition (invalid_state: arrived
    already), InvalidInput same_branch, BranchUnavailable."""
    from shop.fulfillment import reroute

    package, _ = _owned_package(merchant, tracking_number)
    try:
        reroute.change_branch(package.shipment_id, branch_code, _actor(merchant, via))
    except branches.BranchNotFound:
        raise BranchUnavailable("No branch has that code.", field="branch_code") from None
    except branches.BranchUnavailable as exc:
        raise BranchUnavailable(exc.message, field="branch_code") from None
    return get(merchant, package.tracking_number)


@dataclass(frozen=True)
class Return:
    return_code: str
    tracking_number: str  # the return's own
    shipment_tracking_number: str
    expires_at: datetime
    repeated: bool  # asked before: the same live code


def request_return(merchant: Merchant, tracking_number: str) -> Return:
    """A RETURN CODE for the merchant's claimed shipment, as the kiosk gives one (the return
    window, one live code per package, the buyer's mail): the buyer drops the parcel off at a
    counter with it. Raises ShipmentNotFound, and returns.request_return's refusals:
    not_picked_up, return_window_closed, already_returned (409)."""
    from shop.fulfillment import returns

    package, _ = _owned_package(merchant, tracking_number)
    issued = returns.request_return(package.tracking_number, package.shipment.recipient_phone)
    return Return(
        issued.return_code,
        issued.return_tracking_number,
        issued.tracking_number,
        issued.expires_at,
        issued.repeated,
    )
