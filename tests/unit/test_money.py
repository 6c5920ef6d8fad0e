import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.money import Money, format_peso, total


@pytest.mark.parametrize(
    ("centavos", "text"),
    [
        (0, "₱0.00"),
        (5, "₱0.05"),
        (100, "₱1.00"),
        (123450, "₱1,234.50"),
        (100000000, "₱1,000,000.00"),
        (-500, "-₱5.00"),
        (-5, "-₱0.05"),
    ],
)
def test_format_peso(centavos, text):
    assert format_peso(centavos) == text
    assert str(Money(centavos)) == text


@pytest.mark.parametrize(
    ("text", "centavos"),
    [
        ("₱1,234.50", 123450),
        ("1234.5", 123450),
        ("PHP 20", 2000),
        (" 0.05 ", 5),
        ("-₱5.00", -500),
        ("1,000,000", 100000000),
    ],
)
def test_parse(text, centavos):
    assert Money.parse(text) == Money(centavos)


@pytest.mark.parametrize(
    "text", ["", "abc", "1.234", "1,23", "12,34.00", "₱", "1e9", "--5", "1.2.3"]
)
def test_parse_refuses_what_is_not_an_amount(text):
    with pytest.raises(ValueError):
        Money.parse(text)


def test_arithmetic_stays_in_centavos():
    assert Money(1999) * 3 == Money(5997)
    assert 3 * Money(1999) == Money(5997)
    assert Money(1000) + Money(1) - Money(2) == Money(999)
    assert total([Money(10), Money(20), Money(30)]) == Money(60)
    assert total([]) == Money.zero()
    assert -Money(5) == Money(-5)


def test_pesos_is_exact():
    assert Money.pesos("0.1") + Money.pesos("0.2") == Money.pesos("0.3")
    assert Money.pesos(12) == Money(1200)
    with pytest.raises(ValueError):
        Money.pesos("0.001")
    with pytest.raises(ValueError):
        Money.pesos("ten")


@pytest.mark.parametrize("bad", [1.5, "100", True, None])
def test_money_refuses_non_integers(bad):
    with pytest.raises(TypeError):
        Money(bad)
    with pytest.raises(TypeError):
        Money(100) * bad if bad is not None else Money(100) + bad


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_format_then_parse_round_trips(centavos):
    assert Money.parse(format_peso(centavos)) == Money(centavos)


@given(st.integers(-(10**9), 10**9), st.integers(-(10**9), 10**9), st.integers(0, 1000))
def test_sum_and_product_agree_with_integers(a, b, q):
    assert (Money(a) + Money(b)).centavos == a + b
    assert (Money(a) * q).centavos == a * q
