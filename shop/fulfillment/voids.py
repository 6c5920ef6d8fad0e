"""Voiding a mistaken release (issue #10, point 4): claimed → at_branch, by the clerk who made
the release, within VOID_MINUTES of it, with a reason, as an event. The packages go back on
the shelf (their slots taken again) and keep their pickup deadline. Re-exported by
service.py, the ECMS's one face; it uses that module's moves and lookups."""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import lazyload

from shop import clock
from shop.errors import Conflict, Forbidden, InvalidInput
from shop.extensions import db
from shop.fulfillment.lifecycle import Action, Actor, InvalidTransition, check_role
from shop.fulfillment.models import Package, PackageEvent, PackageState
from shop.transaction import transaction

REASON_LENGTH = 200  # a void's reason, in characters
NOTHING_RELEASED = "Nothing of this order has been released: there is nothing to void."


class NotYourRelease(Forbidden):
    """Only the clerk who released the order can void that release."""

    code = "not_your_release"


class VoidTooLate(Conflict):
    """It is too late to void this release."""

    code = "void_too_late"


def void_minutes() -> int:
    """Minutes after a release during which its clerk may void it (VOID_MINUTES, default 10)."""
    return current_app.config["VOID_MINUTES"]


@dataclass(frozen=True)
class Voided:
    """What a void did, as plain values: the packages put back and the cash handed back."""

    shipment_id: int
    reference: str
    tracking_numbers: tuple[str, ...]
    cash_back: int | None
    reason: str


def reason_of(reason) -> str:
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not 3 <= len(text) <= REASON_LENGTH or not text.isprintable():
        raise InvalidInput(
            f"Say why the release is voided (3 to {REASON_LENGTH} characters).", field="reason"
        )
    return text


@transaction()
def void_claim(code: str, actor: Actor, *, reason: str) -> Voided:
    """Undo the latest release of the order of `code` (CLAIM or REFERENCE code): every package
    that release moved goes claimed → at_branch, in one conditional UPDATE, with a
    `void_claim` event carrying the reason (and, on the first package's, the cash handed
    back). Only the person who released it, within void_minutes() of the release.

    Raises as find_shipment (CodeNotFound alike for another branch's order); InvalidInput for a
    missing reason; InvalidTransition when nothing of the order is released; NotYourRelease
    for anyone but the releasing clerk; VoidTooLate past the window."""
    from shop.branches import service as branches
    from shop.fulfillment import service as ecms

    check_role(Action.VOID_CLAIM, actor, ecms.distribution_center_id())
    reason = reason_of(reason)
    shipment = ecms.find_shipment(code, actor)
    packages = list(
        db.session.scalars(
            sa.select(Package)
            .options(lazyload(Package.events))
            .where(Package.shipment_id == shipment.id, Package.state == PackageState.CLAIMED)
            .order_by(Package.id)
            .execution_options(populate_existing=True)
        )
    )
    if not packages:
        raise InvalidTransition(
            "Nothing of this order has been released: there is nothing to void."
        )
    claims = {
        event.package_id: event
        for event in db.session.scalars(
            sa.select(PackageEvent)
            .where(
                PackageEvent.package_id.in_([p.id for p in packages]),
                PackageEvent.action == str(Action.CLAIM),
            )
            .order_by(PackageEvent.id)
        )
    }  # the latest claim of each package wins
    if not claims:
        raise InvalidTransition(
            "Nothing of this order has been released: there is nothing to void."
        )
    latest = max(claims.values(), key=lambda e: (e.at, e.id))
    released = [p for p in packages if claims.get(p.id) and claims[p.id].at == latest.at]
    if any(claims[p.id].actor_id != actor.user_id or actor.user_id is None for p in released):
        raise NotYourRelease()
    minutes = void_minutes()
    if clock.now() - latest.at > timedelta(minutes=minutes):
        raise VoidTooLate(f"A release can be voided within {minutes} minutes of it only.")
    cash_back = next(
        (
            claims[p.id].detail.get("cash_received")
            for p in released
            if claims[p.id].detail and claims[p.id].detail.get("cash_received") is not None
        ),
        None,
    )
    ecms._move(
        released,
        Action.VOID_CLAIM,
        actor,
        values={"location_id": shipment.branch_id},
        where_id=shipment.branch_id,
        detail={"reason": reason, "voids_event": latest.id},
        details={released[0].id: {"cash_back": cash_back}},
    )
    branches.retake(shipment.branch_id, len(released))
    return Voided(
        shipment_id=shipment.id,
        reference=shipment.reference,
        tracking_numbers=tuple(p.tracking_number for p in released),
        cash_back=cash_back,
        reason=reason,
    )
