"""The cart's rules, on plain objects: no database."""

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.cart.service import (
    MAX_LINES,
    MAX_QUANTITY,
    Cart,
    CartFull,
    CartLine,
    InvalidQuantity,
    OutOfStock,
    TooLargeForPickup,
    check_line,
    count_units,
    normalize,
    parse_quantity,
    with_quantity,
    without,
)
from shop.money import Money


def item(id=1, stock=10, price=1000, name="Thing", dimensions_mm=(100, 100, 100), weight_g=100):
    return SimpleNamespace(
        id=id,
        stock=stock,
        price=price,
        name=name,
        unit_price=Money(price),
        virtual=False,
        dimensions_mm=dimensions_mm,
        weight_g=weight_g,
    )


@pytest.mark.parametrize(
    ("dimensions_mm", "weight_g"), [((900, 500, 400), 1000), ((100, 100, 100), 10_001)]
)
def test_an_item_no_package_can_take_never_goes_in_the_cart(dimensions_mm, weight_g):
    big = item(name="Stand Fan", dimensions_mm=dimensions_mm, weight_g=weight_g)
    with pytest.raises(TooLargeForPickup, match="Stand Fan is too large"):
        check_line(big, 1)
    with pytest.raises(TooLargeForPickup):
        with_quantity({}, big, 1)


def test_a_digital_item_has_no_package_to_fit():
    load = item(dimensions_mm=(0, 0, 0), weight_g=0)
    load.virtual = True
    check_line(load, 1)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", 1), (" 7 ", 7), ("99", 99), (3, 3), ("007", 7)]
)
def test_parse_quantity_accepts_whole_numbers(raw, expected):
    assert parse_quantity(raw) == expected


@pytest.mark.parametrize(
    "raw", ["0", "-5", "1e9", "abc", "", None, "1.5", "100", "٣", "１", "+3", "9" * 40, " "]
)
def test_parse_quantity_refuses_everything_else(raw):
    with pytest.raises(InvalidQuantity):
        parse_quantity(raw)


def test_check_line_against_stock():
    check_line(item(stock=3), 3)
    with pytest.raises(OutOfStock, match="Only 3 are left of Thing"):
        check_line(item(stock=3), 4)
    with pytest.raises(OutOfStock, match="Only 1 is left"):
        check_line(item(stock=1), 2)
    with pytest.raises(OutOfStock, match="out of stock"):
        check_line(item(stock=0), 1)
    with pytest.raises(InvalidQuantity):
        check_line(item(stock=500), MAX_QUANTITY + 1)


def test_with_quantity_returns_a_new_cart():
    before = {"1": 2}
    after = with_quantity(before, item(id=1), 5)
    assert after == {"1": 5}
    assert before == {"1": 2}
    assert with_quantity(after, item(id=2), 1) == {"1": 5, "2": 1}


def test_cart_has_a_line_limit():
    full = {str(n): 1 for n in range(1, MAX_LINES + 1)}
    with pytest.raises(CartFull):
        with_quantity(full, item(id=MAX_LINES + 1), 1)
    assert with_quantity(full, item(id=1), 2)["1"] == 2  # changing a line is fine


def test_without():
    assert without({"1": 2, "2": 3}, 1) == {"2": 3}
    assert without({"2": 3}, 1) == {"2": 3}


def test_normalize_drops_what_a_session_should_not_hold():
    assert normalize(None) == {}
    assert normalize(["1", 2]) == {}
    assert normalize({"1": 2, "x": 1, "2": 0, "3": 100, "4": True, "5": "2", 6: 1}) == {"1": 2}


def test_totals_are_integer_centavos():
    cart = Cart([CartLine(item(id=1, price=1999), 3), CartLine(item(id=2, price=1), 2)], [])
    assert cart.subtotal == Money(5999)
    assert cart.units == 5
    assert Cart([], []).subtotal == Money(0)
    assert not Cart([], [])


def test_count_units():
    assert count_units({"1": 2, "2": 3}) == 5
    assert count_units(None) == 0
    assert count_units({"1": -3}) == 0


@given(
    st.dictionaries(
        st.one_of(st.text(max_size=5), st.integers()),
        st.one_of(st.integers(-1000, 1000), st.text(max_size=3), st.none(), st.booleans()),
        max_size=80,
    )
)
def test_normalize_always_gives_a_valid_cart(raw):
    clean = normalize(raw)
    assert len(clean) <= MAX_LINES
    for key, quantity in clean.items():
        assert key.isdigit()
        assert type(quantity) is int and 1 <= quantity <= MAX_QUANTITY
