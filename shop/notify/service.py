"""The outbox: what the shop must tell the world, saved with the change it reports and delivered
after the commit, at least once, by `flask shop worker`.

Writing: `enqueue(kind, payload)` (or `enqueue_mail(...)`) adds a row in the caller's
transaction and only flushes, so the message exists if and only if the change it reports was
committed. Nothing is sent from inside a transaction.

Delivering: `deliver_due()` claims due rows in one short transaction (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so any number of workers on any number of hosts never take the same
row; SQLite has one writer at a time and no row locks: run one worker there), gives each claim a
lease (`locked_until`), commits, calls each message's channel outside any transaction, then
records the outcome in another short transaction: delivered, or a later attempt with
exponential backoff, or parked after OUTBOX_MAX_ATTEMPTS. A worker that dies mid-delivery
leaves its lease to run out, and the message is claimed again: at least once. Every receiver
sees the message's `id` (Message-ID for mail, the idempotency key for Stripe) and can drop a
repeat.

Channels: a feature registers how to deliver one kind of message (`register("mail", ...)`);
payments registers `stripe_refund`. A channel raises `PermanentFailure` for a refusal that no
retry can fix (the message is parked at once) and any other exception for a failure worth
retrying. A channel may bring its own retry `schedule` (the waits after each failed attempt,
fixed: webhooks promise their receivers a published schedule); the others use the backoff and
OUTBOX_MAX_ATTEMPTS.

Order: messages are independent unless they share an `ordering_key` (webhooks: one endpoint and
one shipment). Then they go one at a time, by `ordering_position` (increasing with time: the
webhook event's id): a message is not claimed while one with its key and a lower position is
still pending or delivering (not delivered, not parked). The claim checks that in its own
statements, under the rows' locks, so several workers never send a later message while a worker
holds the earlier one; a held message is not tried, so its attempts don't grow, and it is due
as soon as its predecessor is delivered or parked. Keys don't wait for each other. While a
predecessor waits for a retry, the messages behind it are given its next attempt's time (they
cannot go before it), so the worker's due index does not rescan them at every poll."""

import json
import logging
import os
import random
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from shop import clock
from shop.errors import Conflict, NotFound
from shop.extensions import db
from shop.notify.models import CLAIMABLE, OutboxMessage, OutboxStatus, new_message_id
from shop.transaction import in_transaction, transaction

log = logging.getLogger(__name__)

OUTBOX = OutboxMessage.__table__
# Statuses in the ordering index's predicate are written out, not bound: the index must match
# a prepared (generic) plan's query too.
_PENDING = sa.literal_column("'pending'")
MAX_ERROR_LENGTH = 2000


