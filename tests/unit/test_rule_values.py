"""The rules' one sources, on plain values: the pickup deadline from the PICKUP_DAYS setting,
the package limits as a shopper reads them, the cart's quantity limit."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import Flask

from shop.cart.service import MAX_QUANTITY, max_quantity
from shop.fulfillment import packing
from shop.fulfillment.service import pickup_days, pickup_deadline
from shop.timeutil import MANILA


@pytest.fixture
def settings():
    app = Flask(__name__)
    app.config["PICKUP_DAYS"] = 7
    with app.app_context():
        yield app.config


def test_the_pickup_deadline_is_pickup_days_after_arrival(settings):
    arrived = datetime(2026, 7, 14, 20, 5, tzinfo=MANILA)
    assert pickup_days() == 7
    assert pickup_deadline(arrived) == datetime(2026, 7, 21, 20, 5, tzinfo=MANILA)
    settings["PICKUP_DAYS"] = 2  # read when asked, not when imported
    assert pickup_deadline(arrived) == arrived + timedelta(days=2)


def test_the_pickup_deadline_is_utc_and_needs_an_aware_arrival(settings):
    deadline = pickup_deadline(datetime(2026, 12, 31, 23, 30, tzinfo=MANILA))
    assert deadline.tzinfo is UTC and deadline == datetime(2027, 1, 7, 15, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        pickup_deadline(datetime(2026, 7, 14, 12, 0))


@pytest.mark.parametrize(
    ("box", "grams", "shown"),
    [
        (packing.BRANCH_BOX_MM, packing.BRANCH_MAX_WEIGHT_G, "30 × 30 × 30 cm, 10 kg"),
        (packing.RETURN_BOX_MM, packing.RETURN_MAX_WEIGHT_G, "45 × 30 × 30 cm, 10 kg"),
        ((305, 250, 125), 12_500, "30.5 × 25 × 12.5 cm, 12.5 kg"),
    ],
)
def test_limits_text(box, grams, shown):
    assert packing.limits_text(box, grams) == shown


def test_the_branch_limits_are_read_when_used(monkeypatch):
    monkeypatch.setattr(packing, "BRANCH_BOX_MM", (400, 400, 400))
    monkeypatch.setattr(packing, "BRANCH_MAX_WEIGHT_G", 20_000)
    assert packing.branch_limits_text() == "40 × 40 × 40 cm, 20 kg"
    assert packing.fits((390, 390, 390), 19_000)  # the checks read the same constants
    assert packing.Package(frozen=False).box_mm == (400, 400, 400)
    assert packing.pack([packing.Unit(1, "Box", (390, 390, 390), 19_000)]).eligible


def test_a_line_holds_at_most_the_stock_and_the_cap():
    assert max_quantity(SimpleNamespace(stock=1000)) == MAX_QUANTITY
    assert max_quantity(SimpleNamespace(stock=3)) == 3
    assert max_quantity(SimpleNamespace(stock=0)) == 0
