"""The branch picker's rules on plain values: distances, parsing, opening hours, reasons."""

import math
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.branches.models import BranchKind
from shop.branches.service import (
    MAX_QUERY,
    BranchChoice,
    clean_query,
    format_hours,
    haversine_km,
    is_open,
    parse_flag,
    parse_near,
    parse_packages,
    to_choice,
    unavailable,
    valid_code,
)
from shop.errors import InvalidInput, status_for
from shop.timeutil import MANILA

MAKATI = (14.5547, 121.0244)
PASIG = (14.5764, 121.0851)


def branch(**overrides):
    fields = {
        "code": "0412",
        "name": "7-Eleven Ayala",
        "address": "1 Ayala Ave.",
        "city": "Makati",
        "province": "Metro Manila",
        "lat": MAKATI[0],
        "lng": MAKATI[1],
        "opens_at": 0,
        "closes_at": 0,
        "frozen": False,
        "shelf_capacity": 10,
        "reserved": 0,
        "active": True,
        "kind": BranchKind.STORE,
    }
    fields |= overrides
    fields.setdefault("free_capacity", max(0, fields["shelf_capacity"] - fields["reserved"]))
    return SimpleNamespace(**fields)


def manila(hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, 4, hour, minute, tzinfo=MANILA)


# --- distance -----------------------------------------------------------------------------------


def test_makati_to_pasig_is_a_few_km():
    assert 6 <= haversine_km(*MAKATI, *PASIG) <= 9


def test_distance_is_zero_to_itself_and_symmetric():
    assert haversine_km(*MAKATI, *MAKATI) == 0
    assert haversine_km(*MAKATI, *PASIG) == pytest.approx(haversine_km(*PASIG, *MAKATI))


def test_a_degree_of_latitude_is_about_111_km_and_antipodes_half_the_earth():
    assert haversine_km(0, 0, 1, 0) == pytest.approx(111.2, abs=0.1)
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * 6371.0088)


@pytest.mark.parametrize(
    ("km", "text"),
    [
        (None, None),
        (0.0, "10 m away"),
        (0.347, "350 m away"),
        (1.234, "1.2 km away"),
        (9.94, "9.9 km away"),
        (14.4, "14 km away"),
        (1234.0, "1,234 km away"),
    ],
)
def test_distance_text(km, text):
    choice = to_choice(branch(), distance_km=km, at=manila(12))
    assert choice.distance_text == text


# --- parse_near ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "point"),
    [
        ("14.55,121.02", (14.55, 121.02)),
        (" 14.55 , 121.02 ", (14.55, 121.02)),
        ("-90,-180", (-90.0, -180.0)),
        ("90,180", (90.0, 180.0)),
        ("+14.5,121", (14.5, 121.0)),
        ("0,0", (0.0, 0.0)),
    ],
)
def test_parse_near_accepts_decimal_degrees(raw, point):
    assert parse_near(raw) == point


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "14.55",
        "14.55,",
        ",121",
        "abc,def",
        "14.55;121.02",
        "14.55,121.02,3",
        "nan,121",
        "NaN,NaN",
        "inf,121",
        "14.55,-inf",
        "1e1,121",
        "0x10,121",
        "90.0001,121",
        "-91,0",
        "14,180.5",
        "14,-181",
        "14.5\x00,121",
        "١٤,١٢١",  # Arabic-Indic digits
        "1" * 5000 + ",121",
        "14." + "5" * 100 + ",121",
        None,
    ],
)
def test_parse_near_refuses_anything_else(raw):
    with pytest.raises(InvalidInput) as caught:
        parse_near(raw)
    assert status_for(caught.value) == 422
    assert "latitude,longitude" in caught.value.message


@given(st.text(max_size=80))
def test_parse_near_never_crashes_and_stays_in_range(raw):
    try:
        lat, lng = parse_near(raw)
    except InvalidInput:
        return
    assert -90 <= lat <= 90 and -180 <= lng <= 180
    assert math.isfinite(lat) and math.isfinite(lng)


@pytest.mark.parametrize(("raw", "n"), [(None, 1), ("", 1), ("1", 1), ("7", 7), ("50", 50)])
def test_parse_packages(raw, n):
    assert parse_packages(raw) == n


@pytest.mark.parametrize("raw", ["0", "51", "-1", "1.5", "abc", "٣", "00000000001", " 3"])
def test_parse_packages_refuses(raw):
    with pytest.raises(InvalidInput, match="from 1 to 50"):
        parse_packages(raw)


