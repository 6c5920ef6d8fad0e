"""Store-to-store (issue #10, point 6), on both databases: a seller creates a shipment to a
buyer through /sellers, prints its label, drops it off at their branch's counter (the clerk),
the DC receives it from that branch, inspects and dispatches it, the destination's clerk takes
it in and releases it against the buyer's PAY & CLAIM code and cash. Who may see and make
what; bad input; a double submit makes one shipment."""

import re
import threading

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.branches.models import Branch, BranchKind
from shop.counter import service as counter
from shop.extensions import db, limiter
from shop.fulfillment import packing
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PackageEvent, PaymentMode, Shipment
from shop.fulfillment.models import PackageState as S
from shop.notify.models import OutboxMessage
from shop.sellers.models import SellerShipment
from tests.conftest import csrf_token, log_in, text
from tests.integration.test_ecms_lifecycle import FITS, call, package

KEY = re.compile(r'name="key" value="([^"]+)"')


@pytest.fixture
def s2s(app, make, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)
    dc = make.branch(code="DC-PASIG", name="DC Pasig", kind=BranchKind.DC, shelf_capacity=5000)
    origin = make.branch(name="7-Eleven Origin Katipunan", shelf_capacity=10)
    dest = make.branch(name="7-Eleven Destination Cubao", shelf_capacity=10, frozen=True)
    seller = make.user(role=Role.SELLER, name="Ate Bing's Crafts")
    other = make.user(role=Role.SELLER, name="Other Seller")
    client = app.test_client()
    assert log_in(client, seller.email).status_code == 302
    return dict(
        client=client,
        dc=dc,
        origin=origin,
        dest=dest,
        seller=seller,
        other=other,
        dc_user=ecms.Actor.of(make.user(role=Role.DC, name="Rosa DC", branch_id=dc.id)),
        origin_clerk=ecms.Actor.of(
            make.user(role=Role.CLERK, name="Olga O", branch_id=origin.id), terminal="POS-1"
        ),
        dest_clerk=ecms.Actor.of(make.user(role=Role.CLERK, name="Dino D", branch_id=dest.id)),
    )


def form(w, client=None, **overrides):
    """A filled new-shipment form, with the key the page issued."""
    client = client or w["client"]
    page = client.get("/sellers/shipments/new")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(client, "/sellers/shipments/new"),
        "key": KEY.search(page.text).group(1),
        "name": "Juan dela Cruz",
        "phone": "0917 123 4567",
        "email": "juan@example.com",
        "branch_code": w["dest"].code,
        "origin_code": w["origin"].code,
        "length": "25",
        "width": "20",
        "height": "10.5",
        "weight": "1.2",
        "contents": "2 crochet bags",
        "payment": "cod",
        "amount": "850.00",
    }
    return data | overrides


def create(w, data, client=None):
    return (client or w["client"]).post("/sellers/shipments", data=data)


def shipment_of(app, response) -> Shipment:
    shipment_id = int(response.headers["Location"].split("/")[3].split("?")[0])
    with app.app_context():
        found = db.session.get(Shipment, shipment_id)
        db.session.expunge(found)
        return found


def numbers(app, shipment_id) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Package.tracking_number).where(Package.shipment_id == shipment_id)
            )
        )


