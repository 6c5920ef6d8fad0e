"""Placing orders from a test through the service, as the checkout view does: with a key the
server issued for the test's binding, and a holder of its own unless a test says otherwise."""

import uuid

from shop.checkout import keys, service

BINDING = "test-session:"


def issued_key(label: str = "k", binding: str = BINDING) -> str:
    """The key checkout_key(binding) would issue with nonce `label` (a readable, repeatable
    key: the same label is the same key, as a double-click sends)."""
    return f"{label}.{keys._key_signature(label, binding)}"


def place_order(contents, *, idempotency_key: str = "k", holder=None, **kwargs):
    """service.place_order with an issued key; each call its own holder unless given one (so
    the bounds on unpaid holds only bite in the tests about them)."""
    holder = holder or service.Holder(session=uuid.uuid4().hex, address=uuid.uuid4().hex)
    return service.place_order(
        contents,
        idempotency_key=issued_key(idempotency_key),
        key_binding=BINDING,
        holder=holder,
        **kwargs,
    )
