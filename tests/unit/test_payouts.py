"""Payout planning (issue #11, point 6), without a database: the minimum, clawbacks netted so
every line ends at zero, and a second run over what the first wrote pays nothing."""

from collections import defaultdict
from datetime import UTC, datetime

import pytest

from shop.partners.models import Bucket
from shop.partners.payouts import LineBalance, plan_payout, rows_for

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
MINIMUM = 50_000


def line(publisher, app, amount, order=None, units=1):
    return LineBalance(publisher, app, order, order, amount, units)


def apply(balances, plan):
    """The approved balances per line after the plan's ledger rows (into approved counts +,
    out of it -), and the paid sum per publisher: what the rows would leave in the ledger."""
    after = {(b.app_id, b.order_id, b.line_id): b.amount for b in balances}
    paid = defaultdict(int)
    for owed in plan.pay:
        for b in owed.lines:
            row = rows_for(b, payout_id=1, at=AT)
            assert row.amount >= 0
            key = (row.app_id, row.order_id, row.line_id)
            if row.bucket is Bucket.APPROVED:
                after[key] += row.amount
            if row.from_bucket is Bucket.APPROVED:
                after[key] -= row.amount
            if row.bucket is Bucket.PAID:
                paid[owed.publisher_id] += row.amount
            if row.from_bucket is Bucket.PAID:
                paid[owed.publisher_id] -= row.amount
    remaining = [
        LineBalance(b.publisher_id, b.app_id, b.order_id, b.line_id, after[k], 0)
        for b in balances
        for k in [(b.app_id, b.order_id, b.line_id)]
    ]
    return remaining, dict(paid)


def test_the_minimum_is_over_all_of_a_publishers_apps():
    balances = [line(1, 10, 30_000, 1), line(1, 11, 20_000, 2), line(2, 20, 49_999, 3)]
    plan = plan_payout(balances, accounts={1, 2}, minimum=MINIMUM)
    assert [(p.publisher_id, p.amount) for p in plan.pay] == [(1, 50_000)]  # exactly the minimum
    assert plan.below_minimum == ((2, 49_999),)
    assert plan.total == 50_000


def test_a_publisher_without_an_account_is_listed_not_paid():
    plan = plan_payout([line(1, 10, 90_000, 1), line(2, 20, 60_000, 2)], {2}, MINIMUM)
    assert [p.publisher_id for p in plan.pay] == [2]
    assert plan.no_account == ((1, 90_000),)


def test_a_clawback_is_netted_and_every_line_ends_at_zero():
    balances = [
        line(1, 10, 70_000, order=1, units=2),
        line(1, 10, -15_000, order=2, units=-1),  # a return after an earlier payout
        line(1, 11, -5_000, order=3),  # another app of the same publisher, only a clawback
    ]
    plan = plan_payout(balances, {1}, MINIMUM)
    (owed,) = plan.pay
    assert owed.amount == 50_000  # 70,000 - 15,000 - 5,000: the net is what is paid
    remaining, paid = apply(balances, plan)
    assert all(b.amount == 0 for b in remaining)
    assert paid == {1: 50_000}
    rows = [rows_for(b, 1, AT) for b in owed.lines]
    assert [(r.bucket, r.from_bucket, r.amount, r.units) for r in rows] == [
        (Bucket.PAID, Bucket.APPROVED, 70_000, 2),
        (Bucket.APPROVED, Bucket.PAID, 15_000, 1),
        (Bucket.APPROVED, Bucket.PAID, 5_000, 1),
    ]
    assert {r.reason for r in rows} == {"payout", "netted"}


def test_a_clawback_that_takes_the_net_under_the_minimum_is_carried_whole():
    balances = [line(1, 10, 60_000, 1), line(1, 11, -20_000, 2)]
    plan = plan_payout(balances, {1}, MINIMUM)
    assert plan.pay == ()
    assert plan.below_minimum == ((1, 40_000),)


@pytest.mark.parametrize("minimum", [0, 1])
def test_a_negative_or_zero_net_is_never_paid_whatever_the_minimum(minimum):
    plan = plan_payout([line(1, 10, 5_000, 1), line(1, 10, -9_000, 2)], {1}, minimum)
    assert plan.pay == ()
    assert plan.below_minimum == ((1, -4_000),)
    assert plan_payout([line(2, 20, 0, 3)], {2}, minimum) == plan_payout([], {2}, minimum)


def test_a_second_run_over_what_the_first_wrote_pays_nothing():
    balances = [line(1, 10, 80_000, 1), line(1, 10, -1_000, 2), line(2, 20, 55_000, 3)]
    first = plan_payout(balances, {1, 2}, MINIMUM)
    assert first.total == 134_000
    remaining, paid = apply(balances, first)
    assert paid == {1: 79_000, 2: 55_000}
    second = plan_payout(remaining, {1, 2}, MINIMUM)
    assert second.pay == () and second.total == 0
    assert second.below_minimum == () and second.no_account == ()
