"""The merchant API's keys and edge (issue #12, point 3) on both databases: `flask shop
create-merchant` prints a first key that works; keys are kept as their SHA-256 only; a missing,
malformed, unknown or revoked key is a 401, a suspended merchant's a 403, each the one JSON
error body; requests are rate limited per key (429 with Retry-After, another key unaffected);
`GET /api/v1/branches` answers as the picker finds branches; a bad parameter is a 4xx JSON
body, never a page."""

import hashlib
import re

import pytest
import sqlalchemy as sa

from shop.extensions import db, limiter
from shop.merchants import service as merchants
from shop.merchants.models import ApiKey, Merchant, MerchantStatus


def new_merchant(app, name="Tindahan PH"):
    with app.app_context():
        change, key = merchants.create_with_key(name, "ops@tindahan.example")
        return change.merchant.id, key.secret


def auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def error_of(response) -> dict:
    assert response.mimetype == "application/json", response.data[:200]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}
    return body["error"]


def test_create_merchant_prints_a_first_key_that_works(app, runner, client):
    result = runner.invoke(args=["shop", "create-merchant", "Tindahan ni Aling Nena"])
    assert result.exit_code == 0, result.output
    secret = re.search(r"^\s+(sk_\S+)$", result.output, re.M).group(1)
    assert "tindahan-ni-aling-nena" in result.output
    assert client.get("/api/v1/branches", headers=auth(secret)).status_code == 200
    again = runner.invoke(args=["shop", "create-merchant", "Tindahan ni Aling Nena"])
    assert "tindahan-ni-aling-nena-2" in again.output  # a second one of that name: its own slug
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Merchant)) == 2


