"""Branch closure and re-routing (issue #10, point 10), on both databases: closing a branch
sends every order bound for it that hasn't arrived to the nearest open branch that can take it
(frozen to frozen, a full one skipped), with an event per package, the codes unchanged and the
shopper mailed once; packages on its shelf come back through the DC; a closed branch can't be
chosen and a reopened one can; the shopper's own change of branch and its rules."""

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.branches import service as branches
from shop.branches.models import Branch, BranchKind
from shop.checkout.models import Order
from shop.errors import InvalidInput
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PackageEvent, PaymentMode, Shipment
from shop.fulfillment.models import PackageState as S
from shop.notify.models import OutboxMessage
from shop.transaction import transaction
from tests.conftest import csrf_token, log_in, text
from tests.integration.test_checkout import _add, _checkout

MOMENT = datetime(2026, 7, 14, 1, 0, tzinfo=UTC)  # Tue 14 Jul, 9:00 AM in Manila
TODAY = date(2026, 7, 14)
FITS = ecms.Inspection(length_mm=250, width_mm=200, height_mm=120, weight_g=1800)


@dataclass
class Net:
    """A DC; the branch that closes (X); nearest to it N1 (not frozen-ready), then N2
    (frozen-ready), then far F; the logins that move packages."""

    dc: Branch
    x: Branch
    n1: Branch
    n2: Branch
    far: Branch
    dc_user: ecms.Actor
    clerk_x: ecms.Actor
    clerk_n1: ecms.Actor
    clerk_n2: ecms.Actor
    admin: ecms.Actor


@pytest.fixture
def net(make, clock) -> Net:
    clock.set(MOMENT)
    dc = make.branch(code="DC-PASIG", name="DC Pasig", kind=BranchKind.DC, shelf_capacity=5000)
    x = make.branch(name="7-Eleven Closing", lat=14.5500, lng=121.0200, frozen=True)
    n1 = make.branch(name="7-Eleven Nearest", lat=14.5510, lng=121.0200, shelf_capacity=10)
    n2 = make.branch(name="7-Eleven Frozen", lat=14.5530, lng=121.0200, frozen=True)
    far = make.branch(name="7-Eleven Far", lat=14.6500, lng=121.0200, frozen=True)

    def clerk(branch, name):
        return ecms.Actor.of(make.user(role=Role.CLERK, name=name, branch_id=branch.id))

    return Net(
        dc=dc,
        x=x,
        n1=n1,
        n2=n2,
        far=far,
        dc_user=ecms.Actor.of(make.user(role=Role.DC, name="Rosa DC", branch_id=dc.id)),
        clerk_x=clerk(x, "Xia X"),
        clerk_n1=clerk(n1, "Nina N1"),
        clerk_n2=clerk(n2, "Noel N2"),
        admin=ecms.Actor.of(make.user(role=Role.ADMIN, name="Operator")),
    )


@dataclass
class Shipped:
    id: int
    code: str
    reference: str
    numbers: list[str]


def ship(app, branch, *, packages: int = 1, frozen: bool = False, cod: int = 0) -> Shipped:
    with app.app_context(), transaction():
        branches.reserve(branch.code, packages, frozen_required=frozen)
        reference = f"CQ-T{uuid.uuid4().hex[:8].upper()}"
        made = ecms.create_shipment(
            reference=reference,
            payment=PaymentMode.COD if cod else PaymentMode.PREPAID,
            amount_due=cod,
            branch_id=branch.id,
            recipient=ecms.Recipient("Juan dela Cruz", "+639171234567", "juan@example.com"),
            parcels=[ecms.Parcel(frozen, 1800, 6000, f"1 × Thing {n}") for n in range(packages)],
        )
        numbers = list(
            db.session.scalars(
                sa.select(Package.tracking_number)
                .where(Package.shipment_id == made.id)
                .order_by(Package.id)
            )
        )
    return Shipped(made.id, made.code.code, reference, numbers)


def call(app, function, *args, **kwargs):
    with app.app_context():
        return function(*args, **kwargs)


def to_dc(app, net, number):
    call(app, ecms.drop_off, number, net.dc_user)
    call(app, ecms.accept, number, net.dc_user, inspection=FITS)


def to_shelf(app, net, number, clerk):
    to_dc(app, net, number)
    call(app, ecms.dispatch, number, net.dc_user)
    call(app, ecms.arrive, number, clerk)


