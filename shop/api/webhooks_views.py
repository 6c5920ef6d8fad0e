"""The merchant's webhook endpoints and events (issue #12, points 6 and 7):
`/api/v1/webhook-endpoints` (register, list, delete; the signing secret shown once),
`GET /api/v1/events?after=<id>` (the pull feed: a receiver that was down catches up) and
`POST /api/v1/events/<id>/resend`. The rules are notify.webhooks' (SSRF checks, the schedule,
Standard Webhooks signing), shared with the publishers' console; the events are
shop.merchants.events'."""

from flask import jsonify, request

from shop.api import answers, idempotency
from shop.api.blueprint import bp, current_merchant
from shop.api.params import query_params, whole_number
from shop.api.schemas import EndpointIn, ResendIn
from shop.errors import NotFound
from shop.merchants.events import OWNER_TYPE
from shop.notify import webhooks
from shop.transaction import transaction
from shop.web import answers_json

MAX_EVENTS = 100
_DATA = {webhooks.TEST_EVENT: answers.TestEventData}  # every other event is a shipment's


def endpoint_json(endpoint, *, secret: bool = False) -> answers.EndpointOut:
    shown = {"secret": endpoint.secret} if secret else {}
    return answers.EndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=endpoint.event_types,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        secret_hint=endpoint.secret_hint,
        created_at=endpoint.created_at,
        **shown,
    )


def event_json(event) -> answers.FeedEvent:
    return answers.FeedEvent(
        id=event.id,
        type=event.type,
        created_at=event.created_at,
        data=_DATA.get(event.type, answers.ShipmentEventData).model_validate(event.data),
    )


@bp.post("/webhook-endpoints")
@answers_json
def create_endpoint():
    def create(merchant, asked: EndpointIn) -> idempotency.Answer:
        made = webhooks.create_endpoint(
            OWNER_TYPE, merchant.id, asked.url, asked.description, asked.event_types
        )
        return idempotency.Answer(201, endpoint_json(made, secret=True).body())

    return idempotency.post_once(EndpointIn, create)


@bp.get("/webhook-endpoints")
@answers_json
def list_endpoints():
    query_params(request.args, ())
    found = webhooks.list_endpoints(OWNER_TYPE, current_merchant().id)
    return jsonify(
        answers.EndpointList(data=[endpoint_json(view.endpoint) for view in found]).body()
    )


def _endpoint_id(raw: int) -> int:
    if not 1 <= raw <= 2**31 - 1:
        raise NotFound("There is no such webhook endpoint.")
    return raw


@bp.delete("/webhook-endpoints/<int:endpoint_id>")
@answers_json
def delete_endpoint(endpoint_id: int):
    with transaction():
        webhooks.delete_endpoint(_endpoint_id(endpoint_id), OWNER_TYPE, current_merchant().id)
    return "", 204


@bp.get("/events")
@answers_json
def list_events():
    args = query_params(request.args, ("after", "limit"))
    after = whole_number(args.get("after"), "after", default=0, lowest=0, highest=2**31 - 1)
    limit = whole_number(args.get("limit"), "limit", default=MAX_EVENTS, lowest=1,
                         highest=MAX_EVENTS)  # fmt: skip
    found = webhooks.events_after(OWNER_TYPE, current_merchant().id, after, limit)
    return jsonify(answers.EventList(data=[event_json(event) for event in found]).body())


@bp.post("/events/<int:event_id>/resend")
@answers_json
def resend_event(event_id: int):
    def resend(merchant, asked: ResendIn) -> idempotency.Answer:
        if not 1 <= event_id <= 2**31 - 1:
            raise NotFound("There is no such event.")
        queued = webhooks.resend(event_id, OWNER_TYPE, merchant.id, endpoint_id=asked.endpoint_id)
        return idempotency.Answer(202, answers.Queued(queued=len(queued)).body())

    return idempotency.post_once(ResendIn, resend, body_optional=True)