def test_a_key_is_kept_as_its_hash_and_its_prefix_only(app):
    merchant_id, secret = new_merchant(app)
    assert secret.startswith("sk_") and len(secret) == merchants.KEY_LENGTH
    with app.app_context():
        key = db.session.scalars(sa.select(ApiKey)).one()
        stored = [str(v) for v in db.session.execute(sa.select(*ApiKey.__table__.c)).one()]
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.prefix == secret[: merchants.KEY_SHOWN]
    assert all(secret not in value for value in stored)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer sk_short",
        "Bearer " + "sk_" + "A" * 43,  # well formed, no such key
        "Bearer sk_" + "\u00e9" * 43,
        "Token sk_" + "A" * 43,
    ],
)
def test_without_a_good_key_it_is_a_401_json_body(app, client, header):
    new_merchant(app)
    headers = {} if header is None else {"Authorization": header}
    response = client.get("/api/v1/branches", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_is_a_401_and_a_suspended_merchants_a_403(app, client):
    merchant_id, secret = new_merchant(app)
    with app.app_context():
        other = merchants.create_key(merchant_id, "Second server").secret
        key_id = db.session.scalar(sa.select(ApiKey.id).where(ApiKey.name == "First key"))
        with pytest.raises(merchants.KeyNotFound):  # another merchant can't revoke it
            merchants.revoke_key(new_merchant(app, "Other")[0], key_id)
        merchants.revoke_key(merchant_id, key_id)
        merchants.revoke_key(merchant_id, key_id)  # twice: nothing more happens
    assert client.get("/api/v1/branches", headers=auth(secret)).status_code == 401
    assert client.get("/api/v1/branches", headers=auth(other)).status_code == 200
    with app.app_context():
        merchants.set_status(merchant_id, MerchantStatus.SUSPENDED)
    refused = client.get("/api/v1/branches", headers=auth(other))
    assert refused.status_code == 403 and error_of(refused)["code"] == "merchant_suspended"


def test_keys_are_listed_newest_first_and_limited(app):
    merchant_id, _ = new_merchant(app)
    with app.app_context():
        for n in range(merchants.MAX_KEYS - 1):
            merchants.create_key(merchant_id, f"Server {n}")
        with pytest.raises(merchants.TooManyKeys):
            merchants.create_key(merchant_id, "One too many")
        listed = merchants.list_keys(merchant_id)
        assert len(listed) == merchants.MAX_KEYS and listed[0].name == "Server 18"
        merchants.revoke_key(merchant_id, listed[0].id)
        merchants.create_key(merchant_id, "Room again")  # a revoked key leaves room
        for bad in ("", "   ", "x" * 81, "a\x00b"):
            with pytest.raises(merchants.InvalidInput):
                merchants.create_key(merchant_id, bad)


def test_requests_are_rate_limited_per_key(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    monkeypatch.setattr(limiter, "enabled", True)
    merchant_id, secret = new_merchant(app)
    with app.app_context():
        other = merchants.create_key(merchant_id, "Second server").secret
    for _ in range(3):
        assert client.get("/api/v1/branches", headers=auth(secret)).status_code == 200
    limited = client.get("/api/v1/branches", headers=auth(secret))
    assert limited.status_code == 429
    assert error_of(limited)["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert client.get("/api/v1/branches", headers=auth(other)).status_code == 200


def test_branches_as_the_picker_finds_them(app, client, make):
    _, secret = new_merchant(app)
    near = make.branch(name="7-Eleven Ayala Triangle", lat=14.5570, lng=121.0240, frozen=False)
    far = make.branch(name="7-Eleven Baguio Session", lat=16.4120, lng=120.5960, frozen=True)
    found = client.get("/api/v1/branches?near=14.5547,121.0244", headers=auth(secret)).get_json()
    codes = [b["code"] for b in found["data"]]
    assert codes.index(near.code) < codes.index(far.code)
    first = found["data"][codes.index(near.code)]
    assert first["distance_km"] < 1 and first["available"] is True
    assert set(first) >= {"code", "name", "address", "city", "lat", "lng", "hours", "frozen",
                          "open_capacity"}  # fmt: skip
    frozen = client.get("/api/v1/branches?frozen=true&q=7-Eleven", headers=auth(secret))
    by_code = {b["code"]: b for b in frozen.get_json()["data"]}
    assert by_code[far.code]["available"] is True
    assert by_code[near.code]["available"] is False and by_code[near.code]["unavailable_reason"]
    words = client.get("/api/v1/branches?q=baguio", headers=auth(secret)).get_json()["data"]
    assert [b["code"] for b in words] == [far.code]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("near=north", "near"),
        ("near=91,0", "near"),
        ("frozen=maybe", "frozen"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("nera=14,121", "nera"),
        ("q=a&q=b", "q"),
        ("q=" + "x" * 300, "q"),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(app, client, query, field):
    _, secret = new_merchant(app)
    response = client.get(f"/api/v1/branches?{query}", headers=auth(secret))
    assert response.status_code == 422
    assert error_of(response)["field"] == field


def test_no_page_of_the_api_is_html(app, client):
    _, secret = new_merchant(app)
    for path, method in (("/api/v1/nothing", "GET"), ("/api/v1/branches", "POST")):
        response = client.open(path, method=method, headers=auth(secret))
        assert response.status_code in (404, 405)
        error_of(response)


def test_an_address_sending_wrong_keys_is_refused_for_a_while(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "API_BAD_KEYS_PER_ADDRESS", "3 per minute")
    monkeypatch.setattr(limiter, "enabled", True)
    _, secret = new_merchant(app)
    for n in range(3):
        wrong = client.get("/api/v1/branches", headers=auth(f"sk_{n:043d}"))
        assert wrong.status_code == 401
    refused = client.get("/api/v1/branches", headers=auth("sk_" + "B" * 43))
    assert refused.status_code == 429 and error_of(refused)["code"] == "too_many_bad_keys"
    assert int(refused.headers["Retry-After"]) > 0
    # Refused before the key is looked at: the right key from there waits too...
    assert client.get("/api/v1/branches", headers=auth(secret)).status_code == 429
    # ...and another address is not concerned.
    elsewhere = client.get(
        "/api/v1/branches", headers=auth(secret), environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert elsewhere.status_code == 200


def test_an_error_message_is_one_line_of_words(app, client):
    response = client.get("/api/v1/branches", headers=auth("sk_" + "C" * 43))
    message = error_of(response)["message"]
    assert "\n" not in message and "  " not in message and message.startswith("Send your")
