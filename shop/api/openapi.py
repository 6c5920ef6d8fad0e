"""`GET /api/v1/openapi.json`: the API described as OpenAPI 3.1, and `GET /api/docs`, the same
description as a page (Redoc, vendored in static/vendor/redoc: nothing is fetched from
elsewhere).

The document is built from what the views use: the bodies from shop.api.schemas, the answers
from shop.api.answers (the classes the views serve through), the parameters from one table here
(OPERATIONS) that names each endpoint's query parameters exactly as the views read them
(`query_params` refuses any other), and every error an endpoint may answer, with its codes.
tests/integration/test_api_schema.py checks the table against the app's routes, and a
schemathesis run checks what is served against the document."""

from dataclasses import dataclass, field
from functools import cache

from flask import Blueprint, Response, json, render_template
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shop.api import answers, schemas
from shop.api.blueprint import bp
from shop.api.idempotency import KEY_LENGTH
from shop.api.params import FLAGS, MAX_VALUE
from shop.api.webhooks_views import MAX_EVENTS
from shop.branches.service import MAX_LIMIT, MAX_NEAR, NEAR
from shop.fulfillment.models import PackageState
from shop.merchants.shipments import PAGE_SIZE
from shop.web import CSP

docs_bp = Blueprint("api_docs", __name__)

VERSION = "1.0.0"
REF = "#/components/schemas/{model}"
ID_MAX = 2**31 - 1
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"  # the shop refuses a control character in an address


@dataclass(frozen=True)
class Answer:
    """A success answer: its status, what it holds and what it means."""

    status: int
    model: type[BaseModel] | str | None  # a model, "pdf", or None (no body)
    description: str
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as OpenAPI writes it, under /api/v1
    operation_id: str
    tag: str
    summary: str
    description: str
    answers: tuple[Answer, ...]
    # {status: error codes} beyond what every operation may answer (COMMON_ERRORS)
    errors: dict[int, tuple[str, ...]] = field(default_factory=dict)
    query: tuple[dict, ...] = ()
    path_params: tuple[dict, ...] = ()
    body: type[BaseModel] | None = None
    body_required: bool = True

    @property
    def posts(self) -> bool:
        return self.method == "post"


# What any request may be refused with, whichever endpoint it asks.
COMMON_ERRORS = {
    400: ("bad_request",),  # a character the shop can't read in the address or a header
    401: ("unauthorized",),
    403: ("merchant_suspended",),
    429: ("rate_limited", "too_many_bad_keys"),
}
# ... what a request that may carry a body (POST, DELETE) may be refused with for its body:
# one sent must be readable JSON (a DELETE needs none) ...
BODY_ERRORS = {
    400: ("bad_json",),
    413: ("too_large",),
    415: ("unsupported_media_type",),
    422: ("invalid_input",),
}
# ... and a POST for its fields and its Idempotency-Key.
POST_ERRORS = {
    409: ("idempotency_key_reused",),
    422: ("invalid_input", "unknown_field"),
}
ERROR_MEANINGS = {
    400: "The request can't be read.",
    401: "No key, or a malformed, unknown or revoked one.",
    403: "The merchant is suspended.",
    404: "Not found (another merchant's reads the same).",
    409: "Not now: the state of things refuses it.",
    413: "The body is over 1 MB.",
    415: "The body isn't JSON.",
    422: "A parameter or field is wrong: `field` names it.",
    429: "Too many requests: wait `Retry-After` seconds.",
}
HEADERS = {
    "Location": {"description": "The new shipment's address.", "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "`true` when this is the first answer to this Idempotency-Key, again.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}},
    "WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}},
}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


def _limit(highest: int, default: int) -> dict:
    return _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": highest, "default": default},
        "How many to answer with at most.",
    )


TRACKING_NUMBER = {
    "name": "tracking_number",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 64},
    "description": "The shipment's tracking number.",
}
SHIPMENT_404 = {404: ("shipment_not_found",)}
SHIPMENT = (Answer(200, answers.ShipmentOut, "The shipment, as it is now."),)

