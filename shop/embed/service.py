"""The embed: a partner's page frames the storefront at `/embed/<key>/<token>/...` (see
shop.embed.prefix), in the app's theme, showing the app's choice of the catalog.

What the frame carries, whatever the browser does with cookies:

- the **frame token** in its path, signed (itsdangerous, the app's key, the visitor id the
  partner page gave, the click recorded when the frame was first shown, the partner page's
  origin; issued-at in the signature): attribution and the partner's origin for postMessage
  ride on it, so an order placed in the frame is the app's with every cookie blocked;
- its own **session cookie** (FRAME_SESSION_COOKIE, `Path=/embed/<key>/`, `SameSite=None;
  Secure; Partitioned`): the cart, the checkout's CSRF token and the orders placed, kept per
  partner site by browsers that partition (CHIPS).

The calls into partners.attribution (the ledger's) are all in this module."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import current_app, g, has_request_context, request, url_for
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from shop import clock
from shop.embed.prefix import FRAME, FramePath
from shop.errors import InvalidInput, NotFound
from shop.partners.apps import live_app, theme_text_colour
from shop.partners.attribution import Referral, record_click
from shop.partners.models import App, ClickKind

SALT = "cliqq-embed-frame"
VISITOR = re.compile(r"[A-Za-z0-9_-]{16,64}")
VISITOR_COOKIE = "cliqq_visitor"  # first party: a link click's visitor, on the shop itself
ITEM_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SCRIPT_VERSION = 1  # embed.js's interface (the data attributes, the messages)


class AppNotLive(NotFound):
    """There is no shop here: the app is unknown, waiting for approval or suspended."""

    code = "app_not_found"


class BadFrameToken(InvalidInput):
    """This shop window's link isn't valid. Reload the page it is on."""

    code = "bad_frame_token"


# --- the frame token ------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameToken:
    app_key: str
    visitor: str
    click_id: int | None
    origin: str  # the partner page's origin, "" when it wasn't one of the app's
    issued_at: int = 0  # seconds since the epoch (from the signature)


class _ClockSigner(TimestampSigner):
    """Issued-at and expiry from the shop's clock (tests set it), not the system time."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_ClockSigner)


def sign_token(app_key: str, visitor: str, click_id: int | None, origin: str) -> str:
    payload = {"a": app_key, "v": visitor, "c": click_id, "o": origin}
    return _serializer().dumps(payload)


def _token_from(payload, issued_at) -> FrameToken:
    if not isinstance(payload, dict):
        raise BadFrameToken()
    key, visitor, click, origin = (payload.get(k) for k in ("a", "v", "c", "o"))
    if not (isinstance(key, str) and isinstance(visitor, str) and isinstance(origin, str)):
        raise BadFrameToken()
    if click is not None and not isinstance(click, int):
        raise BadFrameToken()
    stamp = int(issued_at.timestamp()) if issued_at is not None else 0
    return FrameToken(key, visitor, click, origin, stamp)


def read_token(token: str, app_key: str) -> FrameToken:
    """The token's contents if it is signed by us, for this app and younger than
    EMBED_TOKEN_MAX_AGE_SECONDS. Raises BadFrameToken, or SignatureExpired (a genuine token
    grown old: its payload is in the exception, to renew it)."""
    max_age = current_app.config["EMBED_TOKEN_MAX_AGE_SECONDS"]
    try:
        payload, issued = _serializer().loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired:
        raise
    except (BadSignature, ValueError, TypeError):
        raise BadFrameToken() from None
    found = _token_from(payload, issued)
    if found.app_key != app_key:
        raise BadFrameToken()
    return found


def renewed_token(expired: SignatureExpired, app_key: str) -> str:
    """A fresh token for the visitor and origin of a genuine but expired one (no new click:
    the visitor's earlier clicks still count by the ledger's last-click rule)."""
    try:
        payload = _serializer().load_payload(expired.payload)
    except (BadSignature, ValueError, TypeError):
        raise BadFrameToken() from None
    found = _token_from(payload, expired.date_signed)
    if found.app_key != app_key:
        raise BadFrameToken()
    return sign_token(app_key, found.visitor, None, found.origin)


