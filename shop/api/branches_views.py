"""`GET /api/v1/branches`: the stores a shipment may be picked up at, as the picker finds them
(shop.branches.service.search: the same words, the same nearest-first order, the same rule for
frozen parcels)."""

from flask import jsonify, request

from shop.api import answers
from shop.api.blueprint import bp
from shop.api.params import flag, query_params, whole_number
from shop.branches import service as branches
from shop.web import answers_json


def branch_json(choice: branches.BranchChoice) -> answers.BranchOut:
    return answers.BranchOut(
        code=choice.code,
        name=choice.name,
        address=choice.address,
        city=choice.city,
        province=choice.province,
        lat=choice.lat,
        lng=choice.lng,
        hours=choice.hours,
        open_now=choice.open_now,
        frozen=choice.frozen,
        open_capacity=choice.free_capacity,
        distance_km=round(choice.distance_km, 3) if choice.distance_km is not None else None,
        available=choice.selectable,
        unavailable_reason=choice.reason,
    )


@bp.get("/branches")
@answers_json
def list_branches():
    args = query_params(request.args, ("q", "near", "frozen", "limit"))
    query, _ = branches.clean_query(args.get("q"))
    near = branches.parse_near(args["near"]) if args.get("near") else None
    frozen = flag(args.get("frozen"), "frozen")
    limit = whole_number(
        args.get("limit"), "limit", default=20, lowest=1, highest=branches.MAX_LIMIT
    )
    found = branches.search(query, near, frozen_required=frozen, limit=limit)
    return jsonify(answers.BranchList(data=[branch_json(choice) for choice in found]).body())
