"""The merchant API's shipments (issue #12, points 1, 2 and 4) on both databases: a prepaid and
a cash-on-delivery shipment made, read back and labelled; every refusal of DESIGN.md's table
(parcel_too_large, branch_unavailable for an unknown, closed, full or non-frozen branch) and
of the body's shape (unknown fields, numbers in quotes, missing fields, not JSON), each the one
JSON error body and no row written; another merchant's shipment is a 404; Idempotency-Key
replays, refuses a different body, and two requests at once make one shipment (PostgreSQL)."""

import copy

import pytest
import sqlalchemy as sa

from shop.extensions import db
from shop.fulfillment.models import Package, Shipment
from shop.merchants.models import IdempotentRequest, MerchantShipment
from tests.integration.test_api_keys import auth, error_of, new_merchant
from tests.integration.test_payments import _race


@pytest.fixture
def merchant(app):
    return new_merchant(app)


@pytest.fixture
def branch(make):
    return make.branch(name="7-Eleven Ayala Triangle", frozen=True, shelf_capacity=10)


def body(branch, **changes) -> dict:
    sent = {
        "reference": "ORDER-1001",
        "payment": "prepaid",
        "branch_code": branch.code,
        "recipient": {
            "name": "Juan dela Cruz",
            "phone": "0917 123 4567",
            "email": "juan@example.com",
        },
        "parcel": {"length_cm": 20, "width_cm": 15.5, "height_cm": 10, "weight_g": 800},
    }
    for path, value in changes.items():
        *parents, last = path.split("__")
        place = sent
        for name in parents:
            place = place[name]
        if value is DROP:
            place.pop(last)
        else:
            place[last] = value
    return sent


DROP = object()


def post(client, secret, sent, key=None, **kwargs):
    headers = auth(secret) | ({"Idempotency-Key": key} if key else {})
    return client.post("/api/v1/shipments", json=sent, headers=headers, **kwargs)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_prepaid_shipment_made_read_and_labelled(app, client, merchant, branch):
    _, secret = merchant
    made = post(client, secret, body(branch))
    assert made.status_code == 201, made.get_json()
    shipment = made.get_json()
    number = shipment["tracking_number"]
    assert len(number) == 12 and shipment["status"] == "label_issued"
    assert len(shipment["claim_code"]) == 14 and "reference_code" not in shipment
    assert shipment["branch"]["code"] == branch.code and shipment["amount_due"] == 0
    assert shipment["recipient"]["phone"] == "+639171234567"  # as the shop keeps numbers
    assert made.headers["Location"].endswith(f"/api/v1/shipments/{number}")
    assert shipment["label_url"].endswith(f"/api/v1/shipments/{number}/label")
    read = client.get(f"/api/v1/shipments/{number}", headers=auth(secret))
    assert read.status_code == 200 and read.get_json() == shipment
    assert [e["status"] for e in shipment["events"]] == ["label_issued"]
    label = client.get(f"/api/v1/shipments/{number}/label", headers=auth(secret))
    assert label.status_code == 200 and label.mimetype == "application/pdf"
    assert label.data.startswith(b"%PDF")
    with app.app_context():
        found = db.session.scalars(sa.select(Shipment)).one()
        assert found.source == "tindahan-ph" and found.reference == "ORDER-1001"


