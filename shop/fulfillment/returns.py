"""Returns (issue #10, points 4 and 5): a shopper asks at the kiosk for a RETURN CODE for a
package they picked up, sticks the printed return label on it and takes it to any 7-Eleven
counter (seed 004); the clerk keys the code in, measures the package against the return limit
(45 × 30 × 30 cm, 10 kg), scans the return label, and the package is `return_dropped_off`
there; the shopper and the merchant are told (seed 000: "POS releases AR, ECMS sends
notification"). It then travels back with the next pull-out and APO.

Decided here (docs/decisions.md, "Returns and PAY CODEs at the counter"):

- **What a shopper may type** to find their package: the order number (CQ-7K4M-2Q9P, the
  shop's own orders), the package's tracking (waybill) number, or its **UID**: the 14-digit
  CLAIM or PAY & CLAIM (REFERENCE) code the shipment was picked up with (in the shopper's mail
  and on the counter's receipt; unique and check-digited, so a typo is caught before any
  lookup). Each with the mobile number on the order; a wrong number reads exactly as an
  unknown order.
- **One return per package.** An order of one package is found by any of the three; an order
  of several asks for the tracking number of the package going back.
- **The return window** is RETURN_DAYS (default 7) whole days after the package was claimed
  (its claim event), to the minute; a RETURN CODE asked for inside it may be handed in until
  it ends or RETURN_DROP_OFF_DAYS after it was asked for, whichever is later.
- **The return's tracking number** is a new tracking number (12 digits, leading 7) kept on the
  RETURN CODE's row (`codes.tracking_number`, unique; `codes.package_id`, unique: one return
  per package ever): the return travels as the same package (same row, same lifecycle), and
  its label carries the new number so the counter can tell a return label from the original.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from shop import clock, codes
from shop.branches.models import Branch
from shop.codes import CodeType
from shop.contact import InvalidPhone, normalize_phone
from shop.errors import Conflict, InvalidInput, NotFound
from shop.extensions import db
from shop.fulfillment import packing
from shop.fulfillment import service as ecms
from shop.fulfillment.lifecycle import Action, Actor, check_role
from shop.fulfillment.models import Code, Package, PackageState, Shipment
from shop.notify import service as notify
from shop.timeutil import format_manila
from shop.transaction import transaction

S = PackageState
LOOKUP_LENGTH = 64  # the longest lookup typed at the kiosk (an order number, a code)
ORDER_NUMBER = re.compile(r"^CQ([23456789ABCDEFGHJKMNPQRSTVWXYZ]{8})$")
RETURNED = (S.RETURN_DROPPED_OFF, S.RETURNING, S.RETURNED_TO_MERCHANT)


class ReturnNotFound(NotFound):
    """We couldn't find an order with that number and mobile number: check both."""

    code = "return_not_found"


class NotPickedUp(Conflict):
    """That order hasn't been picked up yet: a return starts after pickup."""

    code = "not_picked_up"


class ReturnWindowClosed(Conflict):
    """The return window for that package has closed."""

    code = "return_window_closed"


class AlreadyReturned(Conflict):
    """That package has already been returned."""

    code = "already_returned"


class WhichPackage(Conflict):
    """That order has several packages: type the tracking number of the one to return."""

    code = "which_package"


class ReturnCodeNotFound(NotFound):
    """We couldn't find that RETURN CODE, or it was used or has expired."""

    code = "return_code_not_found"


class ReturnLabelMismatch(Conflict):
    """That is not this return's label: scan the return label on the package."""

    code = "return_label_mismatch"


# --- the window ----------------------------------------------------------------------------


def return_days() -> int:
    """Days after pickup a package may be returned: the RETURN_DAYS setting (default 7)."""
    return current_app.config["RETURN_DAYS"]


def window_end(claimed_at: datetime, days: int) -> datetime:
    """When a package claimed at `claimed_at` can no longer be returned: `days` whole days
    later, to the minute (as the pickup deadline and the PAY CODE are exact periods). Aware
    UTC. Raises ValueError for a naive datetime or fewer than 1 day."""
    if claimed_at.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime (shop.clock.now)")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError("a return window is a whole number of days, at least 1")
    return (claimed_at + timedelta(days=days)).astimezone(UTC)


def in_window(claimed_at: datetime, now: datetime, days: int) -> bool:
    """Can a package claimed at `claimed_at` still be returned at `now`? Until the very end
    of the window, not at it."""
    return now < window_end(claimed_at, days)


