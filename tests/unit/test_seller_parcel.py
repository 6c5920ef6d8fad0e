"""A seller's parcel and COD amount as typed (issue #10, point 6), without a database: the
branch limit of fulfillment/packing (30 × 30 × 30 cm, 10 kg, any orientation), and the
amount the buyer pays at pickup."""

import pytest

from shop.errors import InvalidInput
from shop.fulfillment import packing
from shop.money import Money
from shop.sellers.service import MAX_COD, cod_of, parcel_of


def parcel(length="25", width="20", height="10", weight="1.5", frozen=False, contents="Bags"):
    return parcel_of(length, width, height, weight, frozen, contents)


def test_a_parcel_in_cm_and_kg_is_kept_in_mm_and_g():
    got = parcel("25.5", "20", "10,5", "1.25")
    assert (got.length_mm, got.width_mm, got.height_mm, got.weight_g) == (255, 200, 105, 1250)
    assert got.volume_cm3 == 5355 and got.contents == "Bags"


@pytest.mark.parametrize("sizes", [("30", "30", "30"), ("10", "30", "29.9"), ("30", "5", "30")])
def test_up_to_the_branch_box_in_any_orientation_fits(sizes):
    assert parcel(*sizes, weight="10")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"length": "30.1"}, "length"),
        ({"height": "31"}, "length"),  # the box's message names the first size
        ({"weight": "10.001"}, "weight"),
        ({"length": "0"}, "length"),
        ({"width": "-1"}, "width"),
        ({"height": "inf"}, "height"),
        ({"weight": "1" * 13}, "weight"),
        ({"weight": None}, "weight"),
        ({"contents": " "}, "contents"),
        ({"contents": "x" * 201}, "contents"),
    ],
)
def test_a_parcel_the_branch_cant_take_is_refused_naming_the_field(change, field):
    with pytest.raises(InvalidInput) as refused:
        parcel(**change)
    assert refused.value.field == field


def test_the_limit_is_packings_when_checked(monkeypatch):
    monkeypatch.setattr(packing, "BRANCH_BOX_MM", (400, 300, 300))
    monkeypatch.setattr(packing, "BRANCH_MAX_WEIGHT_G", 12_000)
    assert parcel("40", "30", "30", "12")
    with pytest.raises(InvalidInput, match="40 × 30 × 30 cm"):
        parcel("41", "30", "30")


def test_cod_amounts():
    assert cod_of("prepaid", "999") == Money.zero()
    assert cod_of("cod", "₱1,234.50") == Money(123450)
    assert cod_of("cod", str(MAX_COD.centavos // 100)) == MAX_COD
    for amount in ("0", "0.99", "50000.01", "abc", "", None, "1" * 20):
        with pytest.raises(InvalidInput) as refused:
            cod_of("cod", amount)
        assert refused.value.field == "amount"
    with pytest.raises(InvalidInput):
        cod_of("free", "10")
