"""Webhooks to publishers through the outbox, on both databases, against a real HTTP receiver
on this machine (http.server in a thread): signed so that the standardwebhooks library verifies
them, retried on the published schedule (time driven by the shop's clock, never slept),
delivered once per webhook-id to a receiver that failed first, disabled when the schedule runs
out or the receiver answers 410, refused for addresses that are not public in production's
settings, and never delivered twice by two workers at once (PostgreSQL, with a control)."""

import contextlib
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook, WebhookVerificationError

from shop.auth.models import Role
from shop.errors import NotFound
from shop.extensions import db
from shop.notify import service as notify
from shop.notify import webhook_http, webhooks
from shop.notify.models import (
    OutboxMessage,
    OutboxStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from shop.transaction import transaction


class Receiver:
    """An HTTP server that answers `fail_with` to the first `fail` requests, then 200 (or
    `status` for every request); it records every request (headers, body) it got."""

    def __init__(self, fail: int = 0, fail_with: int = 503, status: int = 200):
        self.fail, self.fail_with, self.status = fail, fail_with, status
        self.requests: list[tuple[dict, str, int]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                with receiver.lock:
                    n = len(receiver.requests)
                    code = receiver.fail_with if n < receiver.fail else receiver.status
                    receiver.requests.append((dict(self.headers), body, code))
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def taken(self) -> list[tuple[dict, str]]:
        """The requests answered with a 2xx, in arrival order."""
        return [(h, b) for h, b, code in self.requests if 200 <= code < 300]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for one in made:
        one.stop()


@pytest.fixture
def now(clock):
    """The clock frozen at the real time (signatures carry it, and the library refuses a
    timestamp five minutes away from its own clock)."""
    moment = datetime.now(UTC).replace(microsecond=0)
    clock.set(moment)
    return clock


@pytest.fixture
def publisher(app, make):
    return make.user(role=Role.PUBLISHER)


def _endpoint(app, owner_id: int, url: str, types=None, **kwargs) -> WebhookEndpoint:
    with app.app_context():
        endpoint = webhooks.create_endpoint("publisher", owner_id, url, "test", types, **kwargs)
        db.session.refresh(endpoint)
        db.session.expunge(endpoint)
        return endpoint


def _publish(app, owner_id: int, event_type="commission.pending", data=None, key=None):
    with app.app_context(), transaction():
        return webhooks.publish("publisher", owner_id, event_type, data or {"n": 1}, key=key)


def _deliver(app) -> notify.Report:
    with app.app_context():
        return notify.deliver_due(batch=50)


def _deliveries(app, endpoint_id: int) -> list[WebhookDelivery]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id)
        ).all()
        db.session.expunge_all()
        return rows


def _get(app, model, ident):
    with app.app_context():
        row = db.session.get(model, ident)
        db.session.expunge(row)
        return row


def _mails(app) -> list[dict]:
    with app.app_context():
        return db.session.scalars(
            sa.select(OutboxMessage.payload).where(OutboxMessage.kind == "mail")
        ).all()


# --- Signed, delivered once, in order ---------------------------------------------------------


