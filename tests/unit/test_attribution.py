"""Attribution's pure rules (issue #11, point 3): the window's edges with an injected moment,
never the system's time. The rules that need the clicks table (dedup, last click wins, flood,
self purchase) are in tests/integration/test_attribution.py, on both databases, with the app's
clock set."""

from datetime import UTC, datetime, timedelta

import pytest

from shop.partners.attribution import Referral, in_window

NOW = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age", "counts"),
    [
        (timedelta(0), True),
        (timedelta(days=1), True),
        (timedelta(days=29, hours=23), True),
        (timedelta(days=29, hours=23, minutes=59, seconds=59), True),
        (timedelta(days=30), True),  # exactly 30 days: still inside
        (timedelta(days=30, seconds=1), False),
        (timedelta(days=31), False),
        (timedelta(seconds=-1), False),  # a click from the future never counts
    ],
)
def test_the_attribution_window_is_thirty_days_to_the_second(age, counts):
    assert in_window(NOW - age, NOW, 30) is counts


def test_a_shorter_window_is_a_setting():
    assert in_window(NOW - timedelta(days=7), NOW, 7)
    assert not in_window(NOW - timedelta(days=7, seconds=1), NOW, 7)


def test_a_referral_is_a_frozen_value():
    referral = Referral(frame_app_key="k", visitor="v", client="203.0.113.9")
    with pytest.raises(AttributeError):
        referral.visitor = "other"  # type: ignore[misc]
    assert Referral() == Referral(None, None, None)
