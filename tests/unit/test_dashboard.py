"""The dashboard's pure rules: the date range, conversion, a row's sign, rates in percent."""

from datetime import UTC, date, datetime

import pytest

from shop.partners import dashboard
from shop.partners.dashboard import BadRange, parse_range
from shop.partners.forms import bp_to_percent, percent_to_bp
from shop.partners.models import Bucket

TODAY = date(2026, 11, 30)


def test_no_dates_is_the_last_30_days_today_included():
    found = parse_range(today=TODAY)
    assert (found.first, found.last, found.days) == (date(2026, 11, 1), TODAY, 30)


@pytest.mark.parametrize(("preset", "first"), [("7", date(2026, 11, 24)), ("90", date(2026, 9, 2))])
def test_a_preset_is_the_last_so_many_days(preset, first):
    found = parse_range(preset=preset, today=TODAY)
    assert (found.first, found.last, found.preset) == (first, TODAY, int(preset))


def test_typed_dates_win_over_a_preset():
    found = parse_range("2026-10-01", "2026-10-31", "7", today=TODAY)
    assert (found.first, found.last, found.days, found.preset) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
        31,
        None,
    )


def test_a_blank_end_is_today_and_a_blank_start_30_days_before_the_end():
    assert parse_range("2026-11-20", "", today=TODAY).last == TODAY
    assert parse_range("2026-12-05", None, today=TODAY).last == date(2026, 12, 5)
    assert parse_range("", "2026-10-30", today=TODAY).first == date(2026, 10, 1)


def test_the_range_is_manila_days_in_utc():
    found = parse_range("2026-11-01", "2026-11-01", today=TODAY)
    assert found.start == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert found.end == datetime(2026, 11, 1, 16, 0, tzinfo=UTC)
    assert found.dates() == [date(2026, 11, 1)]


def test_a_year_is_allowed_and_a_day_more_is_not():
    assert parse_range("2025-12-01", "2026-11-30", today=TODAY).days == 365
    assert parse_range("2024-03-01", "2025-03-01", today=TODAY).days == 366
    with pytest.raises(BadRange) as refused:
        parse_range("2024-03-01", "2025-03-02", today=TODAY)
    assert refused.value.field == "to"


@pytest.mark.parametrize(
    ("start", "end", "preset", "field"),
    [
        ("2026-02-30", None, None, "from"),
        ("30/11/2026", None, None, "from"),
        ("2026-11-1", None, None, "from"),
        ("２０２６-11-01", None, None, "from"),
        (None, "9999-12-31", None, "to"),
        ("0001-01-01", None, None, "from"),
        ("2026-11-02", "2026-11-01", None, "to"),
        (None, None, "8", "preset"),
        (None, None, "seven", "preset"),
        (None, None, "0007", "preset"),
        (["2026-11-01"], None, None, "from"),
    ],
)
def test_bad_ranges_name_their_field(start, end, preset, field):
    with pytest.raises(BadRange) as refused:
        parse_range(start, end, preset, today=TODAY)
    assert refused.value.field == field
    assert refused.value.message


def test_conversion_is_orders_per_click_and_none_without_clicks():
    assert dashboard.conversion(3, 12) == 0.25
    assert dashboard.conversion(0, 5) == 0.0
    assert dashboard.conversion(2, 0) is None
    assert dashboard.format_conversion(1 / 3) == "33.3 %"
    assert dashboard.format_conversion(None) == "—"


@pytest.mark.parametrize(
    ("bucket", "from_bucket", "effect", "text"),
    [
        (Bucket.PENDING, None, 500, "+₱5.00"),
        (Bucket.APPROVED, Bucket.PENDING, 0, "₱5.00"),
        (Bucket.PAID, Bucket.APPROVED, 0, "₱5.00"),
        (Bucket.REVERSED, Bucket.PENDING, -500, "−₱5.00"),
        (Bucket.REVERSED, Bucket.APPROVED, -500, "−₱5.00"),  # a clawback after a payout
    ],
)
def test_a_row_is_signed_as_the_publisher_reads_it(bucket, from_bucket, effect, text):
    assert dashboard.effect(bucket, from_bucket, 500) == effect
    assert dashboard.signed_text(bucket, from_bucket, 500) == text


def test_a_page_number_is_checked():
    assert dashboard.parse_page(None) == 1
    assert dashboard.parse_page("3") == 3
    for bad in ("0", "-1", "x", "1.5", "9" * 7, "³"):
        with pytest.raises(BadRange):
            dashboard.parse_page(bad)


@pytest.mark.parametrize(
    ("text", "bp"),
    [("5", 500), ("5.5", 550), ("5.25", 525), (" 5,25 % ", 525), ("0", 0), ("100", 10000)],
)
def test_a_rate_in_percent_becomes_basis_points(text, bp):
    assert percent_to_bp(text) == bp


@pytest.mark.parametrize("text", ["", "5.255", "abc", "-5", "100.01", "1e2", None, "5..2"])
def test_a_rate_that_isnt_a_percentage_is_refused(text):
    with pytest.raises(ValueError):
        percent_to_bp(text)


@pytest.mark.parametrize(("bp", "text"), [(500, "5"), (550, "5.5"), (525, "5.25"), (5, "0.05")])
def test_a_rate_is_shown_in_percent(bp, text):
    assert bp_to_percent(bp) == text
    assert percent_to_bp(text) == bp
