"""Checkout: quote a cart, place an order in one transaction, confirm online payments, and let
unpaid orders expire.

Rules decided here (see docs/decisions.md):
- shipping is SHIPPING_FEE_PER_PACKAGE per package to the branch; digital items ship free;
- cash on delivery is at most COD_CAP per order, like the counter channels it runs on;
- code payment is only for carts of digital items only; a cart mixing digital and physical
  items pays online or at the store, and its digital items need no package;
- the COD amount due is written on the order (and its shipment) once, at order time.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_request_context, render_template, url_for
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.orm import lazyload

from shop import clock
from shop.branches import service as branches
from shop.cart import service as cart_service
from shop.catalog import service as catalog
from shop.catalog.models import AsksFor

# The holds and the keys live in modules of their own; service.py is still checkout's one face
# for views and tests, so it names them here.
from shop.checkout.holds import (  # noqa: F401
    Holder,
    TooManyUnpaid,
    check_holds,
    hold_limits,
    lock_holder,
)
from shop.checkout.keys import (  # noqa: F401
    StaleCheckout,
    check_checkout_key,
    checkout_key,
)
from shop.checkout.models import Order, OrderLine, OrderStatus, PaymentMethod
from shop.codes import CodeType
from shop.contact import format_phone, normalize_phone
from shop.errors import Conflict, DomainError, InvalidInput, NotFound
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import PaymentMode
from shop.fulfillment.packing import Packing
from shop.money import Money
from shop.notify import service as notify
from shop.timeutil import format_manila
from shop.transaction import in_transaction, transaction

SHIPPING_FEE_PER_PACKAGE = Money.pesos(85)
COD_CAP = Money.pesos(50_000)
CODE_PAYMENT_CAP = Money.pesos(50_000)
CURRENCY = "php"  # every price, total and payment is in Philippine pesos
ATTEMPTS = 3  # draws of random numbers before giving up (a repeat is one in ~10^11)
ORDER_NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read aloud safely


class EmptyCart(InvalidInput):
    """Your cart is empty. Add something before checking out."""

    code = "empty_cart"


class CartChanged(Conflict):
    """Your cart changed since you last looked. Please review it and try again."""

    code = "cart_changed"


class NotEligible(Conflict):
    """Some items can't be picked up at a store."""

    code = "parcel_too_large"


class PaymentNotAllowed(InvalidInput):
    """Choose how you'd like to pay."""

    code = "payment_not_allowed"


class OrderNotFound(NotFound):
    """We couldn't find that order."""

    code = "order_not_found"


def payment_methods(*, physical: bool, total: Money) -> dict[PaymentMethod, str | None]:
    """Each payment method for an order of this kind and total, and why it isn't available
    (None when it is): the one rule, for the checkout's quote and for an online order that
    turns to cash (switch_to_cash)."""
    return {
        PaymentMethod.ONLINE: None,
        PaymentMethod.COD: (
            "Only for orders with a package to pick up."
            if not physical
            else f"Cash on pickup is for orders up to {COD_CAP}."
            if total > COD_CAP
            else None
        ),
        PaymentMethod.CODE: (
            "Only for digital items (load, vouchers)."
            if physical
            else f"Code payment is for orders up to {CODE_PAYMENT_CAP}."
            if total > CODE_PAYMENT_CAP
            else None
        ),
    }


@dataclass(frozen=True)
class Quote:
    """What the cart costs and how it travels, computed on the server from fresh prices."""

    cart: cart_service.Cart
    packing: Packing
    subtotal: Money
    shipping_fee: Money
    total: Money
    notices: list[str] = field(default_factory=list)

    @property
    def packages(self) -> int:
        return self.packing.count

    @property
    def physical(self) -> bool:
        return any(not line.item.virtual for line in self.cart.lines)

    @property
    def frozen(self) -> bool:
        return any(line.item.frozen and not line.item.virtual for line in self.cart.lines)

    @property
    def digital_only(self) -> bool:
        """Nothing to pick up: no branch, no pickup window, no "who picks it up"."""
        return bool(self.cart.lines) and not self.physical

    @property
    def asking_lines(self) -> list:
        """The lines whose item needs something from the shopper to be delivered (a number to
        load, an address to send it to), in cart order."""
        return [line for line in self.cart.lines if line.item.asks_for is not AsksFor.NOTHING]

    @property
    def problems(self) -> list[str]:
        """Why this cart can't be checked out for store pickup (empty when it can)."""
        return cart_service.too_large_problems(self.packing)

    def methods(self) -> dict[PaymentMethod, str | None]:
        """Each payment method, and why it isn't available (None when it is)."""
        return payment_methods(physical=self.physical, total=self.total)

    def shown_methods(self) -> dict[PaymentMethod, str | None]:
        """The payment methods checkout shows for this cart, each with why it isn't available
        (None when it is). Cash on pickup needs a package and a pay code is for digital items
        only, so a cart is never shown the one that can't apply to its kind at all."""
        never = PaymentMethod.CODE if self.physical else PaymentMethod.COD
        return {method: why for method, why in self.methods().items() if method is not never}