# --- the frame of this request --------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """The frame this request is served in: its app and token."""

    app: App
    token: FrameToken
    path: FramePath

    @property
    def parent_origin(self) -> str:
        """Where the frame may post its height: the partner page's origin, only if it is one
        of the app's origins now (checked on every page, so a removed origin stops at once)."""
        return self.token.origin if self.token.origin in (self.app.origins or []) else ""

    @property
    def theme_url(self) -> str:
        return theme_url(self.app)

    @property
    def shop_url(self) -> str:
        """The shop's front page outside the frame (links that leave it open a new tab)."""
        return f"{self.path.root}/"


def frame_path() -> FramePath | None:
    """The frame's prefix when this request came through one (before any check)."""
    if not has_request_context():
        return None
    return request.environ.get(FRAME)


def load_frame() -> Frame | None:
    """Check the frame this request is served in, once per request (the embed's
    before_request): its app must be live (else AppNotLive, a 404) and its token ours, for this
    app (else BadFrameToken); an expired token raises SignatureExpired."""
    path = frame_path()
    if path is None:
        return None
    app = live_app(path.key)
    if app is None:
        raise AppNotLive()
    frame = Frame(app, read_token(path.token, path.key), path)
    g.embed_frame = frame
    return frame


def current_frame() -> Frame | None:
    """The checked frame of this request, or None outside a frame."""
    if not has_request_context():
        return None
    return g.get("embed_frame")


def current_app_frame() -> App | None:
    """The live app whose frame this request is served in, or None."""
    frame = current_frame()
    return frame.app if frame is not None else None


# --- entering the frame, and a partner's links ----------------------------------------------


def clean_visitor(raw: str | None) -> str:
    """The visitor id the partner page gave (kept in its own localStorage), or a new one."""
    if raw and VISITOR.fullmatch(raw):
        return raw
    return secrets.token_urlsafe(16)


def _client() -> str:
    return request.remote_addr or ""


@dataclass(frozen=True)
class Entry:
    token: str
    item_slug: str | None


def enter(key: str, visitor: str | None, origin: str | None, item: str | None) -> Entry:
    """The frame's first view: an `embed` click for the visitor (when the page framing it says
    it is one of the app's origins; the ledger keeps one per visitor and app per period) and
    the token every page of the frame then carries. Raises AppNotLive."""
    app = live_app(key)
    if app is None:
        raise AppNotLive()
    visitor = clean_visitor(visitor)
    origin = origin if origin in (app.origins or []) else ""
    click = record_click(app.key, ClickKind.EMBED, visitor, _client()) if origin else None
    slug = item if item and len(item) <= 120 and ITEM_SLUG.fullmatch(item) else None
    return Entry(sign_token(app.key, visitor, getattr(click, "id", None), origin), slug)


def follow_link(key: str, visitor: str | None, item_id: int | None) -> str:
    """A partner's link to the shop (an item or the front page), followed: a `link` click for
    the visitor (a first-party cookie the shop keeps, so a later order on the shop itself is
    credited by the last click). Returns the visitor id to keep. Raises AppNotLive."""
    app = live_app(key)
    if app is None:
        raise AppNotLive()
    visitor = clean_visitor(visitor)
    record_click(app.key, ClickKind.LINK, visitor, _client(), item_id=item_id)
    return visitor


def current_referral() -> Referral:
    """Who may earn the order being placed: inside a frame, its app and the token's visitor;
    on the shop itself, the visitor of the first-party cookie a partner's link left (the
    ledger credits its last click); always the client's address."""
    frame = current_frame()
    if frame is not None:
        return Referral(frame_app_key=frame.app.key, visitor=frame.token.visitor, client=_client())
    cookie = request.cookies.get(VISITOR_COOKIE)
    visitor = cookie if cookie and VISITOR.fullmatch(cookie) else None
    return Referral(frame_app_key=None, visitor=visitor, client=_client())


# --- what the catalog shows in a frame ------------------------------------------------------


@dataclass(frozen=True)
class CatalogScope:
    """The part of the catalog an app shows: these categories' items and these items."""

    category_ids: tuple[int, ...]
    item_ids: tuple[int, ...]


def catalog_scope() -> CatalogScope | None:
    """The frame's app's choice of the catalog, or None (the whole catalog)."""
    app = current_app_frame()
    if app is None or (app.category_ids is None and app.item_ids is None):
        return None
    return CatalogScope(tuple(app.category_ids or ()), tuple(app.item_ids or ()))


# --- headers --------------------------------------------------------------------------------


