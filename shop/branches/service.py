"""The 7-Eleven branches: opening hours, the picker's search (by text and nearest first), and
the shelf capacity a pickup order reserves.

Only active stores are ever offered for pickup; the distribution center is a branch row of kind
`dc` and never shows in a search. Capacity is taken and given back with one conditional UPDATE
each, inside the caller's transaction, so two orders can never both take the last slot."""

import functools
import math
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from shop import clock
from shop.branches.models import Branch, BranchKind
from shop.errors import Conflict, DomainError, InvalidInput, NotFound
from shop.extensions import db
from shop.rows import FromRow
from shop.timeutil import MANILA
from shop.transaction import transaction

MAX_QUERY = 100
MAX_WORDS = 10
MAX_PACKAGES = 50
MAX_LIMIT = 100
EARTH_RADIUS_KM = 6371.0088
CODE_LENGTH = 12  # the longest branch code: letters, digits and hyphens
CODE = re.compile(rf"^[A-Za-z0-9](?:[A-Za-z0-9-]{{0,{CODE_LENGTH - 1}}})$")
_DEGREES = r"[+-]?[0-9]{1,3}(?:\.[0-9]{1,12})?"
NEAR = re.compile(rf"^\s*({_DEGREES})\s*,\s*({_DEGREES})\s*$", re.ASCII)
MAX_NEAR = 64
# Half-sizes, in degrees of latitude, of the boxes the nearest-first search tries: 2.2 km, then
# ×4 each time, up to about 9,000 km; past the last one it takes the whole table.
# Half the side of the box, in degrees of latitude, searched first for the nearest stores
# (about 11 km): it holds enough stores in a city, and the (lat, lng) index answers it.
NEAR_BOX = 0.1
ROW_COLUMNS = (
    Branch.code,
    Branch.name,
    Branch.address,
    Branch.city,
    Branch.province,
    Branch.lat,
    Branch.lng,
    Branch.opens_at,
    Branch.closes_at,
    Branch.frozen,
    Branch.shelf_capacity,
    Branch.reserved,
    Branch.active,
    Branch.kind,
    Branch.closed_from,
    Branch.closed_until,
)


@dataclass(frozen=True, slots=True)
class BranchRow(FromRow):
    """A branch as the picker reads it: plain values (no ORM object per row), built with
    `BranchRow.from_rows(...)`, which reads each field from the column of its name."""

    code: str
    name: str
    address: str
    city: str
    province: str
    lat: float
    lng: float
    opens_at: int
    closes_at: int
    frozen: bool
    shelf_capacity: int
    reserved: int
    active: bool
    kind: BranchKind
    closed_from: date | None = None
    closed_until: date | None = None

    @property
    def free_capacity(self) -> int:
        return max(0, self.shelf_capacity - self.reserved)


class BranchNotFound(NotFound):
    """We couldn't find that branch. Choose one from the list."""

    code = "branch_not_found"


class BranchUnavailable(Conflict):
    """That branch can't take this order. Choose another branch."""

    code = "branch_unavailable"


# --- opening hours ------------------------------------------------------------------------------


def is_open(branch: Branch, at: datetime | None = None) -> bool:
    """Is the branch open at `at` (default now), Manila time? Handles round-the-clock stores
    (opens_at == closes_at) and hours past midnight (closes_at < opens_at)."""
    local = (at or clock.now()).astimezone(MANILA)
    minute = local.hour * 60 + local.minute
    if branch.opens_at == branch.closes_at:
        return True
    if branch.opens_at < branch.closes_at:
        return branch.opens_at <= minute < branch.closes_at
    return minute >= branch.opens_at or minute < branch.closes_at


def format_hours(branch: Branch) -> str:
    if branch.opens_at == branch.closes_at:
        return "Open 24 hours"
    return f"{_clock(branch.opens_at)}–{_clock(branch.closes_at)}"


def _clock(minute: int) -> str:
    hour, minute = divmod(minute, 60)
    suffix = "AM" if hour < 12 else "PM"
    return f"{(hour % 12) or 12}:{minute:02d} {suffix}"


# --- closures -----------------------------------------------------------------------------------


def today(at: datetime | None = None) -> date:
    """The date in Manila at `at` (default now): closures are Manila dates."""
    return (at or clock.now()).astimezone(MANILA).date()