OPERATIONS = (
    Operation(
        "get",
        "/branches",
        "listBranches",
        "Branches",
        "Find pickup branches",
        "The stores a shipment may be picked up at, as the shop's branch picker finds them: "
        "by words (`q`), nearest first (`near`), and whether they take a frozen parcel.",
        (Answer(200, answers.BranchList, "The branches found."),),
        errors={422: ("invalid_input", "unknown_parameter")},
        query=(
            _query(
                "q",
                {"type": "string", "maxLength": MAX_VALUE, "pattern": PRINTABLE},
                "Words of the branch's name, address, city or code.",
            ),
            _query(
                "near",
                {
                    "type": "string",
                    "maxLength": MAX_NEAR,
                    "pattern": NEAR.pattern,
                    "examples": ["14.5547,121.0244"],
                },
                "`latitude,longitude` in degrees: nearest first.",
            ),
            _query(
                "frozen",
                {"type": "string", "enum": sorted(FLAGS)},
                "`true`: only branches that keep frozen parcels are available.",
            ),
            _limit(MAX_LIMIT, 20),
        ),
    ),  # fmt: skip
    Operation(
        "post",
        "/shipments",
        "createShipment",
        "Shipments",
        "Create a shipment",
        "A label for a prepaid order (with its CLAIM CODE) or a COD order (with its PAY & CLAIM "
        "code): the shelf slot at `branch_code` is held for it. With `drop_off_branch_code` the "
        "seller drops the parcel off at that store instead of the DC.",
        (
            Answer(
                201,
                answers.ShipmentOut,
                "The shipment, its codes and its label.",
                ("Location", "Idempotent-Replayed"),
            ),
        ),
        errors={
            409: ("duplicate_reference",),
            422: ("parcel_too_large", "branch_unavailable"),
        },
        body=schemas.ShipmentIn,
    ),  # fmt: skip
    Operation(
        "get",
        "/shipments",
        "listShipments",
        "Shipments",
        "List your shipments",
        "Newest first, a page at a time: pass `next_cursor` back as `cursor`.",
        (Answer(200, answers.ShipmentPage, "A page of shipments."),),
        errors={422: ("invalid_input", "unknown_parameter", "invalid_cursor")},
        query=(
            _query(
                "status",
                {"type": "string", "enum": [state.value for state in PackageState]},
                "Only shipments in this state.",
            ),
            _query(
                "created_after",
                {"type": "string", "format": "date-time"},
                "Only shipments made after this moment (with its offset).",
            ),
            _query(
                "cursor",
                {"type": "string", "minLength": 1, "maxLength": MAX_VALUE, "pattern": PRINTABLE},
                "The last page's `next_cursor`.",
            ),
            _limit(100, PAGE_SIZE),
        ),
    ),  # fmt: skip
    Operation(
        "get",
        "/shipments/{tracking_number}",
        "getShipment",
        "Shipments",
        "Get a shipment",
        "The shipment, its status and its timeline.",
        SHIPMENT,
        errors=SHIPMENT_404,
        path_params=(TRACKING_NUMBER,),
    ),
    Operation(
        "get",
        "/shipments/{tracking_number}/label",
        "getShipmentLabel",
        "Shipments",
        "Get a shipment's label",
        "The shipping label: a PDF with the tracking number as a Code 128 barcode, the pickup "
        "branch and, for a seller's drop-off, the store it is dropped off at.",
        (Answer(200, "pdf", "The label."),),
        errors=SHIPMENT_404,
        path_params=(TRACKING_NUMBER,),
    ),  # fmt: skip
    Operation(
        "post",
        "/shipments/{tracking_number}/cancel",
        "cancelShipment",
        "Shipments",
        "Cancel a shipment",
        "Before the parcel is dropped off: its shelf slot is freed. Later: 409 `invalid_state`.",
        SHIPMENT,
        errors={**SHIPMENT_404, 409: ("invalid_state",)},
        path_params=(TRACKING_NUMBER,),
        body=schemas.CancelIn,
        body_required=False,
    ),  # fmt: skip
    Operation(
        "post",
        "/shipments/{tracking_number}/branch",
        "changeShipmentBranch",
        "Shipments",
        "Change the pickup branch",
        "Before the package arrives at its branch, with the branch picker's rules. Later: 409 "
        "`invalid_state`.",
        SHIPMENT,
        errors={
            **SHIPMENT_404,
            409: ("invalid_state",),
            422: ("branch_unavailable", "same_branch"),
        },
        path_params=(TRACKING_NUMBER,),
        body=schemas.BranchIn,
    ),  # fmt: skip
    Operation(
        "post",
        "/shipments/{tracking_number}/returns",
        "requestReturn",
        "Shipments",
        "Request a return",
        "A RETURN CODE for a claimed shipment, inside the return window: the buyer drops the "
        "parcel off at a counter with it. Asked again, the same return (200).",
        (
            Answer(201, answers.ReturnOut, "The return, new."),
            Answer(200, answers.ReturnOut, "The return asked for before."),
        ),
        errors={**SHIPMENT_404, 409: ("not_picked_up", "return_window_closed", "already_returned")},
        path_params=(TRACKING_NUMBER,),
        body=schemas.ReturnIn,
        body_required=False,
    ),  # fmt: skip
    Operation(
        "post",
        "/webhook-endpoints",
        "createWebhookEndpoint",
        "Webhooks",
        "Register a webhook endpoint",
        "Where `shipment.*` events are sent, signed per Standard Webhooks. The signing secret "
        "is in this answer only.",
        (
            Answer(
                201, answers.EndpointOut, "The endpoint, with its secret.", ("Idempotent-Replayed",)
            ),
        ),
        errors={409: ("too_many_endpoints",), 422: ("unsafe_url", "unresolvable_url")},
        body=schemas.EndpointIn,
    ),  # fmt: skip
    Operation(
        "get",
        "/webhook-endpoints",
        "listWebhookEndpoints",
        "Webhooks",
        "List webhook endpoints",
        "Your endpoints (their secrets are not shown again).",
        (Answer(200, answers.EndpointList, "The endpoints."),),
        errors={422: ("unknown_parameter",)},
    ),
    Operation(
        "delete",
        "/webhook-endpoints/{endpoint_id}",
        "deleteWebhookEndpoint",
        "Webhooks",
        "Delete a webhook endpoint",
        "Nothing more is sent to it.",
        (Answer(204, None, "Deleted."),),
        errors={404: ("not_found",)},
        path_params=(
            {
                "name": "endpoint_id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX},
            },
        ),
    ),  # fmt: skip
    Operation(
        "get",
        "/events",
        "listEvents",
        "Webhooks",
        "Read the event feed",
        "Your events in id order, after `after`: a receiver that was down catches up from the "
        "last id it has.",
        (Answer(200, answers.EventList, "The events."),),
        errors={422: ("invalid_input", "unknown_parameter")},
        query=(
            _query(
                "after",
                {"type": "integer", "minimum": 0, "maximum": ID_MAX, "default": 0},
                "The last event id you have.",
            ),
            _limit(MAX_EVENTS, MAX_EVENTS),
        ),
    ),  # fmt: skip
    Operation(
        "post",
        "/events/{event_id}/resend",
        "resendEvent",
        "Webhooks",
        "Resend an event",
        "Queue the event again, for every enabled endpoint that takes it, or for one.",
        (Answer(202, answers.Queued, "Queued.", ("Idempotent-Replayed",)),),
        errors={404: ("not_found",), 409: ("endpoint_disabled",)},
        path_params=(
            {
                "name": "event_id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX},
            },
        ),
        body=schemas.ResendIn,
        body_required=False,
    ),  # fmt: skip
)

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": KEY_LENGTH, "pattern": "^[!-~]+$"},
    "description": "Any unique string (a UUID): the same key with the same body answers the "
    "first answer again for 24 hours; with another body, 409 `idempotency_key_reused`.",
}


