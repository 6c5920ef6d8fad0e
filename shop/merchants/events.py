"""A merchant's `shipment.*` events (issue #12, point 6): every move of a package of its
shipments, and the shipment's creation, published to the merchant through the webhooks of
`notify` (signed per the Standard Webhooks spec, retried on their schedule, kept for the pull
feed `GET /api/v1/events` and for resends).

The ECMS calls `packages_moved` from its one place that moves packages
(fulfillment.service._move), in the move's own transaction: an event is published exactly
when its move commits. Each event's key is its package event's id, so a move written once is
published once. Only merchants' shipments publish: the shop's own orders and the
store-to-store sellers' are skipped without a query. Each event's ordering key is
`shipment:<tracking number>`: an endpoint gets one shipment's events one at a time, in order
(notify.webhooks.publish)."""

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from shop.extensions import db
from shop.fulfillment.models import PackageState
from shop.merchants.models import Merchant, MerchantShipment
from shop.notify import webhooks

OWNER_TYPE = "merchant"
EVENT_TYPES = tuple(f"shipment.{state.value}" for state in PackageState)
NOT_MERCHANTS = ("shop",)  # shipments.source of the shop's own orders
SELLERS = "seller:"  # and of a store-to-store seller's ("seller:<user id>")


def _contact(merchant_id: int) -> str | None:
    merchant = db.session.get(Merchant, merchant_id)
    return (merchant.contact_email or None) if merchant is not None else None


webhooks.register_owner_type(OWNER_TYPE, EVENT_TYPES, _contact)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def data_of(package, shipment, *, status: str, previous: str | None, at: datetime) -> dict:
    """What a shipment event says: the package, where it is in its life, and when."""
    return {
        "tracking_number": package.tracking_number,
        "reference": shipment.reference,
        "status": status,
        "previous_status": previous,
        "at": _iso(at),
    }


def _owners(shipment_ids: Iterable[int]) -> dict[int, int]:
    """shipment id -> merchant id, for the merchants' shipments among these."""
    return dict(
        db.session.execute(
            sa.select(MerchantShipment.shipment_id, MerchantShipment.merchant_id).where(
                MerchantShipment.shipment_id.in_(list(shipment_ids))
            )
        ).all()
    )


def _merchants(packages) -> list:
    return [
        p
        for p in packages
        if p.shipment.source not in NOT_MERCHANTS and not p.shipment.source.startswith(SELLERS)
    ]


def ordering_key(package) -> str:
    """An endpoint gets one shipment's events one at a time, in the order they happened: the
    package's moves are serialised by its row (fulfillment's conditional UPDATE waits for
    the row's lock), so the events' ids increase in that order."""
    return f"shipment:{package.tracking_number}"


def shipment_created(merchant_id: int, package, shipment) -> None:
    """`shipment.label_issued` for a merchant's new shipment. Flushes only."""
    webhooks.publish(
        OWNER_TYPE,
        merchant_id,
        "shipment.label_issued",
        data_of(package, shipment, status="label_issued", previous=None, at=package.created_at),
        key=f"shipment-created-{package.id}",
        ordering_key=ordering_key(package),
    )


def packages_moved(moves) -> None:
    """`moves`: (package, its PackageEvent) just written by the ECMS. Publishes
    `shipment.<new state>` for each that is a merchant's. Flushes only."""
    moves = [(package, event) for package, event in moves]
    theirs = _merchants([package for package, _ in moves])
    if not theirs:
        return
    owners = _owners({package.shipment_id for package in theirs})
    for package, event in moves:
        merchant_id = owners.get(package.shipment_id)
        if merchant_id is None:
            continue
        webhooks.publish(
            OWNER_TYPE,
            merchant_id,
            f"shipment.{event.to_state.value}",
            data_of(
                package,
                package.shipment,
                status=event.to_state.value,
                previous=event.from_state.value if event.from_state else None,
                at=event.at,
            ),
            key=f"shipment-event-{event.id}",
            ordering_key=ordering_key(package),
        )