# --- Channels ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """What a channel is given to deliver: plain values, no database row (it runs outside any
    transaction). `id` is the idempotency key the receiver sees; `attempt` counts from 1;
    `last` is true on the last attempt the message gets (a failure now parks it)."""

    id: str
    kind: str
    payload: dict
    attempt: int
    created_at: datetime
    last: bool = False
    ordering_key: str | None = None
    ordering_position: int | None = None


class PermanentFailure(Exception):
    """The receiver refused the message for good (a 5xx from a mail server, a request Stripe
    calls invalid): retrying cannot help, so the message is parked now."""


@dataclass(frozen=True)
class Channel:
    deliver: Callable[[Message], None]
    describe: Callable[[dict], str]
    # The wait after each failed attempt (the first after attempt 1, ...): a message gets
    # len(schedule) + 1 attempts. None: exponential backoff and OUTBOX_MAX_ATTEMPTS.
    schedule: tuple[timedelta, ...] | None = None


CHANNELS: dict[str, Channel] = {}


def register(
    kind: str,
    deliver: Callable[[Message], None],
    describe: Callable[[dict], str] | None = None,
    *,
    schedule: Iterable[timedelta] | None = None,
) -> None:
    """Deliver messages of `kind` with `deliver(message)`: it returns when the receiver took
    the message, and raises otherwise. `describe(payload)` is a short line for the operator's
    page. `schedule`, if given, is the fixed wait after each failed attempt (see Channel). A
    worker claims only the kinds registered in its own process, so a kind added by a newer
    release waits for a worker that knows it instead of failing on an older one."""
    if len(kind) > 40:
        raise ValueError(f"a message kind is at most 40 characters: {kind!r}")
    waits = tuple(schedule) if schedule is not None else None
    if waits is not None and (not waits or any(wait <= timedelta(0) for wait in waits)):
        raise ValueError(f"a retry schedule is one or more positive waits: {waits!r}")
    CHANNELS[kind] = Channel(deliver, describe or (lambda payload: kind), waits)


def max_attempts(kind: str) -> int:
    """How many attempts a message of `kind` gets before it is parked."""
    channel = CHANNELS.get(kind)
    if channel is not None and channel.schedule is not None:
        return len(channel.schedule) + 1
    return current_app.config["OUTBOX_MAX_ATTEMPTS"]


# --- Writing ----------------------------------------------------------------------------------

# Built once (checkout queues a mail with every order): plain Core statements on the table,
# their values bound per call.
_INSERT = sa.insert(OUTBOX)
_INSERT_ONCE = {
    # RETURNING says whether the row went in (a conflict returns nothing): the rowcount of an
    # INSERT run through the session is not reliable (-1 on psycopg).
    "postgresql": postgresql.insert(OUTBOX).on_conflict_do_nothing().returning(OUTBOX.c.id),
    "sqlite": sqlite.insert(OUTBOX).on_conflict_do_nothing().returning(OUTBOX.c.id),
}


def enqueue(
    kind: str,
    payload: dict,
    *,
    key: str | None = None,
    not_before: datetime | None = None,
    ordering_key: str | None = None,
    ordering_position: int | None = None,
) -> str:
    """Add a message to the outbox inside the caller's transaction: it is flushed, never
    committed, so it is saved with the change it reports or not at all. `payload` must be
    JSON. A message whose `key` is already in the outbox (delivered or not) is not added
    again: the id of the one there is returned. `not_before` delays the first attempt. With
    an `ordering_key`, the message is not delivered while one with that key and a lower
    `ordering_position` is still to deliver (positions must increase in the order the caller
    wants; the module's "Order"). Returns the message id. Raises ValueError for an unknown
    kind, a payload that isn't JSON, or an ordering key without a position (programming
    errors, found in the caller's transaction rather than by the worker)."""
    if kind not in CHANNELS:
        raise ValueError(f"no outbox channel {kind!r} (known: {', '.join(sorted(CHANNELS))})")
    json.dumps(payload)  # raises TypeError on anything JSON can't carry
    if (ordering_key is None) != (ordering_position is None):
        raise ValueError("an ordering key and its position go together")
    if ordering_key is not None and not 0 < len(ordering_key) <= 200:
        raise ValueError(f"an ordering key is 1 to 200 characters: {ordering_key!r}")
    now = clock.now()
    due = max(now, not_before) if not_before else now
    if ordering_key is not None:
        due = max(due, _held_until(ordering_key, ordering_position, now) or due)
    message_id = new_message_id()
    values = {
        "id": message_id,
        "kind": kind,
        "key": key,
        "payload": payload,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": due,
        "created_at": now,
        "ordering_key": ordering_key,
        "ordering_position": ordering_position,
    }
    if key is None:
        db.session.execute(_INSERT, values)
        return message_id
    # ON CONFLICT DO NOTHING rather than catching the unique violation: a failed INSERT would
    # abort the caller's whole transaction on PostgreSQL. A concurrent insert of the same key
    # makes this one wait for it, then do nothing.
    added = db.session.execute(_INSERT_ONCE[db.session.get_bind().dialect.name], values)
    if added.scalar_one_or_none() is not None:
        return message_id
    return db.session.scalar(sa.select(OUTBOX.c.id).where(OUTBOX.c.key == key))


def _held_until(ordering_key: str, position: int, now: datetime) -> datetime | None:
    """The latest time at which a pending predecessor (same key, lower position) is due, if
    after `now`: a message behind it cannot go before that. One that is being delivered
    holds nothing here: it may be done in a moment (its lease end is no guide)."""
    return db.session.scalar(
        sa.select(sa.func.max(OUTBOX.c.next_attempt_at)).where(
            OUTBOX.c.ordering_key == ordering_key,
            OUTBOX.c.ordering_position < position,
            OUTBOX.c.status == _PENDING,
            OUTBOX.c.next_attempt_at > now,
        )
    )


def enqueue_mail(
    to: str | Iterable[str],
    subject: str,
    text: str,
    html: str | None = None,
    *,
    key: str | None = None,
) -> str:
    """Queue a mail (plain text, and an HTML alternative if given) in the caller's transaction;
    the worker sends it from MAIL_FROM with the message id as its Message-ID. `key` as for
    `enqueue` (for example `order-confirmed-CQ-7K4M-2Q9P`, so it is sent once however often
    the caller runs). Returns the message id. Raises ValueError for an address or subject with
    a line break (header injection) or no recipient."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or not all(address.strip() for address in recipients):
        raise ValueError("a mail needs at least one recipient")
    for value in [subject, *recipients]:
        if any(char in value for char in "\r\n\x00"):
            raise ValueError(f"line break or NUL in a mail header: {value!r}")
    payload = {"to": recipients, "subject": subject, "text": text, "html": html}
    return enqueue("mail", payload, key=key)


def texts_enabled() -> bool:
    """True when a text message sender is configured (SMS_URL not "off"): only then does the
    shop queue texts, and only then may a page or a mail say "we'll text you"."""
    from shop.notify import sms

    return sms.enabled(current_app.config)


def enqueue_sms(to: str, text: str, *, key: str | None = None) -> str | None:
    """Queue a text message to the phone number `to` in the caller's transaction, when a
    sender is configured (texts_enabled()); returns its id, or None when texts are off (so a
    caller queues a text next to a mail without asking first). `key` as for `enqueue`.
    Raises ValueError for no number or an empty text."""
    from shop.notify import sms

    if not texts_enabled():
        return None
    number = (to or "").strip()
    if not number or any(char in number for char in "\r\n\x00"):
        raise ValueError("a text needs a phone number")
    if not text.strip():
        raise ValueError("a text needs something to say")
    return enqueue("sms", {"to": number, "text": text.strip()[: sms.MAX_TEXT]}, key=key)


# --- Delivering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed message: `delivered`, `retry` (failed, due again at
    `next_attempt_at`), `parked`, `released` (claimed but not tried: its lease ran out
    before its turn, or the worker was stopping) or `superseded` (failed after its lease had
    run out and another worker had claimed it: that worker's outcome counts)."""

    id: str
    kind: str
    attempt: int
    result: str
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass
class Report:
    worker: str
    outcomes: list[Outcome] = field(default_factory=list)
    claimed: int = 0  # rows this call leased (0: nothing was due)


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def backoff(attempt: int, base: float, cap: float, draw: Callable[[], float] = random.random):
    """How long to wait after failed attempt number `attempt` (1, 2, ...): base·2^(attempt-1)
    seconds, at most `cap`, with "equal jitter": a uniform draw between half of that and all
    of it. The jitter spreads the retries of messages that failed together (a mail server
    that was down); keeping the lower half means the wait still grows with every attempt."""
    ceiling = min(cap, base * 2 ** min(attempt - 1, 62))
    return timedelta(seconds=ceiling / 2 + draw() * ceiling / 2)


def deliver_due(
    batch: int | None = None, worker: str | None = None, stop: Callable[[], bool] | None = None
) -> Report:
    """Claim up to `batch` due messages, deliver each, record each outcome; returns what was
    done. Messages claimed but not tried (`stop()` turned true, or a lease ran out before the
    message's turn) are released for any worker to take at once. Must be called outside any
    transaction: it runs short transactions of its own and delivers between them."""
    if in_transaction() or db.session().in_transaction():
        raise RuntimeError("deliver_due runs its own transactions: call it outside any")
    config = current_app.config
    report = Report(worker=(worker or default_worker_name())[:120])
    claimed, parked = _claim(batch or config["OUTBOX_BATCH"], report.worker)
    report.claimed = len(claimed)
    report.outcomes.extend(parked)
    for message, lease_end in claimed:
        if (stop is not None and stop()) or clock.now() >= lease_end:
            report.outcomes.append(_release(message))
            continue
        report.outcomes.append(_deliver(message))
    return report


_EARLIER = OUTBOX.alias("earlier")


def _in_turn():
    """The claim's condition for a message with an ordering key: no message with its key and a
    lower position is still pending or delivering (the due index's rows: the ordering index
    answers it). A message with no key is always in turn."""
    return sa.or_(
        OUTBOX.c.ordering_key.is_(None),
        ~sa.exists().where(
            _EARLIER.c.ordering_key == OUTBOX.c.ordering_key,
            _EARLIER.c.ordering_position < OUTBOX.c.ordering_position,
            sa.text("earlier.status IN ('pending', 'delivering')"),  # written out (_PENDING)
        ),
    )


def _claim(batch: int, worker: str) -> tuple[list[tuple[Message, datetime]], list[Outcome]]:
    """Take due rows and lease them to `worker`, in one transaction. On PostgreSQL the rows are
    locked with SKIP LOCKED, so a second worker claiming at the same moment takes other rows
    instead of waiting; the UPDATE re-checks that each row is still due, so even without row
    locks (SQLite, several processes) a row is claimed by one worker only. A row whose last
    attempt never reported (its worker died) and has no attempts left is parked, not retried:
    a message that kills its worker must not kill every worker in turn.

    A message whose predecessor (same ordering key, lower position) is still to deliver is
    not taken: the SELECT skips it, and both UPDATEs check again with a fresh snapshot (on
    PostgreSQL each statement sees what committed before it began). The predecessor counts
    while pending or delivering, also while another worker holds its row locked or is
    sending it, so a successor is never sent alongside it."""
    now = clock.now()
    config = current_app.config
    # The attempts each row's kind allows: OUTBOX_MAX_ATTEMPTS, or its channel's schedule's.
    default = config["OUTBOX_MAX_ATTEMPTS"]
    limits = {kind: max_attempts(kind) for kind in CHANNELS}
    special = {kind: n for kind, n in limits.items() if n != default}
    allowed = sa.case(special, value=OUTBOX.c.kind, else_=default) if special else default
    lease_end = now + timedelta(seconds=config["OUTBOX_LEASE_SECONDS"])
    due = sa.and_(OUTBOX.c.status.in_(CLAIMABLE), OUTBOX.c.next_attempt_at <= now, _in_turn())
    with transaction():
        # Messages due at the same moment go in the order they were written (ids are random).
        ids = db.session.scalars(
            sa.select(OUTBOX.c.id)
            .where(due, OUTBOX.c.kind.in_(list(CHANNELS)))
            .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.created_at, OUTBOX.c.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        if not ids:
            return [], []
        worn_out = db.session.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id.in_(ids), due, OUTBOX.c.attempts >= allowed)
            .values(
                status=OutboxStatus.PARKED,
                locked_until=None,
                locked_by=None,
                next_attempt_at=now,
                last_error=sa.func.coalesce(OUTBOX.c.last_error + "\n", "")
                + "out of attempts: the last one never reported (its worker stopped mid-delivery)",
            )
            .returning(OUTBOX.c.id, OUTBOX.c.kind, OUTBOX.c.attempts)
        ).all()
        rows = db.session.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id.in_(ids), due, OUTBOX.c.attempts < allowed)
            .values(
                status=OutboxStatus.DELIVERING,
                attempts=OUTBOX.c.attempts + 1,
                locked_until=lease_end,
                locked_by=worker,
                next_attempt_at=lease_end,
            )
            .returning(
                OUTBOX.c.id,
                OUTBOX.c.kind,
                OUTBOX.c.payload,
                OUTBOX.c.attempts,
                OUTBOX.c.created_at,
                OUTBOX.c.ordering_key,
                OUTBOX.c.ordering_position,
            )
        ).all()
    order = {message_id: n for n, message_id in enumerate(ids)}
    claimed = sorted(
        (
            Message(
                row.id,
                row.kind,
                row.payload,
                row.attempts,
                row.created_at,
                last=row.attempts >= limits.get(row.kind, default),
                ordering_key=row.ordering_key,
                ordering_position=row.ordering_position,
            )
            for row in rows
        ),
        key=lambda message: order[message.id],
    )
    parked = [
        Outcome(row.id, row.kind, row.attempts, "parked", "lease expired") for row in worn_out
    ]
    for outcome in parked:
        log.error("outbox %s %s parked: its last attempt never reported", outcome.kind, outcome.id)
    return [(message, lease_end) for message in claimed], parked


