"""Each path of the package lifecycle end to end through the ECMS's service functions, on both
databases (issue #10, point 1): who did it, where, at which terminal and shift, what was
measured or taken; the shelf given back; the shopper's mail queued once; tracking still right."""

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.branches import service as branches
from shop.branches.models import Branch, BranchKind
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PackageEvent, PaymentMode, Shipment
from shop.fulfillment.models import PackageState as S
from shop.notify.models import OutboxMessage
from shop.transaction import transaction
from tests.conftest import text

MOMENT = datetime(2026, 7, 14, 1, 0, tzinfo=UTC)  # Tue 14 Jul, 9:00 AM in Manila
FITS = ecms.Inspection(length_mm=250, width_mm=200, height_mm=120, weight_g=1800)


@dataclass
class World:
    """A DC, two stores (A and B) and a login for each role that moves packages."""

    dc: Branch
    a: Branch
    b: Branch
    dc_user: ecms.Actor
    clerk_a: ecms.Actor
    clerk_b: ecms.Actor
    admin: ecms.Actor


@pytest.fixture
def world(make) -> World:
    dc = make.branch(code="DC-PASIG", name="DC Pasig", kind=BranchKind.DC, shelf_capacity=5000)
    a = make.branch(name="7-Eleven Ayala Triangle", shelf_capacity=10)
    b = make.branch(name="7-Eleven Cubao Aurora", shelf_capacity=10)
    return World(
        dc=dc,
        a=a,
        b=b,
        dc_user=ecms.Actor.of(make.user(role=Role.DC, name="Rosa DC", branch_id=dc.id)),
        clerk_a=ecms.Actor.of(
            make.user(role=Role.CLERK, name="Ana A", branch_id=a.id), terminal="POS-1", shift=2
        ),
        clerk_b=ecms.Actor.of(make.user(role=Role.CLERK, name="Ben B", branch_id=b.id)),
        admin=ecms.Actor.of(make.user(role=Role.ADMIN, name="Operator")),
    )


@dataclass
class Shipped:
    id: int
    code: str
    numbers: list[str]


def ship(app, branch, *, cod: int = 0, packages: int = 1, email="juan@example.com") -> Shipped:
    """A shipment to `branch` as checkout makes one: the shelf reserved for its packages, then
    the labels."""
    with app.app_context(), transaction():
        branches.reserve(branch.code, packages)
        made = ecms.create_shipment(
            reference=f"CQ-TEST-{uuid.uuid4().hex[:8]}",
            payment=PaymentMode.COD if cod else PaymentMode.PREPAID,
            amount_due=cod,
            branch_id=branch.id,
            recipient=ecms.Recipient("Juan dela Cruz", "+639171234567", email),
            parcels=[ecms.Parcel(False, 1800, 6000, f"1 × Thing {n}") for n in range(packages)],
        )
        numbers = list(
            db.session.scalars(
                sa.select(Package.tracking_number)
                .where(Package.shipment_id == made.id)
                .order_by(Package.id)
            )
        )
    return Shipped(made.id, made.code.code, numbers)


def call(app, function, *args, **kwargs):
    """A service call in its own app context (its own session), as a request makes it."""
    with app.app_context():
        return function(*args, **kwargs)


def to_branch(app, world, number):
    """drop-off at the DC, accepted, dispatched, arrived at its branch (A)."""
    call(app, ecms.drop_off, number, world.dc_user)
    call(app, ecms.accept, number, world.dc_user, inspection=FITS)
    call(app, ecms.dispatch, number, world.dc_user)
    call(app, ecms.arrive, number, world.clerk_a)


def package(app, number) -> Package:
    with app.app_context():
        found = db.session.scalar(sa.select(Package).where(Package.tracking_number == number))
        db.session.expunge(found)
        return found


def events(app, number) -> list[PackageEvent]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(PackageEvent)
            .join(Package)
            .where(Package.tracking_number == number)
            .order_by(PackageEvent.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def reserved(app, branch) -> int:
    with app.app_context():
        return db.session.get(Branch, branch.id).reserved


def mails(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.created_at))
        return [(row.key, row.payload) for row in rows]


