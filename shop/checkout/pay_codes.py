"""A PAY CODE paid at the counter (issue #10, points 4 and 5): a code-payment order (digital
items only, awaiting_payment until paid) is paid in cash at any 7-Eleven counter; it becomes
`paid` and its items are delivered as an online-paid digital order's are (the shopper's
"paid" mail, each load or voucher listed with where it goes). The kiosk prints a charge slip
for the shopper to take to the counter. checkout/service.py re-exports these.

Refused clearly, changing nothing: an unknown code, one already paid (unless the same clerk
sends the same payment twice: a double submit gets the first payment back, `repeated`), an
expired one (past its PAY_CODE_HOURS, or the order expired or was cancelled)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from shop import clock, codes
from shop.checkout.models import Order, OrderStatus, PaymentMethod
from shop.codes import CodeType
from shop.errors import Conflict, InvalidInput, NotFound
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.timeutil import format_manila
from shop.transaction import transaction

# A second submit of the same payment by the same clerk within this long reads the first one
# back instead of being refused (Enter pressed twice, a reload of the POST).
REPEAT_WINDOW = timedelta(minutes=5)
PAYING_ROLES = ("clerk", "admin")


class PayCodeNotFound(NotFound):
    """We couldn't find that PAY CODE. Check the digits."""

    code = "pay_code_not_found"


class PayCodeUsed(Conflict):
    """That PAY CODE has already been paid."""

    code = "pay_code_used"


class PayCodeExpired(Conflict):
    """That PAY CODE has expired: nothing was charged. The shopper can order again."""

    code = "pay_code_expired"


@dataclass(frozen=True)
class PaidLine:
    name: str
    quantity: int
    subtotal: int  # centavos
    goes_to: str | None  # where it is delivered, masked ("0917 *** 4567", "j***@example.com")


@dataclass(frozen=True)
class PayCodeCheck:
    """What a PAY CODE pays, for the kiosk's charge slip and the counter (plain values, no
    name, no full number: whoever holds the code may read it)."""

    code: str
    order_number: str
    amount: int  # centavos
    lines: tuple[PaidLine, ...]
    expires_at: datetime | None


@dataclass(frozen=True)
class CodePayment:
    """What paying a PAY CODE did (plain values, safe after the commit)."""

    code: str
    order_number: str
    amount: int
    cash_received: int
    change: int
    lines: tuple[PaidLine, ...]
    paid_at: datetime
    repeated: bool = False  # a double submit: this is the first payment, read back


def _masked(destination: str | None) -> str | None:
    if not destination:
        return None
    if destination.startswith("+63") and len(destination) == 13:
        return f"0{destination[3:6]} *** {destination[-4:]}"
    local, _, domain = destination.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _lines(order: Order) -> tuple[PaidLine, ...]:
    return tuple(
        PaidLine(line.name, line.quantity, line.subtotal, _masked(line.deliver_to))
        for line in order.lines
    )


def _order_of(code, *, lock: bool = False) -> tuple[object, Order]:
    """The PAY CODE's row and its order; with `lock`, both rows locked, the order's first (as
    the expiry tick takes them). Raises codes.InvalidCode (a typo, before any lookup),
    PayCodeNotFound."""
    number = codes.parse(code, CodeType.PAY)
    found = ecms.find_code(number, CodeType.PAY)
    if found is None:
        raise PayCodeNotFound()
    query = sa.select(Order).where(
        Order.number == found.reference, Order.payment_method == PaymentMethod.CODE
    )
    if lock:
        query = query.with_for_update()
    order = db.session.scalar(query.execution_options(populate_existing=True))
    if order is None or order.pay_code != found.code:
        raise PayCodeNotFound()
    if lock:
        found = ecms.find_code(number, CodeType.PAY, lock=True)
    return found, order


def _refuse_unpayable(found, order: Order, now: datetime) -> None:
    if order.status is OrderStatus.PAID:
        when = order.paid_at or found.used_at
        raise PayCodeUsed(f"That PAY CODE was paid on {format_manila(when)}." if when else None)
    if (
        order.status is not OrderStatus.AWAITING_PAYMENT
        or not found.live
        or (found.expires_at is not None and found.expires_at <= now)
    ):
        when = found.expires_at
        raise PayCodeExpired(
            f"That PAY CODE expired on {format_manila(when)}: nothing was charged. "
            "The shopper can order again."
            if when
            else None
        )