def test_store_to_store_end_to_end(app, s2s):
    w = s2s
    made = create(w, form(w))
    assert made.status_code == 303
    shipment = shipment_of(app, made)
    assert shipment.source == f"seller:{w['seller'].id}"
    assert shipment.payment is PaymentMode.COD and shipment.amount_due == 85000
    assert shipment.branch_id == w["dest"].id
    with app.app_context():
        assert db.session.get(Branch, w["dest"].id).reserved == 1  # its shelf slot
        mail = db.session.scalar(sa.select(OutboxMessage))
        assert mail.payload["to"] == ["juan@example.com"]
        body = mail.payload["text"]
    (number,) = numbers(app, shipment.id)
    # The buyer's mail: their PAY & CLAIM code, the amount, the tracking link.
    grouped = re.sub(r"(\d{4})(?=\d)", r"\1 ", shipment.code)
    assert grouped in body and "₱850.00" in body and f"/track/{number}" in body
    # The seller's page: tracking number and label, never the buyer's code.
    page = w["client"].get(made.headers["Location"])
    assert page.status_code == 200
    assert "Shipment made" in text(page) and number[:4] in page.text
    assert shipment.code not in page.text and grouped not in page.text
    label = w["client"].get(f"/sellers/shipments/{shipment.id}/label.pdf")
    assert label.status_code == 200 and label.mimetype == "application/pdf"
    with app.app_context():
        from shop.fulfillment import labels

        content = labels.label_content(
            db.session.scalar(sa.select(Package).where(Package.tracking_number == number)),
            origin_id=w["origin"].id,
        )
    assert content.drop_off.startswith(w["origin"].code) and content.cod
    assert content.routing == f"origin {w['origin'].code} → DC Pasig → {w['dest'].code}"
    assert 'href="/sellers/"' in w["client"].get("/account").text  # the way in
    listing = text(w["client"].get("/sellers/"))
    assert "To Juan dela Cruz" in listing and "Label issued" in listing

    # Dropped off at the origin branch's counter by its clerk (the POS screen calls this).
    public = text(w["client"].get(f"/track/{number}"))
    assert "the seller drops it off at a 7-Eleven branch" in public and "Juan" not in public
    call(app, ecms.drop_off, number, w["origin_clerk"])
    assert package(app, number).location_id == w["origin"].id
    public = text(w["client"].get(f"/track/{number}"))
    assert "the delivery staff take it to the distribution center" in public
    with pytest.raises(ecms.NotAtDC):  # inspection only once it is at the DC
        call(app, ecms.accept, number, w["dc_user"], inspection=FITS)
    # The DC's receive scan records its arrival from the branch.
    handled = call(app, counter.receive, number, w["dc_user"])
    assert handled.state is S.RECEIVED and handled.came_from == w["origin"].name
    arrived = package(app, number)
    assert arrived.state is S.RECEIVED and arrived.location_id == w["dc"].id
    call(app, ecms.accept, number, w["dc_user"], inspection=FITS)
    call(app, ecms.dispatch, number, w["dc_user"])
    call(app, ecms.arrive, number, w["dest_clerk"])
    with pytest.raises(ecms.InvalidInput):  # COD: the cash first
        call(app, ecms.claim, shipment.code, [number], w["dest_clerk"])
    claim = call(app, ecms.claim, shipment.code, [number], w["dest_clerk"], cash_received=100000)
    assert claim.change == 15000
    final = package(app, number)
    assert final.state is S.CLAIMED
    with app.app_context():
        trail = db.session.execute(
            sa.select(PackageEvent.action, PackageEvent.branch_id)
            .join(Package)
            .where(Package.tracking_number == number)
            .order_by(PackageEvent.id)
        ).all()
    assert [tuple(row) for row in trail] == [
        ("drop_off", w["origin"].id),
        ("reach_dc", w["dc"].id),
        ("accept", w["dc"].id),
        ("dispatch", w["dc"].id),
        ("arrive", w["dest"].id),
        ("claim", w["dest"].id),
    ]
    assert "Picked up" in text(w["client"].get(made.headers["Location"]))


