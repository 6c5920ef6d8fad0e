"""What the shopper is told (issue #10, point 9), through the outbox, on both databases:
the worker retried after an SMTP failure sends each message exactly once (a real local SMTP
server that fails the first attempt); texts go through the sms channel only when a sender is
configured, a gateway's failure is retried with the same idempotency key and a refusal parked;
the dev sender's texts show on the operator's Messages page next to the mail; a re-route is
told once; MAIL_URL is what the worker sends by."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment import timing
from shop.fulfillment.models import Shipment
from shop.notify import service as notify
from shop.notify.models import OutboxMessage, OutboxStatus
from shop.notify.sms import TextStore
from shop.transaction import transaction
from tests.conftest import free_port, log_in, text
from tests.integration import test_ecms_lifecycle
from tests.integration.test_ecms_lifecycle import MOMENT, call, ship, to_branch
from tests.integration.test_outbox import smtp  # noqa: F401  (the real SMTP server fixture)

world = test_ecms_lifecycle.world


def _rows(app, kind: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        query = sa.select(OutboxMessage).order_by(OutboxMessage.created_at, OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        rows = db.session.scalars(query).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _work_until_done(app, runner, clock, rounds: int = 6) -> list[str]:
    """Run `flask shop worker --once`, moving the clock to the next retry, until nothing is
    waiting; the worker's output of each round."""
    outputs = []
    for _ in range(rounds):
        result = runner.invoke(args=["shop", "worker", "--once"])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
        waiting = [r for r in _rows(app) if r.status is OutboxStatus.PENDING]
        if not waiting:
            break
        clock.set(min(r.next_attempt_at for r in waiting))
    return outputs


def test_the_worker_retried_after_an_smtp_failure_sends_each_message_exactly_once(
    app,
    runner,
    world,
    clock,
    smtp,  # noqa: F811
):
    clock.set(MOMENT)
    shipped = ship(app, world.a, cod=50_000)
    to_branch(app, world, shipped.numbers[0])  # the "ready" mail
    clock.set(MOMENT + timedelta(days=app.config["PICKUP_DAYS"], hours=-2))
    assert call(app, timing.remind_pickups) == 1  # the reminder
    smtp.refuse = 1  # the first attempt gets "451 try later"
    outputs = _work_until_done(app, runner, clock)
    assert "failed    mail" in outputs[0] and "451" in outputs[0]
    assert all(row.status is OutboxStatus.DELIVERED for row in _rows(app))
    rows = _rows(app, "mail")
    assert len(rows) == 2 and sorted(row.attempts for row in rows) == [1, 2]
    expected = sorted(f"<{row.id}@localhost>" for row in rows)
    assert sorted(smtp.taken) == expected  # each taken exactly once, by its own Message-ID
    stored = smtp.store.recent()
    assert len(stored) == 2
    subjects = sorted(mail.subject for mail in stored)
    assert subjects[0].startswith("Ready for pickup at 7-Eleven Ayala Triangle until")
    assert subjects[1].startswith("Reminder: pick up your package")
    ready = next(m for m in stored if m.subject.startswith("Ready"))
    assert codes_in(ready.text, shipped.code) and "₱500.00" in ready.text
    assert "by text" not in ready.text  # no sender configured: no text promised
    # Running the worker again sends nothing more.
    assert "Nothing due." in runner.invoke(args=["shop", "worker", "--once"]).output
    assert len(smtp.taken) == 2


def codes_in(mail_text: str, code: str) -> bool:
    from shop import codes

    return codes.group(code) in mail_text


def test_mail_url_is_what_the_worker_sends_by(app, runner, clock, smtp, monkeypatch):  # noqa: F811
    port = app.config["MAIL_PORT"]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "192.0.2.1")  # nowhere: MAIL_URL must win
    monkeypatch.setitem(app.config, "MAIL_PORT", 9)
    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{port}")
    with app.app_context(), transaction():
        notify.enqueue_mail("a@example.com", "Hello", "Hi.")
    result = runner.invoke(args=["shop", "worker", "--once"])
    assert "delivered mail" in result.output, result.output
    assert len(smtp.taken) == 1