def test_a_receiver_that_fails_first_gets_every_event_once_signed_and_in_order(
    app, publisher, receiver, now
):
    hooks = receiver(fail=3)
    endpoint = _endpoint(app, publisher.id, hooks.url)
    published = []
    for n in range(5):
        published += _publish(app, publisher.id, data={"n": n})
        now.advance(seconds=1)
    assert len(published) == 5

    first = _deliver(app)
    assert [o.result for o in first.outcomes] == ["retry"] * 3 + ["delivered"] * 2
    assert all(o.next_attempt_at == now.now() + timedelta(seconds=5) for o in first.outcomes[:3])
    now.advance(seconds=4)
    assert _deliver(app).claimed == 0  # not due before the schedule says
    now.advance(seconds=1)
    second = _deliver(app)
    assert [o.result for o in second.outcomes] == ["delivered"] * 3
    assert _deliver(app).claimed == 0

    # Every request, failed or not, is signed so the reference library verifies it.
    secret = endpoint.secret
    for headers, body, _ in hooks.requests:
        assert Webhook(secret).verify(body, headers)["type"] == "commission.pending"
    # Each webhook-id was taken once; each id kept its body across attempts.
    taken = hooks.taken()
    ids = [headers["webhook-id"] for headers, _ in taken]
    assert sorted(ids) == sorted(published) and len(set(ids)) == 5
    bodies = {}
    for headers, body, _ in hooks.requests:
        assert bodies.setdefault(headers["webhook-id"], body) == body
    # In order: each pass sends in publish order, and the events' ids say the order.
    numbers = [json.loads(body)["data"]["n"] for _, body in taken]
    assert numbers == [3, 4, 0, 1, 2]
    by_number = dict(
        sorted((json.loads(body)["data"]["n"], json.loads(body)["id"]) for _, body in taken)
    )
    assert list(by_number.values()) == sorted(by_number.values())  # ids increase with time

    log = _deliveries(app, endpoint.id)
    assert [(d.attempt, d.response_status) for d in log] == [(1, 503)] * 3 + [(1, 200)] * 2 + [
        (2, 200)
    ] * 3
    assert all(d.message_id in published and d.event_type == "commission.pending" for d in log)
    assert log[0].error == "answered 503" and log[-1].error is None
    assert log[-1].response_body == "ok" and json.loads(log[-1].request_body)["data"] == {"n": 2}
    assert _get(app, WebhookEndpoint, endpoint.id).failing_since is None  # recovered


def test_a_tampered_body_or_timestamp_fails_verification(app, publisher, receiver, now):
    hooks = receiver()
    endpoint = _endpoint(app, publisher.id, hooks.url)
    _publish(app, publisher.id, data={"amount": 1250})
    _deliver(app)
    ((headers, body),) = hooks.taken()
    assert Webhook(endpoint.secret).verify(body, headers)["data"] == {"amount": 1250}
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body.replace("1250", "9250"), headers)
    later = headers | {"webhook-timestamp": str(int(headers["webhook-timestamp"]) + 1)}
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body, later)


def test_the_body_is_the_standard_webhooks_event(app, publisher, receiver, now):
    hooks = receiver()
    _endpoint(app, publisher.id, hooks.url)
    _publish(app, publisher.id, "commission.approved", {"order": "CQ-1", "amount": 500})
    _deliver(app)
    ((headers, body),) = hooks.taken()
    event = json.loads(body)
    assert set(event) == {"id", "type", "timestamp", "data"}
    assert event["type"] == "commission.approved"
    assert event["data"] == {"order": "CQ-1", "amount": 500}
    assert datetime.fromisoformat(event["timestamp"]) == now.now()
    assert headers["Content-Type"] == "application/json"
    assert headers["webhook-timestamp"] == str(int(now.now().timestamp()))


# --- Who gets what ----------------------------------------------------------------------------


def test_only_the_owners_enabled_subscribed_endpoints_get_an_event(app, make, publisher):
    other = make.user(role=Role.PUBLISHER)
    everything = _endpoint(app, publisher.id, "http://127.0.0.1:9/all")
    approved = _endpoint(app, publisher.id, "http://127.0.0.1:9/a", ["commission.approved"])
    off = _endpoint(app, publisher.id, "http://127.0.0.1:9/off")
    _endpoint(app, other.id, "http://127.0.0.1:9/other")
    with app.app_context(), transaction():
        db.session.get(WebhookEndpoint, off.id).enabled = False
    pending = _publish(app, publisher.id, "commission.pending")
    approval = _publish(app, publisher.id, "commission.approved")
    with app.app_context():
        target = {
            m.id: m.payload["endpoint_id"]
            for m in db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.kind == "webhook")
            )
        }
    assert [target[i] for i in pending] == [everything.id]
    assert [target[i] for i in approval] == [everything.id, approved.id]
    with app.app_context():
        events = webhooks.events_after("publisher", publisher.id)
        assert [e.type for e in events] == ["commission.pending", "commission.approved"]
        assert webhooks.events_after("publisher", other.id) == []
        assert webhooks.events_after("publisher", publisher.id, after=events[0].id) == events[1:]


def test_an_event_with_no_endpoint_is_still_stored_for_the_feed(app, publisher):
    assert _publish(app, publisher.id) == []
    with app.app_context():
        assert len(webhooks.events_after("publisher", publisher.id)) == 1


