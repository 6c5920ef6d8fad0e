"""The rules of time for packages (issue #10, point 7), without a database: when the pickup
reminder is due, once per deadline, and when the tick sends an unclaimed package back."""

from datetime import UTC, datetime, timedelta

import pytest

from shop.fulfillment.timing import needs_reminder, reminder_due_at, send_back_due

DEADLINE = datetime(2026, 7, 21, 1, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_the_reminder_is_due_the_set_hours_before_the_deadline():
    assert reminder_due_at(DEADLINE, 24) == DEADLINE - 24 * H


@pytest.mark.parametrize(
    ("now", "reminded_for", "expected"),
    [
        (DEADLINE - 25 * H, None, False),  # too early
        (DEADLINE - 24 * H - timedelta(seconds=1), None, False),
        (DEADLINE - 24 * H, None, True),  # the moment it is due
        (DEADLINE - 1 * H, None, True),  # a tick that was down meanwhile still reminds
        (DEADLINE - timedelta(seconds=1), None, True),
        (DEADLINE, None, False),  # the deadline passed: unclaimed, not reminded
        (DEADLINE + H, None, False),
        (DEADLINE - 1 * H, DEADLINE, False),  # this deadline was reminded of
        (DEADLINE - 1 * H, DEADLINE - 48 * H, True),  # an earlier deadline (before a re-route)
    ],
)
def test_needs_reminder(now, reminded_for, expected):
    assert needs_reminder(now, DEADLINE, reminded_for, 24) is expected


def test_a_package_without_a_deadline_is_never_reminded():
    assert needs_reminder(DEADLINE, None, None, 24) is False


@pytest.mark.parametrize(
    ("now", "grace", "expected"),
    [
        (DEADLINE, 24 * H, False),
        (DEADLINE + 24 * H - timedelta(seconds=1), 24 * H, False),
        (DEADLINE + 24 * H, 24 * H, True),
        (DEADLINE, timedelta(0), True),  # no grace: at once
        (DEADLINE - timedelta(seconds=1), timedelta(0), False),
    ],
)
def test_send_back_due(now, grace, expected):
    assert send_back_due(now, DEADLINE, grace) is expected
    assert send_back_due(now, None, grace) is False