def _deliver(message: Message) -> Outcome:
    channel = CHANNELS[message.kind]
    try:
        channel.deliver(message)
    except PermanentFailure as exc:
        return _record_failure(message, _describe_error(exc), permanent=True)
    except Exception as exc:  # noqa: BLE001  (any failure of a receiver is retried, never lost)
        return _record_failure(message, _describe_error(exc), permanent=False)
    return _record_delivered(message)


def _describe_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    cause = exc.__cause__
    if cause is not None and str(cause) not in text:
        text += f" ({type(cause).__name__}: {cause})"
    return text[:MAX_ERROR_LENGTH]


def _record_delivered(message: Message) -> Outcome:
    """A delivery that succeeded is recorded whoever holds the lease now: it happened."""
    now = clock.now()
    with transaction():
        db.session.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id == message.id, OUTBOX.c.status != OutboxStatus.DELIVERED)
            .values(
                status=OutboxStatus.DELIVERED,
                delivered_at=now,
                next_attempt_at=now,
                locked_until=None,
                locked_by=None,
            )
        )
    log.info("outbox %s %s delivered (attempt %d)", message.kind, message.id, message.attempt)
    return Outcome(message.id, message.kind, message.attempt, "delivered")


def _record_failure(message: Message, error: str, *, permanent: bool) -> Outcome:
    """A failure is recorded only by the claim it belongs to (the row is still delivering and
    its attempt count is this attempt's): if the lease ran out and another worker claimed the
    message meanwhile, that worker's outcome is the one that counts."""
    now = clock.now()
    config = current_app.config
    schedule = CHANNELS[message.kind].schedule if message.kind in CHANNELS else None
    park = permanent or message.attempt >= max_attempts(message.kind)
    if park:
        status, due = OutboxStatus.PARKED, now
    elif schedule is not None:
        status, due = OutboxStatus.PENDING, now + schedule[message.attempt - 1]
    else:
        wait = backoff(
            message.attempt, config["OUTBOX_BACKOFF_SECONDS"], config["OUTBOX_BACKOFF_CAP_SECONDS"]
        )
        status, due = OutboxStatus.PENDING, now + wait
    with transaction():
        changed = db.session.execute(
            sa.update(OUTBOX)
            .where(
                OUTBOX.c.id == message.id,
                OUTBOX.c.status == OutboxStatus.DELIVERING,
                OUTBOX.c.attempts == message.attempt,
            )
            .values(
                status=status,
                next_attempt_at=due,
                last_error=error,
                locked_until=None,
                locked_by=None,
            )
        ).rowcount
        if changed == 1 and not park and message.ordering_key is not None:
            _hold_successors(message, due)
    if changed != 1:
        return Outcome(message.id, message.kind, message.attempt, "superseded", error)
    if park:
        log.error("outbox %s %s parked: %s", message.kind, message.id, error)
        return Outcome(message.id, message.kind, message.attempt, "parked", error)
    log.warning("outbox %s %s failed, next at %s: %s", message.kind, message.id, due, error)
    return Outcome(message.id, message.kind, message.attempt, "retry", error, due)


