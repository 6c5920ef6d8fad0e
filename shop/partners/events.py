"""What a publisher's webhook endpoints are told (issue #11, point 7): one `commission.<bucket>`
event for each move of an order's commission, through the signed webhooks of shop.notify.

The ledger and the payouts call `announce(rows)` with the rows they have just written (flushed,
so they have ids), in the same transaction: the event exists if and only if the rows do. Rows
of one order, one app and one move (the same bucket, from-bucket, reason and payout) make one
event: an order of three lines placed is one `commission.pending`, not three.

An event's `data`:

    {"app": {"key", "name"}, "order_number" (null for a payout's event, which covers every
     order line it paid for the app), "bucket", "from", "reason", "units",
     "amount" (centavos, signed as the publisher reads it: what it earns or is paid is
     positive, what is taken back negative), "currency": "PHP", "payout" (its number, for
     paid rows), "entries": [the ledger rows' ids]}

Its key is the first row's id, so an event is published once however often a caller retries.
A payout's netting row (approved from paid: a clawback recovered from the payout) is a
`commission.paid` event with a negative amount: the publisher was paid that much less."""

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from shop.checkout import service as checkout
from shop.extensions import db
from shop.notify import webhooks
from shop.partners.models import App, Bucket, LedgerEntry, Payout


def event_type(row: LedgerEntry) -> str:
    if row.bucket is Bucket.APPROVED and row.from_bucket is Bucket.PAID:
        return "commission.paid"  # netted: paid less
    return f"commission.{row.bucket.value}"


def signed_amount(row: LedgerEntry) -> int:
    """The row's amount as the publisher reads it (see the module's docstring)."""
    taken_back = row.bucket is Bucket.REVERSED or (
        row.bucket is Bucket.APPROVED and row.from_bucket is Bucket.PAID
    )
    return -row.amount if taken_back else row.amount


def announce(rows: Iterable[LedgerEntry]) -> list[str]:
    """Publish the events of these just-written rows to their apps' publishers. Flushes only.
    Returns the outbox ids queued (none when no publisher has an endpoint)."""
    rows = [row for row in rows if row.id is not None]
    if not rows:
        return []
    groups: dict[tuple, list[LedgerEntry]] = defaultdict(list)
    for row in rows:
        # A payout's rows make one event per app (a batch pays thousands of order lines);
        # every other move, one per order.
        order_id = None if row.payout_id else row.order_id
        groups[
            (row.app_id, order_id, row.bucket, row.from_bucket, row.reason, row.payout_id)
        ].append(row)
    apps = {
        app.id: app
        for app in db.session.scalars(sa.select(App).where(App.id.in_({r.app_id for r in rows})))
    }
    order_ids = {row.order_id for row in rows if row.order_id is not None}
    numbers = {state.id: state.number for state in checkout.order_states(ids=order_ids)}
    payout_ids = {row.payout_id for row in rows if row.payout_id is not None}
    payouts = {}
    if payout_ids:
        query = sa.select(Payout.id, Payout.number).where(Payout.id.in_(payout_ids))
        payouts = dict(db.session.execute(query).all())
    queued = []
    for (app_id, order_id, bucket, from_bucket, reason, payout_id), group in groups.items():
        app = apps[app_id]
        first = min(group, key=lambda row: row.id)
        data = {
            "app": {"key": app.key, "name": app.name},
            "order_number": numbers.get(order_id),
            "bucket": bucket.value,
            "from": from_bucket.value if from_bucket else None,
            "reason": reason,
            "units": sum(row.units for row in group),
            "amount": sum(signed_amount(row) for row in group),
            "currency": "PHP",
            "payout": payouts.get(payout_id),
            "entries": sorted(row.id for row in group),
        }
        queued += webhooks.publish(
            "publisher", app.publisher_id, event_type(first), data, key=f"commission-{first.id}"
        )
    return queued
