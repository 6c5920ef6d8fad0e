"""The checkout's idempotency key: issued by the server with each checkout page and bound to
the browser session and who is signed in, so that a key is never a way into someone else's
order (see checkout_key)."""

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from shop.errors import InvalidInput


class StaleCheckout(InvalidInput):
    """This checkout form is out of date. Reload the page and try again."""

    code = "stale_checkout"


def checkout_key(binding: str) -> str:
    """A fresh idempotency key for one checkout form, issued by the server and bound to
    `binding` (the browser session, and who is signed in): `<nonce>.<HMAC of nonce and
    binding>`. Submitting the form twice gives one order; a key copied into another session,
    made up, or replayed after signing out is refused (see check_checkout_key), so a key is
    never a way to read someone else's order."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_key_signature(nonce, binding)}"


def check_checkout_key(key: object, binding: str) -> str:
    """The key, if this server issued it for `binding`. Raises StaleCheckout."""
    if not isinstance(key, str) or len(key) > 64 or key.count(".") != 1:
        raise StaleCheckout()
    nonce, signature = key.split(".")
    if not nonce or not hmac.compare_digest(signature, _key_signature(nonce, binding)):
        raise StaleCheckout()
    return key


def _key_signature(nonce: str, binding: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, f"checkout-key\0{nonce}\0{binding}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode()
