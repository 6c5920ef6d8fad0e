"""Signed webhooks to publishers (`commission.*`) and, later, merchants (`shipment.*`), carried
by the outbox (docs/webhooks.md is what a receiver reads).

Publishing: `publish(owner_type, owner_id, event_type, data)` stores the event (table
webhook_events: the owner's event feed, and what `resend` replays) and adds one outbox
message of kind "webhook" per enabled endpoint of that owner subscribed to the type, in the
caller's transaction (it only flushes): an event exists, and is sent, if and only if the change
it reports was committed.

Delivering: the "webhook" channel signs each attempt as Standard Webhooks says (`webhook-id`
= the outbox message id, the same on every attempt; `webhook-timestamp` = the attempt's time;
`webhook-signature` = `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the endpoint's
secret), POSTs the body within WEBHOOK_TIMEOUT seconds and records the attempt in
webhook_deliveries (its own short transaction, after the attempt, outside the outbox's claim).
A 2xx is delivered; 410 Gone disables the endpoint; anything else is retried on SCHEDULE
(about three days); when the last attempt fails the endpoint is disabled and its owner told by
mail.

Addresses and sending: shop.notify.webhook_http (only public addresses, checked at
registration and at every delivery, connected to as checked; the Standard Webhooks
signature)."""

import base64
import http.client
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from shop import clock
from shop.errors import Conflict, InvalidInput, NotFound
from shop.extensions import db
from shop.notify.models import (
    OutboxMessage,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from shop.notify.service import PermanentFailure, enqueue, enqueue_mail, register
from shop.notify.webhook_http import (
    Unresolvable,
    check_url,
    parse_url,
    post,
    signed_headers,
)
from shop.timeutil import UTCDateTime
from shop.transaction import transaction

log = logging.getLogger(__name__)

KIND = "webhook"
TEST_EVENT = "webhook.test"
COMMISSION_EVENTS = (
    "commission.pending",
    "commission.approved",
    "commission.reversed",
    "commission.paid",
)
# The wait after each failed attempt: attempts at 0, 5 s, 5 min, 30 min, 2 h, 5 h, then every
# 10 h; the twelfth and last attempt comes 67 h 35 min after the first (Svix's schedule,
# stretched to about three days). docs/webhooks.md publishes this table; a test keeps both equal.
SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    *[timedelta(hours=10)] * 6,
)
MAX_ENDPOINTS = 10  # per owner: enough for staging + production + a few tools
MAX_DESCRIPTION = 200
MAX_ORDERING_KEY = 160  # the outbox's ordering key adds "webhook:<endpoint id>:" (200 in all)
REQUEST_LOG_CHARS = 4000  # how much of each request body the delivery log keeps
SECRET_BYTES = 32  # the spec asks for 24 to 64


# --- Owners -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerType:
    """Who can own endpoints: the event types it may subscribe to, and where mail to an owner
    goes (`email_of(owner_id)`, None when the owner is gone)."""

    name: str
    event_types: tuple[str, ...]
    email_of: Callable[[int], str | None]


OWNER_TYPES: dict[str, OwnerType] = {}


def register_owner_type(
    name: str, event_types: Iterable[str], email_of: Callable[[int], str | None]
) -> None:
    """Let owners of type `name` ("merchant", issue #12) have endpoints and receive events of
    `event_types` (plus TEST_EVENT, which any endpoint receives on request)."""
    if len(name) > 16:
        raise ValueError(f"an owner type is at most 16 characters: {name!r}")
    OWNER_TYPES[name] = OwnerType(name, tuple(event_types), email_of)


def _publisher_email(user_id: int) -> str | None:
    from shop.auth import service as auth

    return auth.email_of(user_id)


register_owner_type("publisher", COMMISSION_EVENTS, _publisher_email)


def _owner_type(owner_type: str) -> OwnerType:
    try:
        return OWNER_TYPES[owner_type]
    except KeyError:
        raise ValueError(f"no webhook owner type {owner_type!r}") from None


# --- Errors -----------------------------------------------------------------------------------


class TooManyEndpoints(Conflict):
    """You have as many webhook endpoints as one account may have: delete one first."""

    code = "too_many_endpoints"


