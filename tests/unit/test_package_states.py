"""The package lifecycle of DESIGN.md as a table: every (state, action) pair is either a
listed transition or refused."""

import itertools

import pytest

from shop.fulfillment.models import PackageState as S
from shop.fulfillment.service import TRANSITIONS, InvalidTransition, next_state

ACTIONS = sorted({action for _, action in TRANSITIONS})

EXPECTED = {
    (S.LABEL_ISSUED, "drop_off"): S.RECEIVED,
    (S.LABEL_ISSUED, "cancel"): S.CANCELLED,
    (S.RECEIVED, "accept"): S.ACCEPTED,
    (S.RECEIVED, "reject"): S.REJECTED,
    (S.ACCEPTED, "dispatch"): S.IN_TRANSIT,
    (S.IN_TRANSIT, "arrive"): S.AT_BRANCH,
    (S.AT_BRANCH, "claim"): S.CLAIMED,
    (S.CLAIMED, "void_claim"): S.AT_BRANCH,  # a mistaken release voided by its clerk
    (S.AT_BRANCH, "pickup_deadline_passed"): S.UNCLAIMED,
    (S.UNCLAIMED, "pull_out"): S.RETURNING,
    (S.CLAIMED, "return_drop_off"): S.RETURN_DROPPED_OFF,
    (S.RETURN_DROPPED_OFF, "pull_out"): S.RETURNING,
    (S.RETURNING, "return_to_merchant"): S.RETURNED_TO_MERCHANT,
}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(S, ACTIONS)))
def test_every_state_and_action(state, action):
    if (state, action) in EXPECTED:
        assert next_state(state, action) is EXPECTED[(state, action)]
    else:
        with pytest.raises(InvalidTransition) as refused:
            next_state(state, action)
        assert state.value.replace("_", " ") in refused.value.message
        assert refused.value.code == "invalid_state"


def test_the_table_is_the_design():
    assert TRANSITIONS == EXPECTED


def test_final_states_lead_nowhere():
    finals = {S.CANCELLED, S.REJECTED, S.RETURNED_TO_MERCHANT}
    assert not [key for key in TRANSITIONS if key[0] in finals]


def test_every_state_is_reachable_from_label_issued():
    reached, frontier = {S.LABEL_ISSUED}, [S.LABEL_ISSUED]
    while frontier:
        state = frontier.pop()
        for (origin, _), target in TRANSITIONS.items():
            if origin is state and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(S)