def test_a_cod_shipment_and_a_sellers_drop_off_at_a_store(app, client, merchant, branch, make):
    _, secret = merchant
    store = make.branch(name="7-Eleven Makati Ave")
    sent = body(branch, payment="cod", amount_due=125_000, drop_off_branch_code=store.code)
    made = post(client, secret, sent)
    assert made.status_code == 201, made.get_json()
    shipment = made.get_json()
    assert shipment["amount_due"] == 125_000 and shipment["reference_code"].startswith("3")
    assert shipment["drop_off_branch_code"] == store.code
    with app.app_context():
        from shop.fulfillment import labels

        package = db.session.scalars(sa.select(Package)).one()
        content = labels.label_content(package, origin_id=store.id)
    assert store.code in content.routing and "COD" in content.payment_line


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"parcel__length_cm": 31}, "parcel_too_large", "parcel"),
        ({"parcel__weight_g": 10_001}, "parcel_too_large", "parcel"),
        ({"branch_code": "9999"}, "branch_unavailable", "branch_code"),
        ({"drop_off_branch_code": "9999"}, "branch_unavailable", "drop_off_branch_code"),
        ({"payment": "cod"}, "invalid_input", "amount_due"),
        ({"payment": "cod", "amount_due": 5_000_001}, "invalid_input", "amount_due"),
        ({"amount_due": 500}, "invalid_input", "amount_due"),
        ({"payment": "card"}, "invalid_input", "payment"),
        ({"parcel__weight_g": "800"}, "invalid_input", "parcel.weight_g"),
        ({"parcel__length_cm": "20"}, "invalid_input", "parcel.length_cm"),
        ({"parcel__weight_g": 1.5}, "invalid_input", "parcel.weight_g"),
        ({"parcel__frozen": "yes"}, "invalid_input", "parcel.frozen"),
        ({"parcel__colour": "red"}, "unknown_field", "parcel.colour"),
        ({"extra": 1}, "unknown_field", "extra"),
        ({"recipient": DROP}, "invalid_input", "recipient"),
        ({"recipient": "Juan"}, "invalid_input", "recipient"),
        ({"recipient__phone": "12"}, "invalid_input", "recipient.phone"),
        ({"recipient__email": "juan"}, "invalid_input", "recipient.email"),
        ({"reference": ""}, "invalid_input", "reference"),
        ({"reference": "has space"}, "invalid_input", "reference"),
        ({"reference": "R" * 65}, "invalid_input", "reference"),
        ({"parcel__length_cm": -1}, "invalid_input", "parcel.length_cm"),
        ({"parcel__height_cm": 1e400}, "invalid_input", "parcel.height_cm"),
    ],
)
def test_each_refusal_is_a_json_error_and_writes_nothing(app, client, merchant, branch,
                                                         changes, code, field):  # fmt: skip
    _, secret = merchant
    response = post(client, secret, body(branch, **changes))
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, field)
    assert count(app, Shipment) == 0 and count(app, IdempotentRequest) == 0


@pytest.mark.parametrize("state", ["full", "closed", "not frozen"])
def test_a_branch_that_cant_take_it_is_branch_unavailable(app, client, merchant, make, state):
    _, secret = merchant
    kinds = {
        "full": {"shelf_capacity": 3, "reserved": 3},
        "closed": {"active": False},
        "not frozen": {"frozen": False},
    }
    branch = make.branch(**kinds[state])
    response = post(client, secret, body(branch, parcel__frozen=True))
    assert response.status_code == 422 and error_of(response)["code"] == "branch_unavailable"
    assert count(app, Shipment) == 0


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[]", "application/json", 422),
        (b'"text"', "application/json", 422),
        (b"reference=1", "application/x-www-form-urlencoded", 415),
        (b'{"reference": 1}', "text/plain", 415),
        (b"[" * 5000 + b"]" * 5000, "application/json", 400),
        (b'{"reference": "a\\u0000b"}', "application/json", 400),  # NUL: the input guard
    ],
)
def test_a_body_that_isnt_a_json_object_is_a_4xx(app, client, merchant, data, content_type,
                                                 status):  # fmt: skip
    _, secret = merchant
    response = client.post(
        "/api/v1/shipments", data=data, content_type=content_type, headers=auth(secret)
    )
    assert response.status_code == status, response.data[:200]
    error_of(response)
    assert count(app, Shipment) == 0


def test_another_merchants_shipment_is_a_404(app, client, merchant, branch):
    _, secret = merchant
    number = post(client, secret, body(branch)).get_json()["tracking_number"]
    _, other = new_merchant(app, "Other shop")
    for path in (f"/api/v1/shipments/{number}", f"/api/v1/shipments/{number}/label"):
        response = client.get(path, headers=auth(other))
        assert response.status_code == 404 and error_of(response)["code"] == "shipment_not_found"
    for junk in ("000000000000", "junk", "7" * 300):
        assert client.get(f"/api/v1/shipments/{junk}", headers=auth(secret)).status_code == 404