def check_pay_code(code) -> PayCodeCheck:
    """What a live PAY CODE pays: the kiosk's charge slip and the counter's panel. Changes
    nothing. Raises codes.InvalidCode, PayCodeNotFound, PayCodeUsed, PayCodeExpired."""
    found, order = _order_of(code)
    _refuse_unpayable(found, order, clock.now())
    return PayCodeCheck(found.code, order.number, order.total, _lines(order), found.expires_at)


def _check_actor(actor) -> None:
    if actor.role not in PAYING_ROLES or (actor.role == "clerk" and actor.branch_id is None):
        raise ecms.NotAllowed("Only a store clerk takes a PAY CODE's payment.")


@transaction()
def pay_by_code(code, actor, *, cash_received) -> CodePayment:
    """A PAY CODE paid in cash at the counter: the clerk (`actor`, any branch) took
    `cash_received` centavos (at least the amount; the change is computed). The order becomes
    paid, the code is used (who, where, the cash and change kept on it), and its items are
    delivered as an online-paid digital order's are: the shopper's "paid" mail, listing each
    and where it goes. One transaction, joined by the counter's (its charge receipt). The
    order and code rows are locked and the change is conditional, so of two submits exactly
    one pays; the same clerk's second within REPEAT_WINDOW gets the first payment back
    (`repeated`), anyone else PayCodeUsed.

    Raises ecms.NotAllowed, codes.InvalidCode, PayCodeNotFound, PayCodeUsed, PayCodeExpired,
    InvalidInput (field cash_received)."""
    _check_actor(actor)
    found, order = _order_of(code, lock=True)
    now = clock.now()
    if order.status is OrderStatus.PAID:
        repeat = _repeat(found, actor, now)
        if repeat is not None:
            return repeat
    _refuse_unpayable(found, order, now)
    if isinstance(cash_received, bool) or not isinstance(cash_received, int):
        raise InvalidInput("Enter the cash received.", field="cash_received")
    if cash_received < order.total:
        raise InvalidInput("The cash received is less than the amount due.", field="cash_received")
    if cash_received > order.total + 10_000_000:  # ₱100,000 over: a slip of the keyboard
        raise InvalidInput("That is far more than the amount due: check it.", field="cash_received")
    change = cash_received - order.total
    paid = db.session.execute(
        sa.update(Order)
        .where(Order.id == order.id, Order.status == OrderStatus.AWAITING_PAYMENT)
        .values(status=OrderStatus.PAID, paid_at=now, hold_until=None),
        execution_options={"synchronize_session": False},
    ).rowcount
    detail = {
        "action": "paid",
        "actor": actor.name,
        "actor_id": actor.user_id,
        "branch_id": actor.branch_id,
        "terminal": actor.terminal,
        "shift": actor.shift,
        "amount": order.total,
        "cash_received": cash_received,
        "change": change,
    }
    if paid != 1 or not ecms.use_code(found.id, detail, at=now):
        # Another submit paid it between our read and our write (SQLite has no FOR UPDATE):
        # nothing of ours is kept.
        raise PayCodeUsed()
    db.session.refresh(order)
    from shop.checkout.service import _mail_order

    _mail_order(
        "paid",
        number=order.number,
        to=order.email,
        name=order.name,
        method=order.payment_method,
        total=order.total,
        branch_name=None,
        code=None,
        deadline=None,
        delivered=[line for line in _lines(order) if line.goes_to],
    )
    return CodePayment(
        code=found.code,
        order_number=order.number,
        amount=order.total,
        cash_received=cash_received,
        change=change,
        lines=_lines(order),
        paid_at=now,
    )


def _repeat(found, actor, now: datetime) -> CodePayment | None:
    """The first payment read back, when this is the same clerk's second submit of it."""
    detail = found.detail or {}
    if (
        detail.get("action") != "paid"
        or actor.user_id is None
        or detail.get("actor_id") != actor.user_id
        or found.used_at is None
        or now - found.used_at > REPEAT_WINDOW
    ):
        return None
    order = db.session.scalar(sa.select(Order).where(Order.number == found.reference))
    return CodePayment(
        code=found.code,
        order_number=order.number,
        amount=detail["amount"],
        cash_received=detail["cash_received"],
        change=detail["change"],
        lines=_lines(order),
        paid_at=found.used_at,
        repeated=True,
    )