def closed_on(branch, day: date) -> bool:
    """Is the branch closed on `day` (a Manila date)? Closed from closed_from through
    closed_until, both included; no closed_until is for good. Anything without the fields (a
    plain object in a test) is open."""
    start = getattr(branch, "closed_from", None)
    if start is None or day < start:
        return False
    end = getattr(branch, "closed_until", None)
    return end is None or day <= end


def closure_text(branch) -> str:
    """ "Closed for good", "Closed today", "Closed until Thu 3 Dec" (the last closed day)."""
    end = getattr(branch, "closed_until", None)
    if end is None:
        return "Closed for good"
    start = getattr(branch, "closed_from", None)
    if start == end:
        return f"Closed on {_day(end)}"
    return f"Closed until {_day(end)}"


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _open_on(table, day_param):
    """SQL: the branch is not closed on :day (see closed_on)."""
    return sa.or_(
        table.c.closed_from.is_(None),
        table.c.closed_from > day_param,
        sa.and_(table.c.closed_until.is_not(None), table.c.closed_until < day_param),
    )


MAX_CLOSURE_DAYS = 366


def closure_dates(
    *, until: date | str | None = None, for_good: bool = False, at: datetime | None = None
) -> tuple[date, date | None]:
    """(closed_from, closed_until) for a closure starting today (Manila): for good (until
    None), through `until` (a date or "YYYY-MM-DD", today at the earliest and within
    MAX_CLOSURE_DAYS), or, with neither, for today only. Raises InvalidInput."""
    start = today(at)
    if for_good:
        if until not in (None, ""):
            raise InvalidInput("Close until a date or for good, not both.", field="until")
        return start, None
    if until in (None, ""):
        return start, start
    if isinstance(until, str):
        text = until.strip()
        if len(text) != 10 or not text.isascii():
            raise InvalidInput("Give the last closed day as YYYY-MM-DD.", field="until")
        try:
            until = date.fromisoformat(text)
        except ValueError:
            raise InvalidInput("Give the last closed day as YYYY-MM-DD.", field="until") from None
    if not isinstance(until, date) or isinstance(until, datetime):
        raise InvalidInput("Give the last closed day as YYYY-MM-DD.", field="until")
    if until < start:
        raise InvalidInput("The last closed day can't be before today.", field="until")
    if until > start + timedelta(days=MAX_CLOSURE_DAYS):
        raise InvalidInput(
            f"Close for at most {MAX_CLOSURE_DAYS} days, or for good.", field="until"
        )
    return start, until


def find_any_branch(code: str) -> Branch:
    """The store with this code, open or closed, active or not (the operator's screens).
    Raises BranchNotFound (also for the DC)."""
    if not valid_code(code):
        raise BranchNotFound()
    branch = db.session.scalar(
        sa.select(Branch)
        .where(Branch.code == code, Branch.kind == BranchKind.STORE)
        .execution_options(populate_existing=True)
    )
    if branch is None:
        raise BranchNotFound()
    return branch


@transaction()
def ask_for_signature(code: str, required: bool) -> Branch:
    """Whether the branch's counter asks the shopper to sign on the touch screen at every
    claim (seed 004: "providing identification and leaving signatures"). The operator's
    setting, per store. Raises BranchNotFound."""
    branch = find_any_branch(code)
    branch.signature_required = bool(required)
    db.session.flush()
    return branch


def mark_closed(branch: Branch, closed_from: date, closed_until: date | None) -> None:
    """Set the branch's closure. Flushes only: fulfillment's close_branch re-routes its
    packages in the same transaction."""
    branch.closed_from, branch.closed_until = closed_from, closed_until
    db.session.flush()


def mark_open(branch: Branch) -> None:
    """Clear the branch's closure: it takes pickups again. Flushes only."""
    branch.closed_from = branch.closed_until = None
    db.session.flush()


def operator_list(q: str = "", limit: int = 50) -> list[Branch]:
    """Stores for the operator's screen, closed ones first, then by city and name; every word
    of `q` must appear in the name, city, province, code or address."""
    query, _ = clean_query(q)
    closed_first = sa.case((Branch.closed_from.is_not(None), 0), else_=1)
    return list(
        db.session.scalars(
            sa.select(Branch)
            .where(Branch.kind == BranchKind.STORE, *_text_conditions(query))
            .order_by(closed_first, Branch.city, Branch.name, Branch.code)
            .limit(max(1, min(limit, MAX_LIMIT)))
        )
    )


