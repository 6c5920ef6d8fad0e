"""The counter's pull-out (issue #10, points 4 and 7): what goes back to the DC from a branch,
unclaimed packages and returns taken in there, handed to the delivery staff one label at a
time or all at once; on both databases."""

from datetime import timedelta

import pytest

from shop.fulfillment import service as ecms
from shop.fulfillment.models import PackageState as S
from tests.integration.test_ecms_lifecycle import call, package, reserved
from tests.integration.test_pos_screen import MOMENT, _at_branch, _post, pos  # noqa: F401  (fixture)

RETURNED = ecms.Inspection(length_mm=250, width_mm=200, height_mm=120, weight_g=1800)


def _unclaimed(app, w, clock, **kwargs):
    shipped = _at_branch(app, w, **kwargs)
    clock.set(MOMENT + timedelta(days=8))
    for number in shipped.numbers:
        call(app, ecms.pickup_deadline_passed, number, ecms.Actor.system())
    return shipped


def _returned(app, w, clock):
    """A package claimed at branch A and brought back to A's counter as a return."""
    shipped = _at_branch(app, w)
    clerk = ecms.Actor.of(w["ana"])
    call(app, ecms.claim, shipped.code, shipped.numbers, clerk, id_type="Passport")
    call(app, ecms.return_drop_off, shipped.numbers[0], clerk, inspection=RETURNED)
    return shipped


def test_the_counter_lists_and_hands_over_what_goes_back(app, pos, clock):  # noqa: F811
    late = _unclaimed(app, pos, clock)
    back = _returned(app, pos, clock)
    page = pos["client"].get("/counter/pos").text
    assert "To hand over: 2 packages" in page
    assert "Not picked up in time" in page and "Returns taken in here" in page
    slots = reserved(app, pos["a"])
    answer = _post(pos, "/counter/pos/pull-out", tracking_number=late.numbers[0])
    assert answer.status_code == 200, answer.text
    assert "Handed over" in answer.text and 'id="pos-pull-outs" hx-swap-oob="true"' in answer.text
    assert "To hand over: 1 package" in answer.text
    moved = package(app, late.numbers[0])
    assert moved.state is S.RETURNING and moved.location_id is None
    assert reserved(app, pos["a"]) == slots - 1  # the unclaimed package's shelf slot came back
    again = _post(pos, "/counter/pos/pull-out", tracking_number=late.numbers[0])
    assert again.status_code == 404  # handed over: no longer this branch's, so unknown here
    everything = _post(pos, "/counter/pos/pull-out-all")
    assert everything.status_code == 200 and "Nothing here goes back." in everything.text
    assert package(app, back.numbers[0]).state is S.RETURNING


def test_only_what_goes_back_and_only_here(app, pos, clock, make):  # noqa: F811
    waiting = _at_branch(app, pos)  # still waiting for its shopper: not a pull-out
    answer = _post(pos, "/counter/pos/pull-out", tracking_number=waiting.numbers[0])
    assert answer.status_code == 409
    assert package(app, waiting.numbers[0]).state is S.AT_BRANCH
    elsewhere = _unclaimed(app, pos, clock, branch=pos["b"])  # on branch B's shelf
    answer = _post(pos, "/counter/pos/pull-out", tracking_number=elsewhere.numbers[0])
    assert answer.status_code == 404  # another branch's reads as unknown
    assert "There is no package with that tracking number." in answer.text
    assert package(app, elsewhere.numbers[0]).state is S.UNCLAIMED
    assert "Nothing here goes back." in pos["client"].get("/counter/pos").text
    assert _post(pos, "/counter/pos/pull-out-all").status_code == 409


def test_without_js_the_pull_out_is_a_page(app, pos, clock):  # noqa: F811
    late = _unclaimed(app, pos, clock)
    answer = _post(pos, "/counter/pos/pull-out", htmx=False, tracking_number=late.numbers[0])
    assert answer.status_code == 200 and "<html" in answer.text and "Handed over" in answer.text


@pytest.mark.parametrize(
    "typed", ["", "7", "7" * 12, "junk", "7" * 5000, "7000\x00", ["7", "8"], "٧" * 12]
)
def test_bad_labels_are_a_4xx_and_change_nothing(app, pos, clock, typed):  # noqa: F811
    late = _unclaimed(app, pos, clock)
    answer = _post(pos, "/counter/pos/pull-out", tracking_number=typed)
    assert 400 <= answer.status_code < 500
    assert package(app, late.numbers[0]).state is S.UNCLAIMED