def frame_ancestors(app: App | None) -> str:
    """The CSP directive: the app's origins inside its frame; 'none' on every other page."""
    origins = [o for o in (app.origins or []) if _SAFE_ORIGIN.fullmatch(o)] if app else []
    return "frame-ancestors " + (" ".join(origins) if origins else "'none'")


# An origin as partners.apps.normalize_origin writes it: nothing that could end a directive.
_SAFE_ORIGIN = re.compile(r"https?://[a-z0-9.\-\[\]:]+")
_FRAME_ANCESTORS = re.compile(r"frame-ancestors[^;]*")


def with_frame_ancestors(csp: str, app: App | None) -> str:
    directive = frame_ancestors(app)
    if _FRAME_ANCESTORS.search(csp):
        return _FRAME_ANCESTORS.sub(directive, csp, count=1)
    return f"{csp}; {directive}"


# --- the theme ------------------------------------------------------------------------------


def _mix(colour: str, other: str, share: float) -> str:
    """`colour` with `share` of `other` mixed in (sRGB, as color-mix would)."""
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def _contrast(one: str, two: str) -> float:
    def luminance(colour: str) -> float:
        def channel(pair: str) -> float:
            value = int(pair, 16) / 255
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

        r, g_, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g_ + 0.0722 * b

    light, dark = sorted((luminance(one), luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def theme_css(colour: str) -> str:
    """The app's theme: the shop's colour tokens (static/css/shop.css :root) from its colour,
    with text on it black or white, and a darker shade for links and text on light tints that
    reads at WCAG AA (4.5:1) on white and on the tint."""
    colour = colour.lower() if re.fullmatch(r"#[0-9a-fA-F]{6}", colour or "") else "#00704a"
    soft = _mix(colour, "#ffffff", 0.88)
    dark = colour
    for step in range(1, 11):
        if _contrast(dark, "#ffffff") >= 4.5 and _contrast(dark, soft) >= 4.5:
            break
        dark = _mix(colour, "#000000", step / 10)
    on = theme_text_colour(colour)
    return (
        "/* CLiQQ Shop: an app's theme, for its embedded shop */\n"
        f":root {{ --green: {colour}; --green-dark: {dark}; --green-soft: {soft}; "
        f"--on-green: {on}; }}\n"
        ".top, .top .brand, .top .brand:hover, .top__link, .cartlink, .button--primary,"
        " .button--primary:hover { color: var(--on-green); }\n"
        "a, .chip:hover, .button:hover { color: var(--green-dark); }\n"
    )


def theme_version(colour: str) -> str:
    return hashlib.sha256(theme_css(colour).encode()).hexdigest()[:12]


def theme_url(app: App) -> str:
    """The app's stylesheet, versioned by its content (a changed colour is a new URL)."""
    root = frame_path().root if frame_path() else request.script_root
    query = urlencode({"v": theme_version(app.theme_colour)})
    return f"{root}/embed/{app.key}/theme.css?{query}"


# --- the snippet ----------------------------------------------------------------------------


def script_url(shop_url: str | None = None) -> str:
    """embed.js's absolute address on this shop (`shop_url`, else SHOP_URL when set, else the
    address of this request)."""
    base = shop_url or current_app.config.get("SHOP_URL")
    if base:
        return base.rstrip("/") + "/embed.js"
    if has_request_context():
        root = frame_path().root if frame_path() else request.script_root
        return f"{request.host_url.rstrip('/')}{root}/embed.js"
    return "http://localhost:5000/embed.js"


def embed_snippet(app: App, item_slug: str | None = None, shop_url: str | None = None) -> str:
    """The exact HTML a publisher pastes where the shop should appear: the placeholder and
    the script that turns it into the shop's frame (the script once per page)."""
    from markupsafe import escape

    item = f' data-cliqq-item="{escape(item_slug)}"' if item_slug else ""
    return (
        f'<div data-cliqq-app="{escape(app.key)}"{item}></div>\n'
        f'<script src="{escape(script_url(shop_url))}" async></script>'
    )


def link_url(app: App, item_slug: str | None = None, shop_url: str | None = None) -> str:
    """A link a publisher may put on its own page to one item (or the shop's front page): it
    records a `link` click and lands on the shop itself."""
    base = script_url(shop_url).removesuffix("/embed.js")
    return f"{base}/embed/{app.key}/go" + (f"/{item_slug}" if item_slug else "")


def frame_url(key: str) -> str:
    """Where embed.js points its frame (before the token): `/embed/<key>/`."""
    return url_for("embed.enter", key=key)