def test_prepaid_from_label_to_claim(app, client, world, clock):
    clock.set(MOMENT)
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    assert reserved(app, world.a) == 1

    call(app, ecms.drop_off, number, world.dc_user)
    assert package(app, number).location_id == world.dc.id
    call(app, ecms.accept, number, world.dc_user, inspection=FITS)
    call(app, ecms.dispatch, number, world.dc_user)
    assert package(app, number).location_id is None  # on the truck
    clock.advance(hours=20)
    call(app, ecms.arrive, number, world.clerk_a)
    arrived = package(app, number)
    assert arrived.state is S.AT_BRANCH and arrived.location_id == world.a.id
    assert arrived.pickup_deadline == MOMENT + timedelta(hours=20, days=app.config["PICKUP_DAYS"])

    page = text(client.get(f"/track/{number}"))
    assert "Ready for pickup at the branch" in page and "Pick it up by" in page

    clock.advance(hours=3)
    claimed = call(app, ecms.claim, shipped.code, [number], world.clerk_a, id_type="UMID")
    assert claimed.tracking_numbers == (number,) and claimed.branch_id == world.a.id
    assert claimed.cash_received is None and claimed.amount_due == 0
    assert package(app, number).state is S.CLAIMED
    assert reserved(app, world.a) == 0  # the shelf slot came back

    rows = events(app, number)
    assert [(e.action, e.from_state, e.to_state) for e in rows] == [
        ("drop_off", S.LABEL_ISSUED, S.RECEIVED),
        ("accept", S.RECEIVED, S.ACCEPTED),
        ("dispatch", S.ACCEPTED, S.IN_TRANSIT),
        ("arrive", S.IN_TRANSIT, S.AT_BRANCH),
        ("claim", S.AT_BRANCH, S.CLAIMED),
    ]
    dc_event, claim_event = rows[0], rows[-1]
    assert (dc_event.actor, dc_event.actor_role, dc_event.actor_id) == (
        "Rosa DC",
        "dc",
        world.dc_user.user_id,
    )
    assert (dc_event.branch_id, dc_event.place) == (world.dc.id, "DC Pasig")
    assert rows[1].detail["inspection"]["weight_g"] == 1800
    assert (claim_event.actor_role, claim_event.branch_id, claim_event.place) == (
        "clerk",
        world.a.id,
        "7-Eleven Ayala Triangle",
    )
    assert (claim_event.terminal, claim_event.shift) == ("POS-1", "2")
    assert claim_event.detail["code_kind"] == "claim" and claim_event.detail["id_type"] == "UMID"
    assert claim_event.at == MOMENT + timedelta(hours=23)

    page = text(client.get(f"/track/{number}"))
    assert "Picked up" in page and "Juan" not in page and "Ana A" not in page
    done = re.findall(r'class="stage stage--done"', page)
    assert len(done) == 6

    keys = [key for key, _ in mails(app)]
    assert keys == [
        f"package-ready-{number}-{world.a.id}",
        f"shipment-claimed-{shipped.id}-{package(app, number).id}",
    ]
    ready = mails(app)[0][1]
    assert ready["to"] == ["juan@example.com"]
    assert ready["subject"] == (
        "Ready for pickup at 7-Eleven Ayala Triangle until Wed 22 Jul, 5:00 AM"
    )
    assert "Pick it up by Wed 22 Jul, 5:00 AM" in ready["text"]
    assert f"/track/{number}" in ready["text"] and ecms.codes.group(shipped.code) in ready["text"]
    assert "sms" not in ready["text"].lower() and "text you" not in ready["text"].lower()


