"""Each state of an order reads as what it means for the shopper (issue #9, point 7)."""

from datetime import UTC, datetime, timedelta

import pytest

from shop.checkout.models import Order, OrderStatus, PaymentMethod
from shop.checkout.service import standing

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # noon in Manila


def _order(method, status, **fields) -> Order:
    values = {"total": 58500, "amount_due": 0, "packages": 1, "hold_until": None, "paid_at": None}
    return Order(payment_method=method, status=status, **(values | fields))


def test_awaiting_card_payment_says_what_to_do_and_by_when():
    order = _order(
        PaymentMethod.ONLINE, OrderStatus.AWAITING_PAYMENT, hold_until=NOW + timedelta(minutes=28)
    )
    shown = standing(order, now=NOW)
    assert (shown.tone, shown.headline) == ("waiting", "Waiting for your card payment")
    assert shown.detail == (
        "Pay ₱585.00 by card before Tue 1 Dec, 12:28 PM (28 minutes left). After that the order "
        "expires and the items go back on the shelf."
    )


def test_awaiting_a_counter_payment_names_the_code_and_the_deadline():
    order = _order(
        PaymentMethod.CODE, OrderStatus.AWAITING_PAYMENT, hold_until=NOW + timedelta(hours=47)
    )
    shown = standing(order, now=NOW)
    assert shown.headline == "Waiting for your payment at a 7-Eleven"
    assert "Pay ₱585.00 at any 7-Eleven counter with the pay code below before Thu 3 Dec" in (
        shown.detail
    )
    assert "left)" not in shown.detail  # two days away: a date says it, not a countdown


def test_hours_left_are_rounded():
    order = _order(
        PaymentMethod.CODE,
        OrderStatus.AWAITING_PAYMENT,
        hold_until=NOW + timedelta(hours=5, minutes=10),
    )
    assert "(about 5 hours left)" in standing(order, now=NOW).detail


def test_cash_at_pickup_says_how_much_and_where():
    order = _order(PaymentMethod.COD, OrderStatus.CONFIRMED, amount_due=58500)
    shown = standing(order, branch_name="7-Eleven Ayala", now=NOW)
    assert (shown.tone, shown.headline) == ("due", "To pay at pickup: ₱585.00")
    assert "Pay ₱585.00 in cash at the counter at 7-Eleven Ayala" in shown.detail


@pytest.mark.parametrize(
    ("method", "status", "packages", "how", "after"),
    [
        (PaymentMethod.ONLINE, OrderStatus.CONFIRMED, 2, "by card", "Your packages go to"),
        (PaymentMethod.ONLINE, OrderStatus.CONFIRMED, 0, "by card", None),
        (PaymentMethod.CODE, OrderStatus.PAID, 0, "at a 7-Eleven counter", None),
    ],
)
def test_paid_says_paid_and_nothing_more_is_due(method, status, packages, how, after):
    order = _order(method, status, packages=packages, paid_at=NOW)
    shown = standing(order, branch_name="7-Eleven Ayala", now=NOW)
    assert (shown.tone, shown.headline) == ("done", "Paid")
    assert shown.detail.startswith(f"Paid ₱585.00 {how} on Tue 1 Dec, 12:00 PM.")
    assert (after in shown.detail) if after else "package" not in shown.detail


def test_expired_says_nothing_was_charged():
    shown = standing(_order(PaymentMethod.ONLINE, OrderStatus.EXPIRED), now=NOW)
    assert (shown.tone, shown.headline) == ("over", "Expired: not paid in time")
    assert "nothing was charged" in shown.detail


def test_no_state_promises_a_text_message():
    for method in PaymentMethod:
        for status in OrderStatus:
            shown = standing(_order(method, status, hold_until=NOW, paid_at=NOW), now=NOW)
            assert "text" not in f"{shown.headline} {shown.detail}".lower()