def only_method(offer: Quote) -> str | None:
    """The one way this cart can be paid, when there is only one (checkout preselects it)."""
    available = [method for method, why in offer.shown_methods().items() if why is None]
    return available[0].value if len(available) == 1 else None


def default_answers(offer: Quote, phone: str | None) -> dict[str, str]:
    """What the per-line questions start with: a load goes to the shopper's own number."""
    return {
        DELIVERY_FIELD.format(line.item.id): phone or ""
        for line in offer.asking_lines
        if line.item.asks_for is AsksFor.MOBILE
    }


@dataclass(frozen=True)
class PlacedOrder:
    """What placing an order tells the caller, read before the commit (so nothing is read
    back from the database after it)."""

    number: str
    status: OrderStatus
    payment_method: PaymentMethod
    total: int
    shipment_id: int | None
    hold_until: datetime | None
    pay_code: str | None

    @classmethod
    def of(cls, order: Order) -> "PlacedOrder":
        return cls(
            order.number,
            order.status,
            order.payment_method,
            order.total,
            order.shipment_id,
            order.hold_until,
            order.pay_code,
        )


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    email: str


def quote(contents) -> tuple[Quote, dict]:
    """The quote for a cart, and the cart contents corrected for stock (see cart.load_cart)."""
    cart, kept = cart_service.load_cart(contents)
    return _quote_of(cart), kept


def _quote_of(cart: cart_service.Cart) -> Quote:
    packing = cart.packing
    subtotal = cart.subtotal
    shipping = SHIPPING_FEE_PER_PACKAGE * packing.count
    return Quote(cart, packing, subtotal, shipping, subtotal + shipping, cart.notices)


def check_contact(name: str, phone: str, email: str) -> Contact:
    """Contact details made canonical. Raises InvalidInput naming the field."""
    name = " ".join((name or "").split())
    if not 2 <= len(name) <= 120:
        raise InvalidInput("Enter a full name, of 2 to 120 characters.", field="name")
    email = (email or "").strip().lower()
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput("Enter an email address like juan@example.com.", field="email") from None
    return Contact(name=name, phone=normalize_phone(phone), email=email)


DELIVERY_FIELD = "deliver_to_{}"  # the checkout form's field for a line, by item id


@dataclass(frozen=True)
class Ask:
    """A question checkout asks for one line (see AsksFor), with what the shopper answered."""

    field: str  # the form field's name
    item_name: str
    asks_for: AsksFor
    value: str = ""
    error: str | None = None

    @property
    def label(self) -> str:
        return self.asks_for.label(self.item_name)

    @property
    def max_length(self) -> int:
        """The longest answer the field takes (what normalize_phone and an address allow)."""
        return 32 if self.asks_for is AsksFor.MOBILE else 254


def asks(offer: Quote, answers, error: DomainError | None = None) -> list[Ask]:
    """What checkout asks for the offer's lines, with the answers given so far (`answers`: the
    submitted form, or defaults by field name) and `error` placed on its field."""
    result = []
    for line in offer.asking_lines:
        name = DELIVERY_FIELD.format(line.item.id)
        value = answers.get(name) or ""
        result.append(
            Ask(
                field=name,
                item_name=line.item.name,
                asks_for=line.item.asks_for,
                value=value if isinstance(value, str) else "",
                error=error.message if error is not None and error.field == name else None,
            )
        )
    return result


def check_deliveries(offer: Quote, answers) -> dict[int, str]:
    """Where each line that asks for it goes, made canonical: {item id: E.164 number or email
    address}. `answers` maps field names (DELIVERY_FIELD) to what the shopper typed. Raises
    InvalidInput naming the first field that is missing or wrong."""
    deliveries = {}
    for line in offer.asking_lines:
        name = DELIVERY_FIELD.format(line.item.id)
        raw = answers.get(name)
        deliveries[line.item.id] = _delivery(line.item, raw if isinstance(raw, str) else "", name)
    return deliveries