class EndpointDisabled(Conflict):
    """That endpoint is disabled: enable it first."""

    code = "endpoint_disabled"


def _settings() -> tuple[bool, bool]:
    config = current_app.config
    return bool(config["WEBHOOK_ALLOW_PRIVATE"]), bool(config["WEBHOOK_REQUIRE_HTTPS"])


# --- Endpoints --------------------------------------------------------------------------------


def new_secret() -> str:
    """A Standard Webhooks signing secret: "whsec_" and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _clean_types(owner: OwnerType, event_types: Iterable[str] | None) -> list[str] | None:
    if event_types is None:
        return None
    chosen = list(dict.fromkeys(str(name) for name in event_types))
    unknown = [name for name in chosen if name not in owner.event_types]
    if unknown:
        raise InvalidInput(
            f"There is no event type {unknown[0][:80]!r}: choose from "
            f"{', '.join(owner.event_types)}.",
            field="event_types",
        )
    if not chosen:
        raise InvalidInput("Choose at least one event type.", field="event_types")
    return [name for name in owner.event_types if name in chosen]  # in the catalogue's order


@transaction()
def create_endpoint(
    owner_type: str,
    owner_id: int,
    url: str,
    description: str = "",
    event_types: Iterable[str] | None = None,
) -> WebhookEndpoint:
    """Register an endpoint for the owner, with a new secret (`endpoint.secret`: show it to
    the owner now; afterwards only `secret_hint`). `event_types` None means every type.
    Raises InvalidInput, UnsafeUrl, Unresolvable (the address is checked now, as it will be
    at every delivery), TooManyEndpoints."""
    owner = _owner_type(owner_type)
    allow_private, require_https = _settings()
    if allow_private:  # no lookup: a development receiver may not exist yet
        parse_url(url, require_https=require_https)
    else:
        check_url(url, allow_private=False, require_https=require_https)
    text = " ".join((description or "").split())
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"Keep the description to {MAX_DESCRIPTION} characters.", field="description"
        )
    types = _clean_types(owner, event_types)
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(WebhookEndpoint)
        .where(WebhookEndpoint.owner_type == owner_type, WebhookEndpoint.owner_id == owner_id)
    )
    if not has_room(count):
        raise TooManyEndpoints()
    endpoint = WebhookEndpoint(
        owner_type=owner_type,
        owner_id=owner_id,
        url=url.strip(),
        description=text,
        secret=new_secret(),
        event_types=types,
        enabled=True,
        created_at=clock.now(),
    )
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def has_room(count: int) -> bool:
    """May an owner with `count` endpoints add another?"""
    return count < MAX_ENDPOINTS


def get_endpoint(endpoint_id: int, owner_type: str, owner_id: int) -> WebhookEndpoint:
    """The owner's endpoint. Raises NotFound for another owner's, as for one that isn't."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or (endpoint.owner_type, endpoint.owner_id) != (owner_type, owner_id):
        raise NotFound("There is no such webhook endpoint.")
    return endpoint


@dataclass(frozen=True)
class EndpointView:
    endpoint: WebhookEndpoint
    last_delivery: WebhookDelivery | None


def list_endpoints(owner_type: str, owner_id: int) -> list[EndpointView]:
    """The owner's endpoints, oldest first, each with its latest delivery attempt (two
    queries, whatever the number of endpoints)."""
    endpoints = db.session.scalars(
        sa.select(WebhookEndpoint)
        .where(WebhookEndpoint.owner_type == owner_type, WebhookEndpoint.owner_id == owner_id)
        .order_by(WebhookEndpoint.id)
    ).all()
    last: dict[int, WebhookDelivery] = {}
    if endpoints:
        latest = (
            sa.select(sa.func.max(WebhookDelivery.id))
            .where(WebhookDelivery.endpoint_id.in_([e.id for e in endpoints]))
            .group_by(WebhookDelivery.endpoint_id)
        )
        for delivery in db.session.scalars(
            sa.select(WebhookDelivery).where(WebhookDelivery.id.in_(latest))
        ):
            last[delivery.endpoint_id] = delivery
    return [EndpointView(endpoint, last.get(endpoint.id)) for endpoint in endpoints]