@pytest.mark.parametrize(
    ("raw", "value"), [(None, False), ("", False), ("0", False), ("1", True), ("true", True)]
)
def test_parse_flag(raw, value):
    assert parse_flag(raw) is value


def test_parse_flag_refuses_junk():
    with pytest.raises(InvalidInput):
        parse_flag("maybe")


# --- query and codes ----------------------------------------------------------------------------


def test_clean_query_drops_control_characters_and_shortens():
    assert clean_query("  Ayala\u200b \t Makati\x07 ") == ("Ayala Makati", False)
    assert clean_query("a\nb") == ("a b", False)
    query, shortened = clean_query("x" * 5000)
    assert len(query) == MAX_QUERY and shortened


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("0412", True),
        ("DC-PASIG", True),
        ("", False),
        ("-1", False),
        ("a" * 13, False),
        ("04 12", False),
        ("0412%", False),
        (None, False),
    ],
)
def test_valid_code(code, ok):
    assert valid_code(code) is ok


# --- opening hours ------------------------------------------------------------------------------


def test_open_24_hours_is_always_open():
    store = branch(opens_at=0, closes_at=0)
    assert all(is_open(store, manila(h, m)) for h in range(24) for m in (0, 59))
    assert format_hours(store) == "Open 24 hours"


@pytest.mark.parametrize(
    ("hour", "minute", "open_"),
    [(5, 59, False), (6, 0, True), (12, 0, True), (21, 59, True), (22, 0, False), (0, 0, False)],
)
def test_day_hours(hour, minute, open_):
    store = branch(opens_at=6 * 60, closes_at=22 * 60)
    assert is_open(store, manila(hour, minute)) is open_
    assert format_hours(store) == "6:00 AM–10:00 PM"


@pytest.mark.parametrize(
    ("hour", "minute", "open_"),
    [(15, 59, False), (16, 0, True), (23, 59, True), (0, 0, True), (3, 59, True), (4, 0, False)],
)
def test_overnight_hours(hour, minute, open_):
    store = branch(opens_at=16 * 60, closes_at=4 * 60)
    assert is_open(store, manila(hour, minute)) is open_
    assert format_hours(store) == "4:00 PM–4:00 AM"


def test_is_open_reads_the_time_in_manila():
    store = branch(opens_at=6 * 60, closes_at=22 * 60)
    # 23:00 UTC is 07:00 the next morning in Manila.
    assert is_open(store, datetime(2025, 3, 4, 23, 0, tzinfo=UTC))
    assert not is_open(store, datetime(2025, 3, 4, 15, 0, tzinfo=UTC))  # 23:00 Manila


def test_format_hours_noon_and_midnight():
    assert format_hours(branch(opens_at=0, closes_at=12 * 60 + 30)) == "12:00 AM–12:30 PM"


# --- why a branch can't be chosen ---------------------------------------------------------------


def test_a_roomy_active_store_is_selectable():
    choice = to_choice(branch(reserved=3), packages=7, at=manila(12))
    assert isinstance(choice, BranchChoice)
    assert choice.selectable and choice.reason is None
    assert choice.free_capacity == 7 and choice.capacity_text == "7 slots free"
    assert choice.open_now and choice.hours == "Open 24 hours"


@pytest.mark.parametrize(
    ("overrides", "kwargs", "reason"),
    [
        ({"reserved": 10}, {}, "Full right now"),
        ({"reserved": 9}, {"packages": 2}, "Room for only 1 of your 2 packages"),
        ({"frozen": False}, {"frozen_required": True}, "Doesn't keep frozen items"),
        ({"active": False}, {}, "Not taking pickups"),
        ({"kind": BranchKind.DC}, {}, "Not taking pickups"),
        ({"frozen": False, "reserved": 10}, {"frozen_required": True}, "Doesn't keep frozen"),
    ],
)
def test_reasons_a_branch_cannot_be_chosen(overrides, kwargs, reason):
    store = branch(**overrides)
    short, sentence = unavailable(store, **kwargs)
    assert short.startswith(reason)
    assert store.name in sentence and sentence.endswith(".")
    choice = to_choice(store, at=manila(12), **kwargs)
    assert not choice.selectable and choice.reason == short


def test_a_frozen_ready_branch_takes_a_frozen_order_and_full_reads_full():
    assert unavailable(branch(frozen=True), frozen_required=True) is None
    assert to_choice(branch(reserved=10), at=manila(12)).capacity_text == "Full"
    assert to_choice(branch(reserved=9), at=manila(12)).capacity_text == "1 slot free"
