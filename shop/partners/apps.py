"""A publisher's apps: registering and editing them, an operator's approval and rate overrides,
and finding the live app behind an app key (the embed, attribution and the dashboard ask here).

An app is the publisher's until an operator approves it: only an approved app's embed works and
only its sales earn commission. The publisher proposes its default rate within APP_MAX_RATE_BP;
the operator may change it and may give single items or whole categories their own rate."""

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import lazyload

from shop import clock
from shop.admin import audit
from shop.errors import Conflict, InvalidInput, NotFound
from shop.extensions import db
from shop.partners.models import App, AppStatus, RateOverride
from shop.transaction import transaction

MAX_APPS_PER_PUBLISHER = 20
MAX_ORIGINS = 10
MAX_CATALOG_IDS = 500
KEY_PREFIX = "app_"
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST = re.compile(rf"(?:{LABEL}\.)*{LABEL}")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


class AppNotFound(NotFound):
    """That app doesn't exist, or isn't yours."""

    code = "app_not_found"


class BadApp(InvalidInput):
    """Some of the app's details aren't valid."""

    code = "invalid_app"


@dataclass(frozen=True)
class AppDetails:
    """What a publisher gives for an app (the registration and edit forms)."""

    name: str
    origins: tuple[str, ...]
    default_rate_bp: int
    theme_colour: str = "#00704a"
    category_ids: tuple[int, ...] | None = None
    item_ids: tuple[int, ...] | None = None


# --- checking what is given -------------------------------------------------------------------


def normalize_origin(text: str) -> str:
    """`https://Shop.Example.com/path` -> `https://shop.example.com`: the scheme, host and port
    a browser sends in `Origin` and that `frame-ancestors` matches. Only http(s); http only for
    localhost outside production, so a partner's frame can't be spoofed by a network on the way."""
    raw = (text or "").strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise BadApp(f"{raw[:80]!r} isn't a web address.", field="origins") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise BadApp(
            f"{raw[:80]!r} isn't an origin: write it as https://yourapp.example.",
            field="origins",
        )
    shown = f"[{host}]" if ":" in host else host
    if not (HOST.fullmatch(host) or shown in LOCAL_HOSTS):
        raise BadApp(f"{raw[:80]!r} has a host name that isn't valid.", field="origins")
    if parts.scheme == "http":
        production = current_app.config.get("ENV") == "production"
        if shown not in LOCAL_HOSTS or production:
            raise BadApp(
                f"{raw[:80]!r} must use https:// (http:// is only for localhost while testing).",
                field="origins",
            )
    default_port = {"http": 80, "https": 443}[parts.scheme]
    suffix = f":{port}" if port and port != default_port else ""
    return f"{parts.scheme}://{shown}{suffix}"


def check_details(details: AppDetails) -> AppDetails:
    name = " ".join((details.name or "").split())
    if not 2 <= len(name) <= 80:
        raise BadApp("Give the app a name of 2 to 80 characters.", field="name")
    origins = tuple(dict.fromkeys(normalize_origin(origin) for origin in details.origins))
    if not origins:
        raise BadApp("Give at least one origin the app runs on.", field="origins")
    if len(origins) > MAX_ORIGINS:
        raise BadApp(f"At most {MAX_ORIGINS} origins per app.", field="origins")
    rate = details.default_rate_bp
    maximum = current_app.config["APP_MAX_RATE_BP"]
    if not isinstance(rate, int) or isinstance(rate, bool) or not 0 <= rate <= maximum:
        raise BadApp(
            f"The commission rate must be between 0 % and {maximum / 100:g} %.", field="rate"
        )
    if not COLOUR.fullmatch(details.theme_colour or ""):
        raise BadApp("The theme colour must be written #rrggbb.", field="theme_colour")
    category_ids = _ids(details.category_ids, "category_ids")
    item_ids = _ids(details.item_ids, "item_ids")
    _check_catalog_ids(category_ids, item_ids)
    return AppDetails(name, origins, rate, details.theme_colour.lower(), category_ids, item_ids)