def package(app, number) -> Package:
    with app.app_context():
        found = db.session.scalar(sa.select(Package).where(Package.tracking_number == number))
        db.session.expunge(found)
        return found


def shipment(app, shipment_id) -> Shipment:
    with app.app_context():
        found = db.session.get(Shipment, shipment_id)
        db.session.expunge(found)
        return found


def events(app, number) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(PackageEvent)
            .join(Package)
            .where(Package.tracking_number == number)
            .order_by(PackageEvent.id)
        ).all()
        return [
            (e.action, e.from_state, e.to_state, e.actor_role, dict(e.detail or {})) for e in rows
        ]


def reserved(app, branch) -> int:
    with app.app_context():
        return db.session.get(Branch, branch.id).reserved


def mails(app, prefix="shipment-rerouted-") -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.created_at))
        return [row.payload | {"key": row.key} for row in rows if row.key.startswith(prefix)]


# --- closing ----------------------------------------------------------------------------------


def test_closing_reroutes_every_package_not_arrived_to_the_nearest_capable_branch(app, net):
    plain = ship(app, net.x, packages=2)  # label_issued, both
    cold = ship(app, net.x, frozen=True)  # frozen: N1 can't keep it
    moving = ship(app, net.x)  # in transit to X
    to_dc(app, net, moving.numbers[0])
    call(app, ecms.dispatch, moving.numbers[0], net.dc_user)
    assert reserved(app, net.x) == 4

    done = call(app, ecms.reroute.close_branch, net.x.code, net.admin, until="2026-07-16")

    assert (done.closed_from, done.closed_until) == (TODAY, date(2026, 7, 16))
    assert {m.reference: m.to_code for m in done.moved} == {
        plain.reference: net.n1.code,
        cold.reference: net.n2.code,  # frozen goes to the nearest frozen-ready branch
        moving.reference: net.n1.code,
    }
    assert (done.rerouted, done.recalled, done.stranded) == (4, 0, ())
    assert shipment(app, plain.id).branch_id == net.n1.id
    assert shipment(app, cold.id).branch_id == net.n2.id
    assert shipment(app, plain.id).code == plain.code  # codes unchanged
    assert package(app, moving.numbers[0]).state is S.IN_TRANSIT
    assert [reserved(app, b) for b in (net.x, net.n1, net.n2)] == [0, 3, 1]

    for number in plain.numbers:
        [(action, before, after, role, detail)] = events(app, number)
        assert (action, before, after, role) == ("reroute", S.LABEL_ISSUED, S.LABEL_ISSUED, "admin")
        assert detail["from_branch"] == net.x.code and detail["to_branch"] == net.n1.code
        assert detail["reason"] == "branch_closed"
    assert events(app, moving.numbers[0])[-1][:3] == ("reroute", S.IN_TRANSIT, S.IN_TRANSIT)

    sent = mails(app)
    assert len(sent) == 3  # one per order, not per package
    first = next(m for m in sent if plain.reference in m["text"])
    assert first["subject"] == "Your pickup branch is now 7-Eleven Nearest"
    assert "7-Eleven Closing is closed" in first["text"]
    assert "/orders/" + plain.reference in first["text"]  # the link to choose another
    assert " ".join(plain.code[i : i + 4] for i in range(0, 14, 4)) in first["text"]

    # The new branch takes it in as its own; the old one no longer can.
    call(app, ecms.arrive, moving.numbers[0], net.clerk_n1)
    assert package(app, moving.numbers[0]).location_id == net.n1.id


def test_closing_again_moves_nothing_twice_and_mails_once(app, net):
    shipped = ship(app, net.x)
    call(app, ecms.reroute.close_branch, net.x.code, net.admin)
    again = call(app, ecms.reroute.close_branch, net.x.code, net.admin, for_good=True)
    assert again.moved == () and again.stranded == ()
    assert len(events(app, shipped.numbers[0])) == 1
    assert len(mails(app)) == 1


def test_a_full_nearest_branch_is_skipped(app, net, make):
    with app.app_context():
        db.session.execute(
            sa.update(Branch).where(Branch.id == net.n1.id).values(reserved=Branch.shelf_capacity)
        )
        db.session.commit()
    shipped = ship(app, net.x)
    done = call(app, ecms.reroute.close_branch, net.x.code, net.admin)
    assert [m.to_code for m in done.moved] == [net.n2.code]
    assert reserved(app, net.n1) == 10  # not one slot more than its shelf
    assert shipment(app, shipped.id).branch_id == net.n2.id


