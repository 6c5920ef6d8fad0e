"""Store-to-store (seed 004, issue #10 point 6): a signed-in seller ships a parcel to a buyer.
The seller chooses the buyer's pickup branch (the picker's rules: open, room on its shelf,
frozen-ready for a frozen parcel) and the branch they drop it off at, measures the parcel (the
30 x 30 x 30 cm / 10 kg rule of fulfillment/packing) and says what the buyer pays at pickup
(cash on delivery) or that it is prepaid. The ECMS issues the shipment (source
"seller:<user id>"), its tracking number and the buyer's code; the buyer gets both by mail.

What each side sees (docs/decisions.md, "Store-to-store"): the seller sees the tracking
number, the label, where the package is and the COD amount, never the buyer's CLAIM or PAY &
CLAIM (REFERENCE) code: with the code and the label the seller could take the package out
again at the counter. The buyer's code goes only to the buyer."""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app, render_template

from shop import clock
from shop.branches import service as branches
from shop.branches.models import Branch
from shop.checkout import service as checkout
from shop.errors import DomainError, InvalidInput, NotFound
from shop.extensions import db
from shop.fulfillment import labels, packing
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PackageState, PaymentMode, Shipment
from shop.money import Money
from shop.notify import service as notify
from shop.sellers.models import SellerShipment
from shop.transaction import in_transaction, transaction

SOURCE_PREFIX = "seller:"  # shipments.source of a seller's shipment: "seller:<user id>"
REFERENCE_PREFIX = "S2S-"
MAX_COD = Money.pesos(50_000)  # the most a buyer pays in cash at a counter
CONTENTS_LENGTH = 200
MEASURE_LENGTH = 12  # a measurement as typed
AMOUNT_LENGTH = 16  # an amount as typed
PER_PAGE = 50
ATTEMPTS = 3  # a random number drawn twice at once: draw again


class StaleShipmentForm(InvalidInput):
    """This form is out of date. Reload the page and try again."""

    code = "stale_shipment_form"


class ShipmentNotFound(NotFound):
    """There is no such shipment of yours."""

    code = "seller_shipment_not_found"


def source_of(seller_id: int) -> str:
    return f"{SOURCE_PREFIX}{seller_id}"


def merchant_name(source: str) -> str:
    """Who a shipment goes back to, in words: the shop for its own orders, the seller's name
    for a seller's ("seller:<id>"), else the merchant's source as it stands."""
    from shop.auth.models import User

    if source == "shop":
        return "CLiQQ Shop"
    if source.startswith(SOURCE_PREFIX) and source[len(SOURCE_PREFIX) :].isdigit():
        user = db.session.get(User, int(source[len(SOURCE_PREFIX) :]))
        if user is not None:
            return user.name
    return source


# --- the form's idempotency key -------------------------------------------------------------------


def form_key(binding: str) -> str:
    """A fresh key for one "new shipment" form, bound to `binding` (the browser session and the
    seller): `<12 hex digits>.<HMAC>`. The digits become the shipment's reference, so
    submitting the form twice makes one shipment; a key made up or copied into another
    session is refused."""
    nonce = secrets.token_hex(6)
    return f"{nonce}.{_signature(nonce, binding)}"


def _check_key(key: object, binding: str) -> str:
    """The reference the key stands for ("S2S-1A2B3C4D5E6F"). Raises StaleShipmentForm."""
    if not isinstance(key, str) or len(key) > 64 or key.count(".") != 1:
        raise StaleShipmentForm()
    nonce, signature = key.split(".")
    if len(nonce) != 12 or not hmac.compare_digest(signature, _signature(nonce, binding)):
        raise StaleShipmentForm()
    return REFERENCE_PREFIX + nonce.upper()


