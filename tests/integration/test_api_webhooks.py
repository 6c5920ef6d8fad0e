"""The merchant's webhooks and events (issue #12, points 6 and 7) on both databases: an
endpoint registered by API (its secret shown once), listed and deleted; every move of a
merchant's package publishes `shipment.<state>`, in order, to the pull feed and to the
endpoints, signed so the `standardwebhooks` library verifies it; a receiver that fails for a
while, then recovers, gets every event once by webhook-id, in order per shipment; a resend
replays one; nothing of the shop's own orders or of another merchant's shows.
(tests/integration/test_webhooks_order.py tests the order per shipment in depth.)"""

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook

from shop.extensions import db
from shop.notify.models import WebhookEvent
from tests.integration import test_webhooks_outbound as outbound
from tests.integration.test_api_keys import auth, error_of, new_merchant
from tests.integration.test_api_shipments import TO_BRANCH, _move, body, post
from tests.integration.test_webhooks_outbound import Receiver, _deliver

receiver, now = outbound.receiver, outbound.now


@pytest.fixture
def merchant(app):
    return new_merchant(app)


@pytest.fixture
def branch(make):
    return make.branch(name="7-Eleven Ayala Triangle", shelf_capacity=10)


def register(client, secret, url, **fields):
    return client.post(
        "/api/v1/webhook-endpoints", json={"url": url, **fields}, headers=auth(secret)
    )


def feed(client, secret, after=0) -> list[dict]:
    return client.get(f"/api/v1/events?after={after}", headers=auth(secret)).get_json()["data"]


def test_an_endpoint_is_registered_listed_and_deleted(app, client, merchant):
    _, secret = merchant
    made = register(client, secret, "https://hooks.example/cliqq", description="Production")
    assert made.status_code == 201, made.get_json()
    endpoint = made.get_json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["event_types"] is None
    listed = client.get("/api/v1/webhook-endpoints", headers=auth(secret)).get_json()["data"]
    assert [e["id"] for e in listed] == [endpoint["id"]] and "secret" not in listed[0]
    assert endpoint["secret"].endswith(listed[0]["secret_hint"].split("…")[-1])
    _, theirs = new_merchant(app, "Other shop")
    path = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    assert client.delete(path, headers=auth(theirs)).status_code == 404
    assert client.get("/api/v1/webhook-endpoints", headers=auth(theirs)).get_json()["data"] == []
    assert client.delete(path, headers=auth(secret)).status_code == 204
    assert client.delete(path, headers=auth(secret)).status_code == 404


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"url": "ftp://hooks.example"}, "unsafe_url", None),
        (
            {"url": "https://hooks.example", "event_types": ["commission.paid"]},
            "invalid_input",
            "event_types",
        ),  # fmt: skip
        ({"url": "https://hooks.example", "event_types": []}, "invalid_input", "event_types"),
        ({"url": "https://hooks.example", "secret": "mine"}, "unknown_field", "secret"),
        ({"url": 5}, "invalid_input", "url"),
    ],
)
def test_a_bad_endpoint_is_refused(app, client, merchant, fields, code, field):
    _, secret = merchant
    response = client.post("/api/v1/webhook-endpoints", json=fields, headers=auth(secret))
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] == code and (field is None or error["field"] == field)


def test_every_move_of_a_merchants_package_is_an_event_in_order(app, client, merchant, branch):
    _, secret = merchant
    number = post(client, secret, body(branch)).get_json()["tracking_number"]
    _move(app, number, *TO_BRANCH, "claim")
    events = feed(client, secret)
    assert [e["type"] for e in events] == [
        "shipment.label_issued",
        "shipment.received",
        "shipment.accepted",
        "shipment.in_transit",
        "shipment.at_branch",
        "shipment.claimed",
    ]
    assert all(e["data"]["tracking_number"] == number for e in events)
    assert events[1]["data"]["previous_status"] == "label_issued"
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert [e["type"] for e in feed(client, secret, after=events[3]["id"])] == [
        "shipment.at_branch", "shipment.claimed"]  # fmt: skip
    _, theirs = new_merchant(app, "Other shop")
    assert feed(client, theirs) == []


def test_the_shops_own_orders_publish_nothing(app, client, merchant, make):
    from tests.integration.test_checkout import _add, _checkout

    branch = make.branch()
    shopper = app.test_client()
    _add(shopper, make.item())
    assert _checkout(shopper, branch).status_code in (302, 303)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0


def test_a_receiver_down_for_a_while_gets_every_event_once_in_order(
    app,
    client,
    merchant,
    branch,
    receiver,
    now,
):
    merchant_id, secret = merchant
    hook: Receiver = receiver(fail=4)
    made = register(client, secret, hook.url).get_json()
    number = post(client, secret, body(branch)).get_json()["tracking_number"]
    _move(app, number, "drop_off", "accept")
    for _ in range(12):  # the schedule's waits, passed one attempt at a time
        _deliver(app)
        now.advance(hours=10)
    taken = hook.taken()
    verifier = Webhook(made["secret"])
    seen = []
    for headers, text in taken:
        headers = {k.lower(): v for k, v in headers.items()}
        # The library's own signature (its verify() also wants the timestamp within five
        # minutes of the real clock, which the schedule's hours of waiting have left behind).
        sent_at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
        expected = verifier.sign(headers["webhook-id"], sent_at, text)
        assert expected in headers["webhook-signature"].split(" ")
        seen.append((headers["webhook-id"], json.loads(text)["type"]))
    ids = [webhook_id for webhook_id, _ in seen]
    assert len(ids) == len(set(ids)) == 3
    # In the shipment's order as they arrived: the later two waited for the first's retries.
    assert [kind for _, kind in seen] == [
        "shipment.label_issued", "shipment.received", "shipment.accepted"]  # fmt: skip
    arrived = [json.loads(text)["id"] for _, text, _ in hook.requests]
    assert arrived == sorted(arrived)  # failed attempts too: none of a later event first


def test_an_event_is_resent_on_request(app, client, merchant, branch, receiver, now):
    _, secret = merchant
    hook = receiver()
    signing = register(client, secret, hook.url).get_json()["secret"]
    post(client, secret, body(branch))
    _deliver(app)
    first = feed(client, secret)[0]
    resent = client.post(f"/api/v1/events/{first['id']}/resend", headers=auth(secret))
    assert resent.status_code == 202 and resent.get_json() == {"queued": 1}
    _deliver(app)
    bodies = [json.loads(text) for _, text in hook.taken()]
    assert [b["id"] for b in bodies] == [first["id"], first["id"]]  # the same event, twice
    ids = [headers["webhook-id"] for headers, _ in hook.taken()]
    assert ids[0] != ids[1]  # a resend is a new delivery
    for headers, text in hook.taken():  # signed as the spec says: the library verifies it
        Webhook(signing).verify(text, {k.lower(): v for k, v in headers.items()})
    _, theirs = new_merchant(app, "Other shop")
    assert client.post(f"/api/v1/events/{first['id']}/resend",
                       headers=auth(theirs)).status_code == 404  # fmt: skip
    assert client.post("/api/v1/events/999999/resend", headers=auth(secret)).status_code == 404


@pytest.mark.parametrize("query", ["after=-1", "after=x", "limit=0", "limit=101", "since=1"])
def test_a_bad_feed_parameter_is_a_422(app, client, merchant, query):
    _, secret = merchant
    assert client.get(f"/api/v1/events?{query}", headers=auth(secret)).status_code == 422