def test_room_for_every_package_of_the_order(app, net):
    with app.app_context():
        db.session.execute(sa.update(Branch).where(Branch.id == net.n1.id).values(reserved=9))
        db.session.commit()
    ship(app, net.x, packages=2)
    done = call(app, ecms.reroute.close_branch, net.x.code, net.admin)
    assert [m.to_code for m in done.moved] == [net.n2.code]


def test_an_order_no_branch_can_take_stays_and_is_named(app, net):
    shipped = ship(app, net.x, frozen=True)
    for branch in (net.n2, net.far):
        call(app, ecms.reroute.close_branch, branch.code, net.admin, for_good=True)
    done = call(app, ecms.reroute.close_branch, net.x.code, net.admin)
    assert done.stranded == (shipped.reference,) and done.moved == ()
    assert shipment(app, shipped.id).branch_id == net.x.id
    assert reserved(app, net.x) == 1 and events(app, shipped.numbers[0]) == []


def test_closing_for_good_pulls_shelf_packages_back_through_the_dc(app, net, clock):
    shipped = ship(app, net.x, packages=2)
    on_shelf, on_way = shipped.numbers
    to_shelf(app, net, on_shelf, net.clerk_x)
    to_dc(app, net, on_way)
    assert package(app, on_shelf).pickup_deadline is not None

    clock.advance(hours=2)
    done = call(app, ecms.reroute.close_branch, net.x.code, net.admin, for_good=True)
    assert (done.rerouted, done.recalled) == (1, 1) and done.closed_until is None
    back = package(app, on_shelf)
    assert (back.state, back.location_id, back.pickup_deadline) == (S.IN_TRANSIT, None, None)
    assert events(app, on_shelf)[-1][:3] == ("recall", S.AT_BRANCH, S.IN_TRANSIT)
    assert [reserved(app, b) for b in (net.x, net.n1)] == [0, 2]
    assert "go back through our distribution center" not in mails(app)[0]["text"]
    assert "goes back through our distribution center" in mails(app)[0]["text"]

    # On its way to the DC, not to a branch: no clerk takes it in.
    with pytest.raises(ecms.InvalidTransition):
        call(app, ecms.arrive, on_shelf, net.clerk_n1)
    with pytest.raises(ecms.InvalidTransition):  # a package not called back isn't "returned"
        call(app, ecms.reroute.return_to_dc, on_way, net.dc_user)

    clock.advance(hours=5)
    call(app, ecms.reroute.return_to_dc, on_shelf, net.dc_user)
    at_dc = package(app, on_shelf)
    assert (at_dc.state, at_dc.location_id) == (S.ACCEPTED, net.dc.id)
    call(app, ecms.dispatch, on_shelf, net.dc_user)
    clock.advance(hours=10)
    call(app, ecms.arrive, on_shelf, net.clerk_n1)
    arrived = package(app, on_shelf)
    assert arrived.location_id == net.n1.id
    assert arrived.pickup_deadline == clock.now() + timedelta(days=app.config["PICKUP_DAYS"])
    assert [e[0] for e in events(app, on_shelf)] == [
        "drop_off",
        "accept",
        "dispatch",
        "arrive",
        "recall",
        "return_to_dc",
        "dispatch",
        "arrive",
    ]
    assert reserved(app, net.n1) == 2  # arriving takes no second slot


def test_a_closure_for_some_days_leaves_an_arrived_order_and_pushes_its_deadline(app, net):
    arrived = ship(app, net.x)
    to_shelf(app, net, arrived.numbers[0], net.clerk_x)
    deadline = package(app, arrived.numbers[0]).pickup_deadline
    mixed = ship(app, net.x, packages=2)  # one on the shelf, one on its way: it moves whole
    to_shelf(app, net, mixed.numbers[0], net.clerk_x)

    done = call(app, ecms.reroute.close_branch, net.x.code, net.admin, until="2026-07-15")
    assert done.kept == 1 and [m.reference for m in done.moved] == [mixed.reference]
    stays = package(app, arrived.numbers[0])
    assert (stays.state, stays.location_id) == (S.AT_BRANCH, net.x.id)
    assert stays.pickup_deadline == deadline + timedelta(days=2)
    assert package(app, mixed.numbers[0]).state is S.IN_TRANSIT  # called back
    assert shipment(app, arrived.id).branch_id == net.x.id

    # Closed again, one day longer: the deadline moves back by that one day only.
    call(app, ecms.reroute.close_branch, net.x.code, net.admin, until="2026-07-16")
    assert package(app, arrived.numbers[0]).pickup_deadline == deadline + timedelta(days=3)
    call(app, ecms.reroute.close_branch, net.x.code, net.admin, until="2026-07-16")
    assert package(app, arrived.numbers[0]).pickup_deadline == deadline + timedelta(days=3)