def test_a_key_publishes_once(app, publisher):
    _endpoint(app, publisher.id, "http://127.0.0.1:9/all")
    first = _publish(app, publisher.id, key="commission-pending-7")
    again = _publish(app, publisher.id, key="commission-pending-7")
    assert first == again and len(first) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 1


def test_publish_is_saved_with_the_callers_transaction_or_not_at_all(app, publisher):
    _endpoint(app, publisher.id, "http://127.0.0.1:9/all")
    with app.app_context(), pytest.raises(RuntimeError), transaction():
        webhooks.publish("publisher", publisher.id, "commission.pending", {"n": 1})
        raise RuntimeError("the ledger's transaction fails")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_publish_refuses_an_unknown_type_or_owner(app, publisher):
    with app.app_context():
        with pytest.raises(ValueError):
            webhooks.publish("publisher", publisher.id, "shipment.claimed", {})
        with pytest.raises(ValueError):
            webhooks.publish("nobody", publisher.id, "commission.pending", {})
        with pytest.raises(TypeError):
            webhooks.publish("publisher", publisher.id, "commission.pending", {"x": object()})


# --- Resend -----------------------------------------------------------------------------------


def test_resend_sends_a_stored_event_again_with_a_new_webhook_id(
    app, make, publisher, receiver, now
):
    hooks = receiver()
    endpoint = _endpoint(app, publisher.id, hooks.url)
    (first,) = _publish(app, publisher.id, data={"n": 1})
    _deliver(app)
    with app.app_context():
        (event,) = webhooks.events_after("publisher", publisher.id)
        event_id = event.id
        other = make.user(role=Role.PUBLISHER)
        with pytest.raises(NotFound):
            webhooks.resend(event_id, "publisher", other.id)
        with pytest.raises(NotFound):
            webhooks.resend(event_id + 100, "publisher", publisher.id)
        now.advance(seconds=1)
        (again,) = webhooks.resend(event_id, "publisher", publisher.id)
        now.advance(seconds=1)
    (delivery,) = _deliveries(app, endpoint.id)
    with app.app_context():
        with pytest.raises(NotFound):
            webhooks.resend_delivery(delivery.id, "publisher", other.id)
        third = webhooks.resend_delivery(delivery.id, "publisher", publisher.id)
    _deliver(app)
    taken = hooks.taken()
    assert [h["webhook-id"] for h, _ in taken] == [first, again, third]
    assert len({body for _, body in taken}) == 1  # the same event, byte for byte
    assert json.loads(taken[0][1])["id"] == event_id


def test_a_test_event_goes_to_that_endpoint_only(app, publisher, receiver, now):
    hooks, other = receiver(), receiver()
    endpoint = _endpoint(app, publisher.id, hooks.url, ["commission.paid"])
    _endpoint(app, publisher.id, other.url)
    with app.app_context():
        webhooks.send_test(endpoint.id, "publisher", publisher.id)
    _deliver(app)
    ((headers, body),) = hooks.taken()
    assert json.loads(body)["type"] == "webhook.test"
    assert Webhook(endpoint.secret).verify(body, headers)
    assert other.requests == []


# --- Giving up --------------------------------------------------------------------------------


def test_after_the_last_scheduled_attempt_the_endpoint_is_disabled_and_its_owner_told(
    app, publisher, receiver, now
):
    hooks = receiver(fail=1000, fail_with=500)
    endpoint = _endpoint(app, publisher.id, hooks.url)
    (message_id,) = _publish(app, publisher.id)
    start = now.now()
    results = []
    for wait in (timedelta(), *webhooks.SCHEDULE):
        now.advance(seconds=wait.total_seconds() - 1)
        assert _deliver(app).claimed == 0  # a second early: not due
        now.advance(seconds=1)
        results += [o.result for o in _deliver(app).outcomes]
    assert results == ["retry"] * 11 + ["parked"]
    assert now.now() - start == timedelta(hours=67, minutes=35, seconds=5)
    assert len(hooks.requests) == 12
    now.advance(days=30)
    assert "webhook" not in {o.kind for o in _deliver(app).outcomes}  # never tried again
    assert len(hooks.requests) == 12

    row = _get(app, WebhookEndpoint, endpoint.id)
    assert not row.enabled and row.disabled_at == now.now() - timedelta(days=30)
    assert "12 attempts" in row.disabled_reason and "answered 500" in row.disabled_reason
    assert row.failing_since == start
    assert _get(app, OutboxMessage, message_id).status == OutboxStatus.PARKED
    assert [d.attempt for d in _deliveries(app, endpoint.id)] == list(range(1, 13))
    (mail,) = _mails(app)
    assert mail["to"] == [publisher.email] and endpoint.url in mail["text"]
    assert _publish(app, publisher.id) == []  # a disabled endpoint gets no new events

    with app.app_context():
        webhooks.enable_endpoint(endpoint.id, "publisher", publisher.id)
    assert len(_publish(app, publisher.id)) == 1


