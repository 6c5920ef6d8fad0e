"""The audit log's values are JSON-plain, and an edit records only what it changed."""

import enum
from datetime import UTC, date, datetime

from shop.admin.audit import _plain, changed


class Colour(enum.StrEnum):
    RED = "red"


def test_values_are_stored_as_plain_json():
    moment = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert _plain(
        {"when": moment, "day": date(2026, 12, 3), "colour": Colour.RED, "n": 3, "ok": True,
         "list": (1, Colour.RED), "none": None, "other": object}
    ) == {
        "when": "2026-12-01T09:30:00+00:00", "day": "2026-12-03", "colour": "red", "n": 3,
        "ok": True, "list": [1, "red"], "none": None, "other": "<class 'object'>",
    }  # fmt: skip


def test_changed_keeps_only_what_differs():
    before = {"price": 100, "stock": 5, "name": "A"}
    after = {"price": 120, "stock": 5, "name": "A"}
    assert changed(before, after) == ({"price": 100}, {"price": 120})
    assert changed(before, before) == ({}, {})