# --- text messages -----------------------------------------------------------------------------


class Gateway:
    """A production-like SMS gateway on a free port: answers each POST with the next status of
    `statuses` (then 200), after `delay` seconds; records every request."""

    def __init__(self, statuses=(), delay: float = 0.0):
        self.statuses = list(statuses)
        self.delay = delay
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "key": self.headers.get("Idempotency-Key"),
                        "type": self.headers.get("Content-Type"),
                        "body": json.loads(body),
                    }
                )
                time.sleep(gateway.delay)
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                reply = b'{"ok": true}' if status == 200 else b'{"error": "no"}'
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/send"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(app, monkeypatch):
    made = []

    def start(statuses=(), delay=0.0, timeout=5.0):
        server = Gateway(statuses, delay)
        made.append(server)
        monkeypatch.setitem(app.config, "SMS_URL", server.url)
        monkeypatch.setitem(app.config, "SMS_TOKEN", "gw-token")
        monkeypatch.setitem(app.config, "SMS_TIMEOUT_SECONDS", timeout)
        return server

    yield start
    for server in made:
        server.stop()


def _ready_text(app, world, clock) -> OutboxMessage:
    clock.set(MOMENT)
    shipped = ship(app, world.a)
    to_branch(app, world, shipped.numbers[0])
    [row] = _rows(app, "sms")
    return row


def test_the_sms_channel_retries_a_gateway_failure_and_sends_once(
    app, runner, world, clock, gateway
):
    server = gateway(statuses=[503])
    row = _ready_text(app, world, clock)
    assert row.payload["to"] == "+639171234567"
    outputs = _work_until_done(app, runner, clock)
    assert f"failed    sms {row.id} (attempt 1)" in outputs[0] and "503" in outputs[0]
    assert f"delivered sms {row.id} (attempt 2)" in "".join(outputs)
    after = next(r for r in _rows(app, "sms") if r.id == row.id)
    assert after.status is OutboxStatus.DELIVERED and after.attempts == 2
    assert len(server.requests) == 2
    first, second = server.requests
    assert first["key"] == second["key"] == row.id  # the gateway can drop the repeat
    assert first["auth"] == "Bearer gw-token" and first["type"] == "application/json"
    assert first["body"] == {"id": row.id, "to": "+639171234567", "text": row.payload["text"]}
    assert "ready at 7-Eleven Ayala Triangle" in first["body"]["text"]


def test_a_gateway_that_times_out_is_retried(app, world, clock, gateway):
    gateway(delay=1.5, timeout=0.3)
    row = _ready_text(app, world, clock)
    with app.app_context():
        report = notify.deliver_due()
    [outcome] = [o for o in report.outcomes if o.id == row.id]
    assert outcome.result == "retry" and "could not be reached" in outcome.error


def test_a_gateway_refusal_for_good_is_parked_at_once(app, world, clock, gateway):
    gateway(statuses=[400])
    row = _ready_text(app, world, clock)
    with app.app_context():
        report = notify.deliver_due()
    [outcome] = [o for o in report.outcomes if o.id == row.id]
    assert outcome.result == "parked" and "400" in outcome.error


def test_no_sender_no_text_and_a_text_left_over_is_parked(app, world, clock, monkeypatch):
    clock.set(MOMENT)
    shipped = ship(app, world.a)
    to_branch(app, world, shipped.numbers[0])
    assert _rows(app, "sms") == []  # SMS_URL=off: nothing queued
    with app.app_context():
        assert notify.texts_enabled() is False
        with transaction():
            assert notify.enqueue_sms("+639171234567", "Hi") is None
    monkeypatch.setitem(app.config, "SMS_URL", "dev")
    with app.app_context(), transaction():
        notify.enqueue_sms("+639171234567", "Queued while a sender was set")
    monkeypatch.setitem(app.config, "SMS_URL", "off")  # then turned off before delivery
    with app.app_context():
        [outcome] = [o for o in notify.deliver_due().outcomes if o.kind == "sms"]
    assert outcome.result == "parked" and "no SMS sender" in outcome.error


