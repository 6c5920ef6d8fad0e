"""A merchant's webhooks in order per shipment, per endpoint (issue #12), on both databases,
against a real HTTP receiver: a shipment's later event is not sent to an endpoint while an
earlier one to that endpoint is still to deliver (not delivered, not given up); a receiver that
fails, then recovers, gets each event once by webhook-id and in the shipment's order; a stuck
shipment holds back neither the merchant's other shipments nor its other endpoints; a
predecessor given up on lets its successor go; a waiting successor's attempts don't grow; a
resend is outside the order. On PostgreSQL, workers at once never send a successor while
another worker holds its predecessor (locked in its claim, or sending it), with the control:
without the claim's check, they do.

Every test here fails with the claim's order check turned off (`service._in_turn` returning
true): the `unordered` fixture does that for the controls."""

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from shop.extensions import db
from shop.notify import service as notify
from shop.notify import webhooks
from shop.notify.models import OutboxMessage, OutboxStatus, WebhookEndpoint
from shop.transaction import transaction
from tests.integration import test_webhooks_outbound as outbound
from tests.integration.test_api_keys import new_merchant
from tests.integration.test_api_shipments import _move, body, post

now = outbound.now
TIMELINE = [
    "shipment.label_issued",
    "shipment.received",
    "shipment.accepted",
    "shipment.in_transit",
    "shipment.at_branch",
    "shipment.claimed",
]
MOVES = ("drop_off", "accept", "dispatch", "arrive", "claim")


class Hooks:
    """An HTTP receiver that answers each request with `answer(event, webhook_id)` (a status)
    and records (webhook-id, event body, status) in arrival order. `gate(event, webhook_id)`,
    if given, runs before the answer (a test holds a request there)."""

    def __init__(self, answer: Callable[[dict, str], int] = lambda event, wid: 200, gate=None):
        self.answer, self.gate = answer, gate
        self.requests: list[tuple[str, dict, int]] = []
        self.lock = threading.Lock()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                webhook_id = self.headers["webhook-id"]
                if hooks.gate is not None:
                    hooks.gate(event, webhook_id)
                code = hooks.answer(event, webhook_id)
                with hooks.lock:
                    hooks.requests.append((webhook_id, event, code))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def taken(self, number: str | None = None) -> list[tuple[str, dict]]:
        """(webhook-id, event) of the requests answered 2xx, in arrival order; of one
        shipment's events if `number` is given."""
        with self.lock:
            return [
                (wid, event)
                for wid, event, code in self.requests
                if 200 <= code < 300 and (number is None or _number(event) == number)
            ]

    def tried(self, number: str) -> list[dict]:
        """Every request about shipment `number` (failed or not), in arrival order."""
        with self.lock:
            return [event for _, event, _ in self.requests if _number(event) == number]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _number(event: dict) -> str | None:
    return event["data"].get("tracking_number")


@pytest.fixture
def hooks():
    made = []

    def make(**kwargs) -> Hooks:
        made.append(Hooks(**kwargs))
        return made[-1]

    yield make
    for one in made:
        one.stop()


@pytest.fixture
def merchant(app):
    return new_merchant(app)


@pytest.fixture
def branch(make):
    return make.branch(name="7-Eleven Ayala Triangle", shelf_capacity=50)


@pytest.fixture
def unordered(monkeypatch):
    """The control: the claim's order check turned off (every message is in turn)."""
    monkeypatch.setattr(notify, "_in_turn", sa.true)


def _endpoint(app, merchant_id: int, url: str) -> int:
    with app.app_context():
        return webhooks.create_endpoint("merchant", merchant_id, url).id


def _shipment(app, client, secret, branch, reference: str) -> str:
    made = post(client, secret, body(branch, reference=reference))
    assert made.status_code == 201, made.get_json()
    return made.get_json()["tracking_number"]


def _deliver(app, **kwargs) -> notify.Report:
    with app.app_context():
        return notify.deliver_due(batch=50, **kwargs)


def _drain(app, clock, passes: int = 100) -> None:
    """Deliver until nothing is left to deliver, moving the clock to each next due time."""
    for _ in range(passes):
        if _deliver(app).claimed:
            continue
        with app.app_context():
            due = db.session.scalar(
                sa.select(sa.func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.status == OutboxStatus.PENDING
                )
            )
            db.session.rollback()
        if due is None:
            return
        clock.set(max(clock.now(), due))
    raise AssertionError("the outbox did not drain")