# --- counts -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BranchSummary(FromRow):
    stores: int
    frozen: int


def summary() -> BranchSummary:
    row = db.session.execute(
        sa.select(
            sa.func.count(Branch.id).label("stores"),
            sa.func.count(Branch.id).filter(Branch.frozen).label("frozen"),
        ).where(Branch.kind == BranchKind.STORE, Branch.active.is_(True))
    ).one()
    return BranchSummary.from_row(row)


# --- the picker's rules (plain values, no database) ---------------------------------------------


@dataclass(frozen=True)
class BranchChoice:
    """A branch as the picker shows it: plain values, safe to keep after the session closes.
    `selectable` is False, with a short `reason`, when this order can't be picked up there."""

    code: str
    name: str
    address: str
    city: str
    province: str
    lat: float
    lng: float
    distance_km: float | None
    open_now: bool
    hours: str
    frozen: bool
    free_capacity: int
    selectable: bool
    reason: str | None

    @property
    def distance_text(self) -> str | None:
        """ "350 m away", "1.2 km away", "14 km away"; None when the distance is unknown."""
        if self.distance_km is None:
            return None
        if self.distance_km < 1:
            return f"{max(10, round(self.distance_km * 100) * 10)} m away"
        if self.distance_km < 10:
            return f"{self.distance_km:.1f} km away"
        return f"{self.distance_km:,.0f} km away"

    @property
    def capacity_text(self) -> str:
        if self.free_capacity <= 0:
            return "Full"
        return f"{self.free_capacity} slot{'s' if self.free_capacity != 1 else ''} free"

    @property
    def capacity_tone(self) -> str:
        """How the capacity tag reads: "ok" while a slot is free, "stop" when full."""
        return "ok" if self.free_capacity > 0 else "stop"


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The great-circle distance between two points, in km."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def parse_near(text: str | None) -> tuple[float, float]:
    """ "14.55,121.02" → (14.55, 121.02). Plain decimal degrees only (no exponents, NaN or
    infinity), latitude within ±90 and longitude within ±180. Raises InvalidInput."""
    problem = InvalidInput(
        "A location must be latitude,longitude in degrees, like 14.5547,121.0244.", field="near"
    )
    if not isinstance(text, str) or len(text) > MAX_NEAR:
        raise problem
    match = NEAR.match(text)
    if not match:
        raise problem
    lat, lng = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise problem
    return lat, lng


def parse_packages(raw: str | None, default: int = 1) -> int:
    """How many packages the order makes: 1 to MAX_PACKAGES, digits only. Raises InvalidInput."""
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 2 or not 1 <= int(raw) <= MAX_PACKAGES:
        raise InvalidInput(
            f"The number of packages must be a whole number from 1 to {MAX_PACKAGES}.",
            field="packages",
        )
    return int(raw)


def parse_flag(raw: str | None, name: str = "frozen") -> bool:
    """A yes/no query parameter: 1/true/on/yes or 0/false/off/no (empty is no)."""
    value = (raw or "").strip().lower()
    if value in ("", "0", "false", "off", "no"):
        return False
    if value in ("1", "true", "on", "yes"):
        return True
    raise InvalidInput(f"“{name}” must be 1 or 0.", field=name)


def clean_query(text: str | None) -> tuple[str, bool]:
    """A search as typed, made safe: control characters dropped, spaces collapsed, at most
    MAX_QUERY characters. Returns (query, was_shortened)."""
    text = "".join(ch for ch in (text or "") if ch.isspace() or unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())
    return text[:MAX_QUERY].strip(), len(text) > MAX_QUERY


def valid_code(code: str | None) -> bool:
    """Could this be a branch code at all (short, letters, digits and hyphens)?"""
    return isinstance(code, str) and bool(CODE.match(code))


