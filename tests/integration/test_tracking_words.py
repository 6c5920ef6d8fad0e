"""Public tracking says every state in a shopper's words (issue #10, point 8): the headline,
what happens next, where, the pickup deadline while it waits, a re-route shown from its event,
and never a name, a phone, an email, a code or a clerk. On both databases, each package brought
to its state by the ECMS's own service functions."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop import codes
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment import timing
from shop.fulfillment.models import Package, PackageEvent
from shop.fulfillment.models import PackageState as S
from shop.transaction import transaction
from tests.conftest import text
from tests.integration import test_ecms_lifecycle
from tests.integration.test_ecms_lifecycle import FITS, MOMENT, call, package, ship

world = test_ecms_lifecycle.world


def _arrived(app, world, number):
    call(app, ecms.drop_off, number, world.dc_user)
    call(app, ecms.accept, number, world.dc_user, inspection=FITS)
    call(app, ecms.dispatch, number, world.dc_user)
    call(app, ecms.arrive, number, world.clerk_a)


def _late(app, clock, grace=False):
    deadline = MOMENT + timedelta(days=app.config["PICKUP_DAYS"])
    extra = timedelta(hours=app.config["UNCLAIMED_RETURN_HOURS"]) if grace else timedelta(0)
    clock.set(deadline + extra)


def _to(app, world, clock, state, shipped):
    """Bring the shipment's package to `state` the way the ECMS does."""
    number = shipped.numbers[0]
    steps = {
        S.LABEL_ISSUED: [],
        S.RECEIVED: [lambda: call(app, ecms.drop_off, number, world.dc_user)],
        S.ACCEPTED: [
            lambda: call(app, ecms.drop_off, number, world.dc_user),
            lambda: call(app, ecms.accept, number, world.dc_user, inspection=FITS),
        ],
        S.REJECTED: [
            lambda: call(app, ecms.drop_off, number, world.dc_user),
            lambda: call(app, ecms.reject, number, world.dc_user, reason="Over 10 kg"),
        ],
        S.CANCELLED: [lambda: call(app, ecms.cancel, number, ecms.Actor.shop("checkout"))],
    }
    if state in steps:
        for step in steps[state]:
            step()
        return
    if state is S.IN_TRANSIT:
        call(app, ecms.drop_off, number, world.dc_user)
        call(app, ecms.accept, number, world.dc_user, inspection=FITS)
        call(app, ecms.dispatch, number, world.dc_user)
        return
    _arrived(app, world, number)
    if state is S.AT_BRANCH:
        return
    if state in (S.CLAIMED, S.RETURN_DROPPED_OFF):
        cash = 50_000 if state is S.CLAIMED else None
        call(
            app,
            ecms.claim,
            shipped.code,
            [number],
            world.clerk_a,
            cash_received=cash,
            id_type="UMID",
        )
        if state is S.RETURN_DROPPED_OFF:
            call(app, ecms.return_drop_off, number, world.clerk_b)
        return
    _late(app, clock)
    call(app, timing.expire_pickups)
    if state is S.UNCLAIMED:
        return
    call(app, ecms.pull_out, number, world.clerk_a)
    if state is S.RETURNED_TO_MERCHANT:
        call(app, ecms.return_to_merchant, number, world.dc_user, detail={"apo": "APO-1"})


# state: (the headline, what the page says comes next, where)
WORDS = {
    S.LABEL_ISSUED: ("Being prepared by the seller", "Next: the seller hands it", "Going to"),
    S.RECEIVED: ("Received at the distribution center", "Next: it is checked", "Going to"),
    S.ACCEPTED: ("Checked and accepted", "Next: it leaves the distribution center", "Going to"),
    S.IN_TRANSIT: ("On its way to the branch", "Next: it arrives at the branch", "Going to"),
    S.AT_BRANCH: ("Ready for pickup at the branch", "Show the code from your order email", "At"),
    S.CLAIMED: ("Picked up", "It is yours", "Picked up at"),
    S.REJECTED: ("Couldn't be sent: it didn't pass the check", "goes back to the seller", None),
    S.UNCLAIMED: ("Not picked up in time", "It can no longer be picked up", "Waited at"),
    S.RETURN_DROPPED_OFF: ("Return dropped off at a 7-Eleven branch", "Next: it goes back", None),
    S.RETURNING: ("On its way back to the seller", "Next: our distribution center hands", None),
    S.RETURNED_TO_MERCHANT: ("Returned to the seller", "It is back with the seller", None),
    S.CANCELLED: ("Cancelled before it was sent", "It won't be sent", None),
}


def test_every_state_has_its_words():
    assert set(WORDS) == set(S) == set(ecms.STATE_TEXT) == set(ecms.NEXT_STEP)