def _messages(app, number: str) -> list[OutboxMessage]:
    """The outbox messages of shipment `number`'s events, in the events' order."""
    with app.app_context():
        rows = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.ordering_key.like(f"%:shipment:{number}"))
            .order_by(OutboxMessage.ordering_position, OutboxMessage.ordering_key)
        ).all()
        db.session.expunge_all()
        return rows


def _in_order(events: list[dict]) -> bool:
    ids = [event["id"] for event in events]
    return ids == sorted(ids)


def _timeline_through_four_failures(app, client, merchant, branch, hooks, now):
    """A receiver that fails its first four requests while the package goes from label to
    claim, one move between each of the worker's passes, then everything drained. Returns
    (receiver, tracking number, the webhook-ids that failed)."""
    merchant_id, secret = merchant
    failed = []

    def answer(event, webhook_id):
        if len(failed) < 4:
            failed.append(webhook_id)
            return 503
        return 200

    receiver = hooks(answer=answer)
    _endpoint(app, merchant_id, receiver.url)
    number = _shipment(app, client, secret, branch, "ORDER-1")
    _deliver(app)
    for action in MOVES:
        _move(app, number, action)
        _deliver(app)
        now.advance(seconds=1)
    _drain(app, now)
    return receiver, number, failed


def test_a_receiver_that_fails_then_recovers_gets_each_event_once_in_the_shipments_order(
    app, client, merchant, branch, hooks, now
):
    """It fails its first four requests while the package goes from label to claim, one move
    between each of the worker's passes: it gets the whole timeline once, in order, and no
    request about a later event comes before the earlier one was taken."""
    receiver, number, failed = _timeline_through_four_failures(
        app, client, merchant, branch, hooks, now
    )

    taken = receiver.taken(number)
    assert [event["type"] for _, event in taken] == TIMELINE
    webhook_ids = [wid for wid, _ in taken]
    assert len(set(webhook_ids)) == len(webhook_ids) == 6  # each once by webhook-id
    assert _in_order(receiver.tried(number))  # not one attempt of a later event before
    assert len(set(failed)) == 1  # the four failures were all the first event's
    messages = _messages(app, number)
    assert [m.status for m in messages] == [OutboxStatus.DELIVERED] * 6
    assert [m.attempts for m in messages] == [5, 1, 1, 1, 1, 1]  # waiting cost no attempt


def test_a_stuck_shipment_holds_back_neither_the_merchants_others_nor_its_other_endpoints(
    app, client, merchant, branch, hooks, now
):
    merchant_id, secret = merchant
    stuck = {"number": None, "recovered": False}

    def answer(event, webhook_id):
        return 503 if _number(event) == stuck["number"] and not stuck["recovered"] else 200

    failing, other = hooks(answer=answer), hooks()
    _endpoint(app, merchant_id, failing.url)
    _endpoint(app, merchant_id, other.url)
    a = stuck["number"] = _shipment(app, client, secret, branch, "ORDER-A")
    b = _shipment(app, client, secret, branch, "ORDER-B")
    for action in MOVES[:3]:  # interleaved: A moves, B moves, the worker passes
        _move(app, a, action)
        _move(app, b, action)
        _deliver(app)
        now.advance(seconds=1)
    for _ in range(3):
        _deliver(app)

    four = TIMELINE[:4]
    assert [e["type"] for _, e in failing.taken(b)] == four  # B went on, in order
    assert failing.taken(a) == [] and {e["type"] for e in failing.tried(a)} == {TIMELINE[0]}
    assert [e["type"] for _, e in other.taken(a)] == four  # the other endpoint got A's
    assert [e["type"] for _, e in other.taken(b)] == four
    held = [m for m in _messages(app, a) if m.payload["endpoint_id"] != _other_id(app, other)]
    assert [m.attempts for m in held][1:] == [0, 0, 0]  # A's successors wait untried
    assert all(m.next_attempt_at == held[0].next_attempt_at for m in held[1:])

    stuck["recovered"] = True
    _drain(app, now)
    assert [e["type"] for _, e in failing.taken(a)] == four
    assert _in_order(failing.tried(a)) and _in_order(failing.tried(b))


def _other_id(app, receiver: Hooks) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(WebhookEndpoint.id).where(WebhookEndpoint.url == receiver.url)
        )