def test_a_closed_branch_cant_be_chosen_and_a_reopened_one_can(app, net, clock):
    call(app, ecms.reroute.close_branch, net.n1.code, net.admin)
    with app.app_context():
        with pytest.raises(branches.BranchUnavailable) as refused:
            branches.reserve(net.n1.code, 1)
        assert "closed" in refused.value.message
        [found] = [c for c in branches.search("Nearest") if c.code == net.n1.code]
        assert not found.selectable and found.reason == "Closed on Tue 14 Jul"
    call(app, ecms.reroute.reopen_branch, net.n1.code, net.admin)
    with app.app_context(), transaction():
        assert branches.reserve(net.n1.code, 1).code == net.n1.code


def test_a_closure_ends_by_itself_after_its_last_day(app, net, clock):
    call(app, ecms.reroute.close_branch, net.n1.code, net.admin, until="2026-07-15")
    clock.set(MOMENT + timedelta(days=1))
    with app.app_context(), pytest.raises(branches.BranchUnavailable):
        branches.reserve(net.n1.code, 1)
    clock.set(MOMENT + timedelta(days=2))
    with app.app_context(), transaction():
        assert branches.reserve(net.n1.code, 1).code == net.n1.code


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"until": "2026-07-13"}, "until"),  # before today
        ({"until": "2026-13-01"}, "until"),
        ({"until": "14/07/2026"}, "until"),
        ({"until": "2028-01-01"}, "until"),  # too far
        ({"until": "2026-07-20", "for_good": True}, "until"),
    ],
)
def test_bad_closure_dates_are_refused_and_change_nothing(app, net, kwargs, field):
    ship(app, net.x)
    with pytest.raises(InvalidInput) as refused:
        call(app, ecms.reroute.close_branch, net.x.code, net.admin, **kwargs)
    assert refused.value.field == field
    with app.app_context():
        assert db.session.get(Branch, net.x.id).closed_from is None
    assert reserved(app, net.x) == 1


def test_only_an_operator_closes_a_branch(app, net):
    for actor in (net.clerk_x, net.dc_user, ecms.Actor.shop("checkout"), ecms.Actor.system()):
        with pytest.raises(ecms.NotAllowed):
            call(app, ecms.reroute.close_branch, net.x.code, actor)
    with pytest.raises(branches.BranchNotFound):
        call(app, ecms.reroute.close_branch, "DC-PASIG", net.admin)


# --- the shopper's (or merchant's) own choice ----------------------------------------------------


def test_change_branch_before_arrival(app, net):
    shipped = ship(app, net.x, packages=2)
    shop = ecms.Actor.shop("shopper")
    moved = call(app, ecms.reroute.change_branch, shipped.id, net.far.code, shop)
    assert (moved.from_code, moved.to_code, moved.rerouted) == (net.x.code, net.far.code, 2)
    assert [reserved(app, b) for b in (net.x, net.far)] == [0, 2]
    [event] = events(app, shipped.numbers[0])
    assert event[0] == "reroute" and event[3] == "shop" and event[4]["reason"] == "shopper_choice"
    [mail] = mails(app)
    assert "instead of 7-Eleven Closing, as you asked" in mail["text"]

    with pytest.raises(ecms.reroute.AlreadyThere):
        call(app, ecms.reroute.change_branch, shipped.id, net.far.code, shop)