def return_deadline(claimed_at: datetime) -> datetime:
    """The end of the return window of a package claimed at `claimed_at` (RETURN_DAYS)."""
    return window_end(claimed_at, return_days())


def drop_off_deadline(claimed: datetime, asked_at: datetime) -> datetime:
    """Until when a RETURN CODE asked for at `asked_at` (inside the window of a package
    claimed at `claimed`) may be handed in: the window's end or RETURN_DROP_OFF_DAYS after
    asking, whichever is later."""
    days = current_app.config["RETURN_DROP_OFF_DAYS"]
    return max(return_deadline(claimed), (asked_at + timedelta(days=days)).astimezone(UTC))


def claimed_at(package: Package) -> datetime | None:
    """When the package was picked up (its latest claim event), or None."""
    return next((e.at for e in reversed(package.events) if e.action == Action.CLAIM), None)


def return_limits_text() -> str:
    """The return limit as said to shoppers and clerks: "45 × 30 × 30 cm, 10 kg"."""
    return packing.limits_text(packing.RETURN_BOX_MM, packing.RETURN_MAX_WEIGHT_G)


# --- asking for a return (the kiosk) -------------------------------------------------------


@dataclass(frozen=True)
class ReturnIssued:
    """A RETURN CODE as the kiosk shows it (plain values, safe after the commit)."""

    return_code: str
    return_tracking_number: str
    tracking_number: str  # the package's own
    reference: str  # the order number
    contents: str
    expires_at: datetime  # the end of the return window
    branch_name: str  # where it was picked up
    repeated: bool = False  # asked again: the same live code


