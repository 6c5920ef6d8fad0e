"""`POST /api/v1/shipments` and `GET /api/v1/shipments/<tracking number>`: a merchant's
shipments (shop.merchants.shipments holds the rules; this parses, calls and answers)."""

import sqlalchemy as sa
from flask import jsonify, request, url_for

from shop.api import answers, idempotency
from shop.api.blueprint import answer_of, bp, current_merchant, json_body
from shop.api.params import moment, query_params, whole_number
from shop.api.schemas import BranchIn, CancelIn, ReturnIn, ShipmentIn, body_of
from shop.merchants import shipments
from shop.web import answers_json, pdf_response

ATTEMPTS = 3  # a random number drawn twice at once: the whole request again


def shipment_json(found: shipments.ShipmentView) -> dict:
    return answers.ShipmentOut(
        tracking_number=found.tracking_number,
        reference=found.reference,
        status=found.status,
        payment=found.payment,
        amount_due=found.amount_due,
        **{found.code_kind: found.code},
        branch=answers.BranchRef(code=found.branch_code, name=found.branch_name),
        drop_off_branch_code=found.drop_off_branch_code,
        recipient=answers.RecipientOut(
            name=found.recipient_name, phone=found.recipient_phone, email=found.recipient_email
        ),
        parcel=answers.ParcelOut(weight_g=found.weight_g, frozen=found.frozen),
        label_url=url_for(
            "api.shipment_label", tracking_number=found.tracking_number, _external=True
        ),
        created_at=found.created_at,
        events=[
            answers.EventOut(at=event.at, status=event.status, text=event.text, place=event.place)
            for event in found.events
        ],
    ).body()


def _request_of(body: ShipmentIn) -> shipments.Request:
    return shipments.Request(
        reference=body.reference,
        payment=body.payment,
        amount_due=body.amount_due,
        branch_code=body.branch_code,
        drop_off_branch_code=body.drop_off_branch_code,
        recipient_name=body.recipient.name,
        recipient_phone=body.recipient.phone,
        recipient_email=body.recipient.email,
        length_cm=body.parcel.length_cm,
        width_cm=body.parcel.width_cm,
        height_cm=body.parcel.height_cm,
        weight_g=body.parcel.weight_g,
        frozen=body.parcel.frozen,
        contents=body.parcel.contents,
    )


@bp.post("/shipments")
@answers_json
def create_shipment():
    merchant = current_merchant()
    key = idempotency.check_key(request.headers.get("Idempotency-Key"))
    raw = json_body()
    asked = _request_of(body_of(ShipmentIn, raw))
    fingerprint = idempotency.request_hash("POST", request.path, raw)

    def do() -> idempotency.Answer:
        made = shipments.create(merchant, asked)
        return idempotency.Answer(201, shipment_json(made))

    for attempt in range(ATTEMPTS):
        try:
            answer = idempotency.run_once(merchant.id, key, fingerprint, do)
            break
        except sa.exc.IntegrityError:
            # The same reference at the same moment (a retry without a key), or a random
            # number drawn twice: say the one, draw again for the other.
            if shipments.reference_taken(merchant, asked.reference):
                raise shipments.DuplicateReference(field="reference") from None
            if attempt == ATTEMPTS - 1:
                raise
    response = answer_of(answer)
    response.headers["Location"] = url_for(
        "api.get_shipment", tracking_number=answer.body["tracking_number"]
    )
    return response


@bp.get("/shipments")
@answers_json
def list_shipments():
    args = query_params(request.args, ("status", "created_after", "cursor", "limit"))
    limit = whole_number(
        args.get("limit"), "limit", default=shipments.PAGE_SIZE, lowest=1, highest=100
    )
    page = shipments.listing(
        current_merchant(),
        status=args.get("status"),
        created_after=moment(args.get("created_after"), "created_after"),
        cursor=args.get("cursor"),
        limit=limit,
    )
    return jsonify(
        answers.ShipmentPage(
            data=[
                answers.ShipmentListed(
                    tracking_number=found.tracking_number,
                    reference=found.reference,
                    status=found.status,
                    payment=found.payment,
                    amount_due=found.amount_due,
                    branch_code=found.branch_code,
                    created_at=found.created_at,
                    url=url_for("api.get_shipment", tracking_number=found.tracking_number),
                )
                for found in page.shipments
            ],
            next_cursor=page.next_cursor,
        ).body()
    )


@bp.post("/shipments/<tracking_number>/cancel")
@answers_json
def cancel_shipment(tracking_number: str):
    def cancel(merchant, asked: CancelIn) -> idempotency.Answer:
        return idempotency.Answer(
            200, shipment_json(shipments.cancel(merchant, tracking_number, asked.reason))
        )

    return idempotency.post_once(CancelIn, cancel, body_optional=True)


@bp.post("/shipments/<tracking_number>/branch")
@answers_json
def change_branch(tracking_number: str):
    def move(merchant, asked: BranchIn) -> idempotency.Answer:
        moved = shipments.change_branch(merchant, tracking_number, asked.branch_code)
        return idempotency.Answer(200, shipment_json(moved))

    return idempotency.post_once(BranchIn, move)


@bp.post("/shipments/<tracking_number>/returns")
@answers_json
def request_return(tracking_number: str):
    def ask(merchant, _: ReturnIn) -> idempotency.Answer:
        issued = shipments.request_return(merchant, tracking_number)
        return idempotency.Answer(
            200 if issued.repeated else 201,
            answers.ReturnOut(
                return_code=issued.return_code,
                tracking_number=issued.tracking_number,
                shipment_tracking_number=issued.shipment_tracking_number,
                expires_at=issued.expires_at,
            ).body(),
        )

    return idempotency.post_once(ReturnIn, ask, body_optional=True)


@bp.get("/shipments/<tracking_number>")
@answers_json
def get_shipment(tracking_number: str):
    return jsonify(shipment_json(shipments.get(current_merchant(), tracking_number)))


@bp.get("/shipments/<tracking_number>/label")
@answers_json
def shipment_label(tracking_number: str):
    pdf = shipments.label_pdf(current_merchant(), tracking_number)
    return pdf_response(pdf, f"label-{tracking_number}")