def test_a_reference_is_one_shipment_per_merchant(app, client, merchant, branch):
    _, secret = merchant
    assert post(client, secret, body(branch)).status_code == 201
    again = post(client, secret, body(branch))
    assert again.status_code == 409 and error_of(again)["code"] == "duplicate_reference"
    _, other = new_merchant(app, "Other shop")
    assert post(client, other, body(branch)).status_code == 201  # another merchant's own
    assert count(app, Shipment) == 2


def test_an_idempotency_key_replays_the_first_answer(app, client, merchant, branch):
    _, secret = merchant
    first = post(client, secret, body(branch), key="order-1001-try")
    again = post(client, secret, body(branch), key="order-1001-try")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(app, Shipment) == 1
    other = post(client, secret, body(branch, reference="ORDER-1002"), key="order-1001-try")
    assert other.status_code == 409 and error_of(other)["code"] == "idempotency_key_reused"
    # The same JSON written another way is the same request; another merchant's key is its own.
    reordered = dict(reversed(list(copy.deepcopy(body(branch)).items())))
    assert post(client, secret, reordered, key="order-1001-try").status_code == 201
    _, theirs = new_merchant(app, "Other shop")
    assert post(client, theirs, body(branch), key="order-1001-try").get_json()["reference"]
    assert count(app, Shipment) == 2


def test_a_refused_request_keeps_no_key(app, client, merchant, branch):
    _, secret = merchant
    refused = post(client, secret, body(branch, branch_code="9999"), key="k-1")
    assert refused.status_code == 422
    assert post(client, secret, body(branch), key="k-1").status_code == 201  # fixed, then made


@pytest.mark.parametrize("key", ["", "a b", "x" * 256, "caf\u00e9"])
def test_a_malformed_idempotency_key_is_refused(app, client, merchant, branch, key):
    _, secret = merchant
    response = client.post(
        "/api/v1/shipments", json=body(branch), headers=auth(secret) | {"Idempotency-Key": key}
    )
    assert response.status_code in (400, 422)
    error_of(response)
    assert count(app, Shipment) == 0


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite serializes every writer")


def test_two_requests_at_once_with_one_key_make_one_shipment(app, merchant, branch, postgres_only):
    _, secret = merchant

    def send(_):
        return post(app.test_client(), secret, body(branch), key="same-key").status_code

    results = _race(4, send)
    assert sorted(results) == [201, 201, 201, 201], results
    assert count(app, Shipment) == 1 and count(app, MerchantShipment) == 1


def test_two_requests_at_once_without_a_key_make_one_shipment_per_reference(
    app, merchant, branch, postgres_only
):
    _, secret = merchant

    def send(_):
        return post(app.test_client(), secret, body(branch)).status_code

    results = _race(4, send)
    assert sorted(results) == [201, 409, 409, 409], results
    assert count(app, Shipment) == 1


def test_a_key_is_honoured_a_day_then_forgotten_by_the_tick(app, client, merchant, branch, clock):
    from shop.cli import run_tick

    _, secret = merchant
    assert post(client, secret, body(branch), key="daily").status_code == 201
    clock.advance(hours=23)
    assert post(client, secret, body(branch), key="daily").headers["Idempotent-Replayed"]
    clock.advance(hours=2)
    with app.app_context():
        assert "Forgot 1 idempotency key older than 24 hours." in run_tick()
    assert count(app, IdempotentRequest) == 0
    # Forgotten: the key is new again (and the reference, already used, says so).
    again = post(client, secret, body(branch), key="daily")
    assert again.status_code == 409 and error_of(again)["code"] == "duplicate_reference"


# --- cancel, and the list -------------------------------------------------------------------


def _reserved(app, branch) -> int:
    from shop.branches.models import Branch

    with app.app_context():
        return db.session.get(Branch, branch.id).reserved