def _hold_successors(message: Message, due: datetime) -> None:
    """The messages waiting behind `message` (its key, higher positions, pending) cannot go
    before its next attempt at `due`: make them due then, not now, so that each poll of the
    due index doesn't read them again only to skip them. Their attempts are untouched; the
    claim's own check (`_in_turn`) is what keeps the order, this only spares it work."""
    db.session.execute(
        sa.update(OUTBOX)
        .where(
            OUTBOX.c.ordering_key == message.ordering_key,
            OUTBOX.c.ordering_position > message.ordering_position,
            OUTBOX.c.status == _PENDING,
            OUTBOX.c.next_attempt_at < due,
        )
        .values(next_attempt_at=due)
    )


def _release(message: Message) -> Outcome:
    """Give back a claim that was never tried: due at once, its attempt not counted."""
    now = clock.now()
    with transaction():
        db.session.execute(
            sa.update(OUTBOX)
            .where(
                OUTBOX.c.id == message.id,
                OUTBOX.c.status == OutboxStatus.DELIVERING,
                OUTBOX.c.attempts == message.attempt,
            )
            .values(
                status=OutboxStatus.PENDING,
                attempts=OUTBOX.c.attempts - 1,
                next_attempt_at=now,
                locked_until=None,
                locked_by=None,
            )
        )
    return Outcome(message.id, message.kind, message.attempt - 1, "released")