def _lookup(text) -> tuple[str, str]:
    """What kind of lookup the shopper typed, and its value: ("order", "CQ-7K4M-2Q9P"),
    ("tracking", digits) or ("uid", digits). Raises ReturnNotFound for something that is
    none of them, codes.InvalidCode for a code with a typo (its check digit)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("Type your order number, UID or tracking number.", field="lookup")
    if len(text) > LOOKUP_LENGTH:
        raise InvalidInput("That is too long: check what you typed.", field="lookup")
    bare = "".join(c for c in text if c.isalnum()).upper()
    if bare and not bare.isdigit():
        match = ORDER_NUMBER.match(bare) if bare.isascii() else None
        if match is None:
            raise InvalidInput(
                "That isn't an order number (like CQ-7K4M-2Q9P), a UID or a tracking number: "
                "check what you typed.",
                field="lookup",
            )
        raw = match.group(1)
        return "order", f"CQ-{raw[:4]}-{raw[4:]}"
    try:
        number = codes.parse(text, (CodeType.TRACKING, CodeType.CLAIM, CodeType.REFERENCE))
    except codes.InvalidCode as exc:
        raise codes.InvalidCode(exc.message, field="lookup") from None
    return ("tracking" if codes.kind_of(number) is CodeType.TRACKING else "uid"), number


def _find_package(lookup, phone) -> Package:
    """The package `lookup` names, if `phone` is its order's. Raises ReturnNotFound (unknown
    and wrong phone alike), WhichPackage, InvalidPhone, codes.InvalidCode."""
    kind, value = _lookup(lookup)
    try:
        phone = normalize_phone(phone if isinstance(phone, str) else "")
    except InvalidPhone:
        raise InvalidPhone(
            "Enter the mobile number on the order, like 0917 123 4567.", field="phone"
        ) from None
    if kind == "tracking":
        package = db.session.scalar(
            sa.select(Package)
            .join(Shipment)
            .where(Package.tracking_number == value, Shipment.recipient_phone == phone)
        )
        if package is None:
            raise ReturnNotFound()
        return package
    where = Shipment.code == value if kind == "uid" else Shipment.reference == value
    if kind == "order":
        where = sa.and_(where, Shipment.source == "shop")
    shipment = db.session.scalar(
        sa.select(Shipment).where(where, Shipment.recipient_phone == phone)
    )
    if shipment is None:
        raise ReturnNotFound()
    packages = list(shipment.packages)
    claimed = [p for p in packages if p.state is S.CLAIMED]
    if len(claimed) > 1:
        raise WhichPackage()
    if claimed:
        return claimed[0]  # the one that can go back (the others are back, or never came)
    returned = [p for p in packages if p.state in RETURNED]
    return (returned or packages)[0]  # what it is refused for is said next


def _window_problem(package: Package, now: datetime) -> None:
    """Refuse a package that can't be returned now: not picked up, already returned, or
    out of its window. Names the date where it helps."""
    if package.state in RETURNED:
        raise AlreadyReturned(
            "That package has already been returned: it is on its way back to the seller."
        )
    if package.state is not S.CLAIMED:
        raise NotPickedUp()
    when = claimed_at(package)
    if when is None:  # a claimed package always has its claim event; be safe
        raise NotPickedUp()
    if not in_window(when, now, return_days()):
        raise ReturnWindowClosed(
            f"The return window for that package closed on "
            f"{format_manila(return_deadline(when))} ({return_days()} days after pickup)."
        )


def _issued(code: Code, package: Package, *, repeated: bool) -> ReturnIssued:
    shipment = package.shipment
    return ReturnIssued(
        return_code=code.code,
        return_tracking_number=code.tracking_number,
        tracking_number=package.tracking_number,
        reference=shipment.reference,
        contents=package.contents,
        expires_at=code.expires_at,
        branch_name=ecms.package_place_name(shipment.branch_id),
        repeated=repeated,
    )


@transaction()
def request_return(lookup, phone, *, now: datetime | None = None) -> ReturnIssued:
    """A RETURN CODE for a picked-up package, at the kiosk: `lookup` is the order number, the
    UID (the shipment's CLAIM or REFERENCE code) or the package's tracking number, `phone` the
    mobile number on the order. Issues the code (kind RETURN, good until drop_off_deadline:
    the window's end or RETURN_DROP_OFF_DAYS after asking, whichever is later) and the
    return's own tracking number, tied to the package, and queues the shopper's mail ("your
    return code"). Asked again, it gives the same live code (and mails nothing new). One
    transaction.

    Raises ReturnNotFound (unknown and wrong phone alike), InvalidPhone, codes.InvalidCode
    (a code with a typo), InvalidInput (nothing or too much typed), WhichPackage, NotPickedUp,
    AlreadyReturned, ReturnWindowClosed."""
    now = now or clock.now()
    package = _find_package(lookup, phone)
    # Its row locked (PostgreSQL): two kiosks asking at once issue one code; the unique
    # index on codes.package_id is the last word on SQLite too.
    package = db.session.scalar(
        sa.select(Package)
        .where(Package.id == package.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    _window_problem(package, now)
    existing = db.session.scalar(sa.select(Code).where(Code.package_id == package.id))
    if existing is not None:
        if not existing.live:
            raise AlreadyReturned()
        return _issued(existing, package, repeated=True)
    shipment = package.shipment
    code = ecms.issue_code(
        CodeType.RETURN,
        reference=shipment.reference,
        expires_at=drop_off_deadline(claimed_at(package), now),
    )
    code.shipment_id = shipment.id
    code.package_id = package.id
    code.tracking_number = codes.generate(CodeType.TRACKING)
    db.session.flush()
    issued = _issued(code, package, repeated=False)
    ecms._mail(
        shipment,
        "return_code",
        key=f"return-code-{code.code}",
        packages=[package],
        subject=f"Your return code for order {shipment.reference}",
        return_code=code.code,
        return_tracking_number=code.tracking_number,
        expires_at=code.expires_at,
        limits=return_limits_text(),
    )
    return issued


# --- at the counter ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnCheck:
    """What the counter shows for a RETURN CODE before taking the package (plain values)."""

    return_code: str
    return_tracking_number: str
    tracking_number: str
    reference: str
    contents: str
    recipient_name: str
    expires_at: datetime
    limits: str  # "45 × 30 × 30 cm, 10 kg"
    box_mm: tuple[int, int, int]
    max_weight_g: int


def _return_code(code, actor: Actor, *, lock: bool = False) -> tuple[Code, Package]:
    """The live RETURN CODE `code` and its package, for a clerk at any branch or an admin.
    Refuses the role before anything (NotAllowed), a typo before any lookup (InvalidCode),
    and an unknown, used or expired code alike (ReturnCodeNotFound)."""
    check_role(Action.RETURN_DROP_OFF, actor, ecms.distribution_center_id())
    number = codes.parse(code, CodeType.RETURN)
    found = ecms.find_code(number, CodeType.RETURN, lock=lock)
    if (
        found is None
        or not found.live
        or found.package_id is None
        or (found.expires_at is not None and found.expires_at <= clock.now())
    ):
        raise ReturnCodeNotFound()
    package = db.session.get(Package, found.package_id, populate_existing=True)
    if package is None or package.state is not S.CLAIMED:
        raise ReturnCodeNotFound()
    return found, package


def _check(found: Code, package: Package) -> ReturnCheck:
    return ReturnCheck(
        return_code=found.code,
        return_tracking_number=found.tracking_number,
        tracking_number=package.tracking_number,
        reference=package.shipment.reference,
        contents=package.contents,
        recipient_name=package.shipment.recipient_name,
        expires_at=found.expires_at,
        limits=return_limits_text(),
        box_mm=tuple(packing.RETURN_BOX_MM),
        max_weight_g=packing.RETURN_MAX_WEIGHT_G,
    )


def find_return(code, actor: Actor) -> ReturnCheck:
    """What a RETURN CODE stands for, for the counter of any branch. Changes nothing.
    Raises NotAllowed, codes.InvalidCode, ReturnCodeNotFound."""
    return _check(*_return_code(code, actor))


@dataclass(frozen=True)
class ReturnAccepted:
    """What the counter's acceptance did (plain values, safe after the commit)."""

    return_code: str
    return_tracking_number: str
    tracking_number: str
    reference: str
    contents: str
    recipient_name: str
    shipment_id: int
    branch_id: int
    branch_name: str
    accepted_at: datetime
    inspection: dict


@transaction()
def accept_return(
    code, actor: Actor, *, inspection: ecms.Inspection, scanned: str | None = None
) -> ReturnAccepted:
    """The counter takes a return in: the RETURN CODE, the package measured (`inspection`),
    and the return label scanned (`scanned`, the return's tracking number; it must match when
    given). The package moves claimed → return_dropped_off at the clerk's branch through the
    ECMS (which refuses it over the return limit, changing nothing), with the code and the
    return's tracking number on the event; the code is used up; the shopper is mailed (by the
    ECMS's move) and the merchant told (for the shop's own orders the operator, at
    OPERATOR_EMAIL). Joins the caller's transaction (the counter issues its receipt in it).

    Raises as find_return; codes.InvalidCode for a mistyped label; ReturnLabelMismatch;
    ecms.FailsInspection; ecms.InvalidTransition (a concurrent acceptance)."""
    found, package = _return_code(code, actor, lock=True)
    if scanned is not None:
        label = codes.parse(scanned, CodeType.TRACKING)
        if label != found.tracking_number:
            raise ReturnLabelMismatch(
                f"The label {codes.group(label)} is not this return's: scan the return label "
                f"({codes.group(found.tracking_number)})."
            )
    moved = ecms.return_drop_off(
        package.tracking_number,
        actor,
        inspection=inspection,
        detail={
            "return_code": found.code,
            "return_tracking_number": found.tracking_number,
            "label_scanned": scanned is not None,
        },
    )
    now = clock.now()
    used = ecms.use_code(
        found.id,
        {
            "action": "return_accepted",
            "actor": actor.name,
            "actor_id": actor.user_id,
            "branch_id": actor.branch_id,
            "terminal": actor.terminal,
            "shift": actor.shift,
        },
        at=now,
    )
    if not used:  # the package's conditional move already refuses a second acceptance
        raise ecms.InvalidTransition("That return was just taken in at another counter.")
    shipment = moved.shipment
    branch = db.session.get(Branch, actor.branch_id) if actor.branch_id is not None else None
    branch_name = branch.name if branch is not None else ""
    _tell_merchant(shipment, moved, found, branch_name)
    return ReturnAccepted(
        return_code=found.code,
        return_tracking_number=found.tracking_number,
        tracking_number=moved.tracking_number,
        reference=shipment.reference,
        contents=moved.contents,
        recipient_name=shipment.recipient_name,
        shipment_id=shipment.id,
        branch_id=actor.branch_id,
        branch_name=branch_name,
        accepted_at=now,
        inspection=inspection.as_dict(),
    )


def _tell_merchant(shipment: Shipment, package: Package, code: Code, branch_name: str) -> None:
    """Seed 000's "ECMS sends notification": the merchant hears that its package is coming
    back. The shop is the merchant of its own orders: the operator is mailed at
    OPERATOR_EMAIL, through the outbox, in the acceptance's transaction, once per return. A
    merchant's shipment (source other than "shop") is told the same way until the merchant
    API's webhooks exist; they take this message's place."""
    to = current_app.config.get("OPERATOR_EMAIL")
    if not to:
        return
    merchant = "CLiQQ Shop (our own order)" if shipment.source == "shop" else shipment.source
    text = "\n".join(
        [
            f"A return was dropped off at {branch_name or 'a 7-Eleven branch'}.",
            "",
            f"Merchant: {merchant}",
            f"Order: {shipment.reference}",
            f"Package: {codes.group(package.tracking_number)} ({package.contents})",
            f"Return tracking number: {codes.group(code.tracking_number)}",
            f"RETURN CODE: {codes.group(code.code)}",
            "",
            "It goes back through the distribution center with the next pull-out and APO.",
            "",
            "CLiQQ Shop",
        ]
    )
    notify.enqueue_mail(
        to,
        f"Return dropped off: order {shipment.reference}",
        text,
        key=f"return-merchant-{code.code}",
    )


# --- the return label ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnLabel:
    """What a return label says (plain values): the return's tracking number, where it goes
    (the DC), who sends it from where, the RETURN CODE."""

    return_tracking_number: str
    return_code: str
    reference: str
    contents: str
    dc_code: str
    dc_name: str
    sender_name: str
    sender_area: str  # the shopper's pickup branch and city
    expires_at: datetime
    limits: str


def return_label(code) -> ReturnLabel:
    """The label of a live RETURN CODE (the shopper prints it at the kiosk). Raises
    codes.InvalidCode, ReturnCodeNotFound."""
    number = codes.parse(code, CodeType.RETURN)
    found = ecms.find_code(number, CodeType.RETURN)
    if (
        found is None
        or not found.live
        or found.package_id is None
        or (found.expires_at is not None and found.expires_at <= clock.now())
    ):
        raise ReturnCodeNotFound()
    package = db.session.get(Package, found.package_id)
    shipment = package.shipment
    branch = db.session.get(Branch, shipment.branch_id)
    dc_id = ecms.distribution_center_id()
    dc = db.session.get(Branch, dc_id) if dc_id is not None else None
    return ReturnLabel(
        return_tracking_number=found.tracking_number,
        return_code=found.code,
        reference=shipment.reference,
        contents=package.contents,
        dc_code=dc.code if dc is not None else "DC",
        dc_name=dc.name if dc is not None else "Distribution center",
        sender_name=shipment.recipient_name,
        sender_area=f"{branch.name}, {branch.city}" if branch is not None else "",
        expires_at=found.expires_at,
        limits=return_limits_text(),
    )


def return_label_pdf(code) -> bytes:
    """The return label of a live RETURN CODE: one A6 page, drawn as the shipping labels are
    (shop/fulfillment/labels.py): the return's tracking number as Code 128 and in groups,
    to the DC, from the shopper near their branch, the RETURN CODE, the return limit. Raises
    as return_label."""
    from shop.fulfillment import labels

    label = return_label(code)
    pdf = labels._pdf()
    pdf.set_title("CLiQQ Shop return label")
    pdf.add_page()
    inner = labels.PAGE_MM[0] - 2 * labels.MARGIN_MM
    text, rule = labels._text, labels._rule
    text(pdf, 6, "CLiQQ Shop", 13, bold=True)
    text(pdf, 6, "RETURN", 13, bold=True, align="R")
    text(pdf, 12.5, "7-Eleven return service", 9)
    text(pdf, 12.5, f"Order {label.reference}", 9, align="R")
    rule(pdf, 18)
    bottom = labels._draw_barcode(pdf, label.return_tracking_number, 21)
    text(pdf, bottom + 2, codes.group(label.return_tracking_number), 18, bold=True, align="C")
    text(pdf, bottom + 10, "RETURN TRACKING NUMBER", 7, align="C")
    rule(pdf, 54)
    text(pdf, 57, "TO", 8)
    text(pdf, 61, label.dc_code, 26, bold=True, h=12)
    text(pdf, 74, label.dc_name, 11, bold=True)
    rule(pdf, 81)
    text(pdf, 84, "FROM", 8)
    text(pdf, 88, label.sender_name[:40], 12, bold=True)
    pdf.set_font("DejaVu", "", 9)
    pdf.set_xy(labels.MARGIN_MM, 94)
    pdf.multi_cell(inner, 4.2, f"near {label.sender_area}", max_line_height=4.2)
    rule(pdf, 104)
    text(pdf, 106, "RETURN CODE", 8)
    pdf.set_line_width(0.6)
    pdf.rect(labels.MARGIN_MM, 110, inner, 10)
    text(pdf, 110, codes.group(label.return_code), 16, bold=True, align="C", h=10)
    pdf.set_font("DejaVu", "", 8)
    pdf.set_xy(labels.MARGIN_MM, 122)
    pdf.multi_cell(
        inner,
        3.8,
        f"Contents: {label.contents[:120]}",
        max_line_height=3.8,
    )
    rule(pdf, 133)
    text(pdf, 135, f"Hand in by {format_manila(label.expires_at)}", 8, bold=True)
    text(pdf, 139.5, f"At most {label.limits} · stick flat, do not cover the barcode", 6.5)
    return bytes(pdf.output())