def test_a_predecessor_given_up_on_lets_its_successor_go(app, client, merchant, branch, hooks, now):
    """The first event fails all of its attempts: the endpoint is disabled and the merchant
    told. Meanwhile the second waited, untried. The merchant fixes the receiver and enables the
    endpoint: the second goes at once (the first is the merchant's to resend)."""
    merchant_id, secret = merchant
    up = {"yes": False}
    receiver = hooks(answer=lambda event, wid: 200 if up["yes"] else 500)
    endpoint_id = _endpoint(app, merchant_id, receiver.url)
    number = _shipment(app, client, secret, branch, "ORDER-1")
    _move(app, number, "drop_off")
    results = []
    for _ in range(len(webhooks.SCHEDULE) + 1):
        results += [o.result for o in _deliver(app).outcomes]
        first, second = _messages(app, number)
        assert second.attempts == 0 and second.next_attempt_at >= first.next_attempt_at
        now.set(max(now.now(), first.next_attempt_at))
    assert results == ["retry"] * len(webhooks.SCHEDULE) + ["parked"]
    assert {e["type"] for e in receiver.tried(number)} == {TIMELINE[0]}
    first, second = _messages(app, number)
    assert first.status is OutboxStatus.PARKED and second.status is OutboxStatus.PENDING

    up["yes"] = True
    with app.app_context():
        webhooks.enable_endpoint(endpoint_id, "merchant", merchant_id)
    outcomes = [o.result for o in _deliver(app).outcomes if o.kind == webhooks.KIND]
    assert outcomes == ["delivered"]
    assert [e["type"] for _, e in receiver.taken(number)] == [TIMELINE[1]]


def test_a_predecessor_whose_worker_died_on_its_last_attempt_is_parked_and_its_successor_goes(
    app, client, merchant, branch, hooks, now
):
    """Given up without disabling the endpoint: the first event's last attempt never reported
    (its lease ran out). The claim parks it and, in the next pass, sends the second."""
    merchant_id, secret = merchant
    receiver = hooks()
    _endpoint(app, merchant_id, receiver.url)
    number = _shipment(app, client, secret, branch, "ORDER-1")
    _move(app, number, "drop_off")
    first, _ = _messages(app, number)
    with app.app_context(), transaction():
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == first.id)
            .values(
                status=OutboxStatus.DELIVERING,
                attempts=notify.max_attempts(webhooks.KIND),
                next_attempt_at=now.now(),  # its lease's end: run out
                locked_by="dead",
            )
        )
    assert [o.result for o in _deliver(app).outcomes] == ["parked"]
    assert [o.result for o in _deliver(app).outcomes] == ["delivered"]
    assert [e["type"] for _, e in receiver.taken(number)] == [TIMELINE[1]]


def test_a_resend_neither_waits_for_its_shipments_deliveries_nor_holds_them_back(
    app, client, merchant, branch, hooks, now
):
    merchant_id, secret = merchant
    failures_left: dict[str, int] = {}

    def answer(event, webhook_id):
        if failures_left.get(webhook_id, 0) > 0:
            failures_left[webhook_id] -= 1
            return 503
        return 200

    receiver = hooks(answer=answer)
    _endpoint(app, merchant_id, receiver.url)
    number = _shipment(app, client, secret, branch, "ORDER-1")
    _move(app, number, "drop_off")
    first, second = _messages(app, number)
    failures_left[first.id] = 1  # the shipment's first delivery is being retried ...
    assert [o.result for o in _deliver(app).outcomes] == ["retry"]
    with app.app_context():
        (resent,) = webhooks.resend(second.payload["event_id"], "merchant", merchant_id)
    # ... and a resend of its second event goes now all the same.
    assert [o.result for o in _deliver(app).outcomes] == ["delivered"]
    assert [wid for wid, _ in receiver.taken(number)] == [resent]

    with app.app_context():
        (again,) = webhooks.resend(second.payload["event_id"], "merchant", merchant_id)
    failures_left[again] = 2  # a resend that fails twice, the first time before the first
    _drain(app, now)
    taken = [wid for wid, _ in receiver.taken(number)]
    assert taken == [resent, first.id, second.id, again]  # it held back nothing


def test_the_control_without_the_order_check_a_later_event_overtakes_a_retried_one(
    app, client, merchant, branch, hooks, now, unordered
):
    """What the tests above rely on: with the claim's check off, the same receiver as in the
    first test gets a later event of the shipment before the first one."""
    receiver, number, _ = _timeline_through_four_failures(app, client, merchant, branch, hooks, now)
    assert [e["type"] for _, e in receiver.taken(number)] != TIMELINE
    assert not _in_order(receiver.tried(number))


# --- Several workers at once (PostgreSQL) ----------------------------------------------------


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite has no row locks and one writer")


def _publish(app, merchant_id: int, number: str, n: int) -> None:
    with app.app_context(), transaction():
        webhooks.publish(
            "merchant",
            merchant_id,
            TIMELINE[n],
            {"tracking_number": number, "n": n},
            ordering_key=f"shipment:{number}",
        )


