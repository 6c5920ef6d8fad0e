"""The return window on plain values (issue #10, point 5): RETURN_DAYS whole days after the
claim, to the minute, in UTC; read from the setting when asked."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from shop.fulfillment import returns
from shop.timeutil import MANILA

CLAIMED = datetime(2026, 7, 14, 20, 5, tzinfo=MANILA)


def test_the_window_ends_days_after_the_claim_to_the_minute():
    end = returns.window_end(CLAIMED, 7)
    assert end == datetime(2026, 7, 21, 12, 5, tzinfo=UTC) and end.tzinfo is UTC
    assert returns.in_window(CLAIMED, end - timedelta(minutes=1), 7)
    assert not returns.in_window(CLAIMED, end, 7)  # at its very end it is closed
    assert not returns.in_window(CLAIMED, end + timedelta(days=30), 7)
    assert returns.in_window(CLAIMED, CLAIMED, 1)


@pytest.mark.parametrize("days", [0, -1, True, 1.5, "7", None])
def test_a_window_is_whole_days_at_least_one(days):
    with pytest.raises(ValueError, match="whole number"):
        returns.window_end(CLAIMED, days)


def test_a_naive_claim_time_is_a_bug():
    with pytest.raises(ValueError, match="naive"):
        returns.window_end(datetime(2026, 7, 14, 12, 0), 7)


def test_the_deadline_reads_the_setting_when_asked():
    app = Flask(__name__)
    app.config["RETURN_DAYS"] = 7
    with app.app_context():
        assert returns.return_deadline(CLAIMED) == CLAIMED + timedelta(days=7)
        app.config["RETURN_DAYS"] = 3
        assert returns.return_deadline(CLAIMED) == CLAIMED + timedelta(days=3)


def test_the_return_limit_is_said_from_packing():
    assert returns.return_limits_text() == "45 × 30 × 30 cm, 10 kg"