def test_cash_on_delivery_takes_the_cash_and_gives_change(app, world):
    shipped = ship(app, world.a, cod=123_450)
    number = shipped.numbers[0]
    to_branch(app, world, number)
    with pytest.raises(ecms.InvalidInput) as short:
        call(app, ecms.claim, shipped.code, [number], world.clerk_a, cash_received=100_000)
    assert short.value.field == "cash_received"
    with pytest.raises(ecms.InvalidInput):
        call(app, ecms.claim, shipped.code, [number], world.clerk_a)
    assert package(app, number).state is S.AT_BRANCH  # refused: nothing changed

    done = call(app, ecms.claim, shipped.code, [number], world.clerk_a, cash_received=150_000)
    assert (done.amount_due, done.cash_received, done.change) == (123_450, 150_000, 26_550)
    claim_event = events(app, number)[-1]
    assert claim_event.detail["code_kind"] == "reference"
    assert claim_event.detail["cash_received"] == 150_000 and claim_event.detail["change"] == 26_550
    claimed_mail = mails(app)[-1][1]
    assert "₱1,234.50" in claimed_mail["text"] and "₱265.50" in claimed_mail["text"]
    ready_mail = mails(app)[0][1]
    assert "pay ₱1,234.50 in cash" in ready_mail["text"]


def test_a_prepaid_order_takes_no_cash(app, world):
    shipped = ship(app, world.a)
    to_branch(app, world, shipped.numbers[0])
    with pytest.raises(ecms.InvalidInput, match="paid"):
        call(app, ecms.claim, shipped.code, shipped.numbers, world.clerk_a, cash_received=500)


def test_a_shipment_of_several_packages_is_released_whole(app, world):
    shipped = ship(app, world.a, packages=3)
    first, second, third = shipped.numbers
    to_branch(app, world, first)
    to_branch(app, world, second)
    with app.app_context():
        shipment = db.session.get(Shipment, shipped.id)
        assert not ecms.shipment_claimed(shipment)
        assert [p.tracking_number for p in ecms.packages_to_claim(shipment)] == shipped.numbers

    with pytest.raises(ecms.NotArrived, match=re.escape(ecms.codes.group(third))):
        call(app, ecms.claim, shipped.code, [first, second], world.clerk_a)
    to_branch(app, world, third)
    check = call(app, ecms.check_claim, shipped.code, [first], world.clerk_a)
    assert not check.complete
    assert [p.tracking_number for p in check.missing] == [second, third]
    with pytest.raises(ecms.LabelMissing, match=r"package 2 of 3"):
        call(app, ecms.claim, shipped.code, [first], world.clerk_a)
    other = ship(app, world.a)
    with pytest.raises(ecms.LabelMismatch):
        call(app, ecms.claim, shipped.code, [first, other.numbers[0]], world.clerk_a)
    assert {package(app, n).state for n in shipped.numbers} == {S.AT_BRANCH}

    done = call(app, ecms.claim, shipped.code, [third, first, second], world.clerk_a)
    assert done.tracking_numbers == tuple(shipped.numbers)
    assert reserved(app, world.a) == 1  # only `other`'s slot is still taken
    with app.app_context():
        assert ecms.shipment_claimed(db.session.get(Shipment, shipped.id))
    claimed_mails = [key for key, _ in mails(app) if key.startswith("shipment-claimed")]
    assert len(claimed_mails) == 1  # one mail for the order, not one per package
    with pytest.raises(ecms.InvalidTransition, match="Already picked up"):
        call(app, ecms.claim, shipped.code, shipped.numbers, world.clerk_a)


def test_rejected_at_inspection(app, world):
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    call(app, ecms.drop_off, number, world.dc_user)
    too_big = ecms.Inspection(length_mm=350, width_mm=200, height_mm=100, weight_g=11_000)
    with pytest.raises(ecms.FailsInspection, match="larger than 30 × 30 × 30 cm") as refused:
        call(app, ecms.accept, number, world.dc_user, inspection=too_big)
    assert "10 kg" in refused.value.message
    with pytest.raises(ecms.InvalidInput):
        call(app, ecms.reject, number, world.dc_user, reason=" ")
    call(app, ecms.reject, number, world.dc_user, reason="Over 10 kg", inspection=too_big)
    rejected = package(app, number)
    assert rejected.state is S.REJECTED and rejected.location_id == world.dc.id
    assert events(app, number)[-1].detail == {
        "reason": "Over 10 kg",
        "inspection": too_big.as_dict(),
    }
    assert reserved(app, world.a) == 0
    (key, mail) = mails(app)[-1]
    assert key == f"package-rejected-{number}" and "Over 10 kg" in mail["text"]
    with app.app_context():
        assert not ecms.shipment_claimed(db.session.get(Shipment, shipped.id))


