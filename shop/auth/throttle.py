"""How many passwords anyone may try against one account, and how the owner keeps their way in.

Only a failed password check counts (a log-in, or the current password on the password page),
and it counts against the account whose email the check used: the service is handed the value
it authenticates, so the shape of the request (a form, multipart, JSON, the email's case or
spaces) cannot move an attempt to another counter. Two counters apply:

- per account and client, `LOGIN_FAILURES_PER_CLIENT` (default 5 a minute, 20 an hour). The
  client is the browser when it holds this account's trusted-browser token, else its address.
- per account, `LOGIN_FAILURES_PER_ACCOUNT` (default 50 an hour, 100 a day), shared by every
  client the account doesn't know: an address it hasn't logged in from, and a browser without
  its token, in the last `LOGIN_TRUST_DAYS` (30).

A stranger who spends the account's ceiling from many addresses therefore locks out only other
strangers: the owner, from an address or a browser they logged in from, keeps their own
allowance. Windows are moving ("20 an hour" is 20 in any 60 minutes). The counters live in the
rate limiter's storage (Redis in production), so every process shares them.
"""

import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from limits import parse_many
from limits.strategies import MovingWindowRateLimiter

from shop import clock
from shop.extensions import limiter

TRUSTED_BROWSER_COOKIE = "trusted_browser"
_SALT = "shop.auth.trusted-browser"


@dataclass(frozen=True)
class Client:
    """Who is trying: the client address (after ProxyFix) and the trusted-browser token its
    browser sent, if any (unchecked: `Attempts` checks it)."""

    address: str
    browser_token: str | None = None


def _secret() -> bytes:
    return current_app.secret_key.encode()


def _account(email: str) -> str:
    # Keyed, so neither the counters' keys nor the token name an email to whoever reads them.
    return hmac.new(_secret(), email.encode(), hashlib.sha256).hexdigest()[:32]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def _trust_seconds() -> int:
    return int(current_app.config["LOGIN_TRUST_DAYS"]) * 24 * 3600


def browser_token(email: str) -> str:
    """A new trusted-browser token for this account (after a successful log-in): signed, it
    names the account and this browser, and lapses after LOGIN_TRUST_DAYS."""
    expires = int(clock.now().timestamp()) + _trust_seconds()
    return _serializer().dumps([_account(email), secrets.token_urlsafe(12), expires])


def _browser_id(token: str | None, account: str) -> str | None:
    """The browser's id if `token` is a live token of this account's, else None."""
    if not token or len(token) > 200:
        return None
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 3):
        return None
    owner, browser, expires = value
    if owner != account or not isinstance(browser, str) or not isinstance(expires, int):
        return None
    return browser if expires > clock.now().timestamp() else None


class Attempts:
    """The failure counters that apply to one client trying one account."""

    def __init__(self, email: str, client: Client):
        config = current_app.config
        self._storage = limiter.storage
        self._windows = MovingWindowRateLimiter(self._storage)
        prefix = config.get("RATELIMIT_KEY_PREFIX") or "shop"
        account = _account(email)
        self._known_key = f"{prefix}/login-known/{account}/{client.address}"
        browser = _browser_id(client.browser_token, account)
        who = f"browser:{browser}" if browser else f"address:{client.address}"
        self._counters = [
            (limit, (prefix, "login-failures", account, who))
            for limit in parse_many(config["LOGIN_FAILURES_PER_CLIENT"])
        ]
        self.trusted = browser is not None or self._storage.get(self._known_key) > 0
        if not self.trusted:
            self._counters += [
                (limit, (prefix, "login-failures", account))
                for limit in parse_many(config["LOGIN_FAILURES_PER_ACCOUNT"])
            ]

    def wait(self) -> int:
        """Seconds before this client may try this account again; 0 when it may now."""
        now = time.time()  # system time on purpose: the limiter's storage keeps time by it
        waits = [
            math.ceil(self._windows.get_window_stats(limit, *key).reset_time - now)
            for limit, key in self._counters
            if not self._windows.test(limit, *key)
        ]
        return max([1, *waits]) if waits else 0

    def failed(self) -> None:
        """Count a wrong password against every counter that applies."""
        for limit, key in self._counters:
            self._windows.hit(limit, *key)

    def succeeded(self) -> None:
        """Remember this address as one the account logs in from, for LOGIN_TRUST_DAYS from
        now."""
        self._storage.clear(self._known_key)
        self._storage.incr(self._known_key, _trust_seconds())
