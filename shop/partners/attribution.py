"""Attribution: the clicks apps send, and which app an order is credited to (issue #11, 3).

Rules (docs/decisions.md, "Commission: attribution and the ledger"):

- A click counts for an approved app only (an unknown, pending or suspended key records
  nothing). Once per visitor and app per CLICK_DEDUP_MINUTES: a repeat inside that period is
  the click already recorded.
- The visitor and the client address are kept as keyed hashes (HMAC-SHA256 with SECRET_KEY,
  32 hex digits), made exactly as checkout makes an order's (checkout.Holder: the visitor
  like a session, the client like an address), so a click and an order from one address
  carry the same hash and neither the id nor the address is ever stored.
- A client address that sent more than CLICK_FLOOD_PER_HOUR clicks in the last hour, all
  apps together, has the next ones recorded with flag "flood".
- An order placed inside an approved app's iframe is that app's ("iframe"; with the
  visitor's latest click of that app inside the window, if any). Otherwise the visitor's last
  click of an approved app inside ATTRIBUTION_WINDOW_DAYS wins ("click"): 30 days to the
  second, a click exactly 30 days old still counts. No click: the order is nobody's.
- The publisher's own purchase (the order's account is the publisher's, or its email is the
  publisher's, case aside) is flagged "self_purchase"; an order whose click was flagged
  "flood" is flagged "flood". A flagged attribution is recorded (the dashboard shows it) but
  earns nothing: no commission lines, no ledger rows.

Time comes from the `now` argument or shop.clock, never the system.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from shop import clock
from shop.auth.models import User
from shop.catalog import service as catalog
from shop.checkout.service import Holder
from shop.extensions import db
from shop.partners.models import App, AppStatus, Attribution, Click, ClickKind
from shop.transaction import transaction

SELF_PURCHASE = "self_purchase"
FLOOD = "flood"
VISITOR_LENGTH = 200  # the longest visitor id taken (it is hashed: only a bound on work)


@dataclass(frozen=True)
class Referral:
    """Where an order comes from, as the request shows it: `frame_app_key` the app whose
    iframe it was placed in (from /embed/<key>/), `visitor` an opaque visitor id (the embed's
    token or a first-party cookie), `client` the client address."""

    frame_app_key: str | None = None
    visitor: str | None = None
    client: str | None = None


def hashes(visitor: str, client: str | None) -> tuple[str, str]:
    """The keyed hashes of a visitor id and a client address (checkout's own recipe)."""
    return Holder(session=visitor, address=client or "").hashes()


def visitor_hash(visitor: str) -> str:
    return hashes(visitor, None)[0]


def dedup_period() -> timedelta:
    return timedelta(minutes=current_app.config["CLICK_DEDUP_MINUTES"])


def flood_limit() -> int:
    return current_app.config["CLICK_FLOOD_PER_HOUR"]


def window() -> timedelta:
    """How far back a click still wins an order: ATTRIBUTION_WINDOW_DAYS."""
    return timedelta(days=current_app.config["ATTRIBUTION_WINDOW_DAYS"])


def in_window(click_at: datetime, now: datetime, days: int) -> bool:
    """Does a click made at `click_at` still count at `now`? Up to `days` days to the second,
    that moment included; never a click from the future."""
    return now - timedelta(days=days) <= click_at <= now


def _clean(value, length: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if 0 < len(value) <= length else None


def approved_app(key) -> App | None:
    """The approved app with this public key, or None (unknown, pending or suspended)."""
    key = _clean(key, 32)
    if key is None:
        return None
    return db.session.scalar(sa.select(App).where(App.key == key, App.status == AppStatus.APPROVED))


def record_click(
    app_key,
    kind: ClickKind,
    visitor,
    client,
    item_id: int | None = None,
    now: datetime | None = None,
) -> Click | None:
    """Record that an approved app sent this visitor (its own transaction). Returns the click,
    or the one already recorded for this visitor and app inside CLICK_DEDUP_MINUTES; None for
    an app that isn't approved or no visitor id (nothing is written). A client over
    CLICK_FLOOD_PER_HOUR in the last hour gets its click flagged "flood"."""
    now = now or clock.now()
    visitor = _clean(visitor, VISITOR_LENGTH)
    if visitor is None:
        return None
    kind = ClickKind(kind)
    with transaction():
        app = approved_app(app_key)
        if app is None:
            return None
        visitor_key, client_key = hashes(visitor, _clean(client, VISITOR_LENGTH))
        _lock(visitor_key)
        existing = db.session.scalar(
            sa.select(Click)
            .where(
                Click.app_id == app.id,
                Click.visitor == visitor_key,
                Click.at > now - dedup_period(),
                Click.at <= now,
            )
            .order_by(Click.at.desc(), Click.id.desc())
            .limit(1)
        )
        if existing is not None:
            return existing
        recent = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Click)
            .where(Click.client_hash == client_key, Click.at > now - timedelta(hours=1))
        )
        click = Click(
            app_id=app.id,
            kind=kind,
            visitor=visitor_key,
            client_hash=client_key,
            item_id=_known_item(item_id),
            flag=FLOOD if recent >= flood_limit() else None,
            at=now,
        )
        db.session.add(click)
        db.session.flush()
    return click