def test_change_branch_follows_the_pickers_rules(app, net):
    cold = ship(app, net.x, frozen=True)
    shop = ecms.Actor.shop("shopper")
    with pytest.raises(branches.BranchUnavailable, match="frozen"):
        call(app, ecms.reroute.change_branch, cold.id, net.n1.code, shop)
    call(app, ecms.reroute.close_branch, net.n2.code, net.admin)
    with pytest.raises(branches.BranchUnavailable, match="closed"):
        call(app, ecms.reroute.change_branch, cold.id, net.n2.code, shop)
    for bad in ("NOPE", "", "'; DROP", None, 12, "DC-PASIG"):
        with pytest.raises(branches.BranchNotFound):
            call(app, ecms.reroute.change_branch, cold.id, bad, shop)
    with pytest.raises(ecms.NotAllowed):
        call(app, ecms.reroute.change_branch, cold.id, net.far.code, net.clerk_x)
    with pytest.raises(ecms.reroute.NotFound):
        call(app, ecms.reroute.change_branch, 999_999, net.far.code, shop)
    assert reserved(app, net.x) == 1 and events(app, cold.numbers[0]) == []


def test_change_branch_after_arrival_is_invalid_state(app, net):
    shipped = ship(app, net.x)
    to_shelf(app, net, shipped.numbers[0], net.clerk_x)
    with pytest.raises(ecms.InvalidTransition) as refused:
        call(app, ecms.reroute.change_branch, shipped.id, net.n1.code, ecms.Actor.shop("api"))
    assert refused.value.code == "invalid_state"
    assert shipment(app, shipped.id).branch_id == net.x.id