def _ids(ids, field: str) -> tuple[int, ...] | None:
    if ids is None:
        return None
    ids = tuple(dict.fromkeys(ids))
    if len(ids) > MAX_CATALOG_IDS or not all(
        isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31 for i in ids
    ):
        raise BadApp("That choice of catalog isn't valid.", field=field)
    return ids


def _check_catalog_ids(category_ids, item_ids) -> None:
    from shop.catalog import service as catalog

    known_categories = {category.id for category in catalog.list_categories()}
    if category_ids and not set(category_ids) <= known_categories:
        raise BadApp("One of those categories doesn't exist.", field="category_ids")
    if item_ids and len(catalog.get_items_any(item_ids)) != len(item_ids):
        raise BadApp("One of those items doesn't exist.", field="item_ids")


def theme_text_colour(background: str) -> str:
    """Black or white, whichever reads better on `background` (WCAG relative luminance), so a
    publisher's light theme colour never leaves white text unreadable on its buttons."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(background[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    # Contrast with white is 1.05 / (L + 0.05), with black (L + 0.05) / 0.05: pick the larger.
    return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 else "#000000"


# --- the publisher's operations ---------------------------------------------------------------


def new_key() -> str:
    return KEY_PREFIX + secrets.token_hex(10)


@transaction()
def register_app(publisher_id: int, details: AppDetails) -> App:
    """A new app of the publisher's, waiting for an operator's approval."""
    details = check_details(details)
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(App).where(App.publisher_id == publisher_id)
    )
    if count >= MAX_APPS_PER_PUBLISHER:
        raise Conflict(f"A publisher can have at most {MAX_APPS_PER_PUBLISHER} apps.")
    app = App(publisher_id=publisher_id, key=new_key(), status=AppStatus.PENDING)
    _apply(app, details)
    db.session.add(app)
    db.session.flush()
    return app


@transaction()
def update_app(app_id: int, publisher_id: int, details: AppDetails) -> App:
    """The publisher edits its app. A changed rate of an approved app needs approval again: the
    rate is what the operator agreed to."""
    details = check_details(details)
    app = _locked(app_id, publisher_id)
    if app.default_rate_bp != details.default_rate_bp and app.status is AppStatus.APPROVED:
        app.status = AppStatus.PENDING
        app.approved_at = app.approved_by = None
    _apply(app, details)
    db.session.flush()
    return app


def _apply(app: App, details: AppDetails) -> None:
    app.name = details.name
    app.origins = list(details.origins)
    app.default_rate_bp = details.default_rate_bp
    app.theme_colour = details.theme_colour
    app.category_ids = list(details.category_ids) if details.category_ids is not None else None
    app.item_ids = list(details.item_ids) if details.item_ids is not None else None


def apps_of(publisher_id: int) -> list[App]:
    """The publisher's apps, oldest first (their rate overrides load only if read)."""
    return list(
        db.session.scalars(
            sa.select(App)
            .where(App.publisher_id == publisher_id)
            .order_by(App.id)
            .options(lazyload(App.rates))
        )
    )


def app_of(publisher_id: int, app_id: int) -> App:
    """The publisher's app; another's reads the same as one that doesn't exist."""
    app = db.session.get(App, app_id) if 0 < app_id < 2**31 else None
    if app is None or app.publisher_id != publisher_id:
        raise AppNotFound()
    return app


def _locked(app_id: int, publisher_id: int | None = None) -> App:
    app = (
        db.session.scalars(sa.select(App).where(App.id == app_id).with_for_update()).first()
        if 0 < app_id < 2**31
        else None
    )
    if app is None or (publisher_id is not None and app.publisher_id != publisher_id):
        raise AppNotFound()
    return app


def live_app(key: str | None) -> App | None:
    """The approved app with this key, or None (unknown, pending and suspended alike)."""
    if not key or len(key) > 32:
        return None
    # Its rates load when read (the ledger reads them), not with every framed page.
    return db.session.scalars(
        sa.select(App)
        .where(App.key == key, App.status == AppStatus.APPROVED)
        .options(sa.orm.lazyload(App.rates))
    ).first()