def test_unclaimed_by_the_tick_then_pulled_out_and_returned(app, runner, world, clock):
    clock.set(MOMENT)
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    to_branch(app, world, number)
    deadline = package(app, number).pickup_deadline

    clock.set(deadline - timedelta(seconds=1))
    assert call(app, ecms.expire_pickups) == 0
    with pytest.raises(ecms.NotDue):
        call(app, ecms.pickup_deadline_passed, number, ecms.Actor.system())
    with pytest.raises(ecms.PickupExpired):  # the counter refuses it once the deadline passed
        clock.set(deadline)
        call(app, ecms.claim, shipped.code, [number], world.clerk_a)

    result = runner.invoke(args=["shop", "tick"])
    assert result.exit_code == 0, result.output
    assert "Marked 1 package not picked up in time." in result.output
    assert call(app, ecms.expire_pickups) == 0  # once
    unclaimed = package(app, number)
    assert unclaimed.state is S.UNCLAIMED and unclaimed.location_id == world.a.id
    tick_event = events(app, number)[-1]
    assert (tick_event.actor_role, tick_event.actor_id, tick_event.branch_id) == (
        "system",
        None,
        world.a.id,
    )
    assert reserved(app, world.a) == 1  # still on the shelf until pulled out
    key, mail = mails(app)[-1]
    assert key == f"package-unclaimed-{number}" and "goes back to the seller" in mail["text"]

    with pytest.raises(ecms.NotYours):
        call(app, ecms.pull_out, number, world.clerk_b)
    call(app, ecms.pull_out, number, world.clerk_a)
    assert reserved(app, world.a) == 0
    assert package(app, number).location_id is None
    call(app, ecms.return_to_merchant, number, world.dc_user, detail={"apo": "APO-1"})
    assert package(app, number).state is S.RETURNED_TO_MERCHANT
    assert events(app, number)[-1].detail == {"apo": "APO-1"}


def test_a_return_dropped_off_goes_back_to_the_merchant(app, client, world):
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    to_branch(app, world, number)
    call(app, ecms.claim, shipped.code, [number], world.clerk_a)
    too_big = ecms.Inspection(length_mm=460, width_mm=300, height_mm=300, weight_g=2000)
    with pytest.raises(ecms.FailsInspection, match="45 × 30 × 30 cm"):
        call(app, ecms.return_drop_off, number, world.clerk_b, inspection=too_big)
    fits_return = ecms.Inspection(length_mm=440, width_mm=300, height_mm=300, weight_g=2000)
    call(app, ecms.return_drop_off, number, world.clerk_b, inspection=fits_return)  # any branch
    back = package(app, number)
    assert back.state is S.RETURN_DROPPED_OFF and back.location_id == world.b.id
    assert mails(app)[-1][0] == f"package-return-received-{number}"
    with pytest.raises(ecms.NotYours):
        call(app, ecms.pull_out, number, world.clerk_a)  # B holds it now
    call(app, ecms.pull_out, number, world.clerk_b)
    assert reserved(app, world.a) == 0 and reserved(app, world.b) == 0  # a return holds none
    call(app, ecms.return_to_merchant, number, world.dc_user)
    assert package(app, number).state is S.RETURNED_TO_MERCHANT
    with app.app_context():
        assert ecms.shipment_claimed(db.session.get(Shipment, shipped.id))  # it was claimed
    page = text(client.get(f"/track/{number}"))
    assert "Returned to the seller" in page and "Return dropped off" in page


def test_store_to_store_drop_off_at_the_origin_branch(app, client, world):
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    call(app, ecms.drop_off, number, world.clerk_b)  # the seller's branch
    dropped = package(app, number)
    assert dropped.state is S.RECEIVED and dropped.location_id == world.b.id
    assert "Dropped off at a 7-Eleven branch" in text(client.get(f"/track/{number}"))
    call(app, ecms.accept, number, world.dc_user, inspection=FITS)
    assert package(app, number).location_id == world.dc.id