def deliveries(
    endpoint_id: int, owner_type: str, owner_id: int, limit: int = 50
) -> list[WebhookDelivery]:
    """The endpoint's latest delivery attempts, newest first. Raises NotFound."""
    get_endpoint(endpoint_id, owner_type, owner_id)
    return db.session.scalars(
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    ).all()


@transaction()
def delete_endpoint(endpoint_id: int, owner_type: str, owner_id: int) -> None:
    """Delete the owner's endpoint and its delivery log; messages still queued for it are
    dropped by the worker. Raises NotFound."""
    endpoint = get_endpoint(endpoint_id, owner_type, owner_id)
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.flush()


@transaction()
def enable_endpoint(endpoint_id: int, owner_type: str, owner_id: int) -> WebhookEndpoint:
    """Turn a disabled endpoint back on (after its owner fixed the receiver). Events that
    were not delivered meanwhile are not replayed: resend them, or read the event feed.
    Raises NotFound."""
    endpoint = get_endpoint(endpoint_id, owner_type, owner_id)
    endpoint.enabled = True
    endpoint.disabled_at = endpoint.disabled_reason = endpoint.failing_since = None
    db.session.flush()
    return endpoint


# --- Events -----------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def event_body(event: WebhookEvent) -> str:
    """The JSON every endpoint receives for an event (the same bytes on every attempt):
    Standard Webhooks' {"type", "timestamp", "data"} and the event's `id` (the feed's id, the
    same for every endpoint and every resend: a receiver may deduplicate on it)."""
    return json.dumps(
        {
            "id": event.id,
            "type": event.type,
            "timestamp": _iso(event.created_at),
            "data": event.data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


_INSERT_EVENT = {
    "postgresql": postgresql.insert(WebhookEvent).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(WebhookEvent).on_conflict_do_nothing(),
}


def publish(
    owner_type: str,
    owner_id: int,
    event_type: str,
    data: dict,
    *,
    key: str | None = None,
    ordering_key: str | None = None,
) -> list[str]:
    """Store an event for the owner and queue it for each of the owner's enabled endpoints
    that receives `event_type`, inside the caller's transaction (flush only). `data` must be
    JSON. With a `key` already published, nothing is added and the ids of the messages that
    event queued are returned (so a caller that runs twice sends once). With an
    `ordering_key` ("shipment:<tracking number>"), each endpoint gets the events of that key
    one at a time in the order of their ids: one is not sent while an earlier one to the same
    endpoint is still to deliver (neither delivered nor given up); other keys don't wait. The
    caller must publish one key's events in the order they happen (a shipment's moves are
    serialised by its package's row). Returns the outbox message ids (one per endpoint, maybe
    none). Raises ValueError for an owner type or event type not registered, data that isn't
    JSON, or an ordering key over MAX_ORDERING_KEY characters (programming errors)."""
    owner = _owner_type(owner_type)
    if event_type not in owner.event_types and event_type != TEST_EVENT:
        raise ValueError(f"{owner_type} owners receive no {event_type!r} events")
    if not isinstance(data, dict):
        raise ValueError("an event's data is a JSON object")
    if ordering_key is not None and not 0 < len(ordering_key) <= MAX_ORDERING_KEY:
        raise ValueError(f"an ordering key is 1 to {MAX_ORDERING_KEY} characters")
    json.dumps(data)  # TypeError on anything JSON can't carry
    now = clock.now()
    values = {
        "owner_type": owner_type,
        "owner_id": owner_id,
        "type": event_type,
        "data": data,
        "key": key,
        "created_at": now,
    }
    if key is None:
        event = WebhookEvent(**values)
        db.session.add(event)
        db.session.flush()
    else:
        # ON CONFLICT DO NOTHING, not a caught unique violation: that would abort the caller's
        # whole transaction on PostgreSQL. A concurrent publish of the same key waits for it.
        insert = _INSERT_EVENT[db.session.get_bind().dialect.name]
        added = db.session.execute(insert.values(**values).returning(WebhookEvent.id))
        event_id = added.scalar_one_or_none()
        if event_id is None:
            event_id = db.session.scalar(sa.select(WebhookEvent.id).where(WebhookEvent.key == key))
            return db.session.scalars(
                sa.select(OutboxMessage.id)
                .where(OutboxMessage.key.like(f"webhook-{event_id}-%"))
                .order_by(OutboxMessage.key)
            ).all()
        # The row as it was just written, without reading it back (every ECMS move of a
        # merchant's package publishes): a plain object, not added to the session.
        event = WebhookEvent(id=event_id, **values)
    endpoints = db.session.scalars(
        sa.select(WebhookEndpoint)
        .where(
            WebhookEndpoint.owner_type == owner_type,
            WebhookEndpoint.owner_id == owner_id,
            WebhookEndpoint.enabled.is_(True),
        )
        .order_by(WebhookEndpoint.id)
    ).all()
    return [
        _enqueue(event, endpoint, key=f"webhook-{event.id}-{endpoint.id}", ordering=ordering_key)
        for endpoint in endpoints
        if endpoint.receives(event_type)
    ]


def _enqueue(
    event: WebhookEvent,
    endpoint: WebhookEndpoint,
    *,
    key: str | None = None,
    ordering: str | None = None,
) -> str:
    """Queue one event for one endpoint; with `ordering` (a publish's ordering key), in order
    among that endpoint's messages of that key, by the event's id. The outbox's ordering key
    names the endpoint, so one endpoint that fails holds back nothing of another's."""
    payload = {
        "endpoint_id": endpoint.id,
        "event_id": event.id,
        "type": event.type,
        "body": event_body(event),
    }
    if ordering is None:
        return enqueue(KIND, payload, key=key)
    return enqueue(
        KIND,
        payload,
        key=key,
        ordering_key=f"{KIND}:{endpoint.id}:{ordering}",
        ordering_position=event.id,
    )


def events_after(
    owner_type: str, owner_id: int, after: int = 0, limit: int = 100
) -> list[WebhookEvent]:
    """The owner's events with an id above `after`, in id order, at most `limit` (the pull
    feed: a receiver that was down reads from the last id it has). Ids come from a sequence:
    on PostgreSQL an event may commit after one with a higher id, so a feed reader should
    re-read a short window behind its last id (see docs/webhooks.md)."""
    return db.session.scalars(
        sa.select(WebhookEvent)
        .where(
            WebhookEvent.owner_type == owner_type,
            WebhookEvent.owner_id == owner_id,
            WebhookEvent.id > after,
        )
        .order_by(WebhookEvent.id)
        .limit(limit)
    ).all()


@transaction()
def resend(
    event_id: int, owner_type: str, owner_id: int, *, endpoint_id: int | None = None
) -> list[str]:
    """Queue a fresh delivery (a new webhook-id, a new set of attempts) of one of the owner's
    stored events: to `endpoint_id` (the owner's; it must be enabled), or to every enabled
    endpoint of the owner that receives its type. A resend is a replay outside its event's
    order: it has no ordering key, so it neither waits for the shipment's other deliveries
    nor holds them back (an old event resent while newer ones flow must not stall them, and
    the merchant who asks for it wants it now, not behind a delivery that keeps failing).
    Raises NotFound (another owner's event or endpoint, as for one that isn't),
    EndpointDisabled. Returns the message ids."""
    event = db.session.get(WebhookEvent, event_id)
    if event is None or (event.owner_type, event.owner_id) != (owner_type, owner_id):
        raise NotFound("There is no such event.")
    if endpoint_id is not None:
        endpoint = get_endpoint(endpoint_id, owner_type, owner_id)
        if not endpoint.enabled:
            raise EndpointDisabled()
        return [_enqueue(event, endpoint)]
    endpoints = db.session.scalars(
        sa.select(WebhookEndpoint)
        .where(
            WebhookEndpoint.owner_type == owner_type,
            WebhookEndpoint.owner_id == owner_id,
            WebhookEndpoint.enabled.is_(True),
        )
        .order_by(WebhookEndpoint.id)
    ).all()
    return [_enqueue(event, e) for e in endpoints if e.receives(event.type)]


@transaction()
def resend_delivery(
    delivery_id: int, owner_type: str, owner_id: int, *, endpoint_id: int | None = None
) -> str:
    """Send again, to the same endpoint, the event one logged attempt carried (the "Resend"
    button of the delivery log; with `endpoint_id`, the delivery must be that endpoint's).
    Raises NotFound, EndpointDisabled. Returns the new message's id."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.event_id is None:
        raise NotFound("There is no such delivery.")
    if endpoint_id is not None and delivery.endpoint_id != endpoint_id:
        raise NotFound("There is no such delivery.")
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or (endpoint.owner_type, endpoint.owner_id) != (owner_type, owner_id):
        raise NotFound("There is no such delivery.")
    return resend(delivery.event_id, owner_type, owner_id, endpoint_id=endpoint.id)[0]


@transaction()
def send_test(endpoint_id: int, owner_type: str, owner_id: int) -> str:
    """Publish a `webhook.test` event to this one endpoint (whatever types it receives), to
    check the receiver and its signature check. Raises NotFound, EndpointDisabled. Returns
    the message id."""
    endpoint = get_endpoint(endpoint_id, owner_type, owner_id)
    if not endpoint.enabled:
        raise EndpointDisabled()
    event = WebhookEvent(
        owner_type=owner_type,
        owner_id=owner_id,
        type=TEST_EVENT,
        data={"endpoint_id": endpoint.id, "message": "A test event from CLiQQ Shop."},
        created_at=clock.now(),
    )
    db.session.add(event)
    db.session.flush()
    return _enqueue(event, endpoint)


# --- The channel ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    status: int | None = None
    reply: str | None = None
    error: str | None = None
    duration_ms: int = 0


def deliver(message) -> None:
    """Deliver one webhook message (an outbox `service.Message` of kind "webhook") and log the
    attempt. Returns on a 2xx. Raises PermanentFailure (the message is parked) for a disabled
    endpoint, a 410 Gone or an address no longer allowed (both disable the endpoint), and
    on a failed last attempt (the endpoint is disabled and its owner mailed); RuntimeError for
    any other failure, retried on SCHEDULE. A deleted endpoint's message is dropped."""
    payload = message.payload
    with transaction():
        endpoint = db.session.get(WebhookEndpoint, payload["endpoint_id"])
        if endpoint is None:
            log.info("webhook %s dropped: its endpoint was deleted", message.id)
            return
        url, secret, enabled = endpoint.url, endpoint.secret, endpoint.enabled
        failing = endpoint.failing_since is not None
    if not enabled:
        raise PermanentFailure("the endpoint is disabled: not sent")
    config = current_app.config
    allow_private, require_https = _settings()
    body = payload["body"]
    started = time.monotonic()
    try:
        target = check_url(url, allow_private=allow_private, require_https=require_https)
    except Unresolvable as exc:
        attempt = _Attempt(error=f"not sent: {exc.message}")
    except InvalidInput as exc:  # UnsafeUrl too: an address now refused
        attempt = _Attempt(error=f"not sent: {exc.message}")
        _record(message, attempt, failing, disable=f"Its address is refused: {exc.message}")
        raise PermanentFailure(attempt.error) from exc
    else:
        timestamp = int(clock.now().timestamp())
        headers = signed_headers(secret, message.id, timestamp, body)
        try:
            status, reply = post(target, body.encode(), headers, timeout=config["WEBHOOK_TIMEOUT"])
        except (OSError, http.client.HTTPException) as exc:
            attempt = _Attempt(
                error=f"{type(exc).__name__}: {exc}"[:500], duration_ms=_since(started)
            )
        else:
            error = None if 200 <= status < 300 else f"answered {status}"
            attempt = _Attempt(status, reply, error, _since(started))
    if attempt.error is None:
        _record(message, attempt, failing)
        return
    if attempt.status == 410:
        _record(
            message, attempt, failing, disable="It answered 410 Gone: the receiver asked to stop."
        )
        raise PermanentFailure("410 Gone: endpoint disabled")
    if message.last:
        _record(
            message,
            attempt,
            failing,
            disable=f"All {len(SCHEDULE) + 1} attempts to deliver an event failed over "
            f"{_span(sum(SCHEDULE, timedelta()))} (the last: {attempt.error}).",
        )
        raise PermanentFailure(f"{attempt.error}; out of attempts: endpoint disabled")
    _record(message, attempt, failing)
    raise RuntimeError(attempt.error)


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} hours"


def _record(message, attempt: _Attempt, failing: bool, *, disable: str | None = None) -> None:
    """Log the attempt, keep the endpoint's failing_since, and disable it (telling its owner,
    once: only the attempt that turns it off sends the mail), in one short transaction.
    `failing`: the endpoint had a failing_since when the attempt began.

    A success on an endpoint that wasn't failing, the common case, is one statement: the log
    row, inserted from a SELECT of the endpoint (nothing is logged for an endpoint deleted
    meanwhile) with the event's id if the event is still stored. The endpoint is read only
    to disable it. (A failure recorded by another worker during this attempt, on an endpoint
    that wasn't failing when it began, keeps its failing_since until the next success.)"""
    now = clock.now()
    payload = message.payload
    endpoint_id = payload["endpoint_id"]
    event_id = payload.get("event_id")
    known_event = (
        sa.select(WebhookEvent.id).where(WebhookEvent.id == event_id).scalar_subquery()
        if event_id is not None
        else sa.null()
    )
    log_row = {
        "endpoint_id": WebhookEndpoint.id,
        "message_id": sa.literal(message.id, sa.String()),
        "event_id": known_event,
        "event_type": sa.literal(str(payload.get("type", ""))[:80], sa.String()),
        "attempt": sa.literal(message.attempt, sa.Integer()),
        "request_body": sa.literal(payload["body"][:REQUEST_LOG_CHARS], sa.Text()),
        "response_status": sa.literal(attempt.status, sa.Integer()),
        "response_body": sa.literal(attempt.reply, sa.Text()),
        "error": sa.literal(attempt.error, sa.Text()),
        "duration_ms": sa.literal(attempt.duration_ms, sa.Integer()),
        "at": sa.literal(now, UTCDateTime()),
    }
    with transaction():
        logged = db.session.execute(
            sa.insert(WebhookDelivery)
            .from_select(
                list(log_row),
                sa.select(*log_row.values()).where(WebhookEndpoint.id == endpoint_id),
            )
            .returning(WebhookDelivery.id)
        ).scalar_one_or_none()
        if logged is None:
            return  # the endpoint was deleted
        endpoint = WebhookEndpoint.__table__.c
        if attempt.error is None and failing:  # recovered
            db.session.execute(
                sa.update(WebhookEndpoint)
                .where(endpoint.id == endpoint_id, endpoint.failing_since.is_not(None))
                .values(failing_since=None)
            )
        elif attempt.error is not None:  # a run of failures begins, unless it had begun
            db.session.execute(
                sa.update(WebhookEndpoint)
                .where(endpoint.id == endpoint_id, endpoint.failing_since.is_(None))
                .values(failing_since=now)
            )
        if disable is None:
            return
        turned_off = db.session.execute(
            sa.update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled.is_(True))
            .values(enabled=False, disabled_at=now, disabled_reason=disable[:500])
        ).rowcount
        if turned_off == 1:
            _tell_owner(db.session.get(WebhookEndpoint, endpoint_id), disable, now)


def _tell_owner(endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    owner = OWNER_TYPES.get(endpoint.owner_type)
    email = owner.email_of(endpoint.owner_id) if owner else None
    if not email:
        log.warning("webhook endpoint %s disabled; its owner has no address", endpoint.id)
        return
    enqueue_mail(
        email,
        "A webhook endpoint was disabled",
        f"We stopped sending webhooks to {endpoint.url}.\n\n{reason}\n\n"
        "Once the receiver works again, enable the endpoint in your console and resend the "
        "events you missed from its delivery log (or read them from the event feed).\n",
        key=f"webhook-disabled-{endpoint.id}-{int(now.timestamp())}",
    )


def describe(payload: dict) -> str:
    return f"webhook {payload.get('type', '?')} to endpoint {payload.get('endpoint_id', '?')}"


register(KIND, deliver, describe, schedule=SCHEDULE)