def _delivery(item, raw: str, name: str) -> str:
    raw = raw.strip()
    if item.asks_for is AsksFor.MOBILE:
        try:
            return normalize_phone(raw)
        except InvalidInput:
            raise InvalidInput(
                f"Enter the Philippine mobile number to load with {item.name}, like 0917 123 4567.",
                field=name,
            ) from None
    try:
        return validate_email(raw.lower(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput(
            f"Enter the email address to send {item.name} to, like juan@example.com.", field=name
        ) from None


def hold_period() -> timedelta:
    return timedelta(minutes=current_app.config["ONLINE_PAYMENT_HOLD_MINUTES"])


def pay_code_period() -> timedelta:
    return timedelta(hours=current_app.config["PAY_CODE_HOURS"])


def place_order(
    contents,
    *,
    idempotency_key: str,
    key_binding: str,
    holder: Holder,
    contact: Contact,
    method: PaymentMethod,
    branch_code: str | None,
    expected_total: int | None,
    user_id: int | None = None,
    answers=None,
    referral=None,
) -> PlacedOrder:
    """Place an order for the cart, in one transaction: stock reserved by conditional updates
    (rows in item id order, so two checkouts never deadlock), the branch's shelf reserved for
    the packages the cart packs into (the packing is kept on the order), the order, its lines,
    and for cash on delivery the shipment with its tracking numbers and PAY & CLAIM code, or
    for code payment its PAY CODE.

    The same idempotency key always gives the same order: a double-click or a replayed POST
    places one order (the unique index on the key decides; a repeat is looked up only when its
    own attempt fails, so the usual order costs no extra query). `answers` (the submitted form)
    says where each line that asks for it goes (see check_deliveries), checked against the
    lines as taken. `referral` (a partners.Referral: the app whose iframe it was placed in, the
    visitor) credits the order to an app, in this same transaction (partners.order_placed).
    The key must be one `checkout_key(key_binding)` issued. Unpaid holds are bounded per
    session and per address (hold_limits).

    Raises StaleCheckout, TooManyUnpaid, EmptyCart, CartChanged, NotEligible,
    PaymentNotAllowed, catalog.StockGone, branches.BranchNotFound / BranchUnavailable,
    InvalidInput.
    """
    if in_transaction():
        raise RuntimeError("place_order runs its own transactions (one per attempt)")
    check_checkout_key(idempotency_key, key_binding)
    contents = cart_service.normalize(contents)
    now = clock.now()
    for attempt in range(ATTEMPTS):
        try:
            with transaction():
                lock_holder(holder)
                # Stock first, with the prices the same statements return: one round trip
                # per line instead of a read and then a write. Whatever check fails below
                # rolls the reservation back.
                offer = _quote_of(_take_cart(contents))
                check_holds(holder, offer.cart.units)
                _check(offer, method, branch_code, expected_total)
                deliveries = check_deliveries(offer, answers or {})
                return _write_order(
                    offer,
                    idempotency_key,
                    holder,
                    contact,
                    method,
                    branch_code,
                    user_id,
                    now,
                    deliveries,
                    referral,
                )
        except sa.exc.IntegrityError:
            # Another request with the same key committed first (a double-click): that order
            # is this order. Otherwise a number drawn at random was drawn twice at once (the
            # unique indexes caught it): draw again.
            existing = _by_idempotency_key(idempotency_key)
            if existing is not None:
                return PlacedOrder.of(existing)
            if attempt == ATTEMPTS - 1:
                raise
        except DomainError as refused:
            # A repeat of a request that already placed its order finds the cart emptied, or
            # the stock taken by that very order: it gets that order, not an error.
            existing = _by_idempotency_key(idempotency_key)
            if existing is not None:
                return PlacedOrder.of(existing)
            if isinstance(refused, catalog.StockGone):
                _explain_stock(contents)
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _take_cart(contents: dict) -> cart_service.Cart:
    """Reserve every line's stock (rows in item id order, so two checkouts never deadlock) and
    return the cart as the reservations priced it. Raises EmptyCart, catalog.StockGone."""
    if not contents:
        raise EmptyCart()
    lines = [
        cart_service.CartLine(catalog.take_stock(int(item_id), quantity), quantity)
        for item_id, quantity in sorted(contents.items(), key=lambda pair: int(pair[0]))
    ]
    return cart_service.Cart(lines, [])


def _explain_stock(contents: dict) -> None:
    """Stock ran short: say exactly what changed, as the cart page would ("Only 1 left of
    ..."). Raises CartChanged or EmptyCart when it can say more; returns otherwise."""
    offer, _ = quote(contents)
    if offer.notices:
        raise CartChanged(" ".join(offer.notices))
    if not offer.cart:
        raise EmptyCart()


def _check(offer: Quote, method, branch_code, expected_total) -> None:
    """Can an order be placed for this quote as asked? Raises the domain errors place_order
    documents."""
    if expected_total != offer.total.centavos:  # what the shopper saw is what they pay
        raise CartChanged("Prices or your cart changed. Please check the new total and confirm.")
    if offer.problems:
        raise NotEligible(" ".join(offer.problems))
    reason = offer.methods().get(method, "Choose how you'd like to pay.")
    if reason:
        raise PaymentNotAllowed(reason, field="payment")
    if offer.packages and not branch_code:
        raise InvalidInput("Choose the 7-Eleven branch where you'll pick up.", field="branch")


def _write_order(
    offer, key, holder, contact, method, branch_code, user_id, now, deliveries, referral=None
) -> PlacedOrder:
    """Every row of a new order (its stock already taken), with plain multi-row INSERTs (this
    is the shop's busiest write; the ORM's unit of work cost more than the database). Never
    commits."""
    branch = None
    if offer.packages:
        branch = branches.reserve(branch_code, offer.packages, frozen_required=offer.frozen)
    total = offer.total.centavos
    parcels = [ecms.Parcel.of(package) for package in offer.packing.packages]
    session_hash, address_hash = holder.hashes()
    number = _new_order_number()
    status, shipment_id, pay_code, hold_until = OrderStatus.AWAITING_PAYMENT, None, None, None
    counter_code = None
    if method is PaymentMethod.COD:
        shipment = ecms.create_shipment(
            reference=number,
            payment=PaymentMode.COD,
            amount_due=total,
            branch_id=branch.id,
            recipient=ecms.Recipient(contact.name, contact.phone, contact.email),
            parcels=parcels,
        )
        shipment_id, counter_code = shipment.id, shipment.code
        status = OrderStatus.CONFIRMED
    elif method is PaymentMethod.CODE:
        hold_until = now + pay_code_period()
        pay_code = ecms.issue_pay_code(number, total, hold_until).code
    else:
        hold_until = now + hold_period()
    order_id = db.session.execute(
        INSERT_ORDER,
        {
            "number": number,
            "idempotency_key": key,
            "user_id": user_id,
            "name": contact.name,
            "phone": contact.phone,
            "email": contact.email,
            "payment_method": method,
            "status": status,
            "branch_id": branch.id if branch else None,
            "packages": offer.packages,
            "parcels": [parcel.as_dict() for parcel in parcels] if parcels else None,
            "units": offer.cart.units,
            "session_hash": session_hash,
            "client_hash": address_hash,
            "subtotal": offer.subtotal.centavos,
            "shipping_fee": offer.shipping_fee.centavos,
            "total": total,
            "amount_due": total if method is PaymentMethod.COD else 0,
            "shipment_id": shipment_id,
            "pay_code": pay_code,
            "hold_until": hold_until,
            "created_at": now,
        },
    ).scalar_one()
    db.session.execute(
        INSERT_LINES,
        [
            {
                "order_id": order_id,
                "item_id": line.item.id,
                "name": line.item.name,
                "unit_price": line.item.price,
                "quantity": line.quantity,
                "virtual": line.item.virtual,
                "frozen": line.item.frozen,
                "deliver_to": deliveries.get(line.item.id),
            }
            for line in offer.cart.lines
        ],
    )
    _mail_order(
        "placed",
        number=number,
        to=contact.email,
        name=contact.name,
        method=method,
        total=total,
        branch_name=branch.name if branch else None,
        code=counter_code or (ecms.IssuedCode(pay_code, CodeType.PAY) if pay_code else None),
        deadline=hold_until,
    )
    db.session.flush()  # the pay code, if any
    if referral is not None:
        # Imported here: partners reads orders through checkout's own functions below.
        from shop.partners import service as partners

        partners.order_placed(db.session.get(Order, order_id), referral)
    return PlacedOrder(number, status, method, total, shipment_id, hold_until, pay_code)


def _mail_order(event: str, *, number: str, to: str, **facts) -> None:
    """Queue the shopper's mail about their order (`placed` or `paid`) in the caller's
    transaction: it goes out, through the outbox, only if the order is saved, and once per
    order and event however often the caller runs. It carries the order's own link, so a
    guest who closes the page can find the order again."""
    link = order_link(number)
    subject = {
        "placed": f"Your CLiQQ Shop order {number}",
        "paid": f"Paid: your CLiQQ Shop order {number}",
    }[event]
    text = render_template(f"checkout/mail/{event}.txt", number=number, link=link, **facts)
    notify.enqueue_mail(to, subject, text, key=f"order-{event}-{number}")


def order_link(number: str) -> str:
    """The order page's full address with its signed key (anyone holding it may see the
    order): on SHOP_URL when set, else on the address of the request being served (outside a
    request, on http://localhost)."""
    values = {"number": number, "key": order_key(number)}
    base = current_app.config.get("SHOP_URL")
    if base is None and has_request_context():
        return url_for("checkout.order", _external=True, **values)
    parts = urlsplit(base or "http://localhost")
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build("checkout.order", values, force_external=True)


def _give_back_stock(order: Order) -> None:
    for line in sorted(order.lines, key=lambda line: line.item_id):
        catalog.give_back_stock(line.item_id, line.quantity)


# Built once, on the tables (plain Core statements: no ORM bulk machinery per order).
INSERT_ORDER = sa.insert(Order.__table__).returning(Order.__table__.c.id)
INSERT_LINES = sa.insert(OrderLine.__table__)


def _new_order_number() -> str:
    """CQ-XXXX-XXXX from 30^8 (6.6 × 10^11) numbers; the unique index catches a repeat."""
    raw = "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(8))
    return f"CQ-{raw[:4]}-{raw[4:]}"


def _by_idempotency_key(key: str) -> Order | None:
    return db.session.scalar(sa.select(Order).where(Order.idempotency_key == key))


@transaction()
def confirm_online_payment(
    order_number: str, payment_intent: str, amount: int, currency: str
) -> Order | None:
    """The card payment of an online order succeeded: mark it paid and ask the ECMS for its
    labels (tracking numbers, CLAIM CODE) for the packages the order reserved shelf space for,
    once, however often this is called for it. Returns the order, or None when the payment
    can't be applied (unknown order, wrong amount or currency, or an order that expired
    first): the caller refunds it. One unit of work; inside a caller's transaction (the
    webhook's, which also records the event) it joins that one and commits with it."""
    order = db.session.scalar(
        sa.select(Order).where(Order.number == order_number).with_for_update()
    )
    if order is None or order.payment_method is not PaymentMethod.ONLINE:
        return None
    if order.status is OrderStatus.CONFIRMED and order.stripe_payment_intent == payment_intent:
        return order  # already done: a replayed event, or the browser and the webhook both
    if (
        order.status is not OrderStatus.AWAITING_PAYMENT
        or amount != order.total
        or (currency or "").lower() != CURRENCY
    ):
        return None
    changed = db.session.execute(
        sa.update(Order)
        .where(
            Order.id == order.id,
            Order.status == OrderStatus.AWAITING_PAYMENT,
            Order.payment_method == PaymentMethod.ONLINE,  # not turned to cash meanwhile
        )
        .values(
            status=OrderStatus.CONFIRMED,
            paid_at=clock.now(),
            hold_until=None,
            stripe_payment_intent=payment_intent,
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    if changed != 1:  # expired or turned to cash meanwhile (SQLite has no FOR UPDATE)
        return None
    db.session.refresh(order)
    if order.packages:
        shipment = ecms.create_shipment(
            reference=order.number,
            payment=PaymentMode.PREPAID,
            branch_id=order.branch_id,
            recipient=ecms.Recipient(order.name, order.phone, order.email),
            parcels=[ecms.Parcel.from_dict(parcel) for parcel in order.parcels or []],
        )
        order.shipment_id = shipment.id
    db.session.flush()
    branch = branches.get_branch_by_id(order.branch_id) if order.branch_id else None
    _mail_order(
        "paid",
        number=order.number,
        to=order.email,
        name=order.name,
        method=order.payment_method,
        total=order.total,
        branch_name=branch.name if branch else None,
        code=shipment.code if order.packages else None,
        deadline=None,
    )
    return order


# --- An online order that turns to cash (issue #9, point 6) ----------------------------------


class NotAwaitingCard(Conflict):
    """This order isn't waiting for a card payment any more: nothing was changed."""

    code = "not_awaiting_card"


class CashNotAllowed(Conflict):
    """This order can't be paid in cash: nothing was changed."""

    code = "cash_not_allowed"


CASH_LABELS = {
    PaymentMethod.COD: "Pay in cash at the store instead",
    PaymentMethod.CODE: "Get a pay code instead",
}
CASH_NOTES = {
    PaymentMethod.COD: "No card needed: pay in cash at the counter when you pick it up.",
    PaymentMethod.CODE: "No card needed: pay at any 7-Eleven counter with a pay code.",
}


@dataclass(frozen=True)
class CashOffer:
    """How an online order waiting for its card payment may pay in cash instead."""

    method: PaymentMethod  # COD (an order with packages) or CODE (digital items only)
    label: str  # the button
    note: str  # what it means, in a sentence


@dataclass(frozen=True)
class CashSwitch:
    """What switch_to_cash did, read before its commit."""

    number: str
    method: PaymentMethod
    open_payment_intent: str | None  # the card payment that was waiting: cancel it at Stripe


def _cash_instead(order: Order) -> tuple[PaymentMethod, str | None]:
    """The cash method an online order would switch to, and why it can't (None when it can):
    checkout's own rule (payment_methods) for the order's kind and total."""
    physical = any(not line.virtual for line in order.lines)
    method = PaymentMethod.COD if physical else PaymentMethod.CODE
    return method, payment_methods(physical=physical, total=Money(order.total))[method]


def cash_offer(order: Order) -> CashOffer | None:
    """The cash payment this order may switch to, or None (it isn't waiting for a card
    payment, or its total is over the cap of cash on pickup or of code payment)."""
    if not order.payable_by_card:
        return None
    method, reason = _cash_instead(order)
    return None if reason else CashOffer(method, CASH_LABELS[method], CASH_NOTES[method])


@transaction()
def note_open_payment(order_id: int, payment_intent: str) -> None:
    """Keep the card payment that waits for the shopper (3-D Secure) on the order, so a switch
    to cash can cancel it at Stripe. Only while the order waits for its card payment; once it
    is paid, stripe_payment_intent is the payment that paid it (confirm_online_payment)."""
    db.session.execute(
        sa.update(Order)
        .where(
            Order.id == order_id,
            Order.status == OrderStatus.AWAITING_PAYMENT,
            Order.payment_method == PaymentMethod.ONLINE,
        )
        .values(stripe_payment_intent=payment_intent),
        execution_options={"synchronize_session": False},
    )


@transaction()
def switch_to_cash(order_number: str) -> CashSwitch:
    """Turn an online order still waiting for its card payment into a cash one, in one
    transaction: an order with packages becomes cash on pickup (its shipment with the PAY &
    CLAIM code, amount due = its total, confirmed, no payment hold), a digital-only order a
    code payment (its PAY CODE, due within PAY_CODE_HOURS); the shopper's mail is queued as
    placing an order queues it. The stock and the branch's shelf it holds stay held.

    Whatever card payment was waiting is returned for the caller to cancel at Stripe after
    the commit; if it succeeds anyway, confirm_online_payment refuses it (the order is no
    longer an online one) and it is refunded. The order row is locked, and the change is a
    conditional update, so a payment confirmed at the same moment and this switch can't both
    win (also on SQLite, which ignores FOR UPDATE).

    Raises NotAwaitingCard, CashNotAllowed (and changes nothing)."""
    order = db.session.scalar(
        sa.select(Order).where(Order.number == order_number).with_for_update()
    )
    if order is None or not order.payable_by_card:
        raise NotAwaitingCard()
    method, reason = _cash_instead(order)
    if reason:
        raise CashNotAllowed(reason)
    open_payment_intent = order.stripe_payment_intent
    now = clock.now()
    values = {"payment_method": method, "stripe_payment_intent": None}
    if method is PaymentMethod.COD:
        values |= {"status": OrderStatus.CONFIRMED, "hold_until": None, "amount_due": order.total}
    else:
        values |= {"hold_until": now + pay_code_period()}
    changed = db.session.execute(
        sa.update(Order)
        .where(
            Order.id == order.id,
            Order.status == OrderStatus.AWAITING_PAYMENT,
            Order.payment_method == PaymentMethod.ONLINE,
        )
        .values(**values),
        execution_options={"synchronize_session": False},
    ).rowcount
    if changed != 1:  # paid or expired meanwhile (SQLite has no FOR UPDATE)
        raise NotAwaitingCard()
    db.session.refresh(order)
    branch = branches.get_branch_by_id(order.branch_id) if order.branch_id else None
    if method is PaymentMethod.COD:
        shipment = ecms.create_shipment(
            reference=order.number,
            payment=PaymentMode.COD,
            amount_due=order.total,
            branch_id=order.branch_id,
            recipient=ecms.Recipient(order.name, order.phone, order.email),
            parcels=[ecms.Parcel.from_dict(parcel) for parcel in order.parcels or []],
        )
        order.shipment_id = shipment.id
        code = shipment.code
    else:
        order.pay_code = ecms.issue_pay_code(order.number, order.total, order.hold_until).code
        code = ecms.IssuedCode(order.pay_code, CodeType.PAY)
    db.session.flush()
    _mail_cash(order, code, branch.name if branch else None)
    return CashSwitch(order.number, method, open_payment_intent)


def _mail_cash(order: Order, code, branch_name: str | None) -> None:
    """The mail of an order placed for cash, for an order that turned to cash: its own outbox
    key (order-cash-<number>), so the mail sent when it was placed for a card doesn't make
    this one a repeat."""
    text = render_template(
        "checkout/mail/placed.txt",
        number=order.number,
        link=order_link(order.number),
        name=order.name,
        method=order.payment_method,
        total=order.total,
        branch_name=branch_name,
        code=code,
        deadline=order.hold_until,
    )
    subject = f"Pay at the store: your CLiQQ Shop order {order.number}"
    notify.enqueue_mail(order.email, subject, text, key=f"order-cash-{order.number}")


def expire_unpaid(now: datetime | None = None, batch: int = 200) -> int:
    """Expire online orders unpaid past their hold and code-payment orders past their PAY CODE
    deadline: stock and the branch's shelf come back, the PAY CODE is retired. Safe when
    several ticks run at once: each order changes state by a conditional update, and only the
    tick whose update changed the row gives anything back. Returns how many expired."""
    now = now or clock.now()
    expired = 0
    query = (
        sa.select(Order.id)
        .where(Order.status == OrderStatus.AWAITING_PAYMENT, Order.hold_until < now)
        .order_by(Order.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    with transaction():
        for order_id in db.session.scalars(query).all():
            changed = db.session.execute(
                sa.update(Order)
                .where(Order.id == order_id, Order.status == OrderStatus.AWAITING_PAYMENT)
                .values(status=OrderStatus.EXPIRED, closed_at=now),
                execution_options={"synchronize_session": False},
            ).rowcount
            if changed != 1:
                continue
            order = db.session.get(Order, order_id)
            _give_back_stock(order)
            if order.branch_id and order.packages:
                branches.release(order.branch_id, order.packages)
            if order.pay_code:
                ecms.retire_code(order.pay_code)
            _close_commission(order, "expired")
            expired += 1
    return expired


def _close_commission(order: Order, reason: str) -> None:
    """An order that closed unpaid (expired) or was cancelled earns its app nothing: every
    unit of its commission is reversed, in the caller's transaction (partners.order_closed).
    A cancel (not built yet: the operator's console) calls this too."""
    from shop.partners import service as partners  # imported here: see _write_order

    partners.order_closed(order, reason)


@dataclass(frozen=True)
class OrderState:
    """What partners' ledger needs of an order: is it paid, and since when (plain values)."""

    id: int
    number: str
    status: OrderStatus
    paid_at: datetime | None

    @property
    def paid(self) -> bool:
        """Paid or confirmed (cash on pickup is paid at the claim, which the packages show)."""
        return self.status in (OrderStatus.CONFIRMED, OrderStatus.PAID)


def order_states(*, ids=(), numbers=()) -> list[OrderState]:
    """The orders with these ids or numbers, as OrderState, in one query (unknown ones are
    simply absent)."""
    ids, numbers = list(ids), list(numbers)
    if not ids and not numbers:
        return []
    rows = db.session.execute(
        sa.select(Order.id, Order.number, Order.status, Order.paid_at).where(
            sa.or_(Order.id.in_(ids), Order.number.in_(numbers))
        )
    )
    return [OrderState(row.id, row.number, row.status, row.paid_at) for row in rows]


# --- Who may see an order, and what its page shows -------------------------------------------


def _link_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="order-link")


def order_key(number: str) -> str:
    """The secret part of an order's shareable link (/orders/<number>?key=...)."""
    return _link_signer().dumps(number)


def find_order(number: str, *, user_id: int | None, session_orders, key: str | None) -> Order:
    """The order with this number, for a visitor who may see it: its owner (`user_id`), the
    browser session that placed it (`session_orders`), or whoever holds its signed link
    (`key`, see order_key).

    Raises OrderNotFound, the same error after the same work, whether the order is missing,
    not the visitor's, or its number malformed: a lookup never tells "exists but not yours"
    from "does not exist". Every path verifies the key (when one is given) and runs the one
    query."""
    keyed = _number_of_key(key)
    number = number.strip().upper() if isinstance(number, str) else ""
    wanted = number if len(number) == 12 and number.startswith("CQ-") else ""
    # Its lines load when a permitted caller reads them, never here: loading them for an order
    # that isn't the visitor's would be a second query a missing order doesn't cost.
    order = db.session.scalar(
        sa.select(Order).options(lazyload(Order.lines)).where(Order.number == wanted)
    )
    if order is None or not _may_view(order, user_id, session_orders, keyed):
        raise OrderNotFound()
    return order


def _number_of_key(key) -> str | None:
    """The order number a signed link's key is for, or None for no key or a forged one."""
    if not isinstance(key, str) or not key:
        return None
    try:
        return _link_signer().loads(key)
    except BadData:
        return None


def _may_view(order: Order, user_id, session_orders, keyed_number: str | None) -> bool:
    """The owner, the browser session that placed it, or whoever holds its signed link."""
    if user_id is not None and order.user_id == user_id:
        return True
    if isinstance(session_orders, list) and order.number in session_orders:
        return True
    return keyed_number is not None and keyed_number == order.number


@dataclass(frozen=True)
class Standing:
    """Where an order stands, in the shopper's words: the order page's headline and the
    sentence under it, and the tone its badge is drawn in."""

    tone: str  # "waiting" (the shopper has something to do), "done", "due" (cash at pickup), "over"
    headline: str
    detail: str


def standing(order: Order, *, branch_name: str | None = None, now=None) -> Standing:
    """What the order's state means for the shopper: what to do and by when, or that nothing
    is left to do. Promises only what the shop does."""
    now = now or clock.now()
    total, method, status = Money(order.total), order.payment_method, order.status
    if status is OrderStatus.AWAITING_PAYMENT:
        deadline = order.hold_until
        by = f" before {format_manila(deadline)}{_time_left(deadline, now)}" if deadline else ""
        if method is PaymentMethod.CODE:
            return Standing(
                "waiting",
                "Waiting for your payment at a 7-Eleven",
                f"Pay {total} at any 7-Eleven counter with the pay code below{by}. We hold "
                "the items for you until then.",
            )
        return Standing(
            "waiting",
            "Waiting for your card payment",
            f"Pay {total} by card{by}. After that the order expires and the items go back on "
            "the shelf.",
        )
    if status is OrderStatus.CONFIRMED and method is PaymentMethod.COD:
        where = f" at {branch_name}" if branch_name else ""
        return Standing(
            "due",
            f"To pay at pickup: {Money(order.amount_due)}",
            f"Your order is confirmed. Pay {Money(order.amount_due)} in cash at the counter"
            f"{where} when you pick up your package.",
        )
    if status in (OrderStatus.CONFIRMED, OrderStatus.PAID):
        how = "at a 7-Eleven counter" if method is PaymentMethod.CODE else "by card"
        when = f" on {format_manila(order.paid_at)}" if order.paid_at else ""
        after = (
            f" Your package{'s go' if order.packages != 1 else ' goes'} to "
            f"{branch_name or 'your branch'}: follow it below."
            if order.packages
            else ""
        )
        return Standing("done", "Paid", f"Paid {total} {how}{when}.{after}")
    if status is OrderStatus.EXPIRED:
        return Standing(
            "over",
            "Expired: not paid in time",
            "The payment didn't arrive in time, so nothing was charged and the items went back "
            "on the shelf. You can order them again.",
        )
    return Standing("over", "Cancelled", "This order was cancelled. Nothing is due.")


def _time_left(deadline: datetime, now: datetime) -> str:
    """ " (28 minutes left)", " (about 5 hours left)"; nothing past a day or the deadline."""
    seconds = (deadline - now).total_seconds()
    if seconds <= 0 or seconds > 86_400:
        return ""
    minutes = max(1, int(seconds // 60))
    if minutes < 90:
        return f" ({minutes} minute{'s' if minutes != 1 else ''} left)"
    return f" (about {round(minutes / 60)} hours left)"


@dataclass(frozen=True)
class OrderPage:
    """Everything the shopper's order page shows, gathered from checkout, the ECMS and the
    branches."""

    order: Order
    branch: object | None
    branch_hours: str
    branch_open: bool
    code: str | None
    code_label: str | None
    packages: list
    deadline: datetime | None
    pay_by_card: bool = False  # the page offers the card payment
    shown_at: datetime | None = None  # when the page was made (a printed copy says so)
    guest: bool = False  # placed without an account: the link (also mailed) is the way back
    standing: Standing | None = None  # what the order's state means for the shopper
    # Branch closure and re-routing (ecms.reroute): the shipment's latest move, said to the
    # shopper, and the picker to choose another branch while nothing has arrived yet.
    moved: object | None = None  # ecms.reroute.Notice
    picker: dict | None = None  # branches.picker_context(), when the branch may still change
    branch_closed: str | None = None  # "Closed until ..." when the pickup branch is closed today


def order_page(order: Order, *, picker_data=None, error: str | None = None) -> OrderPage:
    """The order page's facts. The pickup branch is the shipment's (where the packages go now,
    after any re-route), else the one chosen at checkout. `picker_data`: the branch picker's
    search as a form sent it (branch_q, branch_near, branch_code); `error`: why a change of
    branch was refused."""
    shipment = ecms.get_shipment(order.shipment_id) if order.shipment_id else None
    branch_id = shipment.branch_id if shipment is not None else order.branch_id
    branch = branches.get_branch_by_id(branch_id) if branch_id else None
    code = code_label = None
    if order.pay_code and order.status is OrderStatus.AWAITING_PAYMENT:
        code, code_label = order.pay_code, CodeType.PAY.shopper_label
    elif shipment is not None:
        issued = ecms.shipment_code(shipment)
        if issued is not None:
            code, code_label = issued.code, issued.kind.shopper_label
    return OrderPage(
        order=order,
        branch=branch,
        branch_hours=branches.format_hours(branch) if branch else "",
        branch_open=branches.is_open(branch) if branch else False,
        code=code,
        code_label=code_label,
        packages=list(shipment.packages) if shipment else [],
        deadline=order.hold_until if order.status is OrderStatus.AWAITING_PAYMENT else None,
        pay_by_card=order.payable_by_card,
        shown_at=clock.now(),
        guest=order.user_id is None,
        standing=standing(order, branch_name=branch.name if branch else None),
        moved=ecms.reroute.latest_move(shipment.packages) if shipment else None,
        picker=_branch_picker(shipment, branch, picker_data, error),
        branch_closed=(
            branches.closure_text(branch)
            if branch is not None and branches.closed_on(branch, branches.today())
            else None
        ),
    )


def _branch_picker(shipment, branch, data, error: str | None) -> dict | None:
    """The picker to choose another pickup branch, while every package is still on its way
    (ecms.reroute.can_change); None otherwise. It opens on the current branch ("Your choice")
    and the stores around it; a search (without JS, sent with the form) is applied."""
    if shipment is None or branch is None or not ecms.reroute.can_change(shipment.packages):
        return None
    live = [p for p in shipment.packages if p.state in ecms.reroute.HOLDING]
    return branches.rebranch_picker(
        current_code=branch.code,
        frozen_required=any(p.frozen for p in live),
        packages=len(live),
        data=data,
        error=error,
    )


class NothingToMove(Conflict):
    """This order has no package on its way to a branch."""

    code = "invalid_state"


def change_branch(order: Order, branch_code) -> ecms.reroute.Rerouted:
    """The shopper's own choice of another pickup branch for an order they may see (find_order
    checked that): the ECMS's change_branch, acting for the shop (the picker's rules; only
    before arrival). Raises InvalidInput when no branch was chosen, NothingToMove for an order
    with no shipment, and what ecms.reroute.change_branch raises."""
    if not isinstance(branch_code, str) or not branch_code.strip():
        raise InvalidInput("Choose the branch where you'll pick up.", field="branch_code")
    if order.shipment_id is None:
        raise NothingToMove()
    return ecms.reroute.change_branch(
        order.shipment_id, branch_code.strip(), ecms.Actor.shop("shopper")
    )


@dataclass(frozen=True)
class ContactDefaults:
    """What a signed-in shopper's checkout form starts with: their account's name and email,
    and the mobile number of their latest order (an account keeps no number of its own)."""

    name: str
    email: str
    phone: str


def contact_defaults(user_id: int, name: str, email: str) -> ContactDefaults:
    latest = db.session.scalar(
        sa.select(Order.phone)
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    )
    return ContactDefaults(name=name, email=email, phone=format_phone(latest) if latest else "")


def latest_branch_id(user_id: int) -> sa.ScalarSelect:
    """The branch of the shopper's latest order that has one, as a scalar subquery (NULL when
    none): the branch picker embeds it in its own read of that branch, so opening checkout
    near a signed-in shopper's last pickup branch costs no query of its own."""
    return (
        sa.select(Order.branch_id)
        .where(Order.user_id == user_id, Order.branch_id.is_not(None))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def orders_for_user(user_id: int, limit: int = 20) -> list[tuple[Order, Standing]]:
    """A shopper's latest orders, newest first, each with where it stands."""
    now = clock.now()
    orders = db.session.scalars(
        sa.select(Order)
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit)
    )
    return [(order, standing(order, now=now)) for order in orders]


# A PAY CODE paid at the counter, and the kiosk's charge slip, live in a module of their own;
# this is still checkout's one face for them.
from shop.checkout.pay_codes import (  # noqa: E402, F401
    CodePayment,
    PayCodeCheck,
    PayCodeExpired,
    PayCodeNotFound,
    PayCodeUsed,
    check_pay_code,
    pay_by_code,
)