def _worker_holding_the_first(app, pause: str):
    """Start worker A and return once it holds shipment S1's first message: locked in its claim
    (`pause` "claim": right after its SELECT ... FOR UPDATE SKIP LOCKED) or claimed and being
    sent (`pause` "send": the receiver holds the request). Returns (receiver, release, thread):
    `release()` lets A finish."""
    a_holds, go_on = threading.Event(), threading.Event()

    def gate(event, webhook_id):
        if pause == "send" and (_number(event), event["data"]["n"]) == ("S1", 0):
            a_holds.set()
            go_on.wait(20)

    receiver = Hooks(gate=gate)
    with app.app_context():
        engine = db.engine

    def pause_a(conn, cursor, statement, *args):
        if (
            pause == "claim"
            and threading.current_thread().name == "A"
            and "SKIP LOCKED" in (statement)
        ):
            a_holds.set()
            go_on.wait(20)

    sa.event.listen(engine, "after_cursor_execute", pause_a)

    def work():
        with app.app_context():
            notify.deliver_due(batch=1, worker="A")

    thread = threading.Thread(target=work, name="A")

    def release():
        go_on.set()
        thread.join(30)
        sa.event.remove(engine, "after_cursor_execute", pause_a)

    return receiver, a_holds, thread, release


@pytest.mark.parametrize("pause", ["claim", "send"])
@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "control"])
def test_a_worker_never_sends_a_successor_while_another_holds_its_predecessor(
    app, merchant, postgres_only, now, monkeypatch, pause, ordered
):
    """Worker A holds S1's first event (in its claim's locks, or on the wire) while worker B
    claims: B sends S2's first event (another shipment goes on) but not S1's second. The
    control, without the claim's check: B sends S1's second before A's first has landed."""
    if not ordered:
        monkeypatch.setattr(notify, "_in_turn", sa.true)
    merchant_id, _ = merchant
    receiver, a_holds, thread, release = _worker_holding_the_first(app, pause)
    try:
        _endpoint(app, merchant_id, receiver.url)
        _publish(app, merchant_id, "S1", 0)
        now.advance(seconds=1)
        _publish(app, merchant_id, "S2", 0)
        _publish(app, merchant_id, "S1", 1)
        thread.start()
        assert a_holds.wait(20)
        b = _deliver(app, worker="B")
    finally:
        release()
        receiver.stop()
    sent_by_b = [(_number(e), e["data"]["n"]) for _, e, _ in receiver.requests]
    if ordered:
        assert [o.result for o in b.outcomes] == ["delivered"]
        assert ("S1", 1) not in sent_by_b[: len(b.outcomes)]
        assert _in_order(receiver.tried("S1"))
    else:
        assert ("S1", 1) in sent_by_b[: len(b.outcomes)]  # B overtook A
        assert not _in_order(receiver.tried("S1"))


def test_workers_at_once_deliver_every_shipment_in_order(app, merchant, postgres_only, now):
    """Four workers drain 12 shipments of 6 events each to a receiver that fails one request
    in three: each shipment's requests (failed ones too) come in the events' order, and each
    event is taken once."""
    merchant_id, _ = merchant
    count = {"n": 0}
    lock = threading.Lock()

    def answer(event, webhook_id):
        with lock:
            count["n"] += 1
            return 503 if count["n"] % 3 == 0 else 200

    receiver = Hooks(answer=answer)
    numbers = [f"S{i}" for i in range(12)]
    try:
        _endpoint(app, merchant_id, receiver.url)
        for n in range(len(TIMELINE)):
            for number in numbers:
                _publish(app, merchant_id, number, n)
        for _ in range(300):
            start = threading.Barrier(4)

            def work(start=start):
                start.wait(10)
                with app.app_context():
                    while notify.deliver_due(batch=3).claimed:
                        pass

            threads = [threading.Thread(target=work) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            with app.app_context():
                due = db.session.scalar(
                    sa.select(sa.func.min(OutboxMessage.next_attempt_at)).where(
                        OutboxMessage.status == OutboxStatus.PENDING
                    )
                )
                db.session.rollback()
            if due is None:
                break
            now.set(max(now.now(), due))
    finally:
        receiver.stop()
    for number in numbers:
        assert _in_order(receiver.tried(number)), receiver.tried(number)
        assert [e["type"] for _, e in receiver.taken(number)] == TIMELINE
    ids = [wid for wid, _ in receiver.taken()]
    assert len(ids) == len(set(ids)) == 72
