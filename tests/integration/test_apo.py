"""The APO, Authority to Pull-out (issue #10, point 3), on both databases: packages going back
are scanned in at the DC, listed by merchant, put on a numbered APO and released to the
merchant's courier all at once; a package that changed stops the release and nothing moves;
numbers are unique; only the DC (or an operator) may."""

import re
import uuid

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.counter import apo as apo_service
from shop.counter import service as counter
from shop.counter.models import Apo, apo_packages
from shop.extensions import db, limiter
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PackageEvent, PaymentMode
from shop.fulfillment.models import PackageState as S
from shop.transaction import transaction
from tests.conftest import csrf_token, log_in, text
from tests.integration.test_ecms_lifecycle import FITS, call, package, ship, world  # noqa: F401

NUMBER = re.compile(r"APO-\d{8}-\d{6}")


def seller_ship(app, world, seller_id) -> str:  # noqa: F811
    with app.app_context(), transaction():
        made = ecms.create_shipment(
            reference=f"S2S-{uuid.uuid4().hex[:12].upper()}",
            payment=PaymentMode.PREPAID,
            branch_id=world.a.id,
            recipient=ecms.Recipient("Maria Buyer", "+639171234567", "maria@example.com"),
            parcels=[ecms.Parcel(False, 900, 3000, "1 × Bag")],
            source=f"seller:{seller_id}",
        )
        return db.session.scalar(
            sa.select(Package.tracking_number).where(Package.shipment_id == made.id)
        )


def going_back(app, world, number, code=None, *, scan=True):  # noqa: F811
    """The whole way to a branch, claimed, returned at the counter, pulled out to the DC, and
    (scan) scanned in at the DC's Receive."""
    call(app, ecms.drop_off, number, world.dc_user)
    call(app, ecms.accept, number, world.dc_user, inspection=FITS)
    call(app, ecms.dispatch, number, world.dc_user)
    call(app, ecms.arrive, number, world.clerk_a)
    with app.app_context():
        code = code or db.session.get(Package, package(app, number).id).shipment.code
    call(app, ecms.claim, code, [number], world.clerk_a)
    call(app, ecms.return_drop_off, number, world.clerk_b)
    call(app, ecms.pull_out, number, world.clerk_b)
    if scan:
        handled = call(app, counter.receive, number, world.dc_user)
        assert handled.state is S.RETURNING and handled.merchant
    return number


@pytest.fixture
def back(app, make, world):  # noqa: F811
    """Two of the shop's packages and one seller's, back at the DC; one more of the shop's
    still on its way there; one at its branch."""
    seller = make.user(role=Role.SELLER, name="Ate Bing's Crafts")
    shop = [going_back(app, world, ship(app, world.a).numbers[0]) for _ in range(2)]
    theirs = going_back(app, world, seller_ship(app, world, seller.id))
    on_the_way = going_back(app, world, ship(app, world.a).numbers[0], scan=False)
    waiting = ship(app, world.a).numbers[0]
    call(app, ecms.drop_off, waiting, world.dc_user)
    return dict(seller=seller, shop=shop, theirs=theirs, on_the_way=on_the_way, waiting=waiting)


@pytest.fixture
def dc_client(app, make, world, monkeypatch):  # noqa: F811
    monkeypatch.setattr(limiter, "enabled", False)
    client = app.test_client()
    with app.app_context():
        from shop.auth.models import User

        email = db.session.get(User, world.dc_user.user_id).email
    assert log_in(client, email).status_code == 302
    token = csrf_token(client, "/counter/dc")
    client.post("/counter/dc/counter", data={"csrf_token": token, "terminal": "DC-2", "shift": "3"})
    client.token = token
    return client


def test_scanning_in_keeps_returning_and_places_it_at_the_dc(app, world, back):  # noqa: F811
    arrived = package(app, back["shop"][0])
    assert arrived.state is S.RETURNING and arrived.location_id == world.dc.id
    assert package(app, back["on_the_way"]).location_id is None
    with app.app_context():
        last = db.session.scalars(
            sa.select(PackageEvent)
            .join(Package)
            .where(Package.tracking_number == back["shop"][0])
            .order_by(PackageEvent.id.desc())
        ).first()
        assert (last.action, last.from_state, last.to_state) == (
            "reach_dc",
            S.RETURNING,
            S.RETURNING,
        )
        assert last.branch_id == world.dc.id


