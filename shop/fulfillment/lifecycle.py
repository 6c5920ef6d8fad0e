"""The package lifecycle as one table: from which state each action leads where, who may do it
and where they must be. Pure values and rules (no database): service.py applies them.

Who acts is an `Actor`: a signed-in user (clerk, DC, admin, ...) with the branch they belong to
and, at a counter, the terminal and shift; or one of the shop's own non-human actors: `system`
(the tick: time-based transitions only) and `shop` (the shop's own services acting for a
shipment they own, e.g. checkout cancelling an order before drop-off).

Where they must be is a `Place`: a clerk acts only at their own branch, a DC user only at the
DC, an admin anywhere. `check_actor` is the one function that says so."""

import enum
from dataclasses import dataclass, replace

from shop.errors import Conflict, Forbidden, NotFound
from shop.fulfillment.models import PackageState

S = PackageState

# The roles of the non-human actors (the others are shop.auth.models.Role values).
SYSTEM = "system"  # the tick: time-based transitions only
SHOP = "shop"  # the shop's own services, for shipments they own (checkout, later the API)

CLERK, DC, ADMIN = "clerk", "dc", "admin"  # shop.auth.models.Role values (StrEnum-equal)


class Action(enum.StrEnum):
    DROP_OFF = "drop_off"
    ACCEPT = "accept"
    REJECT = "reject"
    DISPATCH = "dispatch"
    ARRIVE = "arrive"
    CLAIM = "claim"
    PICKUP_DEADLINE_PASSED = "pickup_deadline_passed"
    PULL_OUT = "pull_out"
    RETURN_DROP_OFF = "return_drop_off"
    RETURN_TO_MERCHANT = "return_to_merchant"
    CANCEL = "cancel"
    VOID_CLAIM = "void_claim"


class Place(enum.StrEnum):
    """Where the actor must be for an action."""

    OWN = "own"  # wherever the actor works (a clerk's branch, the DC): the package comes there
    DC = "dc"  # at the distribution center
    DESTINATION = "destination"  # at the package's destination branch (its shipment's)
    HOLDER = "holder"  # at the branch or DC that holds the package now
    ANYWHERE = "anywhere"  # no place (the tick, the shop's services, an operator)


@dataclass(frozen=True)
class Transition:
    source: PackageState
    action: Action
    target: PackageState
    roles: frozenset[str]  # who may: Role values, SYSTEM or SHOP
    place: Place


def _t(source, action, target, roles, place) -> Transition:
    return Transition(source, action, target, frozenset(roles), place)


A = Action
# The whole lifecycle of DESIGN.md, with who may do each step and where. Admin (the operator)
# may do every step a person does, from anywhere; nobody but the tick makes time pass.
TABLE: tuple[Transition, ...] = (
    # A merchant hands the package to the DC, or a seller to their nearest branch's counter.
    _t(S.LABEL_ISSUED, A.DROP_OFF, S.RECEIVED, {DC, CLERK, ADMIN}, Place.OWN),
    # Before drop-off, the shipment's owner (the shop's checkout, a merchant through the API)
    # or an operator may cancel.
    _t(S.LABEL_ISSUED, A.CANCEL, S.CANCELLED, {SHOP, ADMIN}, Place.ANYWHERE),
    # Inspection and dispatch happen at the DC only.
    _t(S.RECEIVED, A.ACCEPT, S.ACCEPTED, {DC, ADMIN}, Place.DC),
    _t(S.RECEIVED, A.REJECT, S.REJECTED, {DC, ADMIN}, Place.DC),
    _t(S.ACCEPTED, A.DISPATCH, S.IN_TRANSIT, {DC, ADMIN}, Place.DC),
    # The destination branch's clerk takes the trip's packages in, and releases them.
    _t(S.IN_TRANSIT, A.ARRIVE, S.AT_BRANCH, {CLERK, ADMIN}, Place.DESTINATION),
    _t(S.AT_BRANCH, A.CLAIM, S.CLAIMED, {CLERK, ADMIN}, Place.DESTINATION),
    # A mistaken release, voided by the clerk who made it within VOID_MINUTES (the service
    # checks who and when): back on the shelf, its pickup deadline kept.
    _t(S.CLAIMED, A.VOID_CLAIM, S.AT_BRANCH, {CLERK, ADMIN}, Place.DESTINATION),
    _t(S.AT_BRANCH, A.PICKUP_DEADLINE_PASSED, S.UNCLAIMED, {SYSTEM}, Place.ANYWHERE),
    # The branch holding the package hands it to the delivery staff going back to the DC.
    _t(S.UNCLAIMED, A.PULL_OUT, S.RETURNING, {CLERK, ADMIN}, Place.HOLDER),
    # A return is dropped at any branch's counter.
    _t(S.CLAIMED, A.RETURN_DROP_OFF, S.RETURN_DROPPED_OFF, {CLERK, ADMIN}, Place.OWN),
    _t(S.RETURN_DROPPED_OFF, A.PULL_OUT, S.RETURNING, {CLERK, ADMIN}, Place.HOLDER),
    # The APO's release at the DC hands it to the merchant.
    _t(S.RETURNING, A.RETURN_TO_MERCHANT, S.RETURNED_TO_MERCHANT, {DC, ADMIN}, Place.DC),
)