# --- What the operator sees and does ----------------------------------------------------------


@dataclass(frozen=True)
class MessageView:
    id: str
    kind: str
    summary: str
    status: OutboxStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    max_attempts: int = 0  # the attempts its kind gets (webhooks: their schedule's)


def counts_by_status() -> dict[OutboxStatus, int]:
    """How many messages are in each status (every status present, 0 if none)."""
    rows = db.session.execute(
        sa.select(OUTBOX.c.status, sa.func.count()).group_by(OUTBOX.c.status)
    ).all()
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update({OutboxStatus(status): n for status, n in rows})
    return counts


def parked(limit: int = 100) -> list[MessageView]:
    """The parked messages, oldest first: each waits for an operator's retry."""
    return _views(OUTBOX.c.status == OutboxStatus.PARKED, OUTBOX.c.created_at, limit)


def retrying(limit: int = 50) -> list[MessageView]:
    """Messages that failed at least once and will be tried again, soonest first."""
    where = sa.and_(OUTBOX.c.status == OutboxStatus.PENDING, OUTBOX.c.attempts > 0)
    return _views(where, OUTBOX.c.next_attempt_at, limit)


def _views(where, order_by, limit: int) -> list[MessageView]:
    rows = db.session.execute(
        sa.select(OUTBOX).where(where).order_by(order_by, OUTBOX.c.id).limit(limit)
    ).all()
    return [
        MessageView(
            id=row.id,
            kind=row.kind,
            summary=_summary(row.kind, row.payload),
            status=OutboxStatus(row.status),
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at,
            max_attempts=max_attempts(row.kind),
        )
        for row in rows
    ]