def all_apps(status: AppStatus | None = None) -> list[App]:
    """Every app, for the operator (newest first)."""
    query = sa.select(App).order_by(App.id.desc())
    if status is not None:
        query = query.where(App.status == status)
    return list(db.session.scalars(query))


def get_app(app_id: int) -> App:
    app = db.session.get(App, app_id) if 0 < app_id < 2**31 else None
    if app is None:
        raise AppNotFound()
    return app


# --- the operator's operations ----------------------------------------------------------------


@transaction()
def approve_app(
    app_id: int, operator_id: int, *, default_rate_bp: int | None = None, actor=None
) -> App:
    """Approve the app, at the publisher's rate or at the one the operator gives. `actor` (the
    signed-in operator) is who the audit log names; every operator change here is audited in
    its own transaction (shop.admin.audit)."""
    app = _locked(app_id)
    before = {"status": app.status, "default_rate_bp": app.default_rate_bp}
    if default_rate_bp is not None:
        if not 0 <= default_rate_bp <= 10000:
            raise BadApp("The commission rate must be between 0 % and 100 %.", field="rate")
        app.default_rate_bp = default_rate_bp
    app.status = AppStatus.APPROVED
    app.approved_at = clock.now()
    app.approved_by = operator_id
    db.session.flush()
    after = {"status": app.status, "default_rate_bp": app.default_rate_bp}
    audit.record(actor, "app.approve", "app", app.id, before, after)
    return app


@transaction()
def suspend_app(app_id: int, *, actor=None) -> App:
    """Stop the app: its embed stops and its new orders earn nothing (rows already written
    stay as they are)."""
    app = _locked(app_id)
    before = {"status": app.status}
    app.status = AppStatus.SUSPENDED
    db.session.flush()
    audit.record(actor, "app.suspend", "app", app.id, before, {"status": app.status})
    return app


@transaction()
def set_rate(
    app_id: int,
    rate_bp: int,
    *,
    item_id: int | None = None,
    category_id: int | None = None,
    actor=None,
) -> RateOverride:
    """Give one item or one category of the app its own rate (replacing an earlier one)."""
    from shop.catalog import service as catalog

    if (item_id is None) == (category_id is None):
        raise BadApp("Choose an item or a category.", field="item_id")
    if not isinstance(rate_bp, int) or not 0 <= rate_bp <= 10000:
        raise BadApp("The rate must be between 0 % and 100 %.", field="rate")
    if item_id is not None and not catalog.get_items_any([item_id]):
        raise BadApp("That item doesn't exist.", field="item_id")
    if category_id is not None and category_id not in {
        category.id for category in catalog.list_categories()
    }:
        raise BadApp("That category doesn't exist.", field="category_id")
    app = _locked(app_id)
    override = next(
        (
            rate
            for rate in app.rates
            if (item_id is not None and rate.item_id == item_id)
            or (category_id is not None and rate.category_id == category_id)
        ),
        None,
    )
    before = None if override is None else {"rate_bp": override.rate_bp}
    if override is None:
        override = RateOverride(app_id=app.id, item_id=item_id, category_id=category_id)
        app.rates.append(override)
    override.rate_bp = rate_bp
    db.session.flush()
    target = {"item_id": item_id} if item_id is not None else {"category_id": category_id}
    audit.record(actor, "app.rate.set", "app", app.id, before, {"rate_bp": rate_bp, **target})
    return override


@transaction()
def remove_rate(app_id: int, override_id: int, *, actor=None) -> None:
    app = _locked(app_id)
    override = next((rate for rate in app.rates if rate.id == override_id), None)
    if override is None:
        raise NotFound("That rate doesn't exist.")
    before = {
        "rate_bp": override.rate_bp,
        "item_id": override.item_id,
        "category_id": override.category_id,
    }
    app.rates.remove(override)
    db.session.flush()
    audit.record(actor, "app.rate.remove", "app", app.id, before, None)