def test_cancel_before_drop_off_gives_the_shelf_back(app, world):
    shipped = ship(app, world.a, packages=2)
    assert reserved(app, world.a) == 2
    with pytest.raises(ecms.NotAllowed):
        call(app, ecms.cancel_shipment, shipped.id, world.clerk_a)
    call(app, ecms.cancel_shipment, shipped.id, ecms.Actor.shop("checkout"), reason="x")
    assert [package(app, n).state for n in shipped.numbers] == [S.CANCELLED, S.CANCELLED]
    assert reserved(app, world.a) == 0
    assert events(app, shipped.numbers[0])[-1].actor_role == "shop"

    dropped = ship(app, world.a, packages=2)
    call(app, ecms.drop_off, dropped.numbers[1], world.dc_user)
    with pytest.raises(ecms.InvalidTransition):
        call(app, ecms.cancel_shipment, dropped.id, world.admin)
    assert package(app, dropped.numbers[0]).state is S.LABEL_ISSUED  # all or none
    call(app, ecms.cancel, dropped.numbers[0], world.admin)
    assert reserved(app, world.a) == 1


def test_a_clerk_of_another_branch_finds_nothing(app, world):
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    call(app, ecms.drop_off, number, world.dc_user)
    call(app, ecms.accept, number, world.dc_user, inspection=FITS)
    call(app, ecms.dispatch, number, world.dc_user)
    unknown = ecms.codes.generate(ecms.CodeType.TRACKING)

    with pytest.raises(ecms.PackageNotFound) as not_yours:
        call(app, ecms.arrive, number, world.clerk_b)
    with pytest.raises(ecms.PackageNotFound) as not_known:
        call(app, ecms.arrive, unknown, world.clerk_b)
    assert (not_yours.value.code, not_yours.value.message) == (
        not_known.value.code,
        not_known.value.message,
    )
    call(app, ecms.arrive, number, world.clerk_a)

    unknown_code = ecms.codes.generate(ecms.CodeType.CLAIM)
    with pytest.raises(ecms.CodeNotFound) as code_not_yours:
        call(app, ecms.claim, shipped.code, [number], world.clerk_b)
    with pytest.raises(ecms.CodeNotFound) as code_not_known:
        call(app, ecms.claim, unknown_code, [number], world.clerk_b)
    assert code_not_yours.value.message == code_not_known.value.message
    assert package(app, number).state is S.AT_BRANCH
    assert len(events(app, number)) == 4  # the refusals wrote nothing


def test_roles_and_places_that_may_not(app, world, make):
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    with pytest.raises(ecms.NotAllowed, match="store clerk can't accept"):
        call(app, ecms.accept, number, world.clerk_a, inspection=FITS)
    stray_dc = ecms.Actor.of(make.user(role=Role.DC, branch_id=None))
    with pytest.raises(ecms.NotAllowed, match="distribution center"):
        call(app, ecms.drop_off, number, stray_dc)
    shopper = ecms.Actor.of(make.user(role=Role.SHOPPER))
    with pytest.raises(ecms.NotAllowed):
        call(app, ecms.drop_off, number, shopper)
    with pytest.raises(ecms.NotAllowed):
        call(app, ecms.dispatch, number, ecms.Actor.system())
    assert package(app, number).state is S.LABEL_ISSUED and events(app, number) == []


def test_every_refused_pair_changes_nothing(app, world):
    """Every (state, action) pair DESIGN.md doesn't draw, tried by an actor who could do that
    action: refused with InvalidTransition, the package, its events and the outbox unchanged."""
    from shop.fulfillment.lifecycle import TRANSITIONS, Action

    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    refused = 0
    for state in S:
        with app.app_context(), transaction():
            db.session.execute(
                sa.update(Package)
                .where(Package.tracking_number == number)
                .values(state=state, location_id=world.a.id, pickup_deadline=MOMENT)
            )
        for action in Action:
            if (state, action) in TRANSITIONS:
                continue
            with pytest.raises(ecms.InvalidTransition):
                _attempt(app, world, action, shipped, number)
            after = package(app, number)
            assert (after.state, after.location_id) == (state, world.a.id), action
            refused += 1
    assert refused == len(S) * len(Action) - len(TRANSITIONS)
    assert events(app, number) == [] and mails(app) == []
    assert reserved(app, world.a) == 1