def test_the_apo_lists_only_returning_packages_at_the_dc_by_merchant(app, world, back):  # noqa: F811
    with app.app_context():
        groups = {
            g.name: [p.tracking_number for p in g.packages] for g in counter.returning_groups()
        }
    assert groups == {"CLiQQ Shop": back["shop"], "Ate Bing's Crafts": [back["theirs"]]}


def test_create_print_and_release_an_apo(app, world, back, dc_client):  # noqa: F811
    page = text(dc_client.get("/counter/dc"))
    assert "Create APO for CLiQQ Shop" in page and "Create APO for Ate Bing's Crafts" in page
    made = dc_client.post(
        "/counter/dc/apo",
        data={"csrf_token": dc_client.token, "merchant": "shop", "packages": back["shop"]},
    )
    assert made.status_code == 303
    number = NUMBER.search(made.headers["Location"]).group()
    document = text(dc_client.get(made.headers["Location"]))
    assert f"Authority to Pull-out {number}" in document and "CLiQQ Shop" in document
    assert "Merchant's courier" in document and "Not released yet" in document
    for tracking in back["shop"]:
        assert f"{tracking[:4]} {tracking[4:8]} {tracking[8:]}" in document
    assert back["theirs"][:4] + " " not in document
    # Listed: it waits for this APO, no other.
    assert "Create APO for CLiQQ Shop" not in text(dc_client.get("/counter/dc"))
    again = dc_client.post(
        "/counter/dc/apo",
        data={"csrf_token": dc_client.token, "merchant": "shop", "packages": back["shop"]},
    )
    assert again.status_code == 409
    released = dc_client.post(
        f"/counter/dc/apo/{number}/release",
        data={"csrf_token": dc_client.token, "courier": "Jun the courier"},
    )
    assert released.status_code == 303
    assert "Released" in text(dc_client.get(f"/counter/dc/apo/{number}"))
    with app.app_context():
        for tracking in back["shop"]:
            moved = db.session.scalar(sa.select(Package).where(Package.tracking_number == tracking))
            assert moved.state is S.RETURNED_TO_MERCHANT and moved.location_id is None
            assert moved.events[-1].detail == {"apo": number, "courier": "Jun the courier"}
            assert moved.events[-1].terminal == "DC-2"
        apo = db.session.scalar(sa.select(Apo).where(Apo.number == number))
        assert apo.courier == "Jun the courier" and apo.released_at is not None
    assert package(app, back["theirs"]).state is S.RETURNING  # another merchant's: untouched
    twice = dc_client.post(
        f"/counter/dc/apo/{number}/release",
        data={"csrf_token": dc_client.token, "courier": "Jun the courier"},
    )
    assert twice.status_code == 409 and "released already" in text(twice)


def test_a_changed_package_makes_nothing_move(app, world, back):  # noqa: F811
    number = call(app, counter.create_apo, world.dc_user, "shop", back["shop"])
    first, second = back["shop"]
    # The second one moves some other way meanwhile (here: an operator hands it back).
    call(app, ecms.return_to_merchant, second, world.admin)
    with pytest.raises(counter.ApoChanged):
        call(app, counter.release_apo, world.dc_user, number, "Jun the courier")
    assert package(app, first).state is S.RETURNING
    with app.app_context():
        assert db.session.scalar(sa.select(Apo.released_at).where(Apo.number == number)) is None
        events = db.session.scalars(
            sa.select(PackageEvent.action).join(Package).where(Package.tracking_number == first)
        ).all()
        assert "return_to_merchant" not in events


def test_an_apo_is_made_only_of_what_the_screen_listed(app, world, back):  # noqa: F811
    for numbers, merchant in [
        ([back["on_the_way"]], "shop"),  # not at the DC yet
        ([back["waiting"]], "shop"),  # not going back
        ([back["theirs"]], "shop"),  # another merchant's
        ([*back["shop"], back["theirs"]], "shop"),
    ]:
        with pytest.raises(counter.ApoChanged):
            call(app, counter.create_apo, world.dc_user, merchant, numbers)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Apo)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(apo_packages)) == 0


def test_apo_numbers_are_unique_and_a_collision_draws_again(app, world, back, monkeypatch):  # noqa: F811
    draws = iter([7, 7, 8])
    monkeypatch.setattr(apo_service.secrets, "randbelow", lambda _: next(draws))
    one = call(app, counter.create_apo, world.dc_user, "shop", back["shop"][:1])
    two = call(app, counter.create_apo, world.dc_user, "shop", back["shop"][1:])
    assert one.endswith("-000007") and two.endswith("-000008")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Apo)) == 2