def test_the_cli_closes_and_reopens(app, net, runner):
    ship(app, net.x)
    result = runner.invoke(args=["shop", "close-branch", net.x.code, "--until", "2026-07-20"])
    assert result.exit_code == 0, result.output
    assert (
        "closed through 2026-07-20" in result.output and "Re-routed 1 package(s)" in result.output
    )
    bad = runner.invoke(args=["shop", "close-branch", net.x.code, "--until", "yesterday"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
    unknown = runner.invoke(args=["shop", "close-branch", "ZZZZ", "--for-good"])
    assert unknown.exit_code != 0
    opened = runner.invoke(args=["shop", "close-branch", net.x.code, "--reopen"])
    assert opened.exit_code == 0 and "open again" in opened.output
    with app.app_context():
        assert db.session.get(Branch, net.x.id).closed_from is None


def test_recalling_one_package_by_hand_needs_its_order_elsewhere(app, net):
    shipped = ship(app, net.x)
    to_shelf(app, net, shipped.numbers[0], net.clerk_x)
    with pytest.raises(ecms.InvalidTransition, match="still goes to this branch"):
        call(app, ecms.reroute.recall, shipped.numbers[0], net.admin)
    with pytest.raises(ecms.NotAllowed):
        call(app, ecms.reroute.recall, shipped.numbers[0], net.clerk_x)
    assert package(app, shipped.numbers[0]).state is S.AT_BRANCH


# --- the screens -----------------------------------------------------------------------------


def words(page: str) -> str:
    """A page's text without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split()).replace(" .", ".")


def _order_in_browser(app, client, make, branch):
    """A COD order placed through checkout by `client`; its page's path (with its key)."""
    item = make.item(name="Ube Halaya", price=25000, stock=10)
    _add(client, item)
    response = _checkout(client, branch)
    assert response.status_code == 303, text(response)
    location = response.headers["Location"]
    number = location.split("/")[2].split("?")[0]
    with app.app_context():
        shipment_id = db.session.scalar(sa.select(Order.shipment_id).where(Order.number == number))
    return location, number, shipment_id


def _admin(client, make):
    admin = make.user(role=Role.ADMIN, name="Operator")
    assert log_in(client, admin.email).status_code == 302
    return admin


def test_the_order_page_says_why_the_branch_changed_and_lets_the_shopper_choose(
    app, client, make, net, monkeypatch
):
    monkeypatch.setitem(app.config, "CHANGE_BRANCH_RATE_LIMIT", "100 per minute")
    location, number, shipment_id = _order_in_browser(app, client, make, net.x)
    page = text(client.get(location))
    assert "Choose another branch" in page and "was sent to" not in page

    call(app, ecms.reroute.close_branch, net.x.code, net.admin)
    page = text(client.get(location))
    said = words(page)
    assert "Your package was sent to 7-Eleven Nearest because 7-Eleven Closing closed" in said
    assert f"7-Eleven Nearest ({net.n1.code})" in said  # the pickup branch shown is the new one
    assert f'value="{net.far.code}"' in page or "Branches near 7-Eleven Nearest" in page

    # Without JS: the picker's search comes back with the page.
    path = location.split("?")[0] + "/branch?" + location.split("?")[1]
    token = csrf_token(client, location)
    found = client.post(
        path, data={"csrf_token": token, "action": "search-branches", "branch_q": "Far"}
    )
    assert found.status_code == 200 and f'value="{net.far.code}"' in text(found)

    chosen = client.post(path, data={"csrf_token": token, "branch_code": net.far.code})
    assert chosen.status_code == 303
    assert shipment(app, shipment_id).branch_id == net.far.id
    page = text(client.get(chosen.headers["Location"]))
    assert "Your order now goes to 7-Eleven Far" in page
    assert "You moved your pickup from 7-Eleven Nearest to 7-Eleven Far" in words(page)
    assert [reserved(app, b) for b in (net.x, net.n1, net.far)] == [0, 0, 1]

    # A closed branch, the same branch, nothing chosen, junk: refused, said, nothing changed.
    for code, status in (
        (net.x.code, 409),
        (net.far.code, 422),
        ("", 422),
        ("ZZZZ", 404),
        ("x" * 500, 404),
    ):
        refused = client.post(path, data={"csrf_token": token, "branch_code": code})
        assert refused.status_code == status, (code, refused.status_code)
        assert 'role="alert"' in refused.get_data(as_text=True)
    assert shipment(app, shipment_id).branch_id == net.far.id
    # No CSRF token: refused.
    assert client.post(path, data={"branch_code": net.n1.code}).status_code == 400


def test_changing_branch_is_rate_limited(app, client, make, net):
    location, number, shipment_id = _order_in_browser(app, client, make, net.x)
    path = location.split("?")[0] + "/branch?" + location.split("?")[1]
    token = csrf_token(client, location)
    limit = int(app.config["CHANGE_BRANCH_RATE_LIMIT"].split()[0])
    statuses = [
        client.post(path, data={"csrf_token": token, "branch_code": "ZZZZ"}).status_code
        for _ in range(limit + 1)
    ]
    assert statuses == [404] * limit + [429]


def test_someone_elses_order_is_not_found_and_unchanged(app, client, make, net):
    location, number, shipment_id = _order_in_browser(app, client, make, net.x)
    stranger = app.test_client()
    token = csrf_token(stranger, "/login")
    for path in (f"/orders/{number}/branch", f"/orders/{number}/branch?key=forged"):
        response = stranger.post(path, data={"csrf_token": token, "branch_code": net.n1.code})
        assert response.status_code == 404
    assert shipment(app, shipment_id).branch_id == net.x.id


def test_after_arrival_the_page_offers_no_change_and_a_post_is_409(app, client, make, net):
    location, number, shipment_id = _order_in_browser(app, client, make, net.x)
    token = csrf_token(client, location)
    with app.app_context():
        tracking = db.session.scalar(
            sa.select(Package.tracking_number).where(Package.shipment_id == shipment_id)
        )
    to_shelf(app, net, tracking, net.clerk_x)
    page = text(client.get(location))
    assert "Choose another branch" not in page
    path = location.split("?")[0] + "/branch?" + location.split("?")[1]
    response = client.post(path, data={"csrf_token": token, "branch_code": net.n1.code})
    assert response.status_code == 409
    assert shipment(app, shipment_id).branch_id == net.x.id


def test_the_admin_branch_screens_are_for_operators_only(app, client, make, net):
    for role in (Role.SHOPPER, Role.CLERK, Role.DC):
        other = app.test_client()
        user = make.user(role=role)
        assert log_in(other, user.email).status_code == 302
        token = csrf_token(other, "/login")
        for path in ("/admin/branches", f"/admin/branches/{net.x.code}",
                     f"/admin/branches/{net.x.code}/close?how=today"):  # fmt: skip
            assert other.get(path).status_code == 403, (role, path)
        for path in (f"/admin/branches/{net.x.code}/close", f"/admin/branches/{net.x.code}/reopen"):
            assert (
                other.post(path, data={"csrf_token": token, "how": "for_good"}).status_code == 403
            )
    visitor = app.test_client()
    assert visitor.get("/admin/branches").status_code == 302  # to the login page
    with app.app_context():
        assert db.session.get(Branch, net.x.id).closed_from is None


def test_an_operator_closes_with_a_confirm_step_and_reopens(app, client, make, net):
    ship(app, net.x, packages=2)
    ship(app, net.x)
    _admin(client, make)
    listing = text(client.get("/admin/branches?q=Closing"))
    assert "7-Eleven Closing" in listing and "7-Eleven Far" not in listing

    confirm = client.get(f"/admin/branches/{net.x.code}/close?how=until&until=2026-07-16")
    assert confirm.status_code == 200
    assert "3 packages of 2 orders will be re-routed" in words(text(confirm))
    assert reserved(app, net.x) == 3  # the confirm step changes nothing

    token = csrf_token(client, f"/admin/branches/{net.x.code}/close?how=today")
    assert (
        client.post(f"/admin/branches/{net.x.code}/close", data={"how": "today"}).status_code == 400
    )
    done = client.post(
        f"/admin/branches/{net.x.code}/close",
        data={"csrf_token": token, "how": "until", "until": "2026-07-16"},
    )
    assert done.status_code == 303
    page = text(client.get(done.headers["Location"]))
    assert "3 packages re-routed" in page and "Closed until Thu 16 Jul" in page
    assert reserved(app, net.x) == 0 and reserved(app, net.n1) == 3
    assert "Closed until Thu 16 Jul" in text(client.get("/branches?q=Closing"))

    reopened = client.post(f"/admin/branches/{net.x.code}/reopen", data={"csrf_token": token})
    assert reopened.status_code == 303
    assert "is open again" in text(client.get(reopened.headers["Location"]))
    with app.app_context(), transaction():
        assert branches.reserve(net.x.code, 1).code == net.x.code


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?how=sometime",
        "?how=until",
        "?how=until&until=tomorrow",
        "?how=until&until=2026-07-01",
        "?how=until&until=" + "9" * 500,
        "?how[]=today",
    ],
)
def test_bad_closure_requests_are_4xx_and_change_nothing(app, client, make, net, query):
    ship(app, net.x)
    _admin(client, make)
    assert 400 <= client.get(f"/admin/branches/{net.x.code}/close{query}").status_code < 500
    token = csrf_token(client, f"/admin/branches/{net.x.code}/close?how=today")
    form = dict(part.split("=", 1) for part in query.lstrip("?").split("&") if "=" in part)
    posted = client.post(f"/admin/branches/{net.x.code}/close", data={"csrf_token": token, **form})
    assert 400 <= posted.status_code < 500
    for code in ("ZZZZ", "DC-PASIG", "x" * 300):
        assert client.get(f"/admin/branches/{code}").status_code == 404
        assert (
            client.post(
                f"/admin/branches/{code}/close", data={"csrf_token": token, "how": "today"}
            ).status_code
            == 404
        )
    with app.app_context():
        assert db.session.get(Branch, net.x.id).closed_from is None
    assert reserved(app, net.x) == 1