def _attempt(app, world, action, shipped, number):
    """Try `action` as an actor allowed to do it, where it is allowed."""
    A = ecms.Action
    if action is A.CLAIM:
        return call(app, ecms.claim, shipped.code, [number], world.clerk_a)
    if action is A.VOID_CLAIM:
        return call(app, ecms.void_claim, shipped.code, world.clerk_a, reason="A mistake")
    if action is A.PICKUP_DEADLINE_PASSED:
        return call(app, ecms.pickup_deadline_passed, number, ecms.Actor.system())
    if action is A.CANCEL:
        return call(app, ecms.cancel, number, ecms.Actor.shop())
    if action is A.ACCEPT:
        return call(app, ecms.accept, number, world.dc_user, inspection=FITS)
    if action is A.REJECT:
        return call(app, ecms.reject, number, world.dc_user, reason="Damaged")
    by_dc = {A.DROP_OFF, A.DISPATCH, A.RETURN_TO_MERCHANT}
    function = getattr(ecms, action.value)
    return call(app, function, number, world.dc_user if action in by_dc else world.clerk_a)


def test_a_transition_in_the_callers_transaction_commits_with_it(app, world):
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    with app.app_context(), pytest.raises(RuntimeError), transaction():
        ecms.drop_off(number, world.dc_user)
        raise RuntimeError("the caller fails after the move")
    assert package(app, number).state is S.LABEL_ISSUED and events(app, number) == []


def test_a_move_retried_after_its_transaction_failed_mails_once(app, world):
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    call(app, ecms.drop_off, number, world.dc_user)
    call(app, ecms.accept, number, world.dc_user, inspection=FITS)
    call(app, ecms.dispatch, number, world.dc_user)
    with app.app_context(), pytest.raises(RuntimeError), transaction():
        ecms.arrive(number, world.clerk_a)
        raise RuntimeError("the request fails after the arrival: nothing of it is saved")
    assert mails(app) == [] and package(app, number).state is S.IN_TRANSIT
    call(app, ecms.arrive, number, world.clerk_a)  # the retry
    with pytest.raises(ecms.InvalidTransition):  # a double scan
        call(app, ecms.arrive, number, world.clerk_a)
    with app.app_context():
        again = db.session.get(Package, package(app, number).id)
        ecms._mail(  # the same mail queued again by a caller that runs twice
            again.shipment,
            "ready",
            key=f"package-ready-{number}-{world.a.id}",
            packages=[again],
            branch_name="x",
            deadline=again.pickup_deadline,
            subject="x",
        )
        db.session.commit()
    assert [key for key, _ in mails(app)] == [f"package-ready-{number}-{world.a.id}"]


def test_the_demo_clerks_and_dc_work_where_they_belong(app, runner):
    from shop.auth.models import User
    from shop.demo import DEMO_PLACES

    result = runner.invoke(args=["shop", "seed"])
    assert "clerk-0412@demo.cliqq.ph  (Ayala Triangle)" in result.output
    with app.app_context():
        placed = {
            user.email: db.session.get(Branch, user.branch_id).code
            for user in db.session.scalars(sa.select(User).where(User.branch_id.is_not(None)))
        }
    assert placed == DEMO_PLACES


def test_a_counter_release_costs_a_handful_of_queries(app, world, count_queries):
    """The counter is about speed (issue #10, point 13): a COD release of a one-package order,
    from the code to the mail, in a bounded number of statements."""
    shipped = ship(app, world.a, cod=10_000)
    to_branch(app, world, shipped.numbers[0])
    with count_queries() as queries:
        call(app, ecms.claim, shipped.code, shipped.numbers, world.clerk_a, cash_received=10_000)
    # The DC's id, the shipment, its packages, the branch; the UPDATE, the event, the shelf,
    # the mail.
    assert len(queries) <= 8, "\n".join(queries)