def test_a_410_disables_the_endpoint_at_once(app, publisher, receiver, now):
    hooks = receiver(status=410)
    endpoint = _endpoint(app, publisher.id, hooks.url)
    _publish(app, publisher.id)
    now.advance(seconds=1)
    (queued,) = _publish(app, publisher.id)
    outcomes = _deliver(app).outcomes
    assert [o.result for o in outcomes] == ["parked", "parked"]
    assert len(hooks.requests) == 1  # the second was not sent to a disabled endpoint
    row = _get(app, WebhookEndpoint, endpoint.id)
    assert not row.enabled and "410" in row.disabled_reason
    assert len(_mails(app)) == 1
    assert _get(app, OutboxMessage, queued).last_error.endswith("disabled: not sent")


def test_a_deleted_endpoints_messages_are_dropped(app, publisher, receiver, now):
    hooks = receiver()
    endpoint = _endpoint(app, publisher.id, hooks.url)
    _publish(app, publisher.id)
    with app.app_context():
        webhooks.delete_endpoint(endpoint.id, "publisher", publisher.id)
        assert db.session.get(WebhookEndpoint, endpoint.id) is None
    assert [o.result for o in _deliver(app).outcomes] == ["delivered"]
    assert hooks.requests == []


def test_a_receiver_that_does_not_answer_in_time_is_retried(app, publisher, now, monkeypatch):
    import socket

    quiet = socket.socket()
    quiet.bind(("127.0.0.1", 0))
    quiet.listen(1)  # accepts the connection, never answers
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT", 0.3)
    try:
        endpoint = _endpoint(app, publisher.id, f"http://127.0.0.1:{quiet.getsockname()[1]}/")
        _publish(app, publisher.id)
        (outcome,) = _deliver(app).outcomes
    finally:
        quiet.close()
    assert outcome.result == "retry"
    (delivery,) = _deliveries(app, endpoint.id)
    assert delivery.response_status is None and "timed out" in delivery.error


# --- Addresses --------------------------------------------------------------------------------