# (state, action) -> next state.
TRANSITIONS: dict[tuple[PackageState, str], PackageState] = {
    (t.source, t.action): t.target for t in TABLE
}
BY_KEY: dict[tuple[PackageState, str], Transition] = {(t.source, t.action): t for t in TABLE}


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    place: Place


def _rules() -> dict[Action, Rule]:
    rules: dict[Action, Rule] = {}
    for t in TABLE:
        rule = Rule(t.roles, t.place)
        if rules.setdefault(t.action, rule) != rule:
            raise AssertionError(f"{t.action}: one action has one rule of who and where")
    return rules


# Who may do each action and where (one rule per action, whatever state it starts from).
RULES: dict[Action, Rule] = _rules()

ROLE_WORDS = {
    "shopper": "A shopper",
    "publisher": "An app publisher",
    "merchant": "A merchant",
    "seller": "A marketplace seller",
    CLERK: "A store clerk",
    DC: "The distribution center",
    ADMIN: "An operator",
    SYSTEM: "The shop's clock",
    SHOP: "The shop",
}
ACTION_WORDS = {
    A.DROP_OFF: "take a package in",
    A.ACCEPT: "accept a package at inspection",
    A.REJECT: "reject a package at inspection",
    A.DISPATCH: "dispatch a package",
    A.ARRIVE: "take in an arriving package",
    A.CLAIM: "release a package",
    A.PICKUP_DEADLINE_PASSED: "mark a package not picked up",
    A.PULL_OUT: "pull a package out",
    A.RETURN_DROP_OFF: "take a return in",
    A.RETURN_TO_MERCHANT: "hand a package back to its merchant",
    A.CANCEL: "cancel a package",
    A.VOID_CLAIM: "void a release",
}


class InvalidTransition(Conflict):
    """That can't be done to the package in its current state."""

    code = "invalid_state"


class PackageNotFound(NotFound):
    """There is no package with that tracking number."""

    code = "package_not_found"


# A package that is not the actor's to handle (another branch's). It says exactly what an
# unknown tracking number says (the docstring is the message), so a lookup never tells "exists
# but not yours" from "does not exist"; only the code that raised it knows.
class NotYours(PackageNotFound):
    __doc__ = PackageNotFound.__doc__


class NotAllowed(Forbidden):
    """Your role can't do that here."""

    code = "not_allowed"


def state_words(state: PackageState) -> str:
    return state.value.replace("_", " ")


