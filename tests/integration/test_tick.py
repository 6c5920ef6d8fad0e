"""Time (issue #10, point 7): `flask shop tick` reminds the shopper before the pickup deadline
(once per package and deadline, by mail and, when a sender is configured, by text), makes a
package past its deadline unclaimed, and sends an unclaimed package back (returning, shelf slot
freed) once UNCLAIMED_RETURN_HOURS passed with no clerk's pull-out. On both databases; two
ticks racing on PostgreSQL, with a control showing the race is real."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment import timing
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


def _messages(app, like: str) -> list[tuple[str, str, dict]]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.key.like(like))
            .order_by(OutboxMessage.created_at, OutboxMessage.key)
        )
        return [(row.kind, row.key, row.payload) for row in rows]


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _at_branch(app, world, clock, n: int = 1, **ship_args) -> list[str]:
    """n packages arrived at branch A at MOMENT (deadline MOMENT + PICKUP_DAYS)."""
    clock.set(MOMENT)
    numbers = []
    for _ in range(n):
        shipped = ship(app, world.a, **ship_args)
        for number in shipped.numbers:
            to_branch(app, world, number)
        numbers += shipped.numbers
    return numbers


def _deadline(app):
    return MOMENT + timedelta(days=app.config["PICKUP_DAYS"])


# --- reminders ---------------------------------------------------------------------------------


def test_the_reminder_goes_once_the_deadline_is_near_and_only_once(app, world, clock):
    [number] = _at_branch(app, world, clock)
    deadline = _deadline(app)
    hours = app.config["PICKUP_REMINDER_HOURS"]
    clock.set(deadline - timedelta(hours=hours, minutes=1))
    assert call(app, timing.remind_pickups) == 0  # not yet
    clock.set(deadline - timedelta(hours=hours))
    assert call(app, timing.remind_pickups) == 1
    assert call(app, timing.remind_pickups) == 0  # once
    clock.set(deadline - timedelta(minutes=1))
    assert call(app, timing.remind_pickups) == 0  # still once
    [(kind, key, mail)] = _messages(app, "package-reminder-%")
    assert kind == "mail" and key.startswith(f"package-reminder-{number}-")
    assert "7-Eleven Ayala Triangle" in mail["subject"]
    assert "Pick it up by" in mail["text"] and f"/track/{number}" in mail["text"]
    assert package(app, number).reminded_for == deadline
    assert _messages(app, "sms-%") == []  # no sender configured in tests: no text


def test_a_new_deadline_is_reminded_again(app, world, clock):
    [number] = _at_branch(app, world, clock)
    deadline = _deadline(app)
    clock.set(deadline - timedelta(hours=1))
    assert call(app, timing.remind_pickups) == 1
    later = deadline + timedelta(days=2)  # as a re-route to another branch would set it
    with app.app_context(), transaction():
        db.session.execute(
            sa.update(Package)
            .where(Package.tracking_number == number)
            .values(pickup_deadline=later)
        )
    clock.set(later - timedelta(hours=2))
    assert call(app, timing.remind_pickups) == 1
    assert len(_messages(app, "package-reminder-%")) == 2


def test_a_tick_that_comes_after_the_deadline_reminds_no_one(app, world, clock):
    [number] = _at_branch(app, world, clock)
    clock.set(_deadline(app))
    assert call(app, timing.remind_pickups) == 0
    assert _messages(app, "package-reminder-%") == []


def test_with_a_text_sender_the_reminder_and_ready_go_by_text_too(app, world, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_URL", "dev")
    [number] = _at_branch(app, world, clock, cod=50_000)
    [(kind, _, ready)] = _messages(app, "sms-package-ready-%")
    assert kind == "sms" and ready["to"] == "+639171234567"
    assert "ready at 7-Eleven Ayala Triangle" in ready["text"] and "₱500.00" in ready["text"]
    clock.set(_deadline(app) - timedelta(hours=3))
    assert call(app, timing.remind_pickups) == 1
    [(_, _, text)] = _messages(app, "sms-package-reminder-%")
    assert "pick up order" in text["text"] and f"/track/{number}" in text["text"]
    assert len(text["text"]) <= 480


# --- unclaimed, then returning -----------------------------------------------------------------


def test_the_tick_marks_unclaimed_then_sends_it_back_after_the_grace(app, runner, world, clock):
    [number] = _at_branch(app, world, clock)
    deadline = _deadline(app)
    grace = timedelta(hours=app.config["UNCLAIMED_RETURN_HOURS"])
    assert reserved(app, world.a) == 1

    clock.set(deadline)
    result = runner.invoke(args=["shop", "tick"])
    assert result.exit_code == 0, result.output
    assert "Marked 1 package not picked up in time." in result.output
    assert "Sent back 0 unclaimed packages" in result.output
    assert package(app, number).state is S.UNCLAIMED
    assert reserved(app, world.a) == 1  # still on its shelf

    clock.set(deadline + grace - timedelta(seconds=1))
    with pytest.raises(ecms.NotDue):
        call(app, ecms.send_back, number, ecms.Actor.system())
    assert call(app, timing.send_back_unclaimed) == 0

    clock.set(deadline + grace)
    result = runner.invoke(args=["shop", "tick"])
    assert "Sent back 1 unclaimed package to the seller (returning)." in result.output
    back = package(app, number)
    assert back.state is S.RETURNING and back.location_id is None
    assert reserved(app, world.a) == 0  # the shelf slot came back
    last = events(app, number)[-1]
    assert (last.action, last.from_state, last.to_state) == ("send_back", S.UNCLAIMED, S.RETURNING)
    assert (last.actor_role, last.actor_id, last.branch_id) == ("system", None, world.a.id)
    assert call(app, timing.send_back_unclaimed) == 0  # once
    # and it goes on as any package going back: the DC's APO hands it to the merchant
    call(app, ecms.return_to_merchant, number, world.dc_user, detail={"apo": "APO-7"})
    assert package(app, number).state is S.RETURNED_TO_MERCHANT


def test_a_clerk_may_still_pull_it_out_first_and_the_tick_leaves_it(app, world, clock):
    [number] = _at_branch(app, world, clock)
    clock.set(_deadline(app))
    assert call(app, timing.expire_pickups) == 1
    call(app, ecms.pull_out, number, world.clerk_a)
    clock.set(_deadline(app) + timedelta(days=3))
    assert call(app, timing.send_back_unclaimed) == 0
    assert [e.action for e in events(app, number)][-2:] == ["pickup_deadline_passed", "pull_out"]
    assert reserved(app, world.a) == 0  # given back once


def test_no_grace_sends_it_back_in_the_tick_that_finds_it_late(app, world, clock, monkeypatch):
    monkeypatch.setitem(app.config, "UNCLAIMED_RETURN_HOURS", 0)
    [number] = _at_branch(app, world, clock)
    clock.set(_deadline(app))
    steps = {step.name: step.done for step in call(app, timing.tick)}
    assert steps == {"remind_pickups": 0, "expire_pickups": 1, "send_back_unclaimed": 1}
    assert package(app, number).state is S.RETURNING
    assert [e.action for e in events(app, number)][-2:] == ["pickup_deadline_passed", "send_back"]


def test_each_batch_is_its_own_transaction_and_the_tick_drains_them(app, world, clock):
    numbers = _at_branch(app, world, clock, n=5)
    clock.set(_deadline(app))
    [remind, expire, send_back] = call(app, timing.tick, batch=2)
    assert (expire.done, expire.batches) == (5, 3)  # 2 + 2 + 1, each committed on its own
    assert (remind.done, send_back.done) == (0, 0)
    assert {package(app, n).state for n in numbers} == {S.UNCLAIMED}


def test_a_batch_that_fails_commits_nothing_of_itself(app, world, clock, monkeypatch):
    numbers = _at_branch(app, world, clock, n=2)
    clock.set(_deadline(app) - timedelta(hours=1))

    def broken(package):
        raise RuntimeError("the mail template broke")

    monkeypatch.setattr(ecms, "notify_reminder", broken)
    with pytest.raises(RuntimeError):
        call(app, timing.remind_pickups)
    assert [package(app, n).reminded_for for n in numbers] == [None, None]  # rolled back
    monkeypatch.undo()
    assert call(app, timing.remind_pickups) == 2


def test_the_tick_says_what_it_did(app, runner, world, clock):
    _at_branch(app, world, clock, n=2)
    clock.set(_deadline(app) - timedelta(hours=2))
    output = runner.invoke(args=["shop", "tick"]).output
    assert "Reminded 2 shoppers of a pickup deadline coming." in output
    assert "Expired 0 unpaid orders." in output


# --- two ticks at once (PostgreSQL) ------------------------------------------------------------


def _two_ticks_meeting_after_their_select(monkeypatch, app, step, batch):
    """Run `step` in two threads that both wait, after their SELECT and before their UPDATE,
    until the other has selected too: only the locks and the UPDATE's re-check tell them
    apart. Returns what each returned."""
    met = threading.Barrier(2, timeout=20)
    real = timing._due_on_table

    def meeting(now, window_end):
        met.wait()
        return real(now, window_end)

    monkeypatch.setattr(timing, "_due_on_table", meeting)

    def tick(i):
        with app.app_context():
            return step(batch=batch)

    return _race(2, tick)


def test_two_ticks_racing_remind_each_package_once(app, world, clock, postgres_only, monkeypatch):
    numbers = _at_branch(app, world, clock, n=6)
    clock.set(_deadline(app) - timedelta(hours=1))
    results = _two_ticks_meeting_after_their_select(monkeypatch, app, timing.remind_pickups, 4)
    assert all(isinstance(r, int) for r in results), results
    assert sorted(results) == [2, 4]  # the second took the rows the first had not locked
    assert len(_messages(app, "package-reminder-%")) == 6
    assert all(package(app, n).reminded_for == _deadline(app) for n in numbers)


def test_control_without_locks_or_the_recheck_two_ticks_remind_the_same_packages(
    app, world, clock, postgres_only, monkeypatch
):
    _at_branch(app, world, clock, n=4)
    clock.set(_deadline(app) - timedelta(hours=1))
    monkeypatch.setattr(timing, "_locked", lambda query: query)  # no FOR UPDATE SKIP LOCKED
    real = timing._due_on_table
    monkeypatch.setattr(timing, "_due_on_table", lambda now, end: real(now, end)[:1])  # state only
    results = _two_ticks_meeting_after_their_select(monkeypatch, app, timing.remind_pickups, 4)
    # Both took and marked the same four: the race is real, and only the guards above stop it.
    assert results == [4, 4], results


def test_two_whole_ticks_racing_move_each_package_once(
    app, world, clock, postgres_only, monkeypatch
):
    monkeypatch.setitem(app.config, "UNCLAIMED_RETURN_HOURS", 0)
    numbers = _at_branch(app, world, clock, n=8)
    clock.set(_deadline(app))
    barrier = threading.Barrier(2, timeout=20)

    def tick(i):
        barrier.wait()
        with app.app_context():
            return timing.tick(batch=3)

    results = _race(2, tick)
    assert all(isinstance(r, list) for r in results), results
    expired = sum(r[1].done for r in results)
    sent_back = sum(r[2].done for r in results)
    assert (expired, sent_back) == (8, 8), results
    assert _count(app, PackageEvent, PackageEvent.action == "pickup_deadline_passed") == 8
    assert _count(app, PackageEvent, PackageEvent.action == "send_back") == 8
    assert _count(app, OutboxMessage, OutboxMessage.key.like("package-unclaimed-%")) == 8
    assert {package(app, n).state for n in numbers} == {S.RETURNING}
    assert reserved(app, world.a) == 0  # given back once each, never below zero