def _errors_of(operation: Operation) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    takes_body = operation.method in ("post", "delete")
    tables = (
        COMMON_ERRORS,
        BODY_ERRORS if takes_body else {},
        POST_ERRORS if operation.posts else {},
        operation.errors,
    )
    for table in tables:
        for status, codes in table.items():
            found.setdefault(status, [])
            found[status] += [code for code in codes if code not in found[status]]
    return {status: tuple(found[status]) for status in sorted(found)}


def _error_response(status: int, codes: tuple[str, ...]) -> dict:
    listed = ", ".join(f"`{code}`" for code in codes)
    response = {
        "description": f"{ERROR_MEANINGS[status]} Codes: {listed}.",
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [
                        {"$ref": REF.format(model="ErrorOut")},
                        {"properties": {"error": {"properties": {"code": {"enum": list(codes)}}}}},
                    ]
                }
            }
        },
    }
    if status == 429:
        response["headers"] = {"Retry-After": HEADERS["Retry-After"]}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": HEADERS["WWW-Authenticate"]}
    return response


def _success_response(answer: Answer) -> dict:
    response: dict = {"description": answer.description}
    if answer.model == "pdf":
        response["content"] = {
            "application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}
        }
    elif answer.model is not None:
        response["content"] = {
            "application/json": {"schema": {"$ref": REF.format(model=answer.model.__name__)}}
        }
    if answer.headers:
        response["headers"] = {name: HEADERS[name] for name in answer.headers}
    return response


