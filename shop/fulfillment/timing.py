"""Time, for packages: what `flask shop tick` does to them (issue #10, point 7).

Three steps, in this order, each in batches; **every batch is its own unit of work** (one
transaction: the rows it took, their moves, events, shelf slots and messages commit together,
or none of them), so a tick that dies half way has committed whole batches only, and the next
tick takes up the rest:

1. `remind_pickups`: a package waiting at its branch whose pickup deadline is less than
   PICKUP_REMINDER_HOURS away gets its reminder (mail, and a text when a sender is
   configured), once per package and deadline (`packages.reminded_for`, and a keyed outbox
   message).
2. `expire_pickups` (service.py): at_branch past its deadline → unclaimed; the shopper is told.
3. `send_back_unclaimed`: unclaimed for UNCLAIMED_RETURN_HOURS with no clerk's pull_out →
   returning (the tick's `send_back`): its shelf slot comes back.

Safe when several ticks run at once, on several hosts: each batch takes its rows with
`FOR UPDATE SKIP LOCKED` on PostgreSQL (a second tick takes other rows instead of waiting) and
changes each with a conditional UPDATE that re-checks the state (or the reminder), so even
without row locks (SQLite) nothing is done twice."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from shop import clock
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package
from shop.fulfillment.models import PackageState as S
from shop.transaction import transaction

PACKAGES = Package.__table__
BATCH = 200
MAX_BATCHES = 50  # per step and tick: a backlog bigger than this waits for the next tick


# --- the rules (pure: no database) -------------------------------------------------------------


def reminder_hours() -> int:
    """Hours before the pickup deadline the shopper is reminded: PICKUP_REMINDER_HOURS."""
    return current_app.config["PICKUP_REMINDER_HOURS"]


def reminder_due_at(deadline: datetime, hours: int) -> datetime:
    """When the reminder of a package due by `deadline` is sent: `hours` before it."""
    return deadline - timedelta(hours=hours)


def needs_reminder(
    now: datetime, deadline: datetime | None, reminded_for: datetime | None, hours: int
) -> bool:
    """True when a package waiting at its branch is to be reminded now: it has a deadline, the
    deadline is still ahead but less than `hours` away, and this deadline was not reminded of
    already (a reminder for an earlier deadline, before a re-route, doesn't count). A tick that
    only runs after the deadline sends none: the package is then unclaimed instead."""
    if deadline is None or now >= deadline:
        return False
    if reminded_for is not None and reminded_for == deadline:
        return False
    return now >= reminder_due_at(deadline, hours)


def send_back_due(now: datetime, deadline: datetime | None, grace: timedelta) -> bool:
    """True when an unclaimed package is sent back by the tick: `grace` after its deadline."""
    return deadline is not None and now >= deadline + grace


# --- the steps ---------------------------------------------------------------------------------


def remind_pickups(now: datetime | None = None, batch: int = BATCH) -> int:
    """One batch of pickup reminders, in one transaction (or the caller's): packages at their
    branch whose deadline is within PICKUP_REMINDER_HOURS and not passed, not yet reminded of
    this deadline, soonest first. Each is marked reminded by a conditional UPDATE (of two
    ticks, one marks it; the other skips it) and its mail (and text) is queued keyed by
    package and deadline. Returns how many were reminded."""
    now = now or clock.now()
    window_end = now + timedelta(hours=reminder_hours())
    not_reminded = sa.or_(
        Package.reminded_for.is_(None), Package.reminded_for != Package.pickup_deadline
    )
    due = sa.and_(
        Package.state == S.AT_BRANCH,
        Package.pickup_deadline > now,
        Package.pickup_deadline <= window_end,
        not_reminded,
    )
    reminded = 0
    with transaction():
        ids = db.session.scalars(
            _locked(
                sa.select(Package.id)
                .where(due)
                .order_by(Package.pickup_deadline, Package.id)
                .limit(batch)
            )
        ).all()
        if not ids:
            return 0
        marked = set(
            db.session.execute(
                sa.update(PACKAGES)
                .where(PACKAGES.c.id.in_(ids), *_due_on_table(now, window_end))
                .values(reminded_for=PACKAGES.c.pickup_deadline)
                .returning(PACKAGES.c.id)
            ).scalars()
        )
        if not marked:
            return 0
        packages = db.session.scalars(
            sa.select(Package)
            .where(Package.id.in_(marked))
            .order_by(Package.id)
            .execution_options(populate_existing=True)
        ).all()
        for package in packages:
            ecms.notify_reminder(package)
            reminded += 1
    return reminded


def _locked(query):
    """Take the rows for this tick alone: another tick skips them instead of waiting."""
    return query.with_for_update(skip_locked=True)


def _due_on_table(now: datetime, window_end: datetime):
    c = PACKAGES.c
    """The UPDATE's re-check of what the SELECT found: still due, still not reminded."""
    return (
        c.state == S.AT_BRANCH,
        c.pickup_deadline > now,
        c.pickup_deadline <= window_end,
        sa.or_(c.reminded_for.is_(None), c.reminded_for != c.pickup_deadline),
    )


def expire_pickups(now: datetime | None = None, batch: int = BATCH) -> int:
    """One batch of at_branch → unclaimed (service.expire_pickups), in one transaction."""
    return ecms.expire_pickups(now=now, batch=batch)


def send_back_unclaimed(now: datetime | None = None, batch: int = BATCH) -> int:
    """One batch of unclaimed → returning by the tick, in one transaction (or the caller's):
    packages unclaimed since at least UNCLAIMED_RETURN_HOURS after their deadline, that no
    clerk has pulled out, soonest first. Each moves by the conditional update (a package
    another tick or a clerk took first is skipped) and gives its shelf slot back. Returns how
    many moved."""
    now = now or clock.now()
    cutoff = now - ecms.unclaimed_return_period()
    actor = ecms.Actor.system()
    moved = 0
    with transaction():
        for package in ecms.due_packages(S.UNCLAIMED, cutoff, batch):
            moved += ecms._sent_back(package, actor, strict=False)
    return moved


# --- the tick ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepReport:
    name: str
    done: int  # how many packages (or reminders) this step handled
    batches: int  # how many transactions it committed (each one batch)


def drain(step: Callable[..., int], now: datetime, batch: int = BATCH) -> StepReport:
    """Run `step` batch after batch, each its own transaction, until a batch comes back short
    (nothing more due, or the rest is locked by another tick that is doing it), at most
    MAX_BATCHES times."""
    done = batches = 0
    while batches < MAX_BATCHES:
        n = step(now=now, batch=batch)
        batches += 1
        done += n
        if n < batch:
            break
    return StepReport(step.__name__, done, batches)


def tick(now: datetime | None = None, batch: int = BATCH) -> list[StepReport]:
    """Every time-based step for packages once, in order: reminders, then deadlines passed,
    then unclaimed packages sent back. Must run outside a transaction (each batch commits its
    own). Returns what each step did."""
    now = now or clock.now()
    return [
        drain(step, now, batch) for step in (remind_pickups, expire_pickups, send_back_unclaimed)
    ]