def test_a_shipment_cancelled_before_drop_off_gives_its_shelf_slot_back(app, client, merchant,
                                                                       branch):  # fmt: skip
    _, secret = merchant
    number = post(client, secret, body(branch)).get_json()["tracking_number"]
    assert _reserved(app, branch) == 1
    path = f"/api/v1/shipments/{number}/cancel"
    _, other = new_merchant(app, "Other shop")
    assert client.post(path, headers=auth(other)).status_code == 404
    cancelled = client.post(
        path, json={"reason": "The buyer changed their mind"}, headers=auth(secret) | {
            "Idempotency-Key": "cancel-1"}
    )  # fmt: skip
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["status"] == "cancelled"
    assert [e["status"] for e in cancelled.get_json()["events"]] == ["label_issued", "cancelled"]
    assert _reserved(app, branch) == 0
    replayed = client.post(
        path, json={"reason": "The buyer changed their mind"},
        headers=auth(secret) | {"Idempotency-Key": "cancel-1"},
    )  # fmt: skip
    assert replayed.status_code == 200 and replayed.headers["Idempotent-Replayed"] == "true"
    again = client.post(path, headers=auth(secret))
    assert again.status_code == 409 and error_of(again)["code"] == "invalid_state"
    assert _reserved(app, branch) == 0


def test_a_dropped_off_shipment_cant_be_cancelled(app, client, merchant, branch, make):
    from shop.auth.models import Role
    from shop.fulfillment import service as ecms
    from shop.fulfillment.lifecycle import Actor

    _, secret = merchant
    number = post(client, secret, body(branch)).get_json()["tracking_number"]
    with app.app_context():
        dc_id = ecms.distribution_center_id()
    dc = make.user(Role.DC, branch_id=dc_id or make.branch(kind="dc", code="DC-PASIG").id)
    with app.app_context():
        ecms.drop_off(number, Actor.of(dc))
    refused = client.post(f"/api/v1/shipments/{number}/cancel", headers=auth(secret))
    assert refused.status_code == 409 and error_of(refused)["code"] == "invalid_state"
    assert client.get(f"/api/v1/shipments/{number}", headers=auth(secret)).get_json()[
        "status"] == "received"  # fmt: skip


@pytest.mark.parametrize("sent", [[], "no", {"reason": 5}, {"why": "x"}])
def test_a_cancel_with_a_bad_body_is_refused(app, client, merchant, branch, sent):
    _, secret = merchant
    number = post(client, secret, body(branch)).get_json()["tracking_number"]
    response = client.post(f"/api/v1/shipments/{number}/cancel", json=sent, headers=auth(secret))
    assert response.status_code == 422
    error_of(response)
    assert _reserved(app, branch) == 1


def test_the_list_newest_first_by_pages_and_filters(app, client, merchant, branch, clock):
    from datetime import UTC, datetime, timedelta, timezone

    _, secret = merchant
    clock.set(datetime(2026, 11, 30, 4, 0, tzinfo=UTC))
    numbers = []
    for n in range(3):
        numbers.append(
            post(client, secret, body(branch, reference=f"R-{n}")).get_json()["tracking_number"]
        )
        clock.advance(minutes=10)
    _, other = new_merchant(app, "Other shop")
    post(client, other, body(branch, reference="THEIRS"))
    client.post(f"/api/v1/shipments/{numbers[0]}/cancel", headers=auth(secret))
    first = client.get("/api/v1/shipments?limit=2", headers=auth(secret)).get_json()
    assert [s["tracking_number"] for s in first["data"]] == [numbers[2], numbers[1]]
    rest = client.get(
        f"/api/v1/shipments?limit=2&cursor={first['next_cursor']}", headers=auth(secret)
    ).get_json()
    assert [s["tracking_number"] for s in rest["data"]] == [numbers[0]]
    assert rest["next_cursor"] is None
    cancelled = client.get("/api/v1/shipments?status=cancelled", headers=auth(secret)).get_json()
    assert [s["reference"] for s in cancelled["data"]] == ["R-0"]
    since = datetime(2026, 11, 30, 12, 5, tzinfo=timezone(timedelta(hours=8))).isoformat()
    later = client.get(
        "/api/v1/shipments", query_string={"created_after": since}, headers=auth(secret)
    ).get_json()
    assert {s["reference"] for s in later["data"]} == {"R-1", "R-2"}


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("status=lost", "invalid_input", "status"),
        ("cursor=bm9wZQ", "invalid_cursor", "cursor"),
        ("cursor=%%%", "invalid_cursor", "cursor"),
        ("created_after=2026-12-01", "invalid_input", "created_after"),
        ("created_after=yesterday", "invalid_input", "created_after"),
        ("limit=500", "invalid_input", "limit"),
        ("state=cancelled", "unknown_parameter", "state"),
    ],
)
def test_a_bad_list_parameter_is_a_422(app, client, merchant, query, code, field):
    _, secret = merchant
    response = client.get(f"/api/v1/shipments?{query}", headers=auth(secret))
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == (code, field)