def test_the_dc_screen_receives_a_package_from_a_branch(app, make, s2s):
    w = s2s
    shipment = shipment_of(app, create(w, form(w)))
    (number,) = numbers(app, shipment.id)
    call(app, ecms.drop_off, number, w["origin_clerk"])
    dc = app.test_client()
    with app.app_context():
        user = db.session.get(type(make.user()), w["dc_user"].user_id)
        email = user.email
    assert log_in(dc, email).status_code == 302
    token = csrf_token(dc, "/counter/dc")
    dc.post("/counter/dc/counter", data={"csrf_token": token, "terminal": "DC-1", "shift": "1"})
    answer = dc.post(
        "/counter/dc/receive",
        data={"csrf_token": token, "tracking_number": number},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert "Arrived from <strong>7-Eleven Origin Katipunan</strong>" in text(answer)
    again = dc.post("/counter/dc/receive", data={"csrf_token": token, "tracking_number": number})
    assert again.status_code == 409 and "already at the distribution center" in text(again)


def test_a_double_submit_makes_one_shipment(app, s2s):
    w = s2s
    data = form(w)
    first = create(w, data)
    second = create(w, data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1
        assert db.session.get(Branch, w["dest"].id).reserved == 1
    third = create(w, form(w))  # a new form: a new shipment
    assert third.headers["Location"] != first.headers["Location"]


def test_two_submits_at_once_make_one_shipment(app, s2s, backend):
    if backend != "postgresql":
        pytest.skip("two requests at once: PostgreSQL (SQLite serialises writers)")
    w = s2s
    data = form(w)
    results = []

    def submit():
        client = app.test_client()
        with w["client"].session_transaction() as theirs:
            copied = dict(theirs)
        with client.session_transaction() as mine:
            mine.update(copied)
        results.append(create(w, data, client).status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [303, 303]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 1
        assert db.session.get(Branch, w["dest"].id).reserved == 1


def test_a_seller_sees_only_their_own_shipments(app, s2s):
    w = s2s
    made = create(w, form(w))
    path = made.headers["Location"].split("?")[0]
    other = app.test_client()
    assert log_in(other, w["other"].email).status_code == 302
    assert other.get(path).status_code == 404
    assert other.get(f"{path}/label.pdf").status_code == 404
    assert "Juan dela Cruz" not in text(other.get("/sellers/"))
    assert other.get("/sellers/shipments/2147483647").status_code == 404
    # A key issued to one seller's form makes nothing for another.
    stolen = form(w) | {"csrf_token": csrf_token(other, "/sellers/shipments/new")}
    assert create(w, stolen, other).status_code == 422


@pytest.mark.parametrize("role", [Role.SHOPPER, Role.CLERK, Role.DC, Role.MERCHANT])
def test_only_sellers_make_shipments(app, make, s2s, role):
    w = s2s
    client = app.test_client()
    assert log_in(client, make.user(role=role).email).status_code == 302
    assert client.get("/sellers/shipments/new").status_code == 403
    token = csrf_token(client, "/account")
    made = client.post("/sellers/shipments", data=form(w) | {"csrf_token": token})
    assert made.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 0
    visitor = app.test_client()
    assert "/login" in visitor.get("/sellers/").headers["Location"]


BAD = [
    ({"name": ""}, 422, "full name"),
    ({"name": "x" * 500}, 422, "full name"),
    ({"phone": "12"}, 422, "mobile"),
    ({"email": "not-an-email"}, 422, "email address"),
    ({"length": "31"}, 422, "fit in"),
    ({"length": "abc"}, 422, "length in cm"),
    ({"length": "-5"}, 422, "length in cm"),
    ({"length": "NaN"}, 422, "length in cm"),
    ({"width": "1e400"}, 422, "width in cm"),
    ({"height": "0"}, 422, "height in cm"),
    ({"weight": "10.5"}, 422, "at most 10 kg"),
    ({"weight": ""}, 422, "weight in kg"),
    ({"contents": ""}, 422, "inside"),
    ({"contents": "a\x00b"}, 400, "didn't make sense"),  # refused before any view
    ({"payment": "free"}, 422, "pays at pickup"),
    ({"amount": "0"}, 422, "amount the buyer pays"),
    ({"amount": "50000.01"}, 422, "amount the buyer pays"),
    ({"amount": "₱1,2,3"}, 422, "amount the buyer pays"),
    ({"amount": "9" * 40}, 422, "amount the buyer pays"),
    ({"branch_code": ""}, 422, "pickup branch"),
    ({"branch_code": "9999"}, 404, "couldn't find that branch"),
    ({"branch_code": "DC-PASIG"}, 404, "couldn't find that branch"),
    ({"origin_code": "9999"}, 422, "open branch"),
    ({"origin_code": "DC-PASIG"}, 422, "open branch"),
    ({"origin_code": "<script>"}, 422, "open branch"),
    ({"key": "forged.key"}, 422, "out of date"),
    ({"key": ""}, 422, "out of date"),
]


@pytest.mark.parametrize(("change", "status", "said"), BAD)
def test_bad_input_is_a_clear_4xx_and_makes_nothing(app, s2s, change, status, said):
    w = s2s
    answer = create(w, form(w) | change)
    assert answer.status_code == status, text(answer)[:300]
    assert said.lower() in text(answer).lower()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 0
        assert db.session.get(Branch, w["dest"].id).reserved == 0


def test_the_branch_limit_shown_and_enforced_is_packing_s(app, s2s, monkeypatch):
    w = s2s
    monkeypatch.setattr(packing, "BRANCH_BOX_MM", (400, 300, 300))
    assert "40 × 30 × 30 cm" in text(w["client"].get("/sellers/shipments/new"))
    assert create(w, form(w, length="35")).status_code == 303


def test_a_frozen_parcel_needs_frozen_ready_branches(app, make, s2s):
    w = s2s
    plain = make.branch(name="7-Eleven Not Cold", frozen=False)
    cold_origin = make.branch(name="7-Eleven Cold Origin", frozen=True)
    refused = create(w, form(w, frozen="yes", branch_code=plain.code, origin_code=cold_origin.code))
    assert refused.status_code == 409 and "doesn't keep frozen items" in text(refused)
    refused = create(w, form(w, frozen="yes"))  # the origin isn't frozen-ready
    assert refused.status_code == 422 and "frozen-ready branch" in text(refused)
    made = create(w, form(w, frozen="yes", origin_code=cold_origin.code, payment="prepaid"))
    assert made.status_code == 303
    shipment = shipment_of(app, made)
    assert shipment.payment is PaymentMode.PREPAID and shipment.amount_due == 0
    with app.app_context():
        own = db.session.get(SellerShipment, shipment.id)
        assert own.origin_branch_id == cold_origin.id
        assert db.session.scalar(sa.select(Package.frozen)) is True


def test_a_full_branch_is_refused_with_the_picker_reason(app, make, s2s):
    w = s2s
    full = make.branch(name="7-Eleven Full", shelf_capacity=1, reserved=1)
    answer = create(w, form(w, branch_code=full.code))
    assert answer.status_code == 409 and "full right now" in text(answer)


def test_the_search_without_js_keeps_what_was_typed(app, s2s):
    w = s2s
    answer = create(w, form(w, action="search-branches", branch_q="Cubao"))
    assert answer.status_code == 200
    assert "Destination Cubao" in text(answer) and 'value="Juan dela Cruz"' in answer.text
