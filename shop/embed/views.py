"""The embed's own routes (`/embed.js`, the frame's entry, a partner's links, the theme) and
the hooks that make every storefront page work inside a frame: the frame checked before the
view, its framing headers after it."""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    request,
    url_for,
)
from itsdangerous import SignatureExpired

from shop.catalog import service as catalog
from shop.embed import service
from shop.embed.prefix import FRAME
from shop.extensions import limiter
from shop.web import CSP, error_page, safe_redirect_target

bp = Blueprint("embed", __name__)

SCRIPT = "embed.js"
SHORT_CACHE = 300  # seconds a bare /embed.js may be used before it is revalidated
YEAR = 365 * 24 * 3600


# --- the hooks ------------------------------------------------------------------------------


@bp.before_app_request
def _check_frame():
    """Inside a frame, before any view: its app live (else a 404 page) and its token valid
    (else a 400 page); an expired token on a GET is renewed (same visitor and origin) and the
    browser sent to the same page."""
    if FRAME not in request.environ:
        return None
    try:
        service.load_frame()
    except SignatureExpired as expired:
        path = request.environ[FRAME]
        if request.method != "GET":
            return error_page(400, service.BadFrameToken.__doc__)
        try:
            fresh = service.renewed_token(expired, path.key)
        except service.BadFrameToken as exc:
            return error_page(400, exc.message)
        target = safe_redirect_target(request.full_path.rstrip("?"), default="/")
        return redirect(f"{path.root}/embed/{path.key}/{fresh}{target}", 303)
    return None


@bp.after_app_request
def _framing_headers(response):
    """Who may frame this response: the app's origins inside its frame, nobody elsewhere
    (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for browsers without CSP 2).
    Every CSP a view set for itself (the card page's) gets the same directive."""
    app = service.current_app_frame()
    csp = response.headers.get("Content-Security-Policy", CSP)
    response.headers["Content-Security-Policy"] = service.with_frame_ancestors(csp, app)
    if app is None:
        response.headers["X-Frame-Options"] = "DENY"
    else:
        response.headers.pop("X-Frame-Options", None)
    return response


@bp.app_context_processor
def _frame_context() -> dict:
    return {"frame": service.current_frame()}


# --- embed.js -------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _script(folder: str) -> tuple[bytes, str]:
    body = (Path(folder) / SCRIPT).read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:10]


def script_version() -> str:
    return _script(current_app.static_folder)[1]


@bp.get("/embed.js")
@limiter.exempt
def script():
    """The script a partner's page loads. `?v=<its content hash>` is cached for a year
    (immutable); the bare address for SHORT_CACHE seconds, then revalidated by its ETag."""
    body, version = _script(current_app.static_folder)
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.set_etag(version)
    # Loaded by other sites' pages: readable cross-origin as a script (CORP) and never sniffed.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    if request.args.get("v") == version:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = f"public, max-age={SHORT_CACHE}"
    return response.make_conditional(request)


# --- the frame's entry, and a partner's links -----------------------------------------------


def _arg(name: str, limit: int = 200) -> str | None:
    value = request.args.get(name)
    return value if value and len(value) <= limit else None


@bp.get("/embed/<key>/")
def enter(key: str):
    """Where embed.js points the frame: records the `embed` click and sends the frame on to
    its tokened address (the catalog, or the item the partner's page asked for)."""
    entry = service.enter(key, _arg("visitor"), _arg("origin"), _arg("item"))
    root = f"{request.script_root}/embed/{key}/{entry.token}"
    target = f"/items/{entry.item_slug}" if entry.item_slug else "/"
    response = redirect(root + target, 303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _link_limit() -> str:
    return current_app.config["EMBED_LINK_RATE_LIMIT"]


@bp.get("/embed/<key>/go", defaults={"slug": None})
@bp.get("/embed/<key>/go/<slug>")
@limiter.limit(_link_limit)
def go(key: str, slug: str | None):
    """A partner's link: a `link` click, then the shop itself (the item, or the front page),
    with a first-party visitor cookie so a later order here is credited by the last click."""
    item = catalog.get_item(slug) if slug is not None else None  # unknown: ItemNotFound, 404
    known = request.cookies.get(service.VISITOR_COOKIE)
    visitor = service.follow_link(key, known, item.id if item else None)
    target = url_for("catalog.item", slug=item.slug) if item else url_for("catalog.index")
    response = redirect(target, 303)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(
        service.VISITOR_COOKIE,
        visitor,
        max_age=current_app.config["EMBED_VISITOR_COOKIE_DAYS"] * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.get("/embed/<key>/theme.css")
@limiter.exempt
def theme(key: str):
    """The app's theme stylesheet: long-cached under its versioned address, else revalidated."""
    app = service.live_app(key)
    if app is None:
        raise service.AppNotLive()
    css = service.theme_css(app.theme_colour)
    response = make_response(css)
    response.mimetype = "text/css"
    version = service.theme_version(app.theme_colour)
    response.set_etag(version)
    if request.args.get("v") == version:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)