# --- the branch, and returns --------------------------------------------------------------------


def _move(app, number, *actions):
    from shop.fulfillment import service as ecms
    from shop.fulfillment.lifecycle import Action

    with app.app_context():
        package = ecms.get_package(number)
        for action in actions:
            ecms.transition(package, Action(action))
        db.session.commit()


TO_BRANCH = ("drop_off", "accept", "dispatch", "arrive")


def test_the_pickup_branch_changes_before_arrival_only(app, client, merchant, branch, make):
    _, secret = merchant
    number = post(client, secret, body(branch)).get_json()["tracking_number"]
    other_branch = make.branch(name="7-Eleven Cubao Aurora", frozen=True)
    path = f"/api/v1/shipments/{number}/branch"
    moved = client.post(path, json={"branch_code": other_branch.code}, headers=auth(secret))
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["branch"]["code"] == other_branch.code
    assert _reserved(app, branch) == 0 and _reserved(app, other_branch) == 1
    same = client.post(path, json={"branch_code": other_branch.code}, headers=auth(secret))
    assert same.status_code == 422 and error_of(same)["code"] == "same_branch"
    unknown = client.post(path, json={"branch_code": "9999"}, headers=auth(secret))
    assert unknown.status_code == 422 and error_of(unknown)["code"] == "branch_unavailable"
    for sent in ({}, {"branch_code": 12}, {"branch_code": "0412", "x": 1}, []):
        assert client.post(path, json=sent, headers=auth(secret)).status_code == 422
    _, theirs = new_merchant(app, "Other shop")
    assert client.post(path, json={"branch_code": branch.code},
                       headers=auth(theirs)).status_code == 404  # fmt: skip
    _move(app, number, *TO_BRANCH)
    late = client.post(path, json={"branch_code": branch.code}, headers=auth(secret))
    assert late.status_code == 409 and error_of(late)["code"] == "invalid_state"


def test_a_claimed_shipment_gets_a_return_code_once(app, client, merchant, branch):
    _, secret = merchant
    number = post(client, secret, body(branch)).get_json()["tracking_number"]
    path = f"/api/v1/shipments/{number}/returns"
    early = client.post(path, headers=auth(secret))
    assert early.status_code == 409 and error_of(early)["code"] == "not_picked_up"
    _move(app, number, *TO_BRANCH, "claim")
    issued = client.post(path, headers=auth(secret))
    assert issued.status_code == 201, issued.get_json()
    found = issued.get_json()
    assert found["return_code"].startswith("4") and len(found["return_code"]) == 14
    assert found["tracking_number"] != number and found["shipment_tracking_number"] == number
    again = client.post(path, headers=auth(secret))
    assert again.status_code == 200 and again.get_json()["return_code"] == found["return_code"]
    _, theirs = new_merchant(app, "Other shop")
    assert client.post(path, headers=auth(theirs)).status_code == 404
    assert client.post(path, json={"why": 1}, headers=auth(secret)).status_code == 422


def test_reading_a_shipment_is_two_statements_whatever_its_timeline(
    app, client, merchant, branch, count_queries
):
    """The key (with its merchant), then the shipment with its branch and every event, in one
    statement: a longer timeline costs no more statements."""
    _, secret = merchant
    number = post(client, secret, body(branch)).get_json()["tracking_number"]
    client.get(f"/api/v1/shipments/{number}", headers=auth(secret))  # the key's last use noted
    with count_queries() as fresh:
        read = client.get(f"/api/v1/shipments/{number}", headers=auth(secret))
    assert read.status_code == 200 and len(read.get_json()["events"]) == 1
    _move(app, number, *TO_BRANCH)
    with count_queries() as moved:
        read = client.get(f"/api/v1/shipments/{number}", headers=auth(secret))
    timeline = [event["status"] for event in read.get_json()["events"]]
    assert timeline == ["label_issued", "received", "accepted", "in_transit", "at_branch"]
    assert len(fresh) == len(moved) == 2, (fresh, moved)