def _signature(nonce: str, binding: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, f"seller-shipment\0{nonce}\0{binding}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode()


# --- what the seller typed ------------------------------------------------------------------------


@dataclass(frozen=True)
class Parcel:
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int
    frozen: bool
    contents: str

    @property
    def volume_cm3(self) -> int:
        return -(-(self.length_mm * self.width_mm * self.height_mm) // 1000)


def _measure(value, field: str, unit: str, scale: int) -> int:
    """A measurement typed in `unit` (a decimal point allowed) in the smaller unit: "25.5" cm
    → 255 mm."""
    text = value.strip().replace(",", ".") if isinstance(value, str) else ""
    try:
        number = Decimal(text) if 0 < len(text) <= MEASURE_LENGTH else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not 0 < number <= 100_000:
        raise InvalidInput(f"Enter the {field} in {unit}, like 25 or 25.5.", field=field)
    whole = int((number * scale).to_integral_value())
    if whole < 1:
        raise InvalidInput(f"Enter the {field} in {unit}, like 25 or 25.5.", field=field)
    return whole


def parcel_of(length, width, height, weight, frozen, contents) -> Parcel:
    """The parcel as the form gives it (cm, kg), checked against the branch limit (packing's
    BRANCH_BOX_MM and BRANCH_MAX_WEIGHT_G, read when this runs). Raises InvalidInput naming
    the field."""
    text = " ".join(contents.split()) if isinstance(contents, str) else ""
    if not 2 <= len(text) <= CONTENTS_LENGTH or not text.isprintable():
        raise InvalidInput(
            f"Say what is inside, in 2 to {CONTENTS_LENGTH} characters.", field="contents"
        )
    parcel = Parcel(
        length_mm=_measure(length, "length", "cm", 10),
        width_mm=_measure(width, "width", "cm", 10),
        height_mm=_measure(height, "height", "cm", 10),
        weight_g=_measure(weight, "weight", "kg", 1000),
        frozen=bool(frozen),
        contents=text,
    )
    box, most = packing.BRANCH_BOX_MM, packing.BRANCH_MAX_WEIGHT_G
    if parcel.weight_g > most:
        raise InvalidInput(
            f"A branch takes packages of at most {most / 1000:g} kg: this one weighs "
            f"{parcel.weight_g / 1000:g} kg.",
            field="weight",
        )
    dimensions = (parcel.length_mm, parcel.width_mm, parcel.height_mm)
    if not packing.fits(dimensions, 0, box, most):
        raise InvalidInput(
            f"A branch takes packages that fit in {packing.limits_text(box, most)}: "
            "this one doesn't. Use a smaller box, or send it in two.",
            field="length",
        )
    return parcel


def cod_of(payment, amount) -> Money:
    """What the buyer pays at pickup: 0 when prepaid, else the amount typed (₱1 to MAX_COD).
    Raises InvalidInput."""
    if payment == "prepaid":
        return Money.zero()
    if payment != "cod":
        raise InvalidInput("Choose whether the buyer pays at pickup.", field="payment")
    text = amount if isinstance(amount, str) and len(amount) <= AMOUNT_LENGTH else ""
    try:
        money = Money.parse(text)
    except ValueError:
        money = None
    if money is None or not Money.pesos(1) <= money <= MAX_COD:
        raise InvalidInput(
            f"Enter the amount the buyer pays at pickup, from ₱1 to {MAX_COD}.", field="amount"
        )
    return money


def _origin(code) -> Branch:
    """The store the seller drops the parcel off at: any open store (it hands the parcel to
    the delivery staff the same day, so it takes no shelf room). Raises InvalidInput."""
    try:
        return branches.get_branch(code)  # an active store (not the DC)
    except DomainError:
        raise InvalidInput(
            "Enter the code of an open branch to drop it off at.", field="origin_code"
        ) from None


# --- making one -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    shipment_id: int
    repeated: bool  # the form was submitted before: this is the shipment it made then


def create(
    seller,
    *,
    key,
    binding: str,
    name,
    phone,
    email,
    branch_code,
    origin_code,
    length,
    width,
    height,
    weight,
    frozen: bool,
    contents,
    payment,
    amount,
) -> Created:
    """A seller's shipment to a buyer: the pickup branch's shelf slot reserved, the ECMS's
    shipment (one package, label_issued) and the buyer's mail with their code and tracking
    link, in one transaction. The form's key makes it idempotent: a form submitted twice (a
    double click, a retried request, two at once) makes one shipment, the first.

    `seller` is the signed-in user (id, name). Raises StaleShipmentForm, InvalidInput (naming
    the field), branches.BranchNotFound / BranchUnavailable (the picker's reasons)."""
    if in_transaction():
        raise RuntimeError("sellers.create runs its own transactions")
    reference = _check_key(key, binding)
    source = source_of(seller.id)
    existing = _by_reference(source, reference)
    if existing is not None:
        return Created(existing, True)
    contact = checkout.check_contact(name, phone, email)
    parcel = parcel_of(length, width, height, weight, frozen, contents)
    cod = cod_of(payment, amount)
    if not branches.valid_code(branch_code):
        raise InvalidInput("Choose the buyer's pickup branch.", field="branch_code")
    for attempt in range(ATTEMPTS):
        try:
            with transaction():
                origin = _origin(origin_code)
                if parcel.frozen and not origin.frozen:
                    raise InvalidInput(
                        f"{origin.name} doesn't keep frozen items: drop a frozen parcel off at "
                        "a frozen-ready branch.",
                        field="origin_code",
                    )
                taken = branches.reserve(branch_code, 1, frozen_required=parcel.frozen)
                made = ecms.create_shipment(
                    reference=reference,
                    payment=PaymentMode.COD if cod else PaymentMode.PREPAID,
                    amount_due=cod.centavos,
                    branch_id=taken.id,
                    recipient=ecms.Recipient(contact.name, contact.phone, contact.email),
                    parcels=[
                        ecms.Parcel(
                            parcel.frozen, parcel.weight_g, parcel.volume_cm3, parcel.contents
                        )
                    ],
                    source=source,
                    actor=seller.name,
                )
                db.session.add(
                    SellerShipment(
                        shipment_id=made.id,
                        seller_id=seller.id,
                        origin_branch_id=origin.id,
                        created_at=clock.now(),
                    )
                )
                db.session.flush()
                _tell_buyer(made.id, seller.name, origin)
                return Created(made.id, False)
        except sa.exc.IntegrityError:
            # The same form, submitted twice at once: the other request made it first.
            existing = _by_reference(source, reference)
            if existing is not None:
                return Created(existing, True)
            if attempt == ATTEMPTS - 1:
                raise
        except DomainError:
            existing = _by_reference(source, reference)
            if existing is not None:  # a repeat that found the last slot taken by itself
                return Created(existing, True)
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _by_reference(source: str, reference: str) -> int | None:
    return db.session.scalar(
        sa.select(Shipment.id).where(Shipment.source == source, Shipment.reference == reference)
    )


def _tell_buyer(shipment_id: int, seller_name: str, origin: Branch) -> None:
    """The buyer's mail: who sends what, where and until when to pick it up, their code (the
    one thing they bring to the counter) and the tracking link. Through the outbox, in the
    caller's transaction, once per shipment."""
    shipment = db.session.get(Shipment, shipment_id)
    branch = db.session.get(Branch, shipment.branch_id)
    code = ecms.shipment_code(shipment)
    text = render_template(
        "sellers/mail/created.txt",
        name=shipment.recipient_name,
        seller=seller_name,
        branch=branch,
        code=code,
        cod=shipment.payment is PaymentMode.COD,
        amount_due=shipment.amount_due,
        pickup_days=ecms.pickup_days(),
        packages=[
            (p.tracking_number, ecms.tracking_link(p.tracking_number)) for p in shipment.packages
        ],
        contents=shipment.packages[0].contents if shipment.packages else "",
    )
    notify.enqueue_mail(
        shipment.recipient_email,
        f"{seller_name} sent you a package: pick it up at {branch.name}",
        text,
        key=f"seller-shipment-created-{shipment.id}",
    )


# --- what the seller sees -------------------------------------------------------------------------


# The shopper's words say "the seller"; the seller reads their own step in their words.
SELLER_WORDS = {PackageState.LABEL_ISSUED: "Label issued: drop it off at your branch"}


def state_text(state: PackageState) -> str:
    return SELLER_WORDS.get(state) or ecms.STATE_TEXT[state]


@dataclass(frozen=True)
class Row:
    shipment_id: int
    reference: str
    buyer: str
    destination: str
    state_text: str
    tracking_number: str
    amount_due: int
    created_at: datetime


def shipments_of(seller_id: int, limit: int = PER_PAGE) -> list[Row]:
    """The seller's shipments, newest first, with where each is (one query)."""
    rows = db.session.execute(
        sa.select(Shipment, Package.tracking_number, Package.state, Branch.name)
        .join(SellerShipment, SellerShipment.shipment_id == Shipment.id)
        .join(Package, Package.shipment_id == Shipment.id)
        .join(Branch, Branch.id == Shipment.branch_id)
        .where(SellerShipment.seller_id == seller_id)
        .order_by(Shipment.id.desc(), Package.id)
        .limit(limit)
        .options(sa.orm.lazyload(Shipment.packages))
    ).all()
    return [
        Row(
            shipment_id=shipment.id,
            reference=shipment.reference,
            buyer=shipment.recipient_name,
            destination=name,
            state_text=state_text(state),
            tracking_number=number,
            amount_due=shipment.amount_due,
            created_at=shipment.created_at,
        )
        for shipment, number, state, name in rows
    ]


@dataclass(frozen=True)
class View:
    """One shipment as its seller sees it: no buyer's code (see the module docstring)."""

    shipment_id: int
    reference: str
    buyer: str
    buyer_phone: str  # masked, as on the label
    buyer_email: str
    destination: Branch
    origin: Branch
    cod: bool
    amount_due: int
    created_at: datetime
    packages: list  # (Package, ecms.Tracking)


def _own(seller_id: int, shipment_id) -> SellerShipment:
    """The seller's own shipment; another's, or none, is ShipmentNotFound (one answer)."""
    if isinstance(shipment_id, bool) or not isinstance(shipment_id, int):
        raise ShipmentNotFound()
    own = db.session.get(SellerShipment, shipment_id)
    if own is None or own.seller_id != seller_id:
        raise ShipmentNotFound()
    return own


def view(seller_id: int, shipment_id: int) -> View:
    own = _own(seller_id, shipment_id)
    shipment = own.shipment
    return View(
        shipment_id=shipment.id,
        reference=shipment.reference,
        buyer=shipment.recipient_name,
        buyer_phone=labels.mask_phone(shipment.recipient_phone),
        buyer_email=shipment.recipient_email,
        destination=db.session.get(Branch, shipment.branch_id),
        origin=db.session.get(Branch, own.origin_branch_id),
        cod=shipment.payment is PaymentMode.COD,
        amount_due=shipment.amount_due,
        created_at=shipment.created_at,
        packages=[
            (p, replace(ecms.tracking(p), state_text=state_text(p.state)))
            for p in shipment.packages
        ],
    )


def label_pdf(seller_id: int, shipment_id: int) -> tuple[bytes, str]:
    """The shipment's A6 label(s), naming the drop-off branch, and a file name. Raises
    ShipmentNotFound for another seller's."""
    own = _own(seller_id, shipment_id)
    data = labels.label_pdf(own.shipment, origin_id=own.origin_branch_id)
    return data, f"label-{labels.safe_filename(own.shipment.reference)}"


def last_origin_code(seller_id: int) -> str:
    """The branch the seller last dropped a parcel off at (the form starts there)."""
    return (
        db.session.scalar(
            sa.select(Branch.code)
            .join(SellerShipment, SellerShipment.origin_branch_id == Branch.id)
            .where(SellerShipment.seller_id == seller_id)
            .order_by(SellerShipment.created_at.desc(), SellerShipment.shipment_id.desc())
            .limit(1)
        )
        or ""
    )
