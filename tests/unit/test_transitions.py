"""The ECMS state machine's table, exhaustively and without a database: every (state, action)
pair DESIGN.md doesn't draw is refused, and every one it draws is allowed to the right roles in
the right place only (issue #10, point 1). The expected tables below are written out from
DESIGN.md's lifecycle and docs/decisions.md, not read from the code."""

import itertools

import pytest

from shop.fulfillment.lifecycle import (
    RULES,
    TABLE,
    TRANSITIONS,
    Action,
    Actor,
    InvalidTransition,
    NotAllowed,
    NotYours,
    PackageNotFound,
    Places,
    refusal,
)
from shop.fulfillment.models import PackageState as S

A = Action

DESIGN = {
    (S.LABEL_ISSUED, A.DROP_OFF): S.RECEIVED,
    (S.LABEL_ISSUED, A.CANCEL): S.CANCELLED,
    (S.RECEIVED, A.ACCEPT): S.ACCEPTED,
    (S.RECEIVED, A.REJECT): S.REJECTED,
    (S.ACCEPTED, A.DISPATCH): S.IN_TRANSIT,
    (S.IN_TRANSIT, A.ARRIVE): S.AT_BRANCH,
    (S.AT_BRANCH, A.CLAIM): S.CLAIMED,
    # docs/decisions.md, "The counter": a mistaken release voided by its clerk.
    (S.CLAIMED, A.VOID_CLAIM): S.AT_BRANCH,
    (S.AT_BRANCH, A.PICKUP_DEADLINE_PASSED): S.UNCLAIMED,
    (S.UNCLAIMED, A.PULL_OUT): S.RETURNING,
    (S.CLAIMED, A.RETURN_DROP_OFF): S.RETURN_DROPPED_OFF,
    (S.RETURN_DROPPED_OFF, A.PULL_OUT): S.RETURNING,
    (S.RETURNING, A.RETURN_TO_MERCHANT): S.RETURNED_TO_MERCHANT,
}

# Who may do each action, and where: "own" (where the actor works), "dc", "destination" (the
# package's branch), "holder" (where the package is now), "anywhere".
WHO = {
    A.DROP_OFF: ({"dc", "clerk", "admin"}, "own"),
    A.CANCEL: ({"shop", "admin"}, "anywhere"),
    A.ACCEPT: ({"dc", "admin"}, "dc"),
    A.REJECT: ({"dc", "admin"}, "dc"),
    A.DISPATCH: ({"dc", "admin"}, "dc"),
    A.ARRIVE: ({"clerk", "admin"}, "destination"),
    A.CLAIM: ({"clerk", "admin"}, "destination"),
    A.VOID_CLAIM: ({"clerk", "admin"}, "destination"),
    A.PICKUP_DEADLINE_PASSED: ({"system"}, "anywhere"),
    A.PULL_OUT: ({"clerk", "admin"}, "holder"),
    A.RETURN_DROP_OFF: ({"clerk", "admin"}, "own"),
    A.RETURN_TO_MERCHANT: ({"dc", "admin"}, "dc"),
}

DC_ID, DESTINATION, ELSEWHERE, HOLDER = 1, 10, 11, 20

# Every kind of actor, with where it works.
ACTORS = {
    "clerk at the destination": Actor("clerk", "C1", 1, DESTINATION),
    "clerk of another branch": Actor("clerk", "C2", 2, ELSEWHERE),
    "clerk where the package is": Actor("clerk", "C3", 3, HOLDER),
    "clerk of no branch": Actor("clerk", "C4", 4, None),
    "clerk placed at the DC": Actor("clerk", "C5", 5, DC_ID),
    "dc at the DC": Actor("dc", "D1", 6, DC_ID),
    "dc of no place": Actor("dc", "D2", 7, None),
    "dc placed at a store": Actor("dc", "D3", 8, DESTINATION),
    "admin": Actor("admin", "Operator", 9, None),
    "system": Actor.system(),
    "shop": Actor.shop("checkout"),
    "shopper": Actor("shopper", "S", 10, None),
    "merchant": Actor("merchant", "M", 11, None),
    "seller": Actor("seller", "Sl", 12, None),
    "publisher": Actor("publisher", "P", 13, None),
}

