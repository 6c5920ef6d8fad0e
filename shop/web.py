"""What every request shares: error pages, input guards, security headers, template helpers and
the health check."""

import hashlib
import logging
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, jsonify, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from shop import codes
from shop.contact import format_phone
from shop.errors import DomainError, InvalidInput, status_for
from shop.extensions import csrf, db, htmx, limiter
from shop.money import format_peso
from shop.timeutil import format_manila

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
    app.url_map.converters["int"] = DatabaseInt
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
    app.add_url_rule("/livez", "livez", limiter.exempt(answers_json(livez)))
    app.add_url_rule("/healthz", "healthz", limiter.exempt(answers_json(healthz)))
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


@lru_cache(maxsize=4096)
def _cached_static_url(root: str, filename: str) -> str:
    return root + url_for("static", filename=filename)[len(request.script_root) :]


# Set by shop.embed.prefix inside a partner's frame: the shop's own root, before the frame's
# /embed/<key>/<token> prefix.
FRAME_ENVIRON_KEY = "cliqq.embed_frame"


def static_url(filename: str) -> str:
    """url_for('static', filename=...), remembered: a catalog page links dozens of images.
    Inside a partner's frame too it is the shop's own /static/... (not under the frame's
    per-visitor prefix), so every frame shares the browser's cached files."""
    frame = request.environ.get(FRAME_ENVIRON_KEY)
    root = frame.root if frame is not None else request.script_root
    return _cached_static_url(root, filename)


def item_url(slug: str) -> str:
    """url_for('catalog.item', slug=...), remembered (see static_url)."""
    return _cached_url(request.script_root, "catalog.item", "slug", slug)


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


def takes_files(view):
    """Mark a view that reads uploaded files (the operator's item pictures): the input guard
    lets its multipart body through, still checking every text field; any other view's files
    are refused."""
    view.takes_files = True
    return view


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "answers_json", False))


