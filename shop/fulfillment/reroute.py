"""Branch closure and re-routing (issue #10, point 10; docs/decisions.md, "Branch closure and
re-routing").

An operator closes a branch for a day, until a date or for good (`close_branch`). In the same
transaction every shipment bound for it that still has a package on its way (label_issued,
received, accepted, in_transit) moves, whole, to the nearest open store with the same
capabilities (frozen-ready when any of its packages is frozen; room on the shelf for its
packages: taken there with branches.reserve's conditional UPDATE, given back at the old
branch): one `reroute` event per package (same state), its codes unchanged, the shopper
mailed once with the old and new branch and a link to choose another. A package of such a
shipment already on the closing branch's shelf is `recall`ed (at_branch → in_transit back to
the DC, shelf slot and pickup deadline cleared); the DC takes it in (`return_to_dc`: →
accepted) and dispatches it again; its new pickup deadline is set when it arrives. A closure
for good recalls every package on the shelf; a closure for some days leaves a shipment whose
packages have all arrived on the shelf and pushes their pickup deadlines back by the days
closed.

The shopper may choose another branch before arrival (`change_branch`): the picker's rules
(open, frozen, room), one event per package, a mail. The merchant API's `POST
/api/v1/shipments/<tn>/branch` calls the same function (409 invalid_state after arrival).

Packages move only through service._move (the conditional UPDATE and the event)."""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from shop.branches import service as branches
from shop.branches.models import Branch
from shop.errors import InvalidInput, NotFound
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.lifecycle import Action, Actor, InvalidTransition, check_role
from shop.fulfillment.models import Package, PackageEvent, PackageState, Shipment
from shop.transaction import transaction

S = PackageState
A = Action

# Not arrived yet: a new destination changes nothing but the shipment's branch.
ON_THE_WAY = (S.LABEL_ISSUED, S.RECEIVED, S.ACCEPTED, S.IN_TRANSIT)
# The packages that hold a slot on their destination's shelf (reserved at order time, given
# back on claim, rejection, cancel or pull-out): what a move takes at the new branch.
HOLDING = (*ON_THE_WAY, S.AT_BRANCH, S.UNCLAIMED)
# How many of the nearest stores a re-route looks at for one that can take the shipment.
CANDIDATES = branches.MAX_LIMIT

SHIPMENTS = Shipment.__table__
CLOSED = "branch_closed"  # why a shipment moved: its branch closed
CHOSEN = "shopper_choice"  # or its shopper (or merchant) chose another


class NoBranchFor(NotFound):
    """No open branch near by can take this order."""

    code = "no_branch"


@dataclass(frozen=True)
class Rerouted:
    """One shipment's move, as plain values (safe after the commit)."""

    shipment_id: int
    reference: str
    from_code: str
    from_name: str
    to_code: str
    to_name: str
    rerouted: int  # packages on their way, now bound for the new branch
    recalled: int  # packages called back from the old branch's shelf through the DC


@dataclass(frozen=True)
class Closure:
    """What closing a branch did (or, from closure_preview, would do)."""

    code: str
    name: str
    closed_from: date
    closed_until: date | None  # None: for good
    moved: tuple[Rerouted, ...] = ()
    stranded: tuple[str, ...] = ()  # order numbers no open branch could take: still bound here
    kept: int = 0  # packages left on the shelf (a closure for some days), deadlines pushed back
    shipments: int = 0  # preview: shipments that would move
    packages: int = 0  # preview: packages that would move (re-routed or recalled)

    @property
    def rerouted(self) -> int:
        return sum(m.rerouted for m in self.moved)

    @property
    def recalled(self) -> int:
        return sum(m.recalled for m in self.moved)


# --- choosing the branch (plain values) -----------------------------------------------------------


