"""Branch closure and re-routing, without a database (issue #10, point 10): which branch a
re-route chooses, when a branch is closed, what a closure's dates may be, when a shopper may
still change branch."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from shop.branches.service import (
    BranchChoice,
    closed_on,
    closure_dates,
    closure_text,
    unavailable,
)
from shop.errors import InvalidInput
from shop.fulfillment.models import PackageState as S
from shop.fulfillment.reroute import can_change, closure_terms, nearest_capable

# 11 PM on 13 Jul in UTC is 7 AM on 14 Jul in Manila: closures count Manila days.
AT = datetime(2026, 7, 13, 23, 0, tzinfo=UTC)
TODAY = date(2026, 7, 14)


def choice(code, selectable=True):
    return BranchChoice(
        code=code, name=code, address="", city="", province="", lat=0, lng=0,
        distance_km=None, open_now=True, hours="", frozen=False, free_capacity=5,
        selectable=selectable, reason=None if selectable else "Full right now",
    )  # fmt: skip


def store(**fields):
    base = dict(name="7-Eleven X", active=True, kind="store", frozen=False,
                shelf_capacity=10, reserved=0, closed_from=None, closed_until=None)  # fmt: skip
    branch = SimpleNamespace(**(base | fields))
    branch.free_capacity = branch.shelf_capacity - branch.reserved
    return branch


def test_the_nearest_that_can_take_it_comes_first_and_the_closing_one_never():
    choices = [choice("X", selectable=False), choice("FULL", False), choice("A"), choice("B")]
    assert nearest_capable(choices, exclude={"X"}) == ["A", "B"]
    assert nearest_capable([choice("X"), choice("A")], exclude={"X"}) == ["A"]
    assert nearest_capable([choice("FULL", False)]) == []
    assert nearest_capable([]) == []


@pytest.mark.parametrize(
    ("closed_from", "closed_until", "day", "closed"),
    [
        (None, None, TODAY, False),
        (TODAY, TODAY, TODAY, True),
        (TODAY, TODAY, date(2026, 7, 15), False),  # a day's closure ends by itself
        (TODAY, date(2026, 7, 16), date(2026, 7, 16), True),  # the last day is closed
        (TODAY, date(2026, 7, 16), date(2026, 7, 17), False),
        (TODAY, None, date(2030, 1, 1), True),  # for good
        (date(2026, 7, 15), None, TODAY, False),  # not yet
    ],
)
def test_closed_on(closed_from, closed_until, day, closed):
    assert closed_on(store(closed_from=closed_from, closed_until=closed_until), day) is closed


def test_a_plain_object_without_closure_fields_is_open():
    assert closed_on(SimpleNamespace(), TODAY) is False


def test_closure_words():
    assert closure_text(store(closed_from=TODAY, closed_until=None)) == "Closed for good"
    assert closure_text(store(closed_from=TODAY, closed_until=TODAY)) == "Closed on Tue 14 Jul"
    assert (
        closure_text(store(closed_from=TODAY, closed_until=date(2026, 7, 16)))
        == "Closed until Thu 16 Jul"
    )


def test_a_closed_branch_is_unavailable_before_frozen_or_capacity():
    closed = store(closed_from=TODAY, closed_until=None, reserved=10)
    short, sentence = unavailable(closed, frozen_required=True, at=AT)
    assert short == "Closed for good" and "is closed" in sentence
    assert unavailable(store(closed_from=TODAY, closed_until=TODAY), at=AT)[0] == (
        "Closed on Tue 14 Jul"
    )
    ended = store(closed_from=date(2026, 7, 1), closed_until=date(2026, 7, 13))
    assert unavailable(ended, at=AT) is None


def test_closure_dates_start_today_in_manila():
    assert closure_dates(at=AT) == (TODAY, TODAY)
    assert closure_dates(for_good=True, at=AT) == (TODAY, None)
    assert closure_dates(until="2026-07-20", at=AT) == (TODAY, date(2026, 7, 20))
    assert closure_dates(until=date(2026, 7, 14), at=AT) == (TODAY, TODAY)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"until": "2026-07-13"},
        {"until": "2026-7-20"},
        {"until": "2026-02-30"},
        {"until": "20260720"},
        {"until": "２０２６-07-20"},
        {"until": "2027-07-16"},
        {"until": 20260720},
        {"until": datetime(2026, 7, 20, tzinfo=UTC)},
        {"until": "2026-07-20", "for_good": True},
    ],
)
def test_bad_closure_dates(kwargs):
    with pytest.raises(InvalidInput) as refused:
        closure_dates(at=AT, **kwargs)
    assert refused.value.field == "until"


def test_closure_terms_from_the_form():
    assert closure_terms("today", "2026-07-20") == {"for_good": False}
    assert closure_terms("for_good", "") == {"for_good": True}
    assert closure_terms("until", "2026-07-20") == {"until": "2026-07-20"}
    for how, until in (("until", ""), ("until", None), ("soon", ""), (None, None), (["x"], "")):
        with pytest.raises(InvalidInput):
            closure_terms(how, until)


def packages(*states):
    return [SimpleNamespace(state=state) for state in states]


def test_the_branch_may_change_only_while_every_package_is_on_its_way():
    assert can_change(packages(S.LABEL_ISSUED, S.IN_TRANSIT))
    assert can_change(packages(S.ACCEPTED, S.REJECTED))  # a rejected one doesn't count
    assert not can_change(packages(S.IN_TRANSIT, S.AT_BRANCH))  # one arrived: the order stays
    assert not can_change(packages(S.CLAIMED))
    assert not can_change(packages(S.CANCELLED))
    assert not can_change([])