def test_the_dev_sender_keeps_each_text_once_for_the_messages_page(
    app, client, make, world, clock, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "SMS_URL", "dev")
    monkeypatch.setitem(app.config, "DEV_TEXT_DIR", str(tmp_path / "texts"))
    monkeypatch.setitem(app.config, "DEV_MAIL_DIR", str(tmp_path / "mail"))
    row = _ready_text(app, world, clock)
    with app.app_context():
        delivered = [o.result for o in notify.deliver_due().outcomes if o.id == row.id]
    assert delivered == ["delivered"]
    store = TextStore(tmp_path / "texts")
    assert store.save(row.id, row.payload) is False  # a repeat (a lease ran out) is dropped
    [kept] = store.recent()
    assert kept.message_id == row.id and kept.to == "+639171234567"
    log_in(client, make.user(role=Role.ADMIN).email)
    page = text(client.get("/admin/mail"))
    assert "Messages sent" in page and "1 text message" in page
    assert "ready at 7-Eleven Ayala Triangle" in page and "+639171234567" in page
    monkeypatch.setitem(app.config, "SMS_URL", "off")
    assert "No text sender is configured" in text(client.get("/admin/mail"))


def test_with_a_sender_the_mail_says_a_text_went_too(app, world, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_URL", "dev")
    clock.set(MOMENT)
    shipped = ship(app, world.a)
    to_branch(app, world, shipped.numbers[0])
    [mail] = [r for r in _rows(app, "mail") if r.key.startswith("package-ready-")]
    assert "We sent this to your phone by text too." in mail.payload["text"]
    monkeypatch.setitem(app.config, "SMS_URL", "off")
    shipped = ship(app, world.a)
    to_branch(app, world, shipped.numbers[0])
    mine = f"package-ready-{shipped.numbers[0]}-"
    [later] = [r for r in _rows(app, "mail") if r.key.startswith(mine)]
    assert "by text" not in later.payload["text"] and "phone" not in later.payload["text"]


# --- re-routed ---------------------------------------------------------------------------------


def test_notify_rerouted_tells_the_shopper_once_by_mail_and_text(app, world, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_URL", "dev")
    clock.set(MOMENT)
    shipped = ship(app, world.a, cod=25_000)
    for _ in range(2):  # a re-route run twice tells once
        with app.app_context(), transaction():
            shipment = db.session.get(Shipment, shipped.id)
            ecms.notify_rerouted(
                shipment,
                world.a,
                world.b,
                reason="the branch is closed today",
                change_link="https://shop.example.com/orders/CQ-1?key=k",
            )
    [mail] = [r for r in _rows(app, "mail")]
    assert mail.key == f"shipment-rerouted-{shipped.id}-{world.b.id}"
    assert mail.payload["subject"] == "Your pickup branch is now 7-Eleven Cubao Aurora"
    body = mail.payload["text"]
    assert "can't be picked up at 7-Eleven Ayala Triangle (the branch is closed today)" in body
    assert "It now goes to 7-Eleven Cubao Aurora" in body
    assert "stays the same" in body and codes_in(body, shipped.code)
    assert "https://shop.example.com/orders/CQ-1?key=k" in body
    assert f"/track/{shipped.numbers[0]}" in body
    assert "and text you" in body
    [sms] = _rows(app, "sms")
    assert sms.key == f"sms-shipment-rerouted-{shipped.id}-{world.b.id}"
    assert (
        "now goes to 7-Eleven Cubao Aurora instead of 7-Eleven Ayala Triangle"
        in sms.payload["text"]
    )


def test_a_reroute_rolled_back_tells_no_one(app, world):
    shipped = ship(app, world.a)
    with app.app_context(), pytest.raises(RuntimeError), transaction():
        ecms.notify_rerouted(db.session.get(Shipment, shipped.id), world.a, world.b)
        raise RuntimeError("the re-route failed")
    assert _rows(app) == []