def nearest_capable(choices, exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The codes of the choices that can take the order, nearest first as given (the picker's
    search orders them), without `exclude` (the closing branch). Pure: the choices are
    branches.BranchChoice values built with the order's frozen need and package count."""
    return [c.code for c in choices if c.selectable and c.code not in exclude]


def _frozen(packages) -> bool:
    return any(p.frozen for p in packages)


def _take_nearest(old: Branch, packages: int, frozen: bool) -> branches.Reservation | None:
    """Reserve `packages` slots at the nearest open store (not `old`) that can take them, or
    None. A store that fills up between the search and the reservation is skipped."""
    choices = branches.search(
        near=(old.lat, old.lng), frozen_required=frozen, packages=packages, limit=CANDIDATES
    )
    for code in nearest_capable(choices, exclude={old.code}):
        try:
            return branches.reserve(code, packages, frozen_required=frozen)
        except branches.BranchUnavailable:
            continue
    return None


# --- moving one shipment ------------------------------------------------------------------------


def _packages(shipment: Shipment) -> list[Package]:
    """The shipment's packages as the database has them now."""
    return list(
        db.session.scalars(
            sa.select(Package)
            .where(Package.shipment_id == shipment.id)
            .order_by(Package.id)
            .execution_options(populate_existing=True)
        )
    )


def _move_shipment(
    shipment: Shipment,
    packages: list[Package],
    old: Branch,
    taken: branches.Reservation,
    actor: Actor,
    reason: str,
) -> Rerouted:
    """Bind the shipment for the branch of `taken` (its slots already reserved there): give
    the old branch's slots back, an event per package (reroute; recall for one on the old
    shelf), the shopper's mail. Flushes only."""
    # The move is claimed first, by one conditional UPDATE of the shipment: of two moves at once
    # (two tabs of the order page, a closure and the shopper), one finds the branch changed and
    # is refused before it gives back or takes any shelf slot (PostgreSQL: it waits for the
    # first's row lock, then matches nothing). All or nothing: the caller's transaction rolls
    # back its reservation with it.
    claimed = db.session.execute(
        sa.update(SHIPMENTS)
        .where(SHIPMENTS.c.id == shipment.id, SHIPMENTS.c.branch_id == old.id)
        .values(branch_id=taken.id)
    ).rowcount
    if claimed != 1:
        raise InvalidTransition(
            "Its pickup branch was just changed: look at the order again to see where it goes."
        )
    set_committed_value(shipment, "branch_id", taken.id)
    holding = [p for p in packages if p.state in HOLDING]
    on_the_way = [p for p in packages if p.state in ON_THE_WAY]
    on_shelf = [p for p in packages if p.state is S.AT_BRANCH]
    detail = {
        "reason": reason,
        "from_branch": old.code,
        "from_name": old.name,
        "to_branch": taken.code,
        "to_name": taken.name,
    }
    for state in ON_THE_WAY:
        group = [p for p in on_the_way if p.state is state]
        if group:
            ecms._move(group, A.REROUTE, actor, detail=detail)
    if on_shelf:
        ecms._move(
            on_shelf,
            A.RECALL,
            actor,
            values={"location_id": None, "pickup_deadline": None},
            where_id=old.id,
            detail={**detail, "to": "dc"},
        )
    if holding:
        branches.release(old.id, len(holding))
    db.session.flush()
    first_event = db.session.scalar(
        sa.select(sa.func.max(PackageEvent.id)).where(
            PackageEvent.package_id.in_([p.id for p in packages])
        )
    )
    moved = [p for p in packages if p in on_the_way or p in on_shelf]
    # Once per move: a later move (another closure, the shopper's own choice) is news again.
    ecms.notify_rerouted(
        shipment,
        old,
        taken,
        packages=moved,
        reason=reason,
        recalled=len(on_shelf),
        change_link=_choose_link(shipment),
        move_id=first_event,
    )
    return Rerouted(
        shipment_id=shipment.id,
        reference=shipment.reference,
        from_code=old.code,
        from_name=old.name,
        to_code=taken.code,
        to_name=taken.name,
        rerouted=len(on_the_way),
        recalled=len(on_shelf),
    )


def _choose_link(shipment: Shipment) -> str | None:
    """Where the shopper chooses another branch: the shop's order page (its signed link) for
    the shop's own orders; None for a merchant's (their own pages tell their shoppers)."""
    if shipment.source != "shop":
        return None
    from shop.checkout import service as checkout  # checkout imports the ECMS: not at the top

    return checkout.order_link(shipment.reference)


# --- closing and reopening ------------------------------------------------------------------------


def _bound_for(branch_id: int) -> list[Shipment]:
    """Shipments bound for the branch with a package that holds a slot there, in id order (the
    order every writer takes rows in)."""
    return list(
        db.session.scalars(
            sa.select(Shipment)
            .where(
                Shipment.branch_id == branch_id,
                Shipment.id.in_(sa.select(Package.shipment_id).where(Package.state.in_(HOLDING))),
            )
            .order_by(Shipment.id)
            .execution_options(populate_existing=True)
        )
    )


def _plan(shipment_packages: list[Package], for_good: bool) -> bool:
    """Does this shipment move? When a package is still on its way (it can't arrive at a
    closed branch), or, closing for good, when one waits on the shelf."""
    states = {p.state for p in shipment_packages}
    return bool(states & set(ON_THE_WAY)) or (for_good and S.AT_BRANCH in states)


HOW = ("today", "until", "for_good")  # the operator's choices of how long a branch closes


def closure_terms(how, until) -> dict:
    """The keyword arguments of close_branch / closure_preview for the operator's form: `how`
    one of HOW, `until` the last closed day ("YYYY-MM-DD") when `how` is "until". Raises
    InvalidInput."""
    if how not in HOW:
        raise InvalidInput("Choose how long the branch closes.", field="how")
    if how == "until":
        if not isinstance(until, str) or not until.strip():
            raise InvalidInput("Give the last closed day.", field="until")
        return {"until": until}
    return {"for_good": how == "for_good"}


def closure_preview(code: str, *, until=None, for_good: bool = False) -> Closure:
    """What closing the branch would do, changing nothing: the dates, and how many shipments
    and packages would move (re-routed or called back). Raises BranchNotFound, InvalidInput
    for bad dates."""
    branch = branches.find_any_branch(code)
    start, end = branches.closure_dates(until=until, for_good=for_good)
    shipments = packages = kept = 0
    for shipment in _bound_for(branch.id):
        found = _packages(shipment)
        if _plan(found, for_good):
            shipments += 1
            packages += sum(p.state in (*ON_THE_WAY, S.AT_BRANCH) for p in found)
        else:
            kept += sum(p.state is S.AT_BRANCH for p in found)
    return Closure(
        branch.code, branch.name, start, end, shipments=shipments, packages=packages, kept=kept
    )


@transaction()
def close_branch(code: str, actor: Actor, *, until=None, for_good: bool = False) -> Closure:
    """Close the store `code` from today (Manila) through `until` (a date or "YYYY-MM-DD"), for
    good, or, with neither, for today; re-route what is bound for it (see the module
    docstring), all in one transaction. An operator only (NotAllowed otherwise). Raises
    BranchNotFound, InvalidInput for bad dates. A shipment no open branch can take stays bound
    here and is named in `stranded` (the operator calls its shopper)."""
    check_role(A.RECALL, actor, ecms.distribution_center_id())  # the operator's alone
    branch = branches.find_any_branch(code)
    start, end = branches.closure_dates(until=until, for_good=for_good)
    extra = _extra_days(branch, start, end)
    branches.mark_closed(branch, start, end)
    moved, stranded, kept = [], [], 0
    for shipment in _bound_for(branch.id):
        found = _packages(shipment)
        if not _plan(found, for_good):
            kept += _push_back_deadlines(found, extra)
            continue
        holding = [p for p in found if p.state in HOLDING]
        taken = _take_nearest(branch, len(holding), _frozen(holding))
        if taken is None:
            stranded.append(shipment.reference)
            continue
        moved.append(_move_shipment(shipment, found, branch, taken, actor, CLOSED))
    return Closure(branch.code, branch.name, start, end, tuple(moved), tuple(stranded), kept)


def _extra_days(branch: Branch, start: date, end: date | None) -> int:
    """The days closed this closure adds to the one the branch is under today, if any (a
    closure lengthened, or set again, pushes deadlines back once per day closed)."""
    if end is None:
        return 0
    days = (end - start).days + 1
    if branches.closed_on(branch, start):
        if branch.closed_until is None:
            return 0
        days -= (branch.closed_until - start).days + 1
    return max(0, days)


def _push_back_deadlines(packages: list[Package], days: int) -> int:
    """A shipment all on the shelf of a branch closed for some days waits there: each package's
    pickup deadline moves back by the `days` closed, so the shopper loses none. Returns how many
    packages stay on the shelf. Flushes only."""
    on_shelf = [p for p in packages if p.state is S.AT_BRANCH and p.pickup_deadline is not None]
    for package in on_shelf if days else ():
        package.pickup_deadline = package.pickup_deadline + timedelta(days=days)
    db.session.flush()
    return len(on_shelf)


@transaction()
def reopen_branch(code: str, actor: Actor) -> Branch:
    """Clear the store's closure: it takes pickups again (shipments moved away stay where they
    went; their shoppers may choose it back). An operator only. Raises BranchNotFound."""
    check_role(A.RECALL, actor, ecms.distribution_center_id())
    branch = branches.find_any_branch(code)
    branches.mark_open(branch)
    return branch


# --- the shopper's (or merchant's) own choice -----------------------------------------------------


class AlreadyThere(InvalidInput):
    """Your order already goes to that branch."""

    code = "same_branch"


def can_change(packages) -> bool:
    """May the order's branch still change? Only while every package that will reach the
    shopper is on its way (none arrived, claimed or gone back)."""
    live = [p for p in packages if p.state not in (S.REJECTED, S.CANCELLED)]
    return bool(live) and all(p.state in ON_THE_WAY for p in live)


@transaction()
def change_branch(shipment_id: int, branch_code: str, actor: Actor) -> Rerouted:
    """Send the shipment to the store `branch_code` instead, before any of its packages
    arrived: the picker's rules (open today, frozen-ready for a frozen package, room for its
    packages: reserved there with the conditional UPDATE), the old branch's slots given back,
    an event per package, the shopper's mail. For the shop's own services acting for a
    shipment they own (Actor.shop: the order page after its access check, the merchant API
    after its) or an operator.

    Raises NotAllowed for another role; NotFound for an unknown shipment; InvalidTransition
    (409 invalid_state) once a package arrived (or was claimed, or went back); AlreadyThere
    for its current branch; BranchNotFound / BranchUnavailable (with the reason) as
    branches.reserve."""
    check_role(A.REROUTE, actor, ecms.distribution_center_id())
    shipment = (
        db.session.get(Shipment, shipment_id, populate_existing=True)
        if (isinstance(shipment_id, int) and not isinstance(shipment_id, bool))
        else None
    )
    if shipment is None:
        raise NotFound("There is no such shipment.")
    found = _packages(shipment)
    if not can_change(found):
        raise InvalidTransition(
            "The pickup branch can only change before the package arrives at its branch."
        )
    old = db.session.get(Branch, shipment.branch_id)
    if not branches.valid_code(branch_code):
        raise branches.BranchNotFound()
    if branch_code == old.code:
        raise AlreadyThere(field="branch_code")
    _lock_branches(old.id, branch_code)
    holding = [p for p in found if p.state in HOLDING]
    taken = branches.reserve(branch_code, len(holding), frozen_required=_frozen(holding))
    return _move_shipment(shipment, found, old, taken, actor, CHOSEN)


def _lock_branches(old_id: int, new_code: str) -> None:
    """Lock the old and the new branch rows in id order (PostgreSQL; SQLite serializes
    writers anyway) before any slot moves: two shoppers swapping between the same two branches
    at once then wait for each other instead of deadlocking."""  # noqa: D401
    db.session.execute(
        sa.select(Branch.id)
        .where(sa.or_(Branch.id == old_id, Branch.code == new_code))
        .order_by(Branch.id)
        # FOR NO KEY UPDATE: the lock reserve's UPDATE takes anyway, and one that doesn't
        # block the foreign-key checks of an arrival writing the branch's id meanwhile.
        .with_for_update(key_share=True)
    ).all()


# --- back at the DC -----------------------------------------------------------------------------


def recalled(package: Package) -> bool:
    """Is this in_transit package on its way back to the DC (its last move a recall)?"""
    last = package.events[-1] if package.events else None
    return package.state is S.IN_TRANSIT and last is not None and last.action == A.RECALL


@transaction()
def return_to_dc(tracking_number: str, actor: Actor) -> Package:
    """in_transit → accepted: a package called back from a closed branch's shelf is taken in
    at the DC, to be dispatched again to its new branch. DC or admin, at the DC. Raises
    InvalidTransition for a package that wasn't called back (one on its way to a branch)."""
    package, dc_id = ecms._subject(A.RETURN_TO_DC, tracking_number, actor)
    if not recalled(package):
        raise InvalidTransition("That package is on its way to its branch, not back to the DC.")
    ecms._move([package], A.RETURN_TO_DC, actor, values={"location_id": dc_id}, where_id=dc_id)
    return package


@transaction()
def recall(tracking_number: str, actor: Actor) -> Package:
    """at_branch → in_transit for one package whose order now goes to another branch (its
    shelf slot moved with the order): it goes back to the DC on the next truck. close_branch
    does this for every such package; this is the operator's by-hand step for one left behind.
    An operator only. Raises InvalidTransition for a package not on a shelf, or whose order
    still goes to the branch holding it."""
    package, _ = ecms._subject(A.RECALL, tracking_number, actor)
    old = package.location_id
    if old == package.shipment.branch_id:
        raise InvalidTransition("Its order still goes to this branch: close the branch instead.")
    ecms._move(
        [package],
        A.RECALL,
        actor,
        values={"location_id": None, "pickup_deadline": None},
        where_id=old,
        detail={"reason": CLOSED, "to": "dc"},
    )
    return package


# --- what the order page says ---------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """The shipment's latest move, for the shopper's order page."""

    reason: str  # CLOSED or CHOSEN
    from_name: str
    to_name: str
    at: object


def latest_move(packages) -> Notice | None:
    """The latest re-route (or recall) of these packages, or None."""
    latest = None
    for package in packages:
        for event in package.events:
            if event.action in (A.REROUTE, A.RECALL) and (latest is None or event.id > latest.id):
                latest = event
    if latest is None:
        return None
    detail = latest.detail or {}
    return Notice(
        reason=detail.get("reason", CLOSED),
        from_name=detail.get("from_name", ""),
        to_name=detail.get("to_name", ""),
        at=latest.at,
    )