def next_state(state: PackageState, action: str) -> PackageState:
    """The state `action` leads to from `state`. Raises InvalidTransition."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransition(
            f"A package that is {state_words(state)} can't be {action.replace('_', ' ')}."
        ) from None


@dataclass(frozen=True)
class Actor:
    """Who does something to a package, as its event records it.

    `role` is a Role value, SYSTEM or SHOP; `branch_id` the branch (or DC) the person belongs
    to (users.branch_id); `terminal` and `shift` say which counter and shift at a branch
    ("POS-1", "2"), as 7-Eleven's own counter transactions record them."""

    role: str
    name: str
    user_id: int | None = None
    branch_id: int | None = None
    terminal: str | None = None
    shift: str | None = None

    @classmethod
    def of(cls, user, *, terminal: str | None = None, shift: str | int | None = None) -> "Actor":
        """The actor for a signed-in user (anything with id, name, role, branch_id)."""
        return cls(
            role=str(user.role.value if hasattr(user.role, "value") else user.role),
            name=user.name,
            user_id=user.id,
            branch_id=getattr(user, "branch_id", None),
            terminal=_short(terminal),
            shift=_short(shift),
        )

    @classmethod
    def system(cls, name: str = "tick") -> "Actor":
        """The shop's clock: only time-based transitions (a pickup deadline passing)."""
        return cls(role=SYSTEM, name=name)

    @classmethod
    def shop(cls, name: str = "shop") -> "Actor":
        """The shop's own services acting for a shipment they own ("checkout", "api:<merchant>":
        the caller has checked the shipment is theirs)."""
        return cls(role=SHOP, name=name)

    def at_counter(self, terminal: str | None, shift: str | int | None) -> "Actor":
        """The same person at a counter terminal during a shift."""
        return replace(self, terminal=_short(terminal), shift=_short(shift))


def _short(value) -> str | None:
    if value is None or value == "":
        return None
    return str(value).strip()[:32] or None


@dataclass(frozen=True)
class Places:
    """The places that matter for one package: the DC's branch id, the package's destination
    (its shipment's branch) and the branch or DC that holds it now (None on a truck)."""

    dc_id: int | None
    destination_id: int | None = None
    holder_id: int | None = None


def check_role(action: Action, actor: Actor, dc_id: int | None) -> None:
    """Refuse (NotAllowed) an actor whose role may not do `action`, or whose login isn't where
    its role works: a DC user belongs to the DC, a clerk to a store. Needs no package, so it
    runs before any lookup and tells nothing about one."""
    rule = RULES[Action(action)]
    if actor.role not in rule.roles:
        who = ROLE_WORDS.get(actor.role, "That role")
        raise NotAllowed(f"{who} can't {ACTION_WORDS[Action(action)]}.")
    if actor.role == DC and (actor.branch_id is None or actor.branch_id != dc_id):
        raise NotAllowed("Your login isn't set up for the distribution center.")
    if actor.role == CLERK and (actor.branch_id is None or actor.branch_id == dc_id):
        raise NotAllowed("Your login isn't set up for a branch.")


def check_place(action: Action, actor: Actor, places: Places) -> None:
    """Refuse an actor who is not where `action` must happen for this package: NotYours (which
    reads as "no such package") for a clerk of another branch, NotAllowed otherwise. Call
    check_role first."""
    place = RULES[Action(action)].place
    if actor.role in (ADMIN, SYSTEM, SHOP) or place is Place.ANYWHERE:
        return
    where = {
        Place.OWN: actor.branch_id,
        Place.DC: places.dc_id,
        Place.DESTINATION: places.destination_id,
        Place.HOLDER: places.holder_id,
    }[place]
    if where is None or where != actor.branch_id:
        if actor.role == CLERK:
            raise NotYours()
        raise NotAllowed("That package isn't where you are.")


def refusal(state: PackageState, action: Action, actor: Actor, places: Places):
    """The error acting on a package in `state` would meet, or None if allowed: the checks in
    the order the service makes them (role, place, state). For tests and screens that want to
    know before asking."""
    try:
        check_role(action, actor, places.dc_id)
        check_place(action, actor, places)
        next_state(state, action)
    except (NotAllowed, NotYours, InvalidTransition) as refused:
        return refused
    return None