# The shop's pages, fragments and JSON steps: statuses that differ from an error kind's default
# (shop.errors.KIND_STATUS). The merchant API keeps a table of its own.
SHOP_STATUS = {
    "bad_listing": 400,
    "bad_frame_token": 400,  # a partner frame's link that isn't ours (shop.embed)
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


# Text a person can send, in any content type: no C0 control but tab, LF and CR, no DEL, no C1
# control, no lone surrogate (only JSON's "\ud800" escapes can carry one). PostgreSQL refuses
# NUL and psycopg cannot encode a surrogate; the rest has no honest use and would end up in
# logs, headers and pages.
UNREADABLE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The path is one line: not even tab, LF or CR.
UNREADABLE_PATH = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# A header value is visible characters, spaces and tabs (RFC 9110). Bytes above 0x7F arrive
# decoded as Latin-1 (a UTF-8 Referer's bytes), so only C0 and DEL are refused here.
UNREADABLE_HEADER = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
MAX_JSON_DEPTH = 32  # arrays and objects inside each other: far more than any route reads
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class DatabaseInt(IntegerConverter):
    """`<int:...>` in every route: a whole number that fits an INTEGER column on both databases
    (1 to 2^31 - 1). A larger one is no row, so it is a 404, not an overflow in the driver."""

    def __init__(self, map, fixed_digits=0, min=1, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def reads_raw_body(view):
    """Mark a view that reads its body as bytes (a signed webhook: the signature is over the
    exact bytes): the input guard leaves its body alone, and the view answers for it."""
    view.reads_raw_body = True
    return view


def _view():
    return current_app.view_functions.get(request.endpoint or "")


def _refuse_unreadable_input():
    """The input guard, before every view: refuse (4xx, in the request's channel) any text the
    shop can't store or show safely, in the path, query, headers, form or JSON, and any body a
    view could not read (JSON too deep, or of a shape the route doesn't take; files)."""
    try:
        request.query_string.decode("utf-8")
    except UnicodeDecodeError:
        return error_page(400, "The address contains characters the shop can't read.")
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    if "%00" in (raw + request.query_string.decode("latin-1")).lower() or (
        UNREADABLE_PATH.search(request.path)
    ):
        return error_page(400, "The address contains a character the shop can't read.")
    if any(_unreadable(key) or _unreadable(value) for key, value in request.args.items(multi=True)):
        return error_page(400, "The address contains a character the shop can't read.")
    if any(UNREADABLE_HEADER.search(value) for _, value in request.headers.items()):
        return error_page(400, "A header of this request contains a character the shop can't read.")
    view = _view()
    if request.method not in BODY_METHODS or getattr(view, "reads_raw_body", False):
        return None
    json_route = bool(getattr(view, "answers_json", False))
    if request.is_json:
        return _refuse_unreadable_json(json_route)
    if json_route and request.content_length:
        return error_page(415, "Send this as JSON (Content-Type: application/json).")
    if request.mimetype in FORM_TYPES:
        if request.files and not getattr(view, "takes_files", False):
            return error_page(400, "The shop takes no files here.")
        if any(
            _unreadable(key) or _unreadable(value) for key, value in request.form.items(multi=True)
        ):
            return error_page(400, "The form contains a character the shop can't read.")
    return None


# Requests that come from other servers, not browsers: they carry no cookies of ours, and prove
# who sent them another way (a signature, a bearer key). Every other unsafe method must come from
# a page of this site, when the browser says where it comes from.
SERVER_TO_SERVER_PREFIXES = ("/api/",)


def server_to_server(view):
    """Mark a view that other servers call (a signed webhook): no cookies of ours, so neither
    the CSRF token nor the Origin check applies. One mark for both, so they can't drift."""
    view.server_to_server = True
    return csrf.exempt(view)


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
    if getattr(_view(), "server_to_server", False) or request.path.startswith(
        SERVER_TO_SERVER_PREFIXES
    ):
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


def _unreadable(text) -> bool:
    return isinstance(text, str) and UNREADABLE_TEXT.search(text) is not None


def _refuse_unreadable_json(json_route: bool):
    """A JSON body must parse, nest at most MAX_JSON_DEPTH deep and carry readable text; a JSON
    route takes an object, a page's form an object of text fields (what a form can hold)."""
    if not request.get_data(cache=True):
        return None  # no body: a JSON route reads {}, a form reads nothing
    try:
        value = request.get_json()
    except RecursionError:
        return error_page(400, "That JSON is nested too deeply.", code="bad_json")
    except BadRequest:
        return error_page(400, "That isn't JSON the shop can read.", code="bad_json")
    if not _readable_json(value):
        return error_page(
            400,
            "That JSON is nested too deeply or contains a character the shop can't read.",
            code="bad_json",
        )
    if not isinstance(value, dict):
        return error_page(422, "Send a JSON object.", code="invalid_input")
    if not json_route:
        for name, field in value.items():
            texts = field if isinstance(field, list) else [field]
            if not all(isinstance(text, str) for text in texts):
                return error_page(422, "Each field of this form is text.", field=name)
    return None


def _readable_json(value) -> bool:
    """No text the shop can't store, and no deeper than MAX_JSON_DEPTH (walked without
    recursion: the value may be as deep as the parser allowed)."""
    stack = [(value, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _unreadable(value):
                return False
        elif isinstance(value, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                return False
            if isinstance(value, dict):
                if any(_unreadable(key) for key in value):
                    return False
                value = value.values()
            stack.extend((inner, depth + 1) for inner in value)
    return True


def json_body() -> dict:
    """The JSON object a JSON route was sent, {} when it was sent none (the input guard has
    refused every other shape before the view runs)."""
    if request.method not in BODY_METHODS or not request.get_data(cache=True):
        return {}
    value = request.get_json(silent=True)
    return value if isinstance(value, dict) else {}


def json_text(body: dict, name: str, max_length: int = 255) -> str:
    """A text field of a JSON body ("" when absent or null). Raises InvalidInput for anything
    but text, or text longer than `max_length`."""
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text.", field=name)
    if len(value) > max_length:
        raise InvalidInput(f"{name} is too long.", field=name)
    return value


# A redirect target we send the browser to: a path on this site in printable ASCII (a CR or LF
# would split the Location header, a tab or a backslash can turn "/\t/evil" into "//evil" in a
# browser, and anything else must arrive percent-encoded).
SAFE_TARGET = re.compile(r"/(?![/\\])[\x21-\x7e]*")


def safe_redirect_target(target, default: str | None = None) -> str:
    """`target` if it is a path on this site that is safe to put in a Location header, else
    `default` (the shop's front page when not given)."""
    if isinstance(target, str) and SAFE_TARGET.fullmatch(target) and "\\" not in target:
        return target
    return default if default is not None else url_for("catalog.index")


def local_referrer() -> str | None:
    """The page this request came from, as a safe path on this site (see
    safe_redirect_target), or None when it came from elsewhere or says nothing usable."""
    referrer = request.headers.get("Referer")
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return None
        referrer = parts.path + (f"?{parts.query}" if parts.query else "")
    target = safe_redirect_target(referrer, default="")
    return target or None


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


def pdf_response(data: bytes, filename: str):
    """A PDF shown in the browser (to print), never kept by a shared cache."""
    response = current_app.make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