# Where the package is: on the destination's shelf, or at another branch (a return, a drop-off).
PLACES = {
    "held at its destination": Places(DC_ID, DESTINATION, DESTINATION),
    "held elsewhere": Places(DC_ID, DESTINATION, HOLDER),
}


def expected(state, action, actor: Actor, places: Places):
    """The refusal the rules of DESIGN.md and docs/decisions.md call for, or None."""
    roles, where = WHO[action]
    if actor.role not in roles:
        return NotAllowed
    if actor.role == "dc" and actor.branch_id != DC_ID:
        return NotAllowed
    if actor.role == "clerk" and actor.branch_id in (None, DC_ID):
        return NotAllowed
    if actor.role == "clerk":
        must_be = {
            "own": actor.branch_id,
            "destination": places.destination_id,
            "holder": places.holder_id,
        }[where]
        if actor.branch_id != must_be:
            return NotYours
    if (state, action) not in DESIGN:
        return InvalidTransition
    return None


CASES = list(itertools.product(S, A, ACTORS, PLACES))


@pytest.mark.parametrize(("state", "action", "who", "where"), CASES)
def test_every_state_action_actor_and_place(state, action, who, where):
    actor, places = ACTORS[who], PLACES[where]
    got = refusal(state, action, actor, places)
    want = expected(state, action, actor, places)
    if want is None:
        assert got is None, f"{who} should be able to {action} a {state} package {where}: {got}"
    else:
        assert type(got) is want, f"{who} {action} {state} {where}: got {got!r}"


def test_the_table_is_the_design():
    assert TRANSITIONS == DESIGN
    assert {a: (set(r.roles), r.place.value) for a, r in RULES.items()} == WHO
    assert len(TABLE) == len(DESIGN)


def test_every_pair_the_design_does_not_draw_is_refused_for_everyone():
    refused = [(s, a) for s, a in itertools.product(S, A) if (s, a) not in DESIGN]
    assert len(refused) == len(S) * len(A) - len(DESIGN)
    for state, action in refused:
        for actor in ACTORS.values():
            for places in PLACES.values():
                assert refusal(state, action, actor, places) is not None


def test_every_drawn_pair_has_someone_who_may():
    for state, action in DESIGN:
        assert any(
            refusal(state, action, actor, places) is None
            for actor in ACTORS.values()
            for places in PLACES.values()
        ), (state, action)


def test_only_the_clock_makes_time_pass_and_the_clock_does_nothing_else():
    clock = Actor.system()
    allowed = {
        a for s, a in DESIGN if refusal(s, a, clock, PLACES["held at its destination"]) is None
    }
    assert allowed == {A.PICKUP_DEADLINE_PASSED}
    admin = ACTORS["admin"]
    assert refusal(S.AT_BRANCH, A.PICKUP_DEADLINE_PASSED, admin, PLACES["held elsewhere"])


def test_not_yours_reads_exactly_as_not_found():
    yours, unknown = NotYours(), PackageNotFound()
    assert isinstance(yours, PackageNotFound)
    assert (yours.code, yours.message, yours.field) == (
        unknown.code,
        unknown.message,
        unknown.field,
    )


def test_a_refusal_names_the_state_and_the_role():
    wrong_state = refusal(S.RECEIVED, A.CLAIM, ACTORS["admin"], PLACES["held elsewhere"])
    assert "received" in wrong_state.message and wrong_state.code == "invalid_state"
    wrong_role = refusal(
        S.ACCEPTED, A.DISPATCH, ACTORS["clerk at the destination"], PLACES["held elsewhere"]
    )
    assert wrong_role.message == "A store clerk can't dispatch a package."
    assert wrong_role.code == "not_allowed"


def test_an_actor_of_a_user_carries_its_place_terminal_and_shift():
    class User:
        id, name, role, branch_id = 7, "Ana Reyes", "clerk", 42

    actor = Actor.of(User(), terminal="POS-1", shift=2)
    assert actor == Actor("clerk", "Ana Reyes", 7, 42, "POS-1", "2")
    assert Actor.of(User()).at_counter("POS-2", "night").terminal == "POS-2"
    assert Actor.of(User(), terminal="", shift=None).terminal is None
