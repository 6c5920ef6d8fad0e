"""The shop's one clock."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shop import clock
from shop.clock import Clock


def test_a_clock_runs_on_real_utc_time_until_set():
    moment = Clock().now()
    assert moment.tzinfo is not None
    assert abs(moment - datetime.now(UTC)) < timedelta(seconds=5)


def test_set_and_advance():
    c = Clock()
    manila = timezone(timedelta(hours=8))
    c.set(datetime(2026, 12, 1, 17, 0, tzinfo=manila))
    assert c.now() == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert c.advance(minutes=31) == datetime(2026, 12, 1, 9, 31, tzinfo=UTC)
    c.unset()
    assert abs(c.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        Clock().set(datetime(2026, 12, 1, 9, 0))


def test_outside_an_app_now_is_the_system_time():
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_no_service_reads_the_system_time_itself():
    """Time comes from shop.clock alone: no datetime.now(), utcnow() or time.time() in the
    shop's code outside it (monotonic timers for durations are fine; a line that must speak
    to a library in its own time says "system time on purpose")."""
    import pathlib
    import re

    root = pathlib.Path(clock.__file__).parent
    pattern = re.compile(r"datetime\.now\(|utcnow\(|time\.time\(\)|date\.today\(")
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("*.py")
        if path.name != "clock.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and "system time on purpose" not in line
    ]
    assert offenders == []