@pytest.mark.parametrize("state", list(S), ids=lambda s: s.value)
def test_each_state_in_a_shoppers_words_and_nothing_personal(app, world, clock, state):
    clock.set(MOMENT)
    shipped = ship(app, world.a, cod=50_000 if state is S.CLAIMED else 0)
    _to(app, world, clock, state, shipped)
    number = shipped.numbers[0]
    assert package(app, number).state is state
    response = app.test_client().get(f"/track/{number}")  # anyone, no session
    page = text(response)
    assert response.status_code == 200
    headline, next_step, where = WORDS[state]
    assert f'data-testid="track-state">{headline}' in page.replace("&#39;", "'")
    assert next_step in page.replace("&#39;", "'")
    if where:
        assert f">{where} 7-Eleven Ayala Triangle<" in page
    else:
        assert 'data-testid="track-branch"' not in page
    assert ("Pick it up by" in page) is (state is S.AT_BRANCH)
    # No personal data: recipient, phone, email, clerks, the DC login, the codes.
    # The phone (+639171234567) in any of its spellings; not "917" alone, which a random
    # tracking number on the page may hold ("7018 6917 4624").
    phone = ("9171234567", "917 123", "917-123", "0917", "1234567", "123 4567")
    for secret in ("Juan", "dela Cruz", *phone, "juan@example.com", "Ana A", "Ben B", "Rosa DC"):
        assert secret not in page, (state, secret)
    assert shipped.code not in page and codes.group(shipped.code) not in page
    assert "Over 10 kg" not in page and "UMID" not in page and "APO-1" not in page
    # No jargon: no state's code name, no raw action.
    for jargon in ("label_issued", "at_branch", "return_dropped_off", "pull_out", "Label issued"):
        assert jargon not in page


def test_a_package_the_tick_sent_back_says_so(app, world, clock):
    clock.set(MOMENT)
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    _arrived(app, world, number)
    _late(app, clock, grace=True)
    call(app, timing.tick)
    page = text(app.test_client().get(f"/track/{number}"))
    assert "On its way back to the seller" in page
    assert "Sent back to the seller: it wasn't picked up in time" in page.replace("&#39;", "'")
    assert "Not picked up in time" in page  # the step before, on the timeline


def test_a_pull_out_is_said_as_the_hand_over_not_who_did_it(app, world, clock):
    clock.set(MOMENT)
    shipped = ship(app, world.a)
    _to(app, world, clock, S.RETURNING, shipped)
    page = text(app.test_client().get(f"/track/{shipped.numbers[0]}"))
    assert "Handed to our delivery staff to go back to the seller" in page
    assert "Ana A" not in page


def _reroute_event(app, number, state):
    """An event as the re-route of a closed branch writes one: action "reroute"."""
    with app.app_context(), transaction():
        found = db.session.scalar(sa.select(Package).where(Package.tracking_number == number))
        db.session.add(
            PackageEvent(
                package=found,
                action="reroute",
                from_state=state,
                to_state=state,
                actor="Operator Olga",
                place="DC Pasig",
                at=MOMENT + timedelta(hours=5),
                actor_role="admin",
                detail={"from_branch": "0412", "reason": "closed"},
            )
        )


def test_a_reroute_on_the_way_is_said_from_its_event(app, world, clock):
    clock.set(MOMENT)
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    _to(app, world, clock, S.IN_TRANSIT, shipped)
    _reroute_event(app, number, S.IN_TRANSIT)
    page = text(app.test_client().get(f"/track/{number}"))
    assert 'data-testid="rerouted"' in page and "Sent to another branch" in page
    assert "it now goes to 7-Eleven Ayala Triangle" in page
    assert "Operator Olga" not in page and "closed" not in page
    assert page.count('aria-current="step"') == 1  # still one current stage


def test_a_reroute_shows_on_the_timeline_whatever_the_state(app, world, clock):
    clock.set(MOMENT)
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    call(app, ecms.cancel, number, ecms.Actor.shop("checkout"))
    _reroute_event(app, number, S.CANCELLED)
    page = text(app.test_client().get(f"/track/{number}"))
    assert "<li><time" in page and "Sent to another pickup branch" in page
    assert "Operator Olga" not in page


def test_unknown_and_mistyped_numbers_say_what_anything_not_found_says(app, world):
    shipped = ship(app, world.a)
    number = shipped.numbers[0]
    unknown = codes.generate(codes.CodeType.TRACKING)
    missing = app.test_client().get(f"/track/{unknown}")
    mistyped = number[:-1] + str((int(number[-1]) + 1) % 10)  # the check digit catches it
    typo = app.test_client().get(f"/track/{mistyped}")
    assert missing.status_code == 404
    assert "There is no package with that tracking number." in text(missing)
    assert typo.status_code == 422 and "There is no package" not in text(typo)