def unavailable(
    branch: Branch,
    *,
    frozen_required: bool = False,
    packages: int = 1,
    at: datetime | None = None,
) -> tuple[str, str] | None:
    """Why this order can't be picked up at `branch`: (short reason for the picker, sentence
    for an error), or None when it can. Inactive first, then closed (on the Manila date of
    `at`, default now), then frozen, then capacity."""
    name = branch.name
    if not branch.active or branch.kind != BranchKind.STORE:
        return (
            "Not taking pickups",
            f"{name} isn't taking pickups. Choose another branch.",
        )
    if closed_on(branch, today(at)):
        said = closure_text(branch)
        return (said, f"{name} is closed ({said.lower()}). Choose another branch.")
    if frozen_required and not branch.frozen:
        return (
            "Doesn't keep frozen items",
            f"{name} doesn't keep frozen items. Choose a frozen-ready branch.",
        )
    free = branch.free_capacity
    if free <= 0:
        return ("Full right now", f"{name} is full right now. Choose another branch.")
    if free < packages:
        return (
            f"Room for only {free} of your {packages} packages",
            f"{name} has room for only {free} more package{'s' if free != 1 else ''} right "
            f"now, and your order needs {packages}. Choose another branch.",
        )
    return None


def to_choice(
    branch: Branch,
    *,
    distance_km: float | None = None,
    frozen_required: bool = False,
    packages: int = 1,
    at: datetime | None = None,
) -> BranchChoice:
    why = unavailable(branch, frozen_required=frozen_required, packages=packages, at=at)
    return BranchChoice(
        code=branch.code,
        name=branch.name,
        address=branch.address,
        city=branch.city,
        province=branch.province,
        lat=branch.lat,
        lng=branch.lng,
        distance_km=distance_km,
        open_now=is_open(branch, at),
        hours=format_hours(branch),
        frozen=branch.frozen,
        free_capacity=branch.free_capacity,
        selectable=why is None,
        reason=why[0] if why else None,
    )


