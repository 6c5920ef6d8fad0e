"""A merchant's side of the CLiQQ Shop API, in the standard library only: create a
cash-on-delivery shipment and register a webhook endpoint. docs/api.md's example; the test
suite runs it against a real server (tests/integration/test_api_end_to_end.py).

    CLIQQ_API=https://shop.example CLIQQ_KEY=sk_... python merchant.py 0412 ORDER-1001
"""

import json
import os
import sys
import urllib.request
import uuid


def call(base: str, key: str, method: str, path: str, body: dict | None = None) -> dict:
    """One API request: JSON in, JSON out; a refusal raises with the API's error body."""
    if not base.startswith(("https://", "http://")):
        raise ValueError(f"the API's address is https://..., not {base!r}")
    request = urllib.request.Request(  # noqa: S310  (an http(s) address, checked above)
        base.rstrip("/") + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            # A new key per request; send the same one again to retry it safely.
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as refused:
        raise RuntimeError(f"{refused.code}: {refused.read().decode()}") from None


def create_cod_shipment(base: str, key: str, branch_code: str, reference: str) -> dict:
    return call(
        base,
        key,
        "POST",
        "/api/v1/shipments",
        {
            "reference": reference,
            "payment": "cod",
            "amount_due": 125_000,  # ₱1,250.00, collected at the counter
            "branch_code": branch_code,
            "recipient": {
                "name": "Juan dela Cruz",
                "phone": "0917 123 4567",
                "email": "juan@example.com",
            },
            "parcel": {"length_cm": 20, "width_cm": 15, "height_cm": 10, "weight_g": 800},
        },
    )


def register_endpoint(base: str, key: str, url: str) -> dict:
    """Where shipment.* events go; keep the returned `secret` to verify them."""
    return call(base, key, "POST", "/api/v1/webhook-endpoints", {"url": url})


if __name__ == "__main__":
    made = create_cod_shipment(os.environ["CLIQQ_API"], os.environ["CLIQQ_KEY"], *sys.argv[1:3])
    print(f"{made['tracking_number']}: the buyer pays with {made['reference_code']}")