def _operation(operation: Operation) -> dict:
    found = {
        "operationId": operation.operation_id,
        "tags": [operation.tag],
        "summary": operation.summary,
        "description": operation.description,
        "parameters": [
            *operation.path_params,
            *operation.query,
            *([IDEMPOTENCY_KEY] if operation.posts else []),
        ],
        "responses": {
            **{str(answer.status): _success_response(answer) for answer in operation.answers},
            **{
                str(status): _error_response(status, codes)
                for status, codes in _errors_of(operation).items()
            },
        },
    }
    if operation.body is not None:
        media = {"schema": {"$ref": REF.format(model=operation.body.__name__)}}
        examples = (operation.body.model_config.get("json_schema_extra") or {}).get("examples")
        if examples:
            media["example"] = examples[0]  # what Redoc shows as the request's sample
        found["requestBody"] = {
            "required": operation.body_required,
            "content": {"application/json": media},
        }
    return found


def _models() -> list[tuple[type[BaseModel], str]]:
    bodies = {operation.body for operation in OPERATIONS if operation.body is not None}
    served = {
        answer.model
        for operation in OPERATIONS
        for answer in operation.answers
        if isinstance(answer.model, type)
    }
    return [(model, "validation") for model in sorted(bodies, key=lambda m: m.__name__)] + [
        (model, "serialization")
        for model in sorted(served | {answers.ErrorOut}, key=lambda m: m.__name__)
    ]


@cache
def document() -> dict:
    """The OpenAPI 3.1 document (the same for every request: built once a process)."""
    _, definitions = models_json_schema(_models(), ref_template=REF)
    paths: dict[str, dict] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CLiQQ Shop API",
            "version": VERSION,
            "summary": "Shipping labels, COD and tracking through 7-Eleven branches.",
            "description": (
                "Create shipments (prepaid or cash on delivery) to be picked up at a 7-Eleven "
                "branch, follow them, and be told when they move. Amounts are centavos; "
                "moments are RFC 3339. The guide, with examples: docs/api.md."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"secretKey": []}],
        "tags": [
            {"name": "Branches", "description": "Where shipments are picked up."},
            {"name": "Shipments", "description": "Labels, codes, cancels, branches, returns."},
            {"name": "Webhooks", "description": "Signed `shipment.*` events, and their feed."},
        ],
        "paths": paths,
        "components": {
            "schemas": definitions["$defs"],
            "securitySchemes": {
                "secretKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "`Authorization: Bearer sk_...`: a secret key from the "
                    "merchant console or `flask shop create-merchant`.",
                }
            },
        },
    }


@cache
def _document_bytes() -> bytes:
    return json.dumps(document(), sort_keys=False, indent=None).encode()


@bp.get("/openapi.json")
def openapi_json():
    response = Response(_document_bytes(), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# Redoc draws with inline styles (styled-components) and searches in a worker made from a blob:
# the docs page alone allows both. It fetches nothing but the document, from here.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + (
    "; worker-src 'self' blob:"
)


@docs_bp.get("/api/docs")
def api_docs():
    response = Response(render_template("api/docs.html"))
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response