# --- search -------------------------------------------------------------------------------------


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_conditions(query: str) -> list:
    """Every word must appear in the name, city, province, code or address."""
    conditions = []
    for word in query.split()[:MAX_WORDS]:
        pattern = f"%{_like_escape(word)}%"
        columns = (Branch.name, Branch.city, Branch.province, Branch.code, Branch.address)
        conditions.append(sa.or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    return conditions


def _box(lat: float, lng: float, half: float, coslat: float) -> list:
    """lat/lng BETWEEN ...: a box the btree index ix_branches_lat_lng can answer. It ignores
    the antimeridian (the Philippines is nowhere near it)."""
    half_lng = half / coslat
    return [
        Branch.lat.between(lat - half, lat + half),
        Branch.lng.between(lng - half_lng, lng + half_lng),
    ]


def search(
    q: str = "",
    near: tuple[float, float] | None = None,
    frozen_required: bool = False,
    packages: int = 1,
    limit: int = 20,
    at: datetime | None = None,
    nearby_only: bool = False,
) -> list[BranchChoice]:
    """Active stores (never the distribution center) for the picker, at most `limit`.

    Every word of `q` must appear in the name, city, province, code or address (any case; LIKE
    wildcards are plain text). Without `near`: by city, then name, in one query. With `near`
    (lat, lng): nearest first with `distance_km`, in one or two queries whatever the number of
    branches, and never a scan of every row in Python:

    1. the stores in a box of NEAR_BOX degrees around `near` (answered by the (lat, lng) index),
       ordered by an equirectangular distance computed in SQL, with LIMIT; when that box holds
       enough stores and the farthest one read lies inside the box's inner circle, no store
       outside it can be nearer, and this is the answer;
    2. otherwise (a sparse neighbourhood, or a narrow text filter) the whole filtered table is
       ordered the same way in SQL, with LIMIT.

    The few rows read (`limit` + 20, a margin for the approximation) are then ordered by their
    exact great-circle distance: exact across the Philippines; from the far side of the world
    (or across the antimeridian) only about right. With `nearby_only`, only the stores within
    NEAR_BOX of `near` (about 11 km), in the first query alone: the picker's list around a
    branch, which never needs the whole table. Branches this order can't use (full, not
    frozen-ready when `frozen_required`) are listed, not selectable, with the reason. Raises
    InvalidInput for a `packages` or `limit` out of range."""
    if not 1 <= packages <= MAX_PACKAGES:
        raise InvalidInput(f"The number of packages must be from 1 to {MAX_PACKAGES}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"Show from 1 to {MAX_LIMIT} branches.")
    query, _ = clean_query(q)
    words = _text_conditions(query)
    conditions = [Branch.active.is_(True), Branch.kind == BranchKind.STORE, *words]
    at = at or clock.now()
    settings = {"frozen_required": frozen_required, "packages": packages, "at": at}

    if near is None:
        # Without words this is the list every checkout page opens with: read fresh each time,
        # never kept, so a branch that just filled up is shown full (see docs/decisions.md);
        # its statement is built once.
        statement = _stores_by_city(ROW_COLUMNS)
        if words:
            statement = statement.where(*words)
        rows = db.session.execute(statement, {"limit": limit})
        return [to_choice(branch, **settings) for branch in BranchRow.from_rows(rows)]

    lat, lng = near
    # Read a few more than asked: the SQL order is an approximation, the final one is exact.
    wanted = limit + 20
    coslat = max(math.cos(math.radians(lat)), 1e-6)
    dlat, dlng = Branch.lat - lat, (Branch.lng - lng) * coslat
    flat_distance = (dlat * dlat + dlng * dlng).label("flat_distance")

    def nearest(*box):
        return db.session.execute(
            sa.select(*ROW_COLUMNS, flat_distance)
            .where(*conditions, *box)
            .order_by(flat_distance, Branch.id)
            .limit(wanted)
        ).all()

    rows = nearest(*_box(lat, lng, NEAR_BOX, coslat))
    if nearby_only:
        # Every store inside the box's inner circle was read (or `wanted` nearer ones were).
        rows = [row for row in rows if row.flat_distance <= NEAR_BOX * NEAR_BOX]
    elif len(rows) < wanted or rows[-1].flat_distance > NEAR_BOX * NEAR_BOX:
        # Too few stores near enough: the box might miss a nearer one outside it. Sort the
        # whole (filtered) table in SQL instead: still never row by row in Python.
        rows = nearest()
    measured = sorted(
        (
            (haversine_km(lat, lng, branch.lat, branch.lng), branch.code, branch)
            for branch in BranchRow.from_rows(rows)  # by name: flat_distance is not a field
        ),
        key=lambda entry: entry[:2],
    )
    return [
        to_choice(branch, distance_km=distance, **settings)
        for distance, _, branch in measured[:limit]
    ]


@functools.cache
def _stores_by_city(columns: tuple) -> sa.Select:
    """The active stores by city, then name, at most :limit: built once per column list (the
    statement costs more Python to build than the database takes to answer it)."""
    return (
        sa.select(*columns)
        .where(Branch.active.is_(True), Branch.kind == BranchKind.STORE)
        .order_by(Branch.city, Branch.name, Branch.code)
        .limit(sa.bindparam("limit"))
    )


def get_branch(code: str) -> Branch:
    """The active store with this code. Raises BranchNotFound (also for the distribution
    center, an inactive store, or something that can't be a code)."""
    if not valid_code(code):
        raise BranchNotFound()
    branch = db.session.scalar(
        sa.select(Branch).where(
            Branch.code == code, Branch.active.is_(True), Branch.kind == BranchKind.STORE
        )
    )
    if branch is None:
        raise BranchNotFound()
    return branch


# --- capacity -----------------------------------------------------------------------------------


@functools.cache
def _reserve_statement(frozen_required: bool):
    """The conditional UPDATE of reserve(), built once per variant, on the table (plain Core:
    no ORM bulk-update machinery on every checkout)."""
    branches = Branch.__table__
    conditions = [
        branches.c.code == sa.bindparam("branch_code"),
        branches.c.active.is_(True),
        branches.c.kind == BranchKind.STORE,
        branches.c.reserved + sa.bindparam("wanted") <= branches.c.shelf_capacity,
        _open_on(branches, sa.bindparam("today", type_=sa.Date)),
    ]
    if frozen_required:
        conditions.append(branches.c.frozen.is_(True))
    return (
        sa.update(branches)
        .where(*conditions)
        .values(reserved=branches.c.reserved + sa.bindparam("wanted"))
        .returning(branches.c.id, branches.c.code, branches.c.name, branches.c.reserved)
    )


@dataclass(frozen=True, slots=True)
class Reservation(FromRow):
    id: int  # the branch's
    code: str
    name: str
    reserved: int  # the branch's reserved slots, this reservation included


def reserve(code: str, packages: int, frozen_required: bool = False) -> Reservation:
    """Take `packages` slots of the branch's shelf for an order, and say which branch and how
    many of its slots are now reserved (read back by the same statement: RETURNING).

    One conditional UPDATE (`reserved = reserved + n WHERE ... AND reserved + n <=
    shelf_capacity`): the database decides, so concurrent orders (many workers, PostgreSQL)
    can never take more than the shelf holds. Runs in the caller's transaction and never
    commits: checkout places the order and this reservation in one transaction, and a rollback
    gives the slots back.

    Raises InvalidInput for a bad `packages`, BranchNotFound for an unknown code or the
    distribution center, BranchUnavailable (with the reason) when the branch is inactive,
    closed today (Manila), not frozen-ready for a frozen order, or hasn't room."""
    if not isinstance(packages, int) or not 1 <= packages <= MAX_PACKAGES:
        raise InvalidInput(f"The number of packages must be from 1 to {MAX_PACKAGES}.")
    if not valid_code(code):
        raise BranchNotFound()
    taken = db.session.execute(
        _reserve_statement(frozen_required),
        {"branch_code": code, "wanted": packages, "today": today()},
    ).one_or_none()
    if taken is not None:
        return Reservation.from_row(taken)
    branch = db.session.scalar(
        sa.select(Branch).where(Branch.code == code).execution_options(populate_existing=True)
    )
    if branch is None or branch.kind != BranchKind.STORE:
        raise BranchNotFound()
    why = unavailable(branch, frozen_required=frozen_required, packages=packages)
    # The row changed between the UPDATE and this read (a slot was just given back): the order
    # still didn't get one, so say the branch was full.
    raise BranchUnavailable(why[1] if why else f"{branch.name} was full. Please try again.")


def release(branch_id: int, packages: int) -> None:
    """Give back `packages` slots of the branch's shelf (a package claimed, expired or
    cancelled). One conditional UPDATE that never takes `reserved` below 0. Runs in the
    caller's transaction and never commits. Raises InvalidInput for a bad `packages`,
    BranchNotFound for an unknown branch id."""
    if not isinstance(packages, int) or not 1 <= packages <= 10_000:
        raise InvalidInput("The number of packages to give back must be at least 1.")
    result = db.session.execute(
        sa.update(Branch)
        .where(Branch.id == branch_id)
        .values(
            reserved=sa.case(
                (Branch.reserved >= packages, Branch.reserved - packages), else_=sa.literal(0)
            )
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise BranchNotFound()


def retake(branch_id: int, packages: int) -> None:
    """Take `packages` slots of the branch's shelf again for packages put back on it (a
    release voided): they are on the shelf whatever its capacity says, so unconditional. Runs
    in the caller's transaction and never commits."""
    if not isinstance(packages, int) or not 1 <= packages <= 10_000:
        raise InvalidInput("The number of packages to take back must be at least 1.")
    db.session.execute(
        sa.update(Branch)
        .where(Branch.id == branch_id)
        .values(reserved=Branch.reserved + packages)
        .execution_options(synchronize_session=False)
    )


def get_branch_by_id(branch_id: int) -> Branch | None:
    """A branch by id, whatever its state (an order's branch may have closed since)."""
    return db.session.get(Branch, branch_id)


# --- the picker's state, for branches/_picker.html and _results.html --------------------------

DEFAULT_PICKER_FIELD = "branch_code"
# A last branch id as a session or an old form might carry it: a positive 32-bit integer.
MAX_ID = 2**31 - 1


def _pinned_row(code: str | None, branch_id) -> BranchRow | None:
    """The store with this code, or else this id (an int, or a scalar subquery that yields
    one), whether or not it still takes pickups: the picker shows a pinned branch that closed
    or filled up with its reason. One query; None for no such store (or the DC)."""
    if code is not None:
        where = Branch.code == code
    elif branch_id is not None:
        where = Branch.id == branch_id
    else:
        return None
    row = db.session.execute(
        sa.select(*ROW_COLUMNS).where(where, Branch.kind == BranchKind.STORE).limit(1)
    ).one_or_none()
    return BranchRow.from_row(row) if row is not None else None


def _last_id(branch_id):
    """A last branch id worth asking the database about: a subquery as given, a positive int
    as given, anything else (a session from another version, a bool) None."""
    if isinstance(branch_id, sa.ScalarSelect):
        return branch_id
    if isinstance(branch_id, int) and not isinstance(branch_id, bool) and 0 < branch_id <= MAX_ID:
        return branch_id
    return None


def picker_context(
    *,
    q: str | None = "",
    near: str | None = "",
    frozen_required: bool = False,
    packages: int = 1,
    selected: str | None = None,
    last_code: str | None = None,
    last_branch_id=None,
    error: str | None = None,
    field: str = DEFAULT_PICKER_FIELD,
    view: str = "pick",
    prefix: str = "branch_",
    legend: str = "Pickup branch",
    limit: int = 20,
) -> dict:
    """What `branches/_picker.html` and `branches/_results.html` expect as `picker`. `near` is
    the raw "lat,lng" text. Raises InvalidInput for a bad `near` or `packages` (checkout may
    catch it and pass the message as `error` instead).

    The shopper's choice stays put while they look for others: `pinned` is the branch of
    `selected` (the checked radio), else, before any search, their last pickup branch
    (`last_code` from a guest's session, or `last_branch_id`: an id, or a scalar subquery that
    yields one, so a signed-in shopper's costs no query of its own). It comes first, checked
    only when it can take this order (`chosen`), else with its reason. The finder page (view
    "list") chooses nothing and pins nothing. Then, in `state`:

    - "search" (`q` or `near` given): its matches (`matches` counts them, the pinned one too
      when it matched), listed without the pinned one;
    - "nearby" (no search, but a pinned branch): the other stores within about 11 km of it
      (`matches` of them), nearest first, without distances (they would be from that branch,
      not from the shopper);
    - "prompt" (neither): no list and no query at all.

    The matches are split into `available` and `unavailable` (this order can't use them: the
    template folds them), each in the search's order. Queries: none for the prompt (but the
    one that finds no last branch for a `last_branch_id`); a pinned branch costs one (none
    when the search found it), a search its one or two, the nearby list one."""
    query, shortened = clean_query(q)
    near = (near or "").strip()
    point = parse_near(near) if near else None
    if not 1 <= packages <= MAX_PACKAGES:  # before any query, whatever the state
        raise InvalidInput(f"The number of packages must be from 1 to {MAX_PACKAGES}.")
    settings = {"frozen_required": frozen_required, "packages": packages}
    searching = bool(query) or point is not None
    code = selected_code = selected if view == "pick" and valid_code(selected) else None
    branch_id = None
    if view == "pick" and code is None and not searching:  # a last choice only opens it
        if valid_code(last_code):
            code = last_code
        else:
            branch_id = _last_id(last_branch_id)
    pinned: BranchChoice | None = None
    matches: list[BranchChoice] = []
    if searching:
        state = "search"
        matches = search(query, near=point, limit=limit, **settings)
        pinned = next((c for c in matches if c.code == code), None)
        if pinned is None and code is not None:
            row = _pinned_row(code, None)
            if row is not None:
                distance = haversine_km(*point, row.lat, row.lng) if point else None
                pinned = to_choice(row, distance_km=distance, **settings)
    else:
        row = _pinned_row(code, branch_id)
        if row is None:
            state = "prompt"
        else:
            state = "nearby"
            pinned = to_choice(row, **settings)
            wanted = min(limit + 1, MAX_LIMIT)  # the pinned one, if open, is one of them
            around = search(near=(row.lat, row.lng), limit=wanted, nearby_only=True, **settings)
            matches = [replace(c, distance_km=None) for c in around]
    rest = [c for c in matches if pinned is None or c.code != pinned.code][:limit]
    return {
        "q": query,
        "q_shortened": shortened,
        "near": near,
        "frozen_required": frozen_required,
        "packages": packages,
        "state": state,
        "pinned": pinned,
        "pinned_is_last": pinned is not None and not selected_code,
        "chosen": pinned if pinned is not None and pinned.selectable else None,
        "selected": pinned.code if pinned is not None and pinned.selectable else None,
        "matches": len(matches) if state == "search" else len(rest),
        "choices": rest,
        "available": [c for c in rest if c.selectable],
        "unavailable": [c for c in rest if not c.selectable],
        "error": error,
        "field": field,
        "view": view,
        "prefix": prefix,
        "legend": legend,
        "limit": limit,
    }


# --- The operator's edits (issue #11 point 8) ----------------------------------------------

MAX_SHELF = 10_000
HOURS = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$", re.ASCII)


class ShelfInUse(Conflict):
    """More packages are on, or bound for, this shelf than that capacity: it can't go below
    what is taken."""

    code = "shelf_in_use"


def parse_hours(text, field: str) -> int:
    """ "07:30" (24-hour, as a time input sends it) as minutes after midnight. Raises
    InvalidInput naming the field."""
    match = HOURS.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidInput("Enter a time like 07:00 or 22:30.", field=field)
    return int(match.group(1)) * 60 + int(match.group(2))


def hours_text(minute: int) -> str:
    """Minutes after midnight as the time input shows them: 450 -> "07:30"."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _branch_facts(branch: Branch) -> dict:
    return {
        "shelf_capacity": branch.shelf_capacity,
        "opens_at": hours_text(branch.opens_at),
        "closes_at": hours_text(branch.closes_at),
        "frozen": branch.frozen,
    }


@transaction()
def update_branch(
    code: str, *, shelf_capacity: int, opens_at: int, closes_at: int, frozen: bool
) -> tuple[Branch, dict, dict]:
    """The operator's edit of a store: its shelf capacity, opening hours (minutes after
    midnight, Manila; equal for round the clock) and whether it takes frozen pickups. Returns
    the branch and what changed (before, after). The capacity is set by one conditional
    UPDATE (`... WHERE reserved <= :capacity`), never a read-modify-write, so an order taking
    the last slot at the same moment can't leave more packages reserved than the shelf holds.
    Turning frozen off does not move frozen packages already bound here (the picker stops
    offering the store for new frozen orders). Raises BranchNotFound, InvalidInput,
    ShelfInUse."""
    for value, field, high in (
        (shelf_capacity, "shelf_capacity", MAX_SHELF),
        (opens_at, "opens_at", 1439),
        (closes_at, "closes_at", 1439),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= high:
            raise InvalidInput(f"Enter a whole number from 0 to {high:,}.", field=field)
    if not isinstance(frozen, bool):
        raise InvalidInput("Choose yes or no.", field="frozen")
    branch = find_any_branch(code)
    before = _branch_facts(branch)
    table = Branch.__table__
    if shelf_capacity != branch.shelf_capacity:
        done = db.session.execute(
            sa.update(table)
            .where(table.c.id == branch.id, table.c.reserved <= shelf_capacity)
            .values(shelf_capacity=shelf_capacity)
        )
        if done.rowcount != 1:
            raise ShelfInUse(field="shelf_capacity")
    branch.opens_at, branch.closes_at, branch.frozen = opens_at, closes_at, frozen
    db.session.flush()
    branch = find_any_branch(code)  # populate_existing: the capacity the UPDATE set
    after = _branch_facts(branch)
    keys = [k for k in after if after[k] != before[k]]
    return branch, {k: before[k] for k in keys}, {k: after[k] for k in keys}


def rebranch_picker(
    *,
    current_code: str,
    frozen_required: bool,
    packages: int,
    data=None,
    error: str | None = None,
) -> dict:
    """The picker to choose another pickup branch for packages on their way (the order page's
    and the merchant console's): it opens on the current branch ("Your choice") and the
    stores around it; a search sent with the form (branch_q, branch_near, branch_code:
    without JS) is applied; a bad search becomes the picker's error."""
    data = data or {}
    state = {
        "frozen_required": frozen_required,
        "packages": max(1, min(packages, MAX_PACKAGES)),
        "selected": data.get("branch_code") or None,
        "last_code": current_code,
        "legend": "New pickup branch",
        "limit": 8,
    }
    try:
        picker = picker_context(
            q=data.get("branch_q"), near=data.get("branch_near"), error=error, **state
        )
    except DomainError as exc:
        picker = picker_context(error=exc.message, **state)
    picker["pinned_is_last"] = False  # the pinned branch is the shipment's own: "Your choice"
    return picker
