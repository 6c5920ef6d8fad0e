"""Concurrent moves of one package make one transition (issue #10, point 1): two clerks releasing
the same order at once, two ticks at once. On PostgreSQL, with threads and separate sessions,
each race paired with a control that shows the race is real (every thread got as far as the
move); SQLite serializes writers, so there the same calls run one after another."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PackageEvent
from shop.fulfillment.models import PackageState as S
from shop.notify.models import OutboxMessage
from shop.transaction import transaction
from tests.integration import test_ecms_lifecycle
from tests.integration.test_ecms_lifecycle import (
    MOMENT,
    call,
    events,
    package,
    reserved,
    ship,
    to_branch,
)
from tests.integration.test_payments import _race

world = test_ecms_lifecycle.world  # the DC, two stores and their logins


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite serializes every writer")


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_two_clerks_releasing_one_order_at_once_make_one_claim(app, world, postgres_only):
    shipped = ship(app, world.a, cod=50_000, packages=2)
    for number in shipped.numbers:
        to_branch(app, world, number)
    reached_the_move = []
    real_move = ecms._move
    # Every release waits here until all four have passed their checks on the same read: then
    # only the database's conditional UPDATE can tell them apart.
    all_checked = threading.Barrier(4, timeout=20)

    def spying_move(packages, action, *args, **kwargs):
        if action == ecms.Action.CLAIM:
            reached_the_move.append(action)
            all_checked.wait()
        return real_move(packages, action, *args, **kwargs)

    ecms._move = spying_move
    try:

        def release(i):
            return call(
                app,
                ecms.claim,
                shipped.code,
                shipped.numbers,
                world.clerk_a.at_counter(f"POS-{i + 1}", 1),
                cash_received=50_000,
            )

        results = _race(4, release)
    finally:
        ecms._move = real_move
    won = [r for r in results if isinstance(r, ecms.Claim)]
    lost = [r for r in results if not isinstance(r, ecms.Claim)]
    assert len(won) == 1, results
    assert all(isinstance(r, ecms.InvalidTransition) for r in lost), lost
    # The control: all four passed every check and reached the UPDATE together, so the
    # database, not an earlier read, decided.
    assert len(reached_the_move) == 4
    claims = _count(app, PackageEvent, PackageEvent.action == "claim")
    assert claims == 2  # one per package, once
    assert {package(app, n).state for n in shipped.numbers} == {S.CLAIMED}
    assert reserved(app, world.a) == 0  # given back once, not four times below zero
    assert _count(app, OutboxMessage, OutboxMessage.key.like("shipment-claimed-%")) == 1


def test_two_ticks_at_once_move_each_package_once(app, world, clock, postgres_only):
    clock.set(MOMENT)
    numbers = []
    for _ in range(6):
        shipped = ship(app, world.a)
        to_branch(app, world, shipped.numbers[0])
        numbers += shipped.numbers
    later = MOMENT + timedelta(days=app.config["PICKUP_DAYS"], minutes=1)

    def tick(i):
        with app.app_context():
            return ecms.expire_pickups(now=later, batch=4)

    results = _race(2, tick)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 6 and all(r > 0 for r in results), results  # each took some
    assert _count(app, PackageEvent, PackageEvent.action == "pickup_deadline_passed") == 6
    assert _count(app, OutboxMessage, OutboxMessage.key.like("package-unclaimed-%")) == 6
    assert {package(app, n).state for n in numbers} == {S.UNCLAIMED}


def test_ticks_one_after_another_move_each_package_once(app, world, clock):
    clock.set(MOMENT)
    shipped = ship(app, world.a, packages=3)
    for number in shipped.numbers:
        to_branch(app, world, number)
    later = MOMENT + timedelta(days=app.config["PICKUP_DAYS"], minutes=1)
    assert [call(app, ecms.expire_pickups, now=later, batch=2) for _ in range(3)] == [2, 1, 0]
    assert [len(events(app, n)) for n in shipped.numbers] == [5, 5, 5]


def test_a_lost_race_inside_a_shipment_changes_none_of_it(app, world):
    """The all-or-none rule of one UPDATE for several packages: if one package of the order
    moved meanwhile (here: the tick made it unclaimed between the counter's read and its
    write), the release is refused and the packages it had moved are put back."""
    shipped = ship(app, world.a, packages=2)
    for number in shipped.numbers:
        to_branch(app, world, number)
    real_check = ecms.check_claim

    def check_then_lose_one(*args, **kwargs):
        check = real_check(*args, **kwargs)
        table = Package.__table__  # as another session would: this one's objects don't know
        db.session.execute(
            sa.update(table)
            .where(table.c.tracking_number == shipped.numbers[1])
            .values(state=S.UNCLAIMED)
        )
        return check

    ecms.check_claim = check_then_lose_one
    try:
        # Inside a caller's transaction that goes on and commits: only the put-back keeps the
        # first package from staying claimed.
        with (
            app.app_context(),
            transaction(),
            pytest.raises(ecms.InvalidTransition, match="Someone else"),
        ):
            ecms.claim(shipped.code, shipped.numbers, world.clerk_a)
    finally:
        ecms.check_claim = real_check
    assert package(app, shipped.numbers[0]).state is S.AT_BRANCH
    assert package(app, shipped.numbers[1]).state is S.UNCLAIMED  # the other's change stands
    assert _count(app, PackageEvent, PackageEvent.action == "claim") == 0
    assert reserved(app, world.a) == 2
