"""The CLiQQ Shop API, v1: `/api/v1/...` (DESIGN.md, "The CLiQQ Shop API (v1)"; docs/api.md).

Every request carries a merchant's secret key (`Authorization: Bearer sk_...`, made by `flask
shop create-merchant` or in the merchant console): no key, a malformed, unknown or revoked one
is a 401, a suspended merchant's a 403, before any view runs. Requests are rate limited per key
(API_RATE_LIMIT; 429 with Retry-After), in Redis when RATELIMIT_STORAGE_URI names it, so the
limit holds across hosts. Every answer is JSON, errors included: the one error body
`{"error": {"code", "message", "field"}}`, with the API's own statuses for the domain's errors
(API_STATUS: a full branch is 422 `branch_unavailable` here, where the shop's pages answer
409). No cookie, no CSRF token, no Origin check: other servers call it (shop.web's
SERVER_TO_SERVER_PREFIXES). The views live by what they serve (branches_views.py, ...);
shop/__init__.py imports them, as it does the counter's."""

import hashlib
import math
import time

from flask import Blueprint, current_app, g, jsonify, request
from limits import parse_many
from limits.strategies import MovingWindowRateLimiter

from shop.errors import DomainError, InvalidInput, TooMany, status_for
from shop.extensions import csrf, limiter
from shop.merchants import service as merchants
from shop.web import json_error

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

# The statuses the API answers the domain's errors with, where they differ from the error
# kind's default (shop.errors.KIND_STATUS). Part of the contract: docs/api.md lists every code.
API_STATUS = {
    "branch_unavailable": 422,
    "branch_not_found": 422,
    "parcel_too_large": 422,
    "duplicate_reference": 409,
    "idempotency_key_reused": 409,
    "same_branch": 422,
}


def _key_of_request() -> str:
    """What the rate limit counts by: the key the request presents (hashed; a request without
    one counts by its address), so each merchant key has its own budget."""
    header = request.headers.get("Authorization", "")
    if not header:
        return f"address:{request.remote_addr or ''}"
    return "key:" + hashlib.sha256(header.encode("utf-8", "replace")).hexdigest()[:32]


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_rate_limit, key_func=_key_of_request)(bp)


def bearer_secret() -> str | None:
    """The secret of an `Authorization: Bearer <secret>` header, or None."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


class TooManyBadKeys(TooMany):
    """Too many requests with a wrong key from this address. Wait, then use a key from the
    merchant console."""

    code = "too_many_bad_keys"

    def __init__(self, retry_after: int):
        super().__init__()
        self.retry_after = retry_after


def _bad_key_counters() -> list[tuple]:
    """API_BAD_KEYS_PER_ADDRESS's windows for this request's address (in the rate limiter's
    storage: Redis in production, so every host counts together)."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "shop"
    address = request.remote_addr or ""
    return [
        (limit, (prefix, "api-bad-keys", address))
        for limit in parse_many(current_app.config["API_BAD_KEYS_PER_ADDRESS"])
    ]


# What anyone may read without a key: the API's description.
PUBLIC = frozenset({"api.openapi_json"})


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC:
        return
    # Every key presented counts under its own rate limit, so a stream of made-up keys would
    # never slow down: failures are counted per address too, and past the limit the address
    # is refused before its key is looked at (a 256-bit key can't be guessed; this keeps the
    # attempt from costing the database).
    windows = MovingWindowRateLimiter(limiter.storage)
    counters = _bad_key_counters() if limiter.enabled else []
    now = time.time()  # system time on purpose: the limiter's storage keeps time by it
    waits = [
        math.ceil(windows.get_window_stats(limit, *key).reset_time - now)
        for limit, key in counters
        if not windows.test(limit, *key)
    ]
    if waits:
        raise TooManyBadKeys(max(1, *waits))
    try:
        g.merchant = merchants.authenticate(bearer_secret())
    except merchants.BadKey:
        for limit, key in counters:
            windows.hit(limit, *key)
        raise


def current_merchant():
    """The merchant whose key this request carries (checked before the view ran)."""
    return g.merchant


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    response = current_app.make_response(
        json_error(status_for(exc, API_STATUS), exc.message, exc.code, exc.field)
    )
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="CLiQQ Shop API"'
    if isinstance(exc, TooManyBadKeys):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def json_body():
    """The request's JSON body (any JSON value: the endpoint's schema says which it takes).
    Raises InvalidInput for a body sent as anything else; unreadable JSON (malformed, too
    deep, a NUL) was refused before the view (shop.web's input guard)."""
    if not request.is_json:
        raise InvalidInput("Send the body as JSON (Content-Type: application/json).")
    return request.get_json()


def answer_of(answer):
    """An idempotency.Answer as the response: its status and body, marked when replayed."""
    response = jsonify(answer.body)
    response.status_code = answer.status
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
