"""The outbox and its worker, on both databases, against a real SMTP server (aiosmtpd on a
free port): written with its transaction, delivered at least once, never twice to a receiver
that honours Message-ID, retried with growing waits, parked and retried by the operator. The
race between two workers runs on PostgreSQL only (SQLite has no row locks)."""

import collections
import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from shop.auth.models import Role
from shop.extensions import db
from shop.notify import service as notify
from shop.notify.devmail import MailStore
from shop.notify.models import OutboxMessage, OutboxStatus
from shop.transaction import transaction
from tests.conftest import csrf_token, free_port, log_in, text

START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


class Receiver:
    """A mail server's handler that refuses the first `refuse` mails with `reply`, then takes
    each; it honours Message-ID as a receiver should (its store keeps an id once) and records
    the Message-ID of every mail it took, repeats included."""

    def __init__(self, store: MailStore, refuse: int = 0, reply: str = "451 4.3.0 Try later"):
        self.store = store
        self.refuse = refuse
        self.reply = reply
        self.tries = 0
        self.taken: list[str] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        self.tries += 1
        if self.tries <= self.refuse:
            return self.reply
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.taken.append(mail["Message-ID"])
        self.store.save(envelope.content)
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp(app, tmp_path, monkeypatch):
    """A real SMTP server for this test; the app's mail goes to it and to the dev mail page."""
    receiver = Receiver(MailStore(tmp_path / "mail"))
    port = free_port()
    controller = Controller(receiver, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT_SECONDS", 5)
    monkeypatch.setitem(app.config, "DEV_MAIL_DIR", str(tmp_path / "mail"))
    yield receiver
    controller.stop()


@pytest.fixture
def frozen(clock):
    clock.set(START)
    return clock


def _mail(app, n: int = 1, **fields) -> list[str]:
    """Queue n mails, committed; their outbox ids."""
    with app.app_context(), transaction():
        return [
            notify.enqueue_mail(f"shopper{i}@example.com", f"Order {i}", f"Thanks, {i}.", **fields)
            for i in range(n)
        ]


def _row(app, message_id: str) -> OutboxMessage:
    with app.app_context():
        row = db.session.get(OutboxMessage, message_id)
        db.session.expunge(row)
        return row


def _count(app, *where) -> int:
    with app.app_context():
        query = sa.select(sa.func.count()).select_from(OutboxMessage).where(*where)
        return db.session.scalar(query)


def _deliver(app, **kwargs) -> notify.Report:
    with app.app_context():
        return notify.deliver_due(**kwargs)


def _header(app, message_id: str) -> str:
    return f"<{message_id}@localhost>"


# --- Written with its transaction -------------------------------------------------------------


def test_enqueue_is_saved_with_its_transaction_or_not_at_all(app):
    with app.app_context():
        with pytest.raises(RuntimeError), transaction():
            notify.enqueue_mail("maria@example.com", "Your order", "Thank you.")
            raise RuntimeError("the change it reports failed")
        assert _count(app) == 0

        with transaction():
            message_id = notify.enqueue_mail("maria@example.com", "Your order", "Thank you.")
            # Flushed in this transaction, not committed: another session doesn't see it yet.
            with app.app_context():
                assert db.session.get(OutboxMessage, message_id) is None
    row = _row(app, message_id)
    assert row.status is OutboxStatus.PENDING and row.attempts == 0 and row.kind == "mail"


def test_a_key_enqueues_once_and_returns_the_first_id(app):
    with app.app_context(), transaction():
        first = notify.enqueue_mail("a@example.com", "Confirmed", "1", key="order-confirmed-1")
        again = notify.enqueue_mail("a@example.com", "Confirmed", "1", key="order-confirmed-1")
        other = notify.enqueue_mail("a@example.com", "Confirmed", "2", key="order-confirmed-2")
    assert first == again != other
    assert _count(app) == 2


@pytest.mark.parametrize(
    "to, subject", [("a@example.com\r\nBcc: x@example.com", "Hi"), ("a@example.com", "Hi\nBcc: x")]
)
def test_a_header_with_a_line_break_is_refused(app, to, subject):
    with app.app_context(), pytest.raises(ValueError, match="line break"):
        notify.enqueue_mail(to, subject, "text")


def test_an_unknown_kind_or_a_payload_that_isnt_json_is_refused(app):
    with app.app_context():
        with pytest.raises(ValueError, match="no outbox channel"):
            notify.enqueue("carrier_pigeon", {})
        with pytest.raises(TypeError):
            notify.enqueue("mail", {"to": {"a@example.com"}})
        db.session.rollback()


def test_the_worker_refuses_to_deliver_inside_a_transaction(app):
    with app.app_context(), transaction(), pytest.raises(RuntimeError, match="outside"):
        notify.deliver_due()


# --- Delivered at least once, once to a receiver that honours its id -------------------------


def test_a_receiver_that_fails_then_recovers_gets_each_message_once(app, smtp, frozen):
    smtp.refuse = 2  # the first two mails get "451 try later"
    ids = _mail(app, 3)
    first = _deliver(app)
    assert [o.result for o in first.outcomes] == ["retry", "retry", "delivered"]
    assert "451" in first.outcomes[0].error
    for _ in range(5):  # each pass: to the next due moment, and deliver
        due = [_row(app, i).next_attempt_at for i in ids if _row(app, i).status != "delivered"]
        if not due:
            break
        frozen.set(min(due))
        _deliver(app)
    assert all(_row(app, i).status is OutboxStatus.DELIVERED for i in ids)
    attempts = {i: _row(app, i).attempts for i in ids}
    assert attempts[first.outcomes[2].id] == 1 and sorted(attempts.values()) == [1, 2, 2]
    assert sorted(smtp.taken) == sorted(_header(app, i) for i in ids)  # each once, by its id
    assert len(smtp.store.recent()) == 3


def test_a_worker_that_dies_after_sending_sends_again_and_the_receiver_drops_it(app, smtp, frozen):
    """At least once: the mail went out but the worker died before recording it, so its lease
    runs out and another worker sends it again, with the same Message-ID, which the receiver
    drops: the shopper sees it once."""
    [message_id] = _mail(app)
    with app.app_context():
        [(message, _lease)] = notify._claim(10, "doomed")[0]
        notify.CHANNELS["mail"].deliver(message)  # ...and the worker dies here
    assert smtp.taken == [_header(app, message_id)]
    frozen.advance(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
    assert [o.result for o in _deliver(app).outcomes] == ["delivered"]
    assert smtp.taken == [_header(app, message_id)] * 2  # sent twice...
    assert len(smtp.store.recent()) == 1  # ...kept once
    assert _row(app, message_id).attempts == 2


def test_a_live_lease_keeps_a_message_from_other_workers_an_expired_one_does_not(app, smtp, frozen):
    [message_id] = _mail(app)
    with app.app_context():
        notify._claim(10, "slow-worker")  # claimed, then nothing: still sending, or dead
    row = _row(app, message_id)
    lease = timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"])
    assert row.status is OutboxStatus.DELIVERING and row.locked_by == "slow-worker"
    assert row.locked_until == START + lease
    frozen.set(START + lease - timedelta(seconds=1))
    assert _deliver(app).outcomes == []  # its lease holds
    assert smtp.taken == []
    frozen.set(START + lease)
    assert [o.result for o in _deliver(app, worker="rescuer").outcomes] == ["delivered"]
    row = _row(app, message_id)
    assert row.status is OutboxStatus.DELIVERED and row.attempts == 2 and row.locked_by is None
    assert smtp.taken == [_header(app, message_id)]


def test_a_message_whose_last_attempt_never_reported_is_parked_not_retried(
    app, smtp, frozen, monkeypatch
):
    """A message that kills its worker must not kill every worker in turn."""
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    [message_id] = _mail(app)
    lease = timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
    for _ in range(2):
        with app.app_context():
            assert len(notify._claim(10, "crashing")[0]) == 1
        frozen.advance(seconds=lease.total_seconds())
    outcomes = _deliver(app).outcomes
    assert [o.result for o in outcomes] == ["parked"]
    row = _row(app, message_id)
    assert row.status is OutboxStatus.PARKED and row.attempts == 2
    assert "never reported" in row.last_error
    assert smtp.taken == []


def test_delivery_happens_outside_any_transaction_after_the_claim_is_committed(app, monkeypatch):
    seen = []

    def deliver(message):
        seen.append(db.session().in_transaction())
        with app.app_context():  # another session: the claim is already committed
            row = db.session.get(OutboxMessage, message.id)
            seen.append((row.status, row.locked_by, row.attempts))

    monkeypatch.setitem(notify.CHANNELS, "probe", notify.Channel(deliver, lambda p: "probe"))
    with app.app_context(), transaction():
        notify.enqueue("probe", {})
    _deliver(app, worker="w1")
    assert seen == [False, (OutboxStatus.DELIVERING, "w1", 1)]


def test_a_stopping_worker_gives_back_what_it_has_not_tried(app, smtp):
    ids = _mail(app, 2)
    report = _deliver(app, stop=lambda: True)
    assert report.claimed == 2 and [o.result for o in report.outcomes] == ["released"] * 2
    for message_id in ids:
        row = _row(app, message_id)
        assert row.status is OutboxStatus.PENDING and row.attempts == 0 and row.locked_by is None
    assert smtp.taken == []
    assert [o.result for o in _deliver(app).outcomes] == ["delivered"] * 2


def test_a_claim_whose_lease_ran_out_before_its_turn_is_given_back(app, frozen, monkeypatch):
    sent = []

    def slow(message):  # this delivery outlasts the batch's lease
        sent.append(message.id)
        frozen.advance(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)

    monkeypatch.setitem(notify.CHANNELS, "slow", notify.Channel(slow, lambda p: "slow"))
    with app.app_context(), transaction():
        first = notify.enqueue("slow", {})
    frozen.advance(seconds=1)
    with app.app_context(), transaction():
        second = notify.enqueue("slow", {})
    outcomes = _deliver(app).outcomes
    assert [(o.id, o.result) for o in outcomes] == [(first, "delivered"), (second, "released")]
    assert sent == [first]  # another worker may hold the second by now: not sent twice
    assert _row(app, second).status is OutboxStatus.PENDING


def test_a_late_failure_does_not_undo_the_delivery_of_the_worker_that_took_over(
    app, frozen, monkeypatch
):
    calls = []

    def flaky(message):
        calls.append(message.attempt)
        if message.attempt == 1:  # slow, then fails; meanwhile its lease ran out...
            frozen.advance(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
            with app.app_context():  # ...and another worker took it and delivered it
                assert [o.result for o in notify.deliver_due().outcomes] == ["delivered"]
            raise ConnectionError("timed out")

    monkeypatch.setitem(notify.CHANNELS, "flaky", notify.Channel(flaky, lambda p: "flaky"))
    with app.app_context(), transaction():
        message_id = notify.enqueue("flaky", {})
    assert [o.result for o in _deliver(app).outcomes] == ["superseded"]
    assert calls == [1, 2]
    row = _row(app, message_id)
    assert row.status is OutboxStatus.DELIVERED and row.attempts == 2


def test_a_late_failure_does_not_take_the_message_from_the_worker_now_sending_it(
    app, frozen, monkeypatch
):
    def stale(message):  # slow, then fails, while another worker has claimed it since
        frozen.advance(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
        with app.app_context():
            assert len(notify._claim(10, "B")[0]) == 1
        raise ConnectionError("timed out")

    monkeypatch.setitem(notify.CHANNELS, "stale", notify.Channel(stale, lambda p: "stale"))
    with app.app_context(), transaction():
        message_id = notify.enqueue("stale", {})
    assert [o.result for o in _deliver(app, worker="A").outcomes] == ["superseded"]
    row = _row(app, message_id)  # still B's: not made due again under B's feet
    assert (row.status, row.locked_by, row.attempts) == (OutboxStatus.DELIVERING, "B", 2)
    assert row.last_error is None


# --- Backoff, parking, the operator's page ---------------------------------------------------


def test_waits_grow_then_the_message_is_parked_shown_and_retried(
    app, client, make, smtp, frozen, monkeypatch
):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 5)
    smtp.refuse = 10**6  # the mail server says "try later" to everything
    [message_id] = _mail(app)
    waits = []
    for attempt in range(1, 6):
        [outcome] = _deliver(app).outcomes
        row = _row(app, message_id)
        assert row.attempts == attempt
        if attempt < 5:
            assert outcome.result == "retry" and row.status is OutboxStatus.PENDING
            waits.append(row.next_attempt_at - frozen.now())
            frozen.set(row.next_attempt_at - timedelta(seconds=1))
            assert _deliver(app).outcomes == []  # not due a second early
            frozen.set(row.next_attempt_at)
    assert outcome.result == "parked"
    base = app.config["OUTBOX_BACKOFF_SECONDS"]
    for n, wait in enumerate(waits, start=1):  # base·2^(n-1), jittered between half and all
        assert (
            timedelta(seconds=base * 2 ** (n - 2)) <= wait <= timedelta(seconds=base * 2 ** (n - 1))
        )
    assert waits == sorted(waits) and waits[-1] > 2 * waits[0]
    parked = _row(app, message_id)
    assert parked.status is OutboxStatus.PARKED and "451" in parked.last_error
    frozen.advance(days=30)
    assert _deliver(app).outcomes == []  # parked: never dropped, never tried again by itself
    assert smtp.taken == []

    admin = make.user(role=Role.ADMIN)
    log_in(client, admin.email)
    page = text(client.get("/admin/outbox"))
    assert "mail to shopper0@example.com: Order 0" in page
    assert "451" in page and "Retry" in page
    assert "1 parked" in text(client.get("/admin/"))

    refused = client.post(f"/admin/outbox/{message_id}/retry")  # no CSRF token
    assert refused.status_code == 400
    assert _row(app, message_id).status is OutboxStatus.PARKED
    token = csrf_token(client, "/admin/outbox")
    response = client.post(f"/admin/outbox/{message_id}/retry", data={"csrf_token": token})
    assert response.status_code == 303 and response.location.endswith("/admin/outbox")
    row = _row(app, message_id)
    assert row.status is OutboxStatus.PENDING and row.attempts == 0
    again = client.post(f"/admin/outbox/{message_id}/retry", data={"csrf_token": token})
    assert again.status_code == 303  # not parked any more: said so, nothing changed
    assert "isn't parked" in text(client.get("/admin/outbox"))

    smtp.refuse = 0
    assert [o.result for o in _deliver(app).outcomes] == ["delivered"]
    assert smtp.taken == [_header(app, message_id)]
    assert "Nothing is parked" in text(client.get("/admin/outbox"))


def test_a_permanent_refusal_parks_at_once(app, smtp):
    smtp.refuse, smtp.reply = 1, "550 5.7.1 Rejected for policy reasons"
    [message_id] = _mail(app)
    assert [o.result for o in _deliver(app).outcomes] == ["parked"]
    row = _row(app, message_id)
    assert row.attempts == 1 and "550" in row.last_error


def test_retry_every_parked_message(app, client, make, frozen):
    with app.app_context(), transaction():
        ids = [notify.enqueue("mail", {"to": ["x@example.com"], "subject": "s", "text": "t"})]
        ids.append(notify.enqueue("mail", {"to": ["y@example.com"], "subject": "s", "text": "t"}))
        db.session.execute(sa.update(OutboxMessage).values(status=OutboxStatus.PARKED))
    log_in(client, make.user(role=Role.ADMIN).email)
    token = csrf_token(client, "/admin/outbox")
    response = client.post("/admin/outbox/retry-parked", data={"csrf_token": token})
    assert response.status_code == 303
    assert "2 parked messages are back" in text(client.get("/admin/outbox"))
    assert all(_row(app, i).status is OutboxStatus.PENDING for i in ids)


def test_the_outbox_page_is_for_the_operator_only(app, client, make):
    [message_id] = _mail(app)
    assert client.get("/admin/outbox").status_code == 302  # to the log-in page
    log_in(client, make.user(role=Role.SHOPPER).email)
    assert client.get("/admin/outbox").status_code == 403
    token = csrf_token(client, "/account")
    response = client.post(f"/admin/outbox/{message_id}/retry", data={"csrf_token": token})
    assert response.status_code == 403


def test_retrying_a_message_that_does_not_exist_is_a_404(app, client, make):
    log_in(client, make.user(role=Role.ADMIN).email)
    token = csrf_token(client, "/account")
    response = client.post("/admin/outbox/no-such-message/retry", data={"csrf_token": token})
    assert response.status_code == 404


# --- The dev mail page -----------------------------------------------------------------------


def test_the_dev_mail_page_shows_what_the_worker_sent(app, client, make, smtp):
    _mail(app, html="<p>Thanks, <b>0</b>.</p><script>alert(1)</script>")
    _deliver(app)
    log_in(client, make.user(role=Role.ADMIN).email)
    listing = text(client.get("/admin/mail"))
    assert "Order 0" in listing and "shopper0@example.com" in listing
    [stored] = smtp.store.recent()
    page = client.get(f"/admin/mail/{stored.name}")
    assert "Thanks, 0." in text(page) and stored.message_id in text(page)
    html = client.get(f"/admin/mail/{stored.name}/html")
    assert html.mimetype == "text/html" and b"<b>0</b>" in html.data
    assert html.headers["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert client.get("/admin/mail/..%2Fsecret_key").status_code == 404


def test_the_dev_mail_page_does_not_exist_in_production(app, client, make, monkeypatch):
    log_in(client, make.user(role=Role.ADMIN).email)
    monkeypatch.setitem(app.config, "ENV", "production")
    assert client.get("/admin/mail").status_code == 404
    assert "Messages sent" not in text(client.get("/admin/"))


# --- The command ----------------------------------------------------------------------------


def test_worker_once_delivers_a_batch_and_says_what_it_did(app, runner, smtp):
    assert "Nothing due." in runner.invoke(args=["shop", "worker", "--once"]).output
    ids = _mail(app, 3)
    result = runner.invoke(args=["shop", "worker", "--once", "--batch", "2", "--name", "w-1"])
    assert result.exit_code == 0, result.output
    assert result.output.count("delivered") == 2
    assert f"delivered mail {ids[0]} (attempt 1)" in result.output
    result = runner.invoke(args=["shop", "worker", "--once"])
    assert f"delivered mail {ids[2]} (attempt 1)" in result.output
    assert len(smtp.taken) == 3


def test_worker_once_reports_a_failure_and_when_it_tries_again(app, runner, smtp, frozen):
    smtp.refuse = 1
    [message_id] = _mail(app)
    result = runner.invoke(args=["shop", "worker", "--once"])
    assert result.exit_code == 0
    assert f"failed    mail {message_id} (attempt 1): SMTPDataError" in result.output
    assert "next try at 2026-12-01T01:00" in result.output


def test_the_worker_runs_until_sigterm_and_stops_cleanly(app, runner, smtp):
    _mail(app)
    before = signal.getsignal(signal.SIGTERM)

    def terminate_once_delivered():
        deadline = time.monotonic() + 10
        while signal.getsignal(signal.SIGTERM) is before and time.monotonic() < deadline:
            time.sleep(0.01)
        smtp.arrived.wait(10)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_once_delivered)
    killer.start()
    result = runner.invoke(args=["shop", "worker", "--every", "0.05", "--name", "w-term"])
    killer.join(10)
    assert result.exit_code == 0, result.output
    assert "delivered mail" in result.output
    assert result.output.rstrip().endswith("Worker w-term stopped.")
    assert signal.getsignal(signal.SIGTERM) is before  # its handler is gone with it


def test_outbox_purge_keeps_what_is_not_delivered(app, runner, smtp, frozen):
    ids = _mail(app, 2)
    [delivered] = _deliver(app, batch=1).outcomes  # the other one stays pending
    [kept] = set(ids) - {delivered.id}
    frozen.advance(days=31)
    result = runner.invoke(args=["shop", "outbox-purge", "--days", "30"])
    assert "Deleted 1 delivered message." in result.output
    assert _count(app) == 1 and _row(app, kept).status is OutboxStatus.PENDING


def test_a_worker_whose_rows_were_taken_meanwhile_claims_none_of_them(app, monkeypatch):
    """Worker A reads the due rows, then B claims and delivers them all before A marks them:
    A's claim re-checks that each row is still due and takes none. This is what makes two
    workers safe even without row locks (SQLite, where SKIP LOCKED does nothing); on
    PostgreSQL A's locks make B skip the rows instead."""
    delivered = collections.Counter()
    monkeypatch.setitem(
        notify.CHANNELS, "probe", notify.Channel(lambda m: delivered.update([m.id]), str)
    )
    with app.app_context(), transaction():
        ids = [notify.enqueue("probe", {}) for _ in range(3)]
    with app.app_context():
        engine = db.engine
    a_has_read, b_done = threading.Event(), threading.Event()

    def pause_a(conn, cursor, statement, *args):
        first_write = statement.startswith("UPDATE outbox") and not a_has_read.is_set()
        if threading.current_thread().name == "A" and first_write:
            a_has_read.set()
            b_done.wait(10)

    def worker(name):
        with app.app_context():
            if name == "B":
                a_has_read.wait(10)
            notify.deliver_due(worker=name)
        if name == "B":
            b_done.set()

    sa.event.listen(engine, "before_cursor_execute", pause_a)
    try:
        threads = [threading.Thread(target=worker, args=(n,), name=n) for n in "AB"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        sa.event.remove(engine, "before_cursor_execute", pause_a)
    assert a_has_read.is_set() and b_done.is_set()
    assert sum(delivered.values()) == 3 and set(delivered) == set(ids)  # each once
    assert _count(app, OutboxMessage.attempts == 1) == 3


# --- Several workers at once (PostgreSQL) ----------------------------------------------------


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite has no row locks and one writer")


def test_two_workers_claiming_at_once_never_take_the_same_row(app, postgres_only, monkeypatch):
    """Worker A holds its rows' locks (paused right after its SELECT ... FOR UPDATE SKIP
    LOCKED) while worker B claims: B takes other rows, at once, instead of waiting for A."""
    delivered = collections.defaultdict(list)
    lock = threading.Lock()

    def record(message):
        with lock:
            delivered[threading.current_thread().name].append(message.id)

    monkeypatch.setitem(notify.CHANNELS, "probe", notify.Channel(record, lambda p: "probe"))
    with app.app_context(), transaction():
        ids = [notify.enqueue("probe", {"n": n}) for n in range(12)]
    with app.app_context():
        engine = db.engine
    a_holds_locks, b_done = threading.Event(), threading.Event()
    waited = {}

    def pause_a(conn, cursor, statement, *args):
        if threading.current_thread().name == "A" and "SKIP LOCKED" in statement:
            a_holds_locks.set()
            waited["b_finished_meanwhile"] = b_done.wait(10)

    def worker(name):
        with app.app_context():
            if name == "B":
                assert a_holds_locks.wait(10)
            notify.deliver_due(batch=5, worker=name)
        if name == "B":
            b_done.set()

    sa.event.listen(engine, "after_cursor_execute", pause_a)
    try:
        threads = [threading.Thread(target=worker, args=(n,), name=n) for n in "AB"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        sa.event.remove(engine, "after_cursor_execute", pause_a)
    assert waited == {"b_finished_meanwhile": True}  # B never waited on A's locks
    assert len(delivered["A"]) == 5 and len(delivered["B"]) == 5
    assert not set(delivered["A"]) & set(delivered["B"])
    assert _count(app, OutboxMessage.status == OutboxStatus.DELIVERED) == 10
    assert _count(app, OutboxMessage.id.in_(ids), OutboxMessage.attempts == 1) == 10


def test_control_without_locks_or_the_due_recheck_two_workers_take_the_same_rows(
    app, postgres_only
):
    """The control: a naive claim (read the due rows, then mark them by id) run by two
    workers at the same moment gives both the same rows, so the test above really shows
    what SKIP LOCKED and the conditional claim prevent."""
    with app.app_context(), transaction():
        for n in range(5):
            notify.enqueue("mail", {"to": ["a@example.com"], "subject": str(n), "text": "t"})
    with app.app_context():
        engine = db.engine
    both_read = threading.Barrier(2)
    taken = {}

    def naive(name):
        with Session(engine) as session:
            ids = session.scalars(
                sa.select(OutboxMessage.id)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
                .limit(5)
            ).all()
            both_read.wait(10)
            session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(status=OutboxStatus.DELIVERING, locked_by=name),
                execution_options={"synchronize_session": False},
            )
            session.commit()
            taken[name] = set(ids)

    threads = [threading.Thread(target=naive, args=(n,)) for n in "AB"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert taken["A"] & taken["B"]  # both would deliver these


def test_the_outbox_page_counts_each_message_against_its_own_kinds_attempts(app, client, make):
    """Mail gets OUTBOX_MAX_ATTEMPTS; a webhook delivery its schedule's (12 waits, 13 tries)."""
    from shop.notify import webhooks

    with app.app_context(), transaction():
        mail = notify.enqueue_mail("a@example.com", "Hi", "Hello.")
        hook = notify.enqueue(webhooks.KIND, {"type": "commission.pending", "endpoint_id": 7})
        for message_id in (mail, hook):
            row = db.session.get(OutboxMessage, message_id)
            row.attempts, row.last_error = 3, "refused"  # failing, to be tried again
    log_in(client, make.user(role=Role.ADMIN).email)
    page = text(client.get("/admin/outbox"))
    assert f"3 of {app.config['OUTBOX_MAX_ATTEMPTS']}" in page
    assert f"3 of {len(webhooks.SCHEDULE) + 1}" in page
    assert "webhook commission.pending to endpoint 7" in page
