"""The distribution center screen (issue #10, point 3), through HTTP on both databases:
receive, inspect (accept, reject), dispatch a trip, its manifest; who may; bad numbers."""

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.branches.models import BranchKind
from shop.counter.models import Trip
from shop.extensions import db, limiter
from shop.fulfillment.models import Package, PackageEvent
from shop.fulfillment.models import PackageState as S
from tests.conftest import csrf_token, log_in
from tests.integration.test_ecms_lifecycle import call, package, ship


@pytest.fixture
def dc(app, make, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)
    dc = make.branch(code="DC-PASIG", name="DC Pasig", kind=BranchKind.DC, shelf_capacity=5000)
    a = make.branch(name="7-Eleven Ayala Triangle", shelf_capacity=50)
    b = make.branch(name="7-Eleven Cubao Aurora", shelf_capacity=50)
    user = make.user(role=Role.DC, name="Rosa DC", branch_id=dc.id)
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    token = csrf_token(client, "/counter/dc")
    assert (
        client.post(
            "/counter/dc/counter", data={"csrf_token": token, "terminal": "DC-1", "shift": "2"}
        ).status_code
        == 303
    )
    return dict(client=client, token=token, dc=dc, a=a, b=b)


def _receive(w, number, htmx=True):
    headers = {"HX-Request": "true"} if htmx else {}
    return w["client"].post(
        "/counter/dc/receive",
        data={"csrf_token": w["token"], "tracking_number": number},
        headers=headers,
    )


def _inspect(w, number, size="25", weight="1.8", **extra):
    data = {"csrf_token": w["token"], "tracking_number": number, "length": size,
            "width": "20", "height": "12", "weight": weight, **extra}  # fmt: skip
    return w["client"].post("/counter/dc/inspect", data=data, headers={"HX-Request": "true"})


def test_receive_inspect_dispatch_and_the_manifest(app, dc, count_queries):
    shipped = ship(app, dc["a"], packages=3)
    first, second, third = shipped.numbers
    with count_queries() as queries:
        answer = _receive(dc, first)
    assert answer.status_code == 200
    assert "Received" in answer.text and "7-Eleven Ayala Triangle" in answer.text
    assert len(queries) <= 16, queries
    assert _receive(dc, second, htmx=False).status_code == 200  # the no-JS page
    assert _receive(dc, third).status_code == 200

    again = _receive(dc, first)
    assert again.status_code == 409 and "received" in again.text
    events = call(app, lambda: db.session.scalars(sa.select(PackageEvent)).all())
    assert {(e.terminal, e.shift, e.actor) for e in events} == {("DC-1", "2", "Rosa DC")}

    accepted = _inspect(dc, first)
    assert accepted.status_code == 200 and "Accepted" in accepted.text
    assert 'id="dispatch"' in accepted.text  # the dispatch list follows (out of band)
    too_big = _inspect(dc, second, size="31")
    assert too_big.status_code == 200 and "Rejected" in too_big.text
    assert "larger than 30 × 30 × 30 cm" in too_big.text
    damaged = _inspect(dc, third, damaged="yes", note="box crushed")
    assert "Rejected" in damaged.text and "damaged" in damaged.text
    assert package(app, second).state is S.REJECTED

    page = dc["client"].get("/counter/dc").text
    assert first in page and "Dispatch trip to 7-Eleven Ayala Triangle" in page
    sent = dc["client"].post(
        "/counter/dc/trips",
        data={"csrf_token": dc["token"], "destination": str(dc["a"].id), "packages": [first]},
    )
    assert sent.status_code == 303
    manifest = dc["client"].get(sent.headers["Location"])
    assert manifest.status_code == 200
    assert "Trip manifest T-" in manifest.text and "signature" in manifest.text
    moved = package(app, first)
    assert moved.state is S.IN_TRANSIT and moved.trip_id is not None


def test_a_trip_where_one_package_changed_meanwhile_does_nothing(app, dc):
    shipped = ship(app, dc["a"], packages=2)
    for number in shipped.numbers:
        _receive(dc, number)
        _inspect(dc, number)
    dc["client"].get("/counter/dc")  # the list as the clerk saw it
    # Meanwhile one of them was dispatched alone (from another tab or terminal).
    assert dc["client"].post(
        "/counter/dc/trips",
        data={"csrf_token": dc["token"], "destination": str(dc["a"].id),
              "packages": [shipped.numbers[0]]},
    ).status_code == 303  # fmt: skip
    answer = dc["client"].post(
        "/counter/dc/trips",
        data={"csrf_token": dc["token"], "destination": str(dc["a"].id),
              "packages": shipped.numbers},
    )  # fmt: skip
    assert answer.status_code == 409 and "changed meanwhile" in answer.text
    assert package(app, shipped.numbers[1]).state is S.ACCEPTED
    assert call(app, lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Trip))) == 1