def _known_item(item_id) -> int | None:
    """The click's item, if it names one the catalog has (anything else: no item)."""
    if isinstance(item_id, bool) or not isinstance(item_id, int) or not 0 < item_id < 2**31:
        return None
    return item_id if catalog.get_items_any([item_id]) else None


def _lock(visitor_key: str) -> None:
    """Two clicks of one visitor at the same moment record one (PostgreSQL: a transaction's
    advisory lock per visitor; SQLite lets one writer in at a time)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": "click:" + visitor_key}
        )


def _last_click_query(visitor_key: str, now: datetime):
    return (
        sa.select(Click)
        .join(App, App.id == Click.app_id)
        .where(
            Click.visitor == visitor_key,
            Click.at >= now - window(),
            Click.at <= now,
            App.status == AppStatus.APPROVED,
        )
        .order_by(Click.at.desc(), Click.id.desc())
        .limit(1)
    )


def last_click(visitor, now: datetime | None = None, *, app_id: int | None = None) -> Click | None:
    """The visitor's latest click of an approved app inside ATTRIBUTION_WINDOW_DAYS (of that
    app only, with `app_id`), or None."""
    now = now or clock.now()
    visitor = _clean(visitor, VISITOR_LENGTH)
    if visitor is None:
        return None
    query = _last_click_query(visitor_hash(visitor), now)
    if app_id is not None:
        query = query.where(Click.app_id == app_id)
    return db.session.scalar(query)


def attribute(order, referral: Referral | None, now: datetime | None = None) -> Attribution | None:
    """Credit `order` (checkout's Order, with its lines) to an app, or to none: the rules in
    the module's docstring. Writes the Attribution (flagged or not) and flushes only; the
    caller's transaction commits it. Returns None when no app gets the order."""
    if referral is None:
        return None
    now = now or clock.now()
    app, click, via = None, None, None
    framed = approved_app(referral.frame_app_key)
    if framed is not None:
        app, via = framed, "iframe"
        click = last_click(referral.visitor, now, app_id=framed.id)
    else:
        click = last_click(referral.visitor, now)
        if click is not None:
            app, via = db.session.get(App, click.app_id), "click"
    if app is None:
        return None
    attribution = Attribution(
        order_id=order.id,
        app_id=app.id,
        click_id=click.id if click is not None else None,
        via=via,
        flag=_flag(order, app, click),
        sales=sum(line.subtotal for line in order.lines),
        created_at=now,
    )
    db.session.add(attribution)
    db.session.flush()
    return attribution


def _flag(order, app: App, click: Click | None) -> str | None:
    if self_purchase(order, app):
        return SELF_PURCHASE
    if click is not None and click.flag == FLOOD:
        return FLOOD
    return None


def self_purchase(order, app: App) -> bool:
    """Is this the app's publisher buying through their own app? The order's account is the
    publisher's, or its email is the publisher's account's (case aside)."""
    if order.user_id is not None and order.user_id == app.publisher_id:
        return True
    # The publisher's login email, read by primary key (auth has no service read for it).
    email = db.session.scalar(sa.select(User.email).where(User.id == app.publisher_id))
    return bool(email) and (order.email or "").strip().lower() == email.strip().lower()