def _summary(kind: str, payload: dict) -> str:
    channel = CHANNELS.get(kind)
    if channel is None:
        return f"{kind} (no channel in this process)"
    try:
        return channel.describe(payload)
    except Exception:  # noqa: BLE001  (a page of messages must show even an odd payload)
        return kind


@transaction()
def retry(message_id: str) -> None:
    """Put a parked message back in the queue, due now, with a fresh set of attempts (its last
    error stays until the next attempt). Raises NotFound, or Conflict if it isn't parked."""
    changed = db.session.execute(
        sa.update(OUTBOX)
        .where(OUTBOX.c.id == message_id, OUTBOX.c.status == OutboxStatus.PARKED)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=clock.now())
    ).rowcount
    if changed == 1:
        return
    if db.session.scalar(sa.select(OUTBOX.c.id).where(OUTBOX.c.id == message_id)) is None:
        raise NotFound("There is no such message in the outbox.")
    raise Conflict("That message isn't parked: the worker already has it.", code="not_parked")


@transaction()
def retry_parked() -> int:
    """Put every parked message back in the queue (after fixing what parked them: a mail
    server that was down, a wrong key). Returns how many."""
    return db.session.execute(
        sa.update(OUTBOX)
        .where(OUTBOX.c.status == OutboxStatus.PARKED)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=clock.now())
    ).rowcount


@transaction()
def purge_delivered(older_than: timedelta) -> int:
    """Delete messages delivered more than `older_than` ago (their keys with them, so a key
    can be enqueued again after that). Parked and pending messages are never deleted."""
    cutoff = clock.now() - older_than
    return db.session.execute(
        sa.delete(OUTBOX).where(
            OUTBOX.c.status == OutboxStatus.DELIVERED, OUTBOX.c.delivered_at < cutoff
        )
    ).rowcount


def _register_channels() -> None:
    from shop.notify import mail, sms

    register("mail", mail.deliver, mail.describe)
    register("sms", sms.deliver, sms.describe)
    from shop.notify import webhooks  # noqa: F401  (registers the "webhook" channel)


_register_channels()
