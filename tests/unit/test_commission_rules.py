"""The ledger's pure rules (issue #11, point 4): rate precedence, the rounding rule with awkward
numbers, and partial reversals that always add up (pending first, then approved, then a
clawback of what was paid; never more units than the line has)."""

from types import SimpleNamespace

import pytest

from shop.partners.ledger import Take, Units, plan_reversal, rate_for, unit_commission
from shop.partners.models import Bucket


def app_with(default=500, **overrides):
    rates = [
        SimpleNamespace(item_id=item, category_id=None, rate_bp=bp)
        for item, bp in overrides.get("items", {}).items()
    ] + [
        SimpleNamespace(item_id=None, category_id=category, rate_bp=bp)
        for category, bp in overrides.get("categories", {}).items()
    ]
    return SimpleNamespace(default_rate_bp=default, rates=rates)


ITEM = SimpleNamespace(id=7, category_id=3)


# --- rate precedence -------------------------------------------------------------------------


def test_the_item_override_beats_the_category_and_the_default():
    app = app_with(500, items={7: 1200}, categories={3: 800})
    assert rate_for(app, ITEM) == (1200, "item")


def test_the_category_override_beats_the_default():
    app = app_with(500, items={8: 1200}, categories={3: 800})
    assert rate_for(app, ITEM) == (800, "category")


def test_without_overrides_the_app_default_applies():
    app = app_with(500, items={8: 1200}, categories={4: 800})
    assert rate_for(app, ITEM) == (500, "app")


def test_an_override_of_zero_still_wins():
    app = app_with(500, items={7: 0}, categories={3: 800})
    assert rate_for(app, ITEM) == (0, "item")


# --- rounding: per unit, half up, integers only ----------------------------------------------


@pytest.mark.parametrize(
    ("price", "rate_bp", "expected"),
    [
        (10000, 500, 500),  # ₱100 at 5 %: ₱5.00 exactly
        (1, 5000, 1),  # 0.5 centavo: half up
        (1, 4999, 0),  # 0.4999: down
        (3, 5000, 2),  # 1.5: up
        (999, 333, 33),  # 33.2667
        (1999, 750, 150),  # 149.925: up
        (2, 2500, 1),  # 0.5: up
        (12345, 1, 1),  # 1.2345
        (33333, 15, 50),  # 49.9995: up
        (9999999, 10000, 9999999),  # the whole price
        (12345, 0, 0),
    ],
)
def test_a_unit_earns_its_price_times_the_rate_rounded_half_up(price, rate_bp, expected):
    assert unit_commission(price, rate_bp) == expected


@pytest.mark.parametrize("bad", [1.5, "100", None, True])
def test_rounding_refuses_anything_but_integers(bad):
    with pytest.raises(ValueError):
        unit_commission(bad, 500)
    with pytest.raises(ValueError):
        unit_commission(1000, bad)


@pytest.mark.parametrize(("price", "rate_bp"), [(-1, 500), (100, -1), (100, 10001)])
def test_rounding_refuses_out_of_range_values(price, rate_bp):
    with pytest.raises(ValueError):
        unit_commission(price, rate_bp)


def test_partial_reversals_are_exactly_units_times_the_unit_commission():
    # 7 units of ₱19.99 at 7.5 %: 149.925 centavos a unit, 150 once rounded.
    uc = unit_commission(1999, 750)
    total = 7 * uc
    parts = [2, 1, 3, 1]
    assert sum(n * uc for n in parts) == total == 1050
    # Rounding the line once would say 1049 (10494.75 → 1049): the unit rule says 1050 and
    # every partial reversal adds up to it.
    assert (7 * 1999 * 750 + 5000) // 10000 == 1049


# --- partial reversal plans ------------------------------------------------------------------


def test_a_reversal_takes_pending_first():
    takes = plan_reversal(Units(quantity=5, pending=5), 2, "returned")
    assert takes == [Take(Bucket.PENDING, 2, "returned")]


def test_then_approved_then_a_clawback_of_what_was_paid():
    units = Units(quantity=6, pending=1, approved=2, paid=3)
    takes = plan_reversal(units, 6, "returned")
    assert takes == [
        Take(Bucket.PENDING, 1, "returned"),
        Take(Bucket.APPROVED, 2, "returned"),
        Take(Bucket.APPROVED, 3, "clawback"),
    ]


def test_never_more_units_than_the_line_has_left():
    units = Units(quantity=4, pending=1, reversed=3)
    assert plan_reversal(units, 10, "unclaimed") == [Take(Bucket.PENDING, 1, "unclaimed")]
    assert plan_reversal(Units(quantity=4, reversed=4), 1, "returned") == []
    assert plan_reversal(Units(quantity=4, pending=4), 0, "returned") == []
    assert plan_reversal(Units(quantity=4, pending=4), -3, "returned") == []


def test_after_a_clawback_the_negative_approved_balance_is_not_taken_again():
    # 2 units approved and paid, 1 clawed back: approved is -1, paid 2, reversed 1.
    units = Units(quantity=2, approved=-1, paid=2, reversed=1, clawed=1)
    assert plan_reversal(units, 2, "returned") == [Take(Bucket.APPROVED, 1, "clawback")]


@pytest.mark.parametrize(
    "state",
    [
        Units(quantity=9, pending=9),
        Units(quantity=9, pending=4, approved=5),
        Units(quantity=9, pending=2, approved=3, paid=4),
        Units(quantity=9, approved=-2, paid=9, reversed=2, clawed=2),
    ],
)
def test_every_sequence_of_partial_reversals_sums_to_the_line(state):
    uc = unit_commission(1999, 750)
    moved = []
    for wanted in (2, 3, 1, 5, 4):  # asks for more than is left, in the end
        takes = plan_reversal(state, wanted, "returned")
        n = sum(t.units for t in takes)
        pending_out = sum(t.units for t in takes if t.from_bucket is Bucket.PENDING)
        approved_out = n - pending_out
        state = Units(
            quantity=state.quantity,
            pending=state.pending - pending_out,
            approved=state.approved - approved_out,
            paid=state.paid,
            reversed=state.reversed + n,
            clawed=state.clawed + sum(t.units for t in takes if t.reason == "clawback"),
        )
        moved.append(n * uc)
        assert state.pending >= 0
    assert state.reversed == state.quantity
    assert state.pending + state.approved + state.paid + state.reversed == state.quantity
    assert state.approved == -state.clawed  # what was paid and clawed back, netted next payout
