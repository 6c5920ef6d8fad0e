"""Two payout runs at once pay once (issue #11, point 6). On PostgreSQL, threads with their own
sessions both read the balances before either locks; the lock on the publishers' apps (taken in
id order, balances read again under it) makes the second find nothing. The control runs the
same race with the lock taken away (and distinct batch numbers, so the numbers' unique index
can't stand in for it): then both pay, so the test can fail."""

import threading

import pytest
import sqlalchemy as sa

from shop.extensions import db
from shop.partners import payouts
from shop.partners.models import Bucket, LedgerEntry, Payout, PayoutLine
from tests.integration.test_payments import _race
from tests.integration.test_payouts import approved, balance, count, partner_app, publisher


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite serializes every writer")


def _owed(app, make, publishers=3):
    apps = []
    for _ in range(publishers):
        owner = publisher(make)
        apps += [partner_app(app, owner.id), partner_app(app, owner.id)]
        approved(app, apps[-2], 40_000)
        approved(app, apps[-1], 30_000)
    return apps


def _racing(app, monkeypatch, workers=3):
    """Run make_payout in `workers` threads that all read the candidates before any locks."""
    read_candidates = []
    all_read = threading.Barrier(workers, timeout=20)
    real = payouts._candidate_apps

    def spying_candidates():
        found = real()
        read_candidates.append(len(found))
        all_read.wait()
        return found

    monkeypatch.setattr(payouts, "_candidate_apps", spying_candidates)

    def pay(i):
        with app.app_context():
            run = payouts.make_payout(f"race-{i}")
            return run.payout.number if run.payout else None

    return _race(workers, pay), read_candidates


def test_two_payouts_at_once_pay_once(app, make, monkeypatch, postgres_only):
    apps = _owed(app, make)
    results, read = _racing(app, monkeypatch)
    assert read == [6, 6, 6]  # every run saw all six apps owed before any of them locked
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len([r for r in results if r]) == 1, results
    assert count(app, Payout) == 1
    assert count(app, PayoutLine) == 3
    assert balance(app, Bucket.PAID) == 3 * 70_000
    assert balance(app, Bucket.APPROVED, LedgerEntry.app_id.in_(apps)) == 0


def test_control_without_the_lock_both_pay(app, make, monkeypatch, postgres_only):
    _owed(app, make)
    monkeypatch.setattr(payouts, "_lock_apps", lambda app_ids: app_ids)
    numbers = iter(f"PO-20261201-{n:04d}" for n in range(1, 100))
    monkeypatch.setattr(payouts, "_number", lambda day: next(numbers))
    results, read = _racing(app, monkeypatch)
    assert read == [6, 6, 6]
    paid = [r for r in results if isinstance(r, str)]
    assert len(paid) > 1, results  # the race is real: without the lock, paid twice or more
    assert balance(app, Bucket.PAID) == len(paid) * 3 * 70_000
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == len(paid)
