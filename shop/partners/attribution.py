"""STAND-IN, to be replaced by the "ledger" branch's version at merge (the merger keeps
ledger's file). Only the interface the embed codes against: `Referral` and `record_click`.
This stand-in records every click as it comes, with no dedup and no flood flag."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from shop import clock
from shop.extensions import db
from shop.partners.apps import live_app
from shop.partners.models import Click, ClickKind
from shop.transaction import transaction


@dataclass(frozen=True)
class Referral:
    """Who may earn an order: the app whose frame it is placed in (None outside a frame), the
    visitor (an embed's or a link's visitor id) and the client's address."""

    frame_app_key: str | None
    visitor: str | None
    client: str


def _hash(text: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()[:32]


@transaction()
def record_click(
    app_key: str,
    kind: ClickKind,
    visitor: str,
    client: str,
    item_id: int | None = None,
    now: datetime | None = None,
) -> Click | None:
    app = live_app(app_key)
    if app is None:
        return None
    click = Click(
        app_id=app.id,
        kind=kind,
        visitor=_hash(visitor),
        client_hash=_hash(client),
        item_id=item_id,
        at=now or clock.now(),
    )
    db.session.add(click)
    db.session.flush()
    return click