def test_a_trip_number_drawn_twice_is_drawn_again(app, dc, monkeypatch):
    from shop.counter import service

    drawn = iter(["T-20260714-000001", "T-20260714-000001", "T-20260714-000002"])
    monkeypatch.setattr(service, "_trip_number", lambda: next(drawn))
    shipped = ship(app, dc["a"], packages=2)
    for number in shipped.numbers:
        _receive(dc, number)
        _inspect(dc, number)
    for number in shipped.numbers:
        sent = dc["client"].post(
            "/counter/dc/trips",
            data={"csrf_token": dc["token"], "destination": str(dc["a"].id), "packages": [number]},
        )
        assert sent.status_code == 303, sent.text
    trips = call(app, lambda: db.session.scalars(sa.select(Trip.number).order_by(Trip.id)).all())
    assert trips == ["T-20260714-000001", "T-20260714-000002"]
    assert {package(app, n).state for n in shipped.numbers} == {S.IN_TRANSIT}


def test_frozen_and_ordinary_never_share_a_trip(app, dc):
    from shop.fulfillment import service as ecms
    from shop.transaction import transaction

    shipped = ship(app, dc["b"], packages=2)
    with app.app_context(), transaction():
        db.session.execute(
            sa.update(Package)
            .where(Package.tracking_number == shipped.numbers[0])
            .values(frozen=True)
        )
    for number in shipped.numbers:
        _receive(dc, number)
        _inspect(dc, number)
    page = dc["client"].get("/counter/dc").text
    assert "Cold trip" in page and page.count("Dispatch trip to 7-Eleven Cubao Aurora") == 2
    mixed = dc["client"].post(
        "/counter/dc/trips",
        data={"csrf_token": dc["token"], "destination": str(dc["b"].id), "cold": "yes",
              "packages": shipped.numbers},
    )  # fmt: skip
    assert mixed.status_code == 409
    assert {package(app, n).state for n in shipped.numbers} == {S.ACCEPTED}
    cold = dc["client"].post(
        "/counter/dc/trips",
        data={"csrf_token": dc["token"], "destination": str(dc["b"].id), "cold": "yes",
              "packages": shipped.numbers[:1]},
    )  # fmt: skip
    assert cold.status_code == 303
    assert "COLD TRIP" in dc["client"].get(cold.headers["Location"]).text
    assert ecms.Action.DISPATCH  # the ECMS moved it


@pytest.mark.parametrize(
    "typed",
    ["", "junk", "700000000000", "7" * 400, "712345678901", "7123 4567 890", "١٢٣", "\u200b7"],
)
def test_bad_numbers_are_refused_in_place(dc, typed):
    for path in ("/counter/dc/receive", "/counter/dc/inspect"):
        answer = dc["client"].post(
            path,
            data={"csrf_token": dc["token"], "tracking_number": typed, "length": "1",
                  "width": "1", "height": "1", "weight": "1"},
            headers={"HX-Request": "true"},
        )  # fmt: skip
        assert 400 <= answer.status_code < 500, (path, typed, answer.status_code)
        assert 'role="alert"' in answer.text


def test_bad_measurements_are_refused(app, dc):
    number = ship(app, dc["a"]).numbers[0]
    _receive(dc, number)
    for bad in ["", "abc", "-1", "0", "nan", "inf", "1e999", "9" * 40, "0.01"]:
        assert _inspect(dc, number, size=bad).status_code == 422, bad
    assert package(app, number).state is S.RECEIVED


@pytest.mark.parametrize("role", [Role.CLERK, Role.SHOPPER])
def test_only_the_dc_and_operators_get_in(app, make, role):
    client = app.test_client()
    assert client.get("/counter/dc").status_code == 302  # a visitor: the login page
    log_in(client, make.user(role=role).email)
    assert client.get("/counter/dc").status_code == 403
    admin = app.test_client()
    log_in(admin, make.user(role=Role.ADMIN).email)
    assert admin.get("/counter/dc").status_code == 200


def test_no_action_before_the_terminal_and_shift(app, make):
    dc = make.branch(code="DC-PASIG", name="DC Pasig", kind=BranchKind.DC, shelf_capacity=50)
    client = app.test_client()
    log_in(client, make.user(role=Role.DC, branch_id=dc.id).email)
    page = client.get("/counter/dc")
    assert "Where are you working?" in page.text
    token = csrf_token(client, "/counter/dc")
    answer = client.post(
        "/counter/dc/receive", data={"csrf_token": token, "tracking_number": "junk"}
    )
    assert answer.status_code == 409