def test_the_dc_screen_takes_a_recalled_package_in_with_the_receive_scan(app, make, net):
    shipped = ship(app, net.x)
    number = shipped.numbers[0]
    to_shelf(app, net, number, net.clerk_x)
    call(app, ecms.reroute.close_branch, net.x.code, net.admin, for_good=True)
    dc_login = make.user(role=Role.DC, name="Dina DC", branch_id=net.dc.id)
    client = app.test_client()
    assert log_in(client, dc_login.email).status_code == 302
    token = csrf_token(client, "/counter/dc")
    client.post("/counter/dc/counter", data={"csrf_token": token, "terminal": "DC-1", "shift": "1"})
    scanned = client.post(
        "/counter/dc/receive",
        data={"csrf_token": token, "tracking_number": number},
        headers={"HX-Request": "true"},
    )
    assert scanned.status_code == 200
    assert "Called back from a closed branch" in text(scanned)
    assert "7-Eleven Nearest" in text(scanned)
    back = package(app, number)
    assert (back.state, back.location_id) == (S.ACCEPTED, net.dc.id)
    again = client.post(
        "/counter/dc/receive",
        data={"csrf_token": token, "tracking_number": number},
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 409  # a second scan: refused as before


def test_two_changes_of_one_order_at_once_make_one(app, net, backend):
    """Two tabs of the order page choosing different branches at the same moment: one move,
    the other refused, every shelf count right. On PostgreSQL with threads, with a control
    showing both read the order before either moved it."""
    import threading

    from shop.fulfillment import reroute
    from tests.integration.test_payments import _race

    shipped = ship(app, net.x, packages=2)
    targets = [net.n1.code, net.far.code]
    shop = ecms.Actor.shop("shopper")
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite serializes every writer")
    read_both = threading.Barrier(2, timeout=20)
    reached = []
    real_lock = reroute._lock_branches

    def after_reading(*args):
        reached.append(args)
        read_both.wait()  # both have read the order's branch as X
        return real_lock(*args)

    reroute._lock_branches = after_reading
    try:
        results = _race(2, lambda i: call(app, reroute.change_branch, shipped.id, targets[i], shop))
    finally:
        reroute._lock_branches = real_lock
    assert len(reached) == 2  # the control: both got as far as the move
    won = [r for r in results if isinstance(r, reroute.Rerouted)]
    lost = [r for r in results if not isinstance(r, reroute.Rerouted)]
    assert len(won) == 1 and all(isinstance(r, ecms.InvalidTransition) for r in lost), results
    winner = net.n1 if won[0].to_code == net.n1.code else net.far
    loser = net.far if winner is net.n1 else net.n1
    assert shipment(app, shipped.id).branch_id == winner.id
    assert [reserved(app, b) for b in (net.x, winner, loser)] == [0, 2, 0]
    assert len(events(app, shipped.numbers[0])) == 1 and len(mails(app)) == 1


@pytest.mark.parametrize("first", ["arrive", "change"])
def test_an_arrival_and_a_change_of_branch_at_once_make_one(app, net, backend, first):
    """The clerk of X takes the package in while its shopper sends it elsewhere: one wins, and
    the package, its order's branch and the shelves agree (PostgreSQL, threads, a control).
    Both have read the package before either moves; then `first` goes a moment ahead."""
    import threading
    import time

    from shop.fulfillment import reroute
    from tests.integration.test_payments import _race

    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite serializes every writer")
    shipped = ship(app, net.x)
    number = shipped.numbers[0]
    to_dc(app, net, number)
    call(app, ecms.dispatch, number, net.dc_user)
    both_read = threading.Barrier(2, timeout=20)
    reached = []
    real_lock, real_locked = reroute._lock_branches, ecms._locked_destination

    def lock_after_reading(*args):
        reached.append("change")
        both_read.wait()
        time.sleep(0 if first == "change" else 0.3)
        return real_lock(*args)

    def locked_after_reading(*args):
        reached.append("arrive")
        both_read.wait()
        time.sleep(0 if first == "arrive" else 0.3)
        return real_locked(*args)

    reroute._lock_branches, ecms._locked_destination = lock_after_reading, locked_after_reading
    try:
        results = _race(
            2,
            lambda i: (
                call(app, ecms.arrive, number, net.clerk_x)
                if i == 0
                else call(app, reroute.change_branch, shipped.id, net.n1.code, ecms.Actor.shop())
            ),
        )
    finally:
        reroute._lock_branches, ecms._locked_destination = real_lock, real_locked
    assert sorted(reached) == ["arrive", "change"]  # the control
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ecms.InvalidTransition), results
    moved = package(app, number)
    bound = shipment(app, shipped.id).branch_id
    assert isinstance(results[1 if first == "arrive" else 0], Exception)
    if isinstance(results[0], Exception):  # the change won
        assert (moved.state, bound) == (S.IN_TRANSIT, net.n1.id)
        assert [reserved(app, b) for b in (net.x, net.n1)] == [0, 1]
    else:
        assert (moved.state, moved.location_id, bound) == (S.AT_BRANCH, net.x.id, net.x.id)
        assert [reserved(app, b) for b in (net.x, net.n1)] == [1, 0]


def test_public_tracking_tells_the_move_in_plain_words(app, client, net):
    shipped = ship(app, net.x)
    number = shipped.numbers[0]
    to_shelf(app, net, number, net.clerk_x)
    call(app, ecms.reroute.close_branch, net.x.code, net.admin, for_good=True)
    page = text(client.get(f"/track/{number}"))
    assert "On its way back to the distribution center (its branch closed)" in page
    assert "7-Eleven Nearest" in page and "Juan" not in page
    call(app, ecms.reroute.return_to_dc, number, net.dc_user)
    assert "Back at the distribution center" in text(client.get(f"/track/{number}"))


def test_checkout_refuses_a_closed_branch(app, client, make, net):
    call(app, ecms.reroute.close_branch, net.n1.code, net.admin)
    _add(client, make.item(stock=5))
    response = _checkout(client, net.n1)
    assert response.status_code == 409
    assert "is closed" in text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    assert reserved(app, net.n1) == 0
    assert "Closed on Tue 14 Jul" in text(client.get("/checkout?branch_q=Nearest"))
