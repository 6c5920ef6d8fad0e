"""What every request shares: error pages, input guards, security headers, template helpers and
the health check."""

import hashlib
import logging
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, jsonify, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from shop import codes
from shop.contact import format_phone
from shop.errors import DomainError, status_for
from shop.extensions import db, htmx, limiter
from shop.money import format_peso
from shop.timeutil import MANILA

log = logging.getLogger(__name__)

ERROR_TEXT = {
    400: ("That request didn't make sense", "Something in the address or the form isn't valid."),
    403: ("This page isn't for your account", "Your account doesn't have access to this page."),
    404: ("We couldn't find that page", "It may have moved, or the link may be mistyped."),
    405: ("That isn't allowed here", "This page can't be used that way."),
    413: ("That's too much to send", "The request is larger than the shop accepts."),
    422: ("Please check what you entered", "Some of what you sent isn't valid."),
    429: ("Slow down a little", "Too many tries in a short time. Wait a minute and try again."),
    500: ("Something went wrong on our side", "We've been told. Please try again in a moment."),
    503: ("The shop is busy", "Please try again in a moment."),
}

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'self'; "
    "object-src 'none'"
)


def init_app(app: Flask) -> None:
    if app.config.get("PROXY_FIX_X_FOR") or app.config.get("PROXY_FIX_X_HOST"):
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=int(app.config.get("PROXY_FIX_X_FOR") or 0),
            x_proto=1 if app.config.get("PROXY_FIX_X_FOR") else 0,
            x_host=int(app.config.get("PROXY_FIX_X_HOST") or 0),
        )
    # First of all hooks, before the CSRF check: a post from another site is refused the same
    # way whatever token it carries.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_cross_origin)
    app.before_request(_refuse_unreadable_input)
    app.after_request(_headers)
    if app.config.get("ENV") == "production":
        app.after_request(_strict_transport_security)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(Exception, _unexpected_error)
    # The probes: no rate limit (a load balancer polls from a few addresses) and no session
    # (shop.probes).
    app.add_url_rule("/livez", "livez", limiter.exempt(livez))
    app.add_url_rule("/healthz", "healthz", limiter.exempt(healthz))
    app.url_defaults(_version_static_urls)
    app.jinja_env.filters["peso"] = format_peso
    app.jinja_env.globals.update(static_url=static_url, item_url=item_url)
    app.jinja_env.filters.update(
        code_group=codes.group,
        barcode=lambda code, label=None: codes.barcode_svg(code, title=label),
        manila=format_manila,
        phone=format_phone,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


@lru_cache(maxsize=4096)
def _file_version(folder: str, filename: str) -> str:
    try:
        return hashlib.sha256((Path(folder) / filename).read_bytes()).hexdigest()[:10]
    except OSError:
        return ""


def _version_static_urls(endpoint: str, values: dict) -> None:
    """`/static/css/shop.css?v=<content hash>`: a changed file gets a new URL, so browsers may
    cache static files for a year (see CachingFlask)."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = _file_version(current_app.static_folder, values["filename"])
        if version:
            values["v"] = version


@lru_cache(maxsize=8192)
def _cached_url(root: str, endpoint: str, key: str, value: str) -> str:
    return url_for(endpoint, **{key: value})


def static_url(filename: str) -> str:
    """url_for('static', filename=...), remembered: a catalog page links dozens of images."""
    return _cached_url(request.script_root, "static", "filename", filename)


def item_url(slug: str) -> str:
    """url_for('catalog.item', slug=...), remembered (see static_url)."""
    return _cached_url(request.script_root, "catalog.item", "slug", slug)


def format_manila(moment) -> str:
    """A moment as the shopper reads it: "Wed 25 Nov, 3:05 PM" in Manila time."""
    local = moment.astimezone(MANILA)
    return local.strftime("%a %d %b, %I:%M %p").replace(" 0", " ")


def livez():
    """Liveness: 200 whenever the process answers; it touches no database."""
    return jsonify(status="ok")


def healthz():
    """Readiness: 200 when the app and its database answer; 503 when the database does not."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        log.exception("health check: database unreachable")
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok")


def is_htmx() -> bool:
    """Answer with a fragment: an htmx request (flask-htmx's `htmx`), but not a history restore,
    which swaps in the whole page and so gets the full page."""
    return bool(htmx) and not htmx.history_restore_request


def answers_json(view):
    """Mark a view whose answers, errors included, are JSON (the card flow's steps, webhooks,
    the API): every error it raises is rendered as the one JSON error body."""
    view.answers_json = True
    return view


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.path in ("/healthz", "/livez"):
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "answers_json", False))


