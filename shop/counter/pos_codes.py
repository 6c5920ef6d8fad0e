"""The counter's PAY CODE and RETURN CODE panels (issue #10, point 4), next to the claim's
(pos.py): what a code opens, and the one step that does it with its receipt.

- PAY CODE: the panel says what it pays and how much; the clerk keys in the cash received;
  checkout.pay_by_code pays the order (its voucher or load is sent) and the charge receipt
  (kind "charge", CR-...) is issued with the change, in one transaction. A double submit gets
  the first payment and its receipt back, never a second one.
- RETURN CODE: the panel shows the return and the return limit; the clerk measures the
  package (cm, kg, damaged) and scans the return label; ecms.returns.accept_return takes it
  in (return_dropped_off here, refused over 45 × 30 × 30 cm / 10 kg), and the return's
  Acknowledgement Receipt (kind "return", RR-...) is issued, in one transaction.

Re-exported by counter/service.py (the counter feature's one face)."""

from dataclasses import dataclass

import sqlalchemy as sa

from shop import codes
from shop.checkout import service as checkout
from shop.counter.models import Receipt, ReceiptKind
from shop.counter.pos import cash_of, issue_receipt
from shop.errors import InvalidInput
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.transaction import transaction

COUNTER_ROLES = ("clerk", "admin")


def _at_a_branch(actor: ecms.Actor) -> None:
    """A receipt names the branch that issued it: the login must belong to one."""
    if actor.role not in COUNTER_ROLES:
        raise ecms.NotAllowed("Only a store clerk takes codes at the counter.")
    if actor.branch_id is None:
        raise ecms.NotAllowed("A counter receipt needs a branch: sign in as the branch's clerk.")


# --- PAY CODE --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Charged:
    """A PAY CODE paid at this counter, and its charge receipt."""

    payment: checkout.CodePayment
    receipt: Receipt


def open_pay(code, actor: ecms.Actor) -> checkout.PayCodeCheck:
    """What a PAY CODE pays, for the panel. Raises ecms.NotAllowed, codes.InvalidCode,
    checkout.PayCodeNotFound / PayCodeUsed / PayCodeExpired."""
    _at_a_branch(actor)
    return checkout.check_pay_code(code)


@transaction()
def pay_step(code, actor: ecms.Actor, cash_received) -> Charged:
    """The cash received (as typed, in pesos) for a PAY CODE: the order paid and its items
    sent (checkout.pay_by_code), the charge receipt issued with the change. A same-clerk
    double submit gets the first payment and its receipt back. One transaction.

    Raises as open_pay and checkout.pay_by_code; InvalidInput (field cash_received)."""
    _at_a_branch(actor)
    cash = cash_of(cash_received)
    if cash is None:
        raise InvalidInput("Enter the cash received.", field="cash_received")
    payment = checkout.pay_by_code(code, actor, cash_received=cash)
    if payment.repeated:
        first = _receipt_of(ReceiptKind.CHARGE, payment.code)
        if first is not None:
            return Charged(payment, first)
    receipt = issue_receipt(
        ReceiptKind.CHARGE,
        branch_id=actor.branch_id,
        actor=actor,
        code=payment.code,
        reference=payment.order_number,
        amount_due=payment.amount,
        cash_received=payment.cash_received,
        change=payment.change,
        lines=[
            {
                "text": f"{line.quantity} × {line.name}"
                + (f" to {line.goes_to}" if line.goes_to else ""),
                "amount": line.subtotal,
            }
            for line in payment.lines
        ],
    )
    return Charged(payment, receipt)


def _receipt_of(kind: ReceiptKind, code: str) -> Receipt | None:
    return db.session.scalar(
        sa.select(Receipt)
        .where(Receipt.kind == kind, Receipt.code == code)
        .order_by(Receipt.id)
        .limit(1)
    )


# --- RETURN CODE -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Returned:
    """A return taken in at this counter, and its Acknowledgement Receipt."""

    accepted: ecms.returns.ReturnAccepted
    receipt: Receipt


def open_return(code, actor: ecms.Actor) -> ecms.returns.ReturnCheck:
    """What a RETURN CODE stands for, for the panel (any branch). Raises ecms.NotAllowed,
    codes.InvalidCode, ecms.returns.ReturnCodeNotFound."""
    _at_a_branch(actor)
    return ecms.returns.find_return(code, actor)


@transaction()
def return_step(
    code, actor: ecms.Actor, *, length, width, height, weight, damaged: bool, label
) -> Returned:
    """A return measured (cm and kg as typed, damaged or not) and its return label scanned:
    taken in by ecms.returns.accept_return (return_dropped_off at this branch; refused over
    the return limit or damaged, changing nothing) and its Acknowledgement Receipt issued.
    One transaction: a refusal anywhere leaves everything as it was.

    Raises as open_return and accept_return; InvalidInput for a measurement or a missing
    label."""
    _at_a_branch(actor)
    from shop.counter.service import inspection_of  # (service re-exports this module)

    inspection = inspection_of(length, width, height, weight, damaged, "")
    if not isinstance(label, str) or not label.strip():
        raise InvalidInput("Scan the return label on the package.", field="label")
    accepted = ecms.returns.accept_return(code, actor, inspection=inspection, scanned=label)
    measured = inspection.as_dict()
    receipt = issue_receipt(
        ReceiptKind.RETURN,
        branch_id=actor.branch_id,
        actor=actor,
        shipment_id=accepted.shipment_id,
        code=accepted.return_code,
        reference=accepted.reference,
        lines=[
            {"text": f"Package {codes.group(accepted.tracking_number)}: {accepted.contents}"},
            {"text": f"Return tracking number {codes.group(accepted.return_tracking_number)}"},
            {
                "text": "Measured {l:g} × {w:g} × {h:g} cm, {kg:g} kg".format(
                    l=measured["length_mm"] / 10,
                    w=measured["width_mm"] / 10,
                    h=measured["height_mm"] / 10,
                    kg=measured["weight_g"] / 1000,
                )
            },
        ],
    )
    return Returned(accepted, receipt)