@pytest.fixture
def production(app, monkeypatch):
    """The address rules of production's defaults (see test_webhook_rules for the defaults)."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    monkeypatch.setitem(app.config, "WEBHOOK_REQUIRE_HTTPS", True)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/",
        "https://127.0.0.1/",
        "https://localhost/",
        "https://10.0.0.8/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/",
        "https://0.0.0.0/",
    ],
)
def test_production_refuses_to_register_an_address_that_is_not_public_https(
    app, publisher, production, url
):
    with app.app_context(), pytest.raises(webhook_http.UnsafeUrl):
        webhooks.create_endpoint("publisher", publisher.id, url)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_production_refuses_a_name_that_resolves_to_a_private_address(
    app, publisher, production, monkeypatch
):
    monkeypatch.setattr(webhook_http, "resolve", lambda host, port: ["10.20.30.40"])
    with app.app_context(), pytest.raises(webhook_http.UnsafeUrl, match="10.20.30.40"):
        webhooks.create_endpoint("publisher", publisher.id, "https://hooks.example.com/in")


def test_a_name_that_turns_private_after_registration_is_not_sent_to(
    app, publisher, receiver, production, monkeypatch, now
):
    """DNS rebinding: public when registered, 127.0.0.1 at delivery. The delivery checks
    again and refuses; the endpoint is disabled with the reason."""
    hooks = receiver()
    answers = {"hooks.example.com": ["93.184.215.14"]}
    monkeypatch.setattr(webhook_http, "resolve", lambda host, port: answers[host])
    monkeypatch.setitem(app.config, "WEBHOOK_REQUIRE_HTTPS", False)
    endpoint = _endpoint(app, publisher.id, f"http://hooks.example.com:{hooks.port}/hooks")
    answers["hooks.example.com"] = ["127.0.0.1"]
    _publish(app, publisher.id)
    assert [o.result for o in _deliver(app).outcomes] == ["parked"]
    assert hooks.requests == []
    row = _get(app, WebhookEndpoint, endpoint.id)
    assert not row.enabled and "127.0.0.1" in row.disabled_reason
    (delivery,) = _deliveries(app, endpoint.id)
    assert delivery.response_status is None and delivery.error.startswith("not sent")


def test_the_delivery_connects_to_the_address_it_checked(
    app, publisher, receiver, now, monkeypatch
):
    """The name is resolved once per attempt, by the check: the connection goes to that
    address (here a name no DNS knows, mapped to the receiver), with the name as Host."""
    hooks = receiver()
    monkeypatch.setattr(webhook_http, "resolve", lambda host, port: ["127.0.0.1"])
    endpoint = _endpoint(app, publisher.id, f"http://hooks.invalid:{hooks.port}/in")
    _publish(app, publisher.id)
    assert [o.result for o in _deliver(app).outcomes] == ["delivered"]
    ((headers, body),) = hooks.taken()
    assert headers["Host"] == f"hooks.invalid:{hooks.port}"
    assert Webhook(endpoint.secret).verify(body, headers)


# --- The worker -------------------------------------------------------------------------------


def test_flask_shop_worker_delivers_webhooks(app, runner, publisher, receiver):
    hooks = receiver()
    _endpoint(app, publisher.id, hooks.url)
    (message_id,) = _publish(app, publisher.id)
    result = runner.invoke(args=["shop", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert f"delivered webhook {message_id} (attempt 1)" in result.output
    assert [h["webhook-id"] for h, _ in hooks.taken()] == [message_id]


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite has no row locks and one writer")


def _two_workers(app, barrier_on: str | None = None):
    """Run deliver_due in two threads at once, each paused after its claim's SELECT until the
    other has made its own."""
    with app.app_context():
        engine = db.engine
    both = threading.Barrier(2)

    def pause(conn, cursor, statement, *args):
        if barrier_on and barrier_on in statement and threading.current_thread().name in "AB":
            with contextlib.suppress(threading.BrokenBarrierError):
                both.wait(5)

    def work():
        with app.app_context():
            notify.deliver_due(batch=10, worker=threading.current_thread().name)

    sa.event.listen(engine, "after_cursor_execute", pause)
    try:
        threads = [threading.Thread(target=work, name=n) for n in "AB"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sa.event.remove(engine, "after_cursor_execute", pause)


def test_two_workers_at_once_never_send_one_attempt_twice(
    app, publisher, receiver, postgres_only, now
):
    hooks = receiver()
    _endpoint(app, publisher.id, hooks.url)
    published = [mid for n in range(20) for mid in _publish(app, publisher.id, data={"n": n})]
    _two_workers(app, barrier_on="SKIP LOCKED")
    ids = [headers["webhook-id"] for headers, _, _ in hooks.requests]
    assert sorted(ids) == sorted(published)  # each once
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 20


def test_control_two_workers_with_a_naive_claim_send_the_same_webhook_twice(
    app, publisher, receiver, postgres_only, now, monkeypatch
):
    """The control: a claim that reads the due rows without locks and marks them without
    re-checking lets both workers send the same messages, so the test above can fail."""
    hooks = receiver()
    _endpoint(app, publisher.id, hooks.url)
    for n in range(5):
        _publish(app, publisher.id, data={"n": n})

    def naive_claim(batch, worker):
        rows = (
            db.session.execute(
                sa.select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
            )
            .scalars()
            .all()
        )
        claimed = [
            (notify.Message(r.id, r.kind, r.payload, 1, r.created_at), now.now() + timedelta(60))
            for r in rows
        ]
        db.session.execute(sa.text("SELECT 'naive claim read'"))
        for r in rows:
            r.status, r.attempts = OutboxStatus.DELIVERING, 1
        db.session.commit()
        return claimed, []

    monkeypatch.setattr(notify, "_claim", naive_claim)
    _two_workers(app, barrier_on="naive claim read")
    ids = [headers["webhook-id"] for headers, _, _ in hooks.requests]
    assert len(ids) > len(set(ids))  # some sent twice