# The shop's pages, fragments and JSON steps: statuses that differ from an error kind's default
# (shop.errors.KIND_STATUS). The merchant API keeps a table of its own.
SHOP_STATUS = {
    "bad_listing": 400,
    "bad_signature": 400,
    "card_declined": 402,
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def status_of(error: DomainError) -> int:
    """The status the shop's own pages and JSON steps answer `error` with."""
    return status_for(error, SHOP_STATUS)


def json_error(status: int, message: str, code: str | None = None, field: str | None = None):
    """The one JSON error body: {"error": {"code", "message", "field"}}."""
    body = {"code": code or HTTP_CODES.get(status, str(status)), "message": message, "field": field}
    return jsonify(error=body), status


def error_page(
    status: int,
    message: str | None = None,
    title: str | None = None,
    *,
    code: str | None = None,
    field: str | None = None,
):
    """An error as this request's channel shows it: JSON, an htmx fragment or a page."""
    default_title, default_message = ERROR_TEXT.get(status, ERROR_TEXT[400])
    title, message = title or default_title, message or default_message
    if wants_json():
        return json_error(status, message, code, field)
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, status=status, title=title, message=message), status


def _refuse_unreadable_input():
    # PostgreSQL refuses NUL inside text, and no honest request carries one; a query string
    # that is not UTF-8 would fail deep inside Werkzeug. Refuse both up front, clearly.
    try:
        request.query_string.decode("utf-8")
    except UnicodeDecodeError:
        return error_page(400, "The address contains characters the shop can't read.")
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    pieces = [request.path, raw, request.query_string.decode("latin-1")]
    if "\x00" in "".join(pieces) or "%00" in "".join(pieces).lower():
        return error_page(400, "The address contains a character the shop can't read.")
    if request.method == "POST" and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for values in request.form.listvalues():
            if any("\x00" in value for value in values):
                return error_page(400, "The form contains a character the shop can't read.")
    return None


# Requests that come from other servers, not browsers: they carry no cookies of ours, and prove
# who sent them another way (a signature, a bearer key). Every other unsafe method must come from
# a page of this site, when the browser says where it comes from.
SERVER_TO_SERVER_PATHS = frozenset({"/payments/stripe/webhook"})
SERVER_TO_SERVER_PREFIXES = ("/api/",)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin such as `https://shop.example`; None if it is none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def _refuse_cross_origin():
    """403 for a form post (or any unsafe method) whose `Origin` is another site, or `null` (a
    sandboxed frame, a redirect from elsewhere), whatever its CSRF token says. Without `Origin`
    (older browsers, plain clients) the CSRF token decides, as before. This site is the scheme
    and host the request arrived at: behind a load balancer, as ProxyFix rewrote them."""
    if request.method not in UNSAFE_METHODS:
        return None
    if request.path in SERVER_TO_SERVER_PATHS or request.path.startswith(SERVER_TO_SERVER_PREFIXES):
        return None
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    here = f"{request.scheme}://{request.host}"
    if _origin(origin) is not None and _origin(origin) == _origin(here):
        return None
    log.warning(
        "refused a %s to %s from origin %r (this site: %s)",
        request.method,
        request.path,
        origin[:200],
        here,
    )
    return error_page(
        403,
        "This form was sent from another site. Go back to the shop's own page and try again.",
        title="That came from somewhere else",
    )


HSTS = "max-age=63072000; includeSubDomains"  # two years, as the HSTS preload list asks


def _strict_transport_security(response):
    response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _headers(response):
    response.headers.add("Vary", "HX-Request")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc
    message = None
    if isinstance(exc, BadRequest) and exc.description != BadRequest.description:
        message = exc.description
    body, status = error_page(exc.code, message)
    response = current_app.make_response((body, status))
    for name, value in exc.get_headers():  # Allow on a 405, Retry-After on a 429, ...
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _csrf_error(exc: CSRFError):
    return error_page(
        400,
        "This form expired or came from somewhere else. Reload the page and try again.",
        title="Please try that again",
    )


def _domain_error(exc: DomainError):
    return error_page(status_of(exc), exc.message, code=exc.code, field=exc.field)


def _unexpected_error(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    if current_app.testing and current_app.config.get("PROPAGATE_UNEXPECTED", True):
        raise exc
    return error_page(500)