@pytest.mark.parametrize("role", [Role.CLERK, Role.SELLER, Role.SHOPPER, Role.MERCHANT])
def test_only_the_dc_or_an_operator_may(app, make, world, back, role):  # noqa: F811
    number = call(app, counter.create_apo, world.dc_user, "shop", back["shop"])
    client = app.test_client()
    assert log_in(client, make.user(role=role, branch_id=world.a.id).email).status_code == 302
    token = csrf_token(client, "/account")
    assert client.get(f"/counter/dc/apo/{number}").status_code == 403
    data = {"csrf_token": token, "courier": "Jun", "merchant": "shop", "packages": back["shop"]}
    assert client.post(f"/counter/dc/apo/{number}/release", data=data).status_code == 403
    assert client.post("/counter/dc/apo", data=data).status_code == 403
    assert package(app, back["shop"][0]).state is S.RETURNING


def test_a_dc_login_elsewhere_and_a_clerk_are_refused_by_the_service(app, make, world, back):  # noqa: F811
    stray = ecms.Actor.of(make.user(role=Role.DC, name="Stray", branch_id=world.a.id))
    for actor in (stray, world.clerk_a):
        with pytest.raises(ecms.NotAllowed):
            call(app, counter.create_apo, actor, "shop", back["shop"])
    number = call(app, counter.create_apo, world.admin, "shop", back["shop"])  # an operator
    with pytest.raises(ecms.NotAllowed):
        call(app, counter.release_apo, stray, number, "Jun")
    assert package(app, back["shop"][0]).state is S.RETURNING


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        ("/counter/dc/apo", {"merchant": "shop"}, 422),
        ("/counter/dc/apo", {"merchant": "shop", "packages": "junk"}, 422),
        ("/counter/dc/apo", {"merchant": "", "packages": "700000000000"}, 422),
        ("/counter/dc/apo", {"merchant": "x" * 300, "packages": "700000000000"}, 422),
        ("/counter/dc/apo/APO-20260101-000001/release", {"courier": "Jun"}, 404),
        ("/counter/dc/apo/junk/release", {"courier": "Jun"}, 404),
    ],
)
def test_bad_input_is_a_clear_4xx(app, world, back, dc_client, path, data, status):  # noqa: F811
    answer = dc_client.post(path, data={"csrf_token": dc_client.token, **data})
    assert answer.status_code == status


def test_a_release_needs_the_couriers_name(app, world, back, dc_client):  # noqa: F811
    number = call(app, counter.create_apo, world.dc_user, "shop", back["shop"])
    for courier in ("", " ", "x" * 500):
        answer = dc_client.post(
            f"/counter/dc/apo/{number}/release",
            data={"csrf_token": dc_client.token, "courier": courier},
        )
        assert answer.status_code == 422 and "name of the courier" in text(answer)
    assert package(app, back["shop"][0]).state is S.RETURNING


def test_two_releases_at_once_release_once(app, world, back, backend, monkeypatch):  # noqa: F811
    """On PostgreSQL: both releases read the APO as open (the control: both got past the
    read), then the conditional UPDATE lets one through; the other changes nothing."""
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite serializes every writer")
    import threading

    from tests.integration.test_payments import _race

    number = call(app, counter.create_apo, world.dc_user, "shop", back["shop"])
    real_get = apo_service.get_apo
    read_open = []
    both_read = threading.Barrier(2, timeout=20)

    def spying_get(value):
        found = real_get(value)
        read_open.append(found.released_at is None)
        both_read.wait()
        return found

    monkeypatch.setattr(apo_service, "get_apo", spying_get)
    results = _race(
        2, lambda i: call(app, counter.release_apo, world.dc_user, number, f"Courier {i}")
    )
    assert read_open == [True, True]  # the control
    won = [r for r in results if isinstance(r, Apo)]
    assert len(won) == 1, results
    assert [type(r) for r in results if not isinstance(r, Apo)] == [apo_service.ApoReleased]
    with app.app_context():
        moves = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(PackageEvent)
            .where(PackageEvent.action == "return_to_merchant")
        )
    assert moves == 2  # each package once
