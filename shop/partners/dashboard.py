"""The publisher's dashboard: what its apps' clicks, orders and commission came to over a range
of Manila days, in total, per day, per item, and row by row (with CSV of each table).

Every figure is aggregated in the database (GROUP BY, SUM(CASE ...)): nothing here adds rows
up in Python, and the number of queries a page costs does not depend on how many rows or days
it covers (the tests count them). The figures come from the daily sums the tick keeps
(partners.rollup) plus the rows after their marks, read through the indexes the tables have
(clicks (app_id, at), attributions (app_id, created_at), commission_entries (app_id,
created_at), and the primary keys); a page seen again while its rows are unchanged costs one
query (see `version`).

What each figure means (docs/decisions.md, "Publisher dashboard"):

- clicks: clicks recorded in the range that were not flagged; flagged clicks apart.
- orders: orders attributed to the apps in the range that were not flagged (a publisher's own
  purchase, a flood of clicks); flagged orders apart.
- conversion: orders / clicks (None when there were no clicks).
- sales: the attributed orders' lines' subtotal (no shipping), unflagged orders only.
- commission of a bucket in the range: what moved into the bucket in the range less what moved
  out of it in the range, i.e. how much the bucket's balance changed over the range (it can be
  below zero: more commission left `pending` than arrived). Ranges that follow each other add
  up to the balance. The all-time balance of each bucket is given apart.
- a row's effect ("as the publisher reads it"): what it did to the commission the publisher
  earned (pending + approved + paid): +amount for new commission (from no bucket), -amount for
  a reversal (into `reversed`, a clawback included), and 0 for a move between pending, approved
  and paid (the same money going along). The daily series' commission is the sum of effects.
"""

import csv
import io
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from shop.checkout.models import Order, OrderLine
from shop.counter.remittance import _cell as csv_cell
from shop.errors import InvalidInput
from shop.extensions import db
from shop.partners import rollup
from shop.partners.models import (
    App,
    Attribution,
    Bucket,
    Click,
    CommissionLine,
    DayFigures,
    DayItems,
    DayMoves,
    LedgerEntry,
)
from shop.partners.rollup import sum_of
from shop.timeutil import MANILA

PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_DAYS = 366
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the dates a range may name: no overflow at year 9999
PAGE_SIZE = 50
MAX_PAGE = 100_000
TOP_ITEMS = 10
CSV_BATCH = 2000
BUCKETS = (Bucket.PENDING, Bucket.APPROVED, Bucket.PAID, Bucket.REVERSED)


class BadRange(InvalidInput):
    """Choose dates from YYYY-MM-DD to YYYY-MM-DD."""

    code = "bad_range"


# --- the range ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """Manila calendar days `first` to `last`, both included."""

    first: date
    last: date
    preset: int | None = None  # 7, 30 or 90 when a preset chose it

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The first moment of the range, UTC."""
        return datetime.combine(self.first, time.min, MANILA).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the range, UTC (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, MANILA).astimezone(UTC)

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    def as_args(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def _day(text, name: str) -> date | None:
    if text is None or text == "":
        return None
    try:
        if not isinstance(text, str) or len(text) != 10 or not text.isascii():
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise BadRange(f"Enter the {name} date as YYYY-MM-DD.", field=name) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadRange(
            f"Choose a {name} date between {FIRST_YEAR} and {LAST_YEAR}.", field=name
        ) from None
    return day


def parse_range(start=None, end=None, preset=None, *, today: date) -> Range:
    """The range a publisher asked for. Typed dates (YYYY-MM-DD, Manila days) win over a
    preset ("7", "30" or "90": the last so many days, today included); with neither, the last
    DEFAULT_DAYS days. A blank `from` is `to`'s DEFAULT_DAYS days; a blank `to` is today (or
    `from`, when `from` is in the future). Raises BadRange (field "from", "to" or "preset") for
    a malformed date, a year outside FIRST_YEAR..LAST_YEAR, an end before the start, more than
    MAX_DAYS days, or an unknown preset."""
    first, last = _day(start, "from"), _day(end, "to")
    if first is None and last is None:
        if preset is None or preset == "":
            days = DEFAULT_DAYS
        elif (
            isinstance(preset, str)
            and preset.isascii()
            and preset.isdigit()
            and len(preset) <= 3
            and int(preset) in PRESETS
        ):
            days = int(preset)
        else:
            raise BadRange("Choose 7, 30 or 90 days.", field="preset")
        return Range(today - timedelta(days=days - 1), today, days)
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if last is None:
        last = max(today, first)
    if last < first:
        raise BadRange("The end date comes before the start date.", field="to")
    if (last - first).days + 1 > MAX_DAYS:
        raise BadRange(f"A range covers at most {MAX_DAYS} days.", field="to")
    return Range(first, last)


def today_in_manila(now: datetime) -> date:
    return now.astimezone(MANILA).date()


# --- pure rules -------------------------------------------------------------------------------


def conversion(orders: int, clicks: int) -> float | None:
    """Orders per click, 0.0 to whatever (an order placed in the frame may come without a
    counted click); None without clicks (there is nothing to divide by)."""
    if clicks <= 0:
        return None
    return orders / clicks


def format_conversion(value: float | None) -> str:
    """ "12.5 %" (one decimal), "—" when there were no clicks."""
    return "—" if value is None else f"{value * 100:.1f} %"


def effect(bucket: Bucket | str, from_bucket: Bucket | str | None, amount: int) -> int:
    """What a row did to the commission the publisher earned: +amount for new commission,
    -amount for a reversal (a clawback too), 0 for a move between pending, approved and paid."""
    if from_bucket is None:
        return amount
    if Bucket(bucket) is Bucket.REVERSED:
        return -amount
    return 0


def signed_text(bucket, from_bucket, amount: int) -> str:
    """A row's amount as the publisher reads it: "+₱5.00" earned, "−₱5.00" taken back, and
    "₱5.00" (no sign) for the same money moving along to approved or paid."""
    from shop.money import format_peso

    change = effect(bucket, from_bucket, amount)
    if change > 0:
        return "+" + format_peso(amount)
    if change < 0:
        return "\u2212" + format_peso(amount)
    return format_peso(amount)


# --- the figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    clicks: int = 0
    flagged_clicks: int = 0
    orders: int = 0
    flagged_orders: int = 0
    sales: int = 0
    # bucket -> change of its balance over the range, and its all-time balance (centavos)
    moved: dict = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    balances: dict = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))

    @property
    def conversion(self) -> float | None:
        return conversion(self.orders, self.clicks)


@dataclass(frozen=True)
class Day:
    day: date
    clicks: int
    orders: int
    commission: int  # centavos: the sum of the day's rows' effects


@dataclass(frozen=True)
class TopItem:
    item_id: int
    name: str
    units: int
    sales: int
    commission: int


@dataclass(frozen=True)
class Row:
    id: int
    created_at: datetime
    app_id: int  # its name is the app's as it is now: the page looks it up
    order_number: str | None
    item_name: str | None
    bucket: Bucket
    from_bucket: Bucket | None
    units: int
    amount: int
    reason: str

    @property
    def effect(self) -> int:
        return effect(self.bucket, self.from_bucket, self.amount)

    @property
    def signed(self) -> str:
        return signed_text(self.bucket, self.from_bucket, self.amount)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    page: int
    per_page: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Dashboard:
    range: Range
    totals: Totals
    days: list[Day]
    top_items: list[TopItem]
    ledger: Page

    @property
    def chart(self) -> dict:
        """The series the chart draws (and the table beside it shows): JSON-ready."""
        return {
            "days": [d.day.isoformat() for d in self.days],
            "clicks": [d.clicks for d in self.days],
            "orders": [d.orders for d in self.days],
            "commission": [d.commission for d in self.days],
        }


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# Each figure is read in one statement from two halves that never overlap: the daily sums of
# the rows up to the source's roll-up mark (partners.rollup), and the rows after the mark
# themselves (the last few minutes, or everything when the tick never rolled up).


def _in_days(table, rng: Range) -> sa.ColumnElement:
    return table.day.between(rng.first, rng.last)


def _in_time(column, rng: Range) -> sa.ColumnElement:
    return sa.and_(column >= rng.start, column < rng.end)


def _zero(name: str) -> sa.ColumnElement:
    return sa.literal(0, sa.BigInteger).label(name)


def _live_clicks(app_ids) -> sa.ColumnElement:
    return sa.and_(Click.app_id.in_(app_ids), Click.id > rollup.mark("clicks"))


def _live_orders(app_ids) -> sa.ColumnElement:
    return sa.and_(
        Attribution.app_id.in_(app_ids), Attribution.order_id > rollup.mark("attributions")
    )


def _live_rows(app_ids) -> sa.ColumnElement:
    return sa.and_(LedgerEntry.app_id.in_(app_ids), LedgerEntry.id > rollup.mark("ledger"))


def _is_new(from_bucket) -> sa.ColumnElement:
    return sa.func.coalesce(from_bucket, rollup.NEW) == rollup.NEW


def totals(app_ids: Sequence[int], rng: Range) -> Totals:
    """The range's figures and the all-time balances: two queries whatever the rows."""
    if not app_ids:
        return Totals()
    days = DayFigures
    unflagged = Attribution.flag.is_(None)
    parts = sa.union_all(
        sa.select(
            days.clicks, days.flagged_clicks, days.orders, days.flagged_orders, days.sales
        ).where(days.app_id.in_(app_ids), _in_days(days, rng)),
        sa.select(
            sa.case((Click.flag.is_(None), 1), else_=0).label("clicks"),
            sa.case((Click.flag.is_not(None), 1), else_=0).label("flagged_clicks"),
            _zero("orders"),
            _zero("flagged_orders"),
            _zero("sales"),
        ).where(_live_clicks(app_ids), _in_time(Click.at, rng)),
        sa.select(
            _zero("clicks"),
            _zero("flagged_clicks"),
            sa.case((unflagged, 1), else_=0).label("orders"),
            sa.case((unflagged, 0), else_=1).label("flagged_orders"),
            sa.case((unflagged, Attribution.sales), else_=0).label("sales"),
        ).where(_live_orders(app_ids), _in_time(Attribution.created_at, rng)),
    ).subquery()
    found = db.session.execute(
        sa.select(*(sum_of(column).label(column.name) for column in parts.c))
    ).one()
    moved, balances = _bucket_sums(app_ids, rng)
    return Totals(
        clicks=int(found.clicks),
        flagged_clicks=int(found.flagged_clicks),
        orders=int(found.orders),
        flagged_orders=int(found.flagged_orders),
        sales=int(found.sales),
        moved=moved,
        balances=balances,
    )


def _bucket_sums(app_ids: Sequence[int], rng: Range | None) -> tuple[dict, dict]:
    """Per bucket: its balance's change over `rng` and its all-time balance. One query: the
    database sums the amounts per (into, out of, in the range) group, at most 14 groups; each
    bucket is then what its groups moved in less what they moved out (a few additions of those
    sums, not of rows)."""
    moves, entry = DayMoves, LedgerEntry
    if rng is None:
        rolled_in_range = live_in_range = sa.literal(0)
    else:
        rolled_in_range = sa.case((_in_days(moves, rng), 1), else_=0)
        live_in_range = sa.case((_in_time(entry.created_at, rng), 1), else_=0)
    parts = sa.union_all(
        sa.select(
            moves.bucket,
            moves.from_bucket,
            rolled_in_range.label("in_range"),
            moves.amount.label("amount"),
        ).where(moves.app_id.in_(app_ids)),
        sa.select(
            entry.bucket,
            sa.func.coalesce(entry.from_bucket, rollup.NEW).label("from_bucket"),
            live_in_range.label("in_range"),
            entry.amount,
        ).where(_live_rows(app_ids)),
    ).subquery()
    groups = db.session.execute(
        sa.select(
            parts.c.bucket, parts.c.from_bucket, parts.c.in_range, sum_of(parts.c.amount)
        ).group_by(parts.c.bucket, parts.c.from_bucket, parts.c.in_range)
    )
    moved = dict.fromkeys(BUCKETS, 0)
    balances = dict.fromkeys(BUCKETS, 0)
    for into, out_of, inside, amount in groups:
        for into_or_out, sign in ((into, 1), (out_of, -1)):
            if not into_or_out:  # new commission came from no bucket
                continue
            bucket = Bucket(into_or_out)
            balances[bucket] += sign * int(amount)
            if inside:
                moved[bucket] += sign * int(amount)
    return (moved if rng is not None else {}), balances


def balances(app_ids: Sequence[int]) -> dict:
    """Each bucket's all-time balance over these apps (centavos), in one query."""
    if not app_ids:
        return dict.fromkeys(BUCKETS, 0)
    return _bucket_sums(app_ids, None)[1]


def _live_effect() -> sa.ColumnElement:
    entry = LedgerEntry
    return rollup.effect_sql(entry.bucket, entry.from_bucket.is_(None), entry.amount)


def daily(app_ids: Sequence[int], rng: Range) -> list[Day]:
    """Every day of the range (days without anything are zeros): one GROUP BY query."""
    found: dict[date, list[int]] = {day: [0, 0, 0] for day in rng.dates()}
    if app_ids:
        days, moves, entry = DayFigures, DayMoves, LedgerEntry
        one = sa.literal(1, sa.BigInteger)
        parts = sa.union_all(
            sa.select(
                days.day, days.clicks, days.orders.label("orders"), _zero("commission")
            ).where(days.app_id.in_(app_ids), _in_days(days, rng)),
            sa.select(
                moves.day,
                _zero("clicks"),
                _zero("orders"),
                rollup.effect_sql(moves.bucket, _is_new(moves.from_bucket), moves.amount),
            ).where(moves.app_id.in_(app_ids), _in_days(moves, rng)),
            sa.select(rollup.manila_day(Click.at), one, _zero("orders"), _zero("commission")).where(
                _live_clicks(app_ids), _in_time(Click.at, rng), Click.flag.is_(None)
            ),
            sa.select(
                rollup.manila_day(Attribution.created_at),
                _zero("clicks"),
                one,
                _zero("commission"),
            ).where(
                _live_orders(app_ids),
                _in_time(Attribution.created_at, rng),
                Attribution.flag.is_(None),
            ),
            sa.select(
                rollup.manila_day(entry.created_at),
                _zero("clicks"),
                _zero("orders"),
                _live_effect(),
            ).where(_live_rows(app_ids), _in_time(entry.created_at, rng)),
        ).subquery()
        day, clicks, orders, commission = parts.c
        result = db.session.execute(
            sa.select(day, sum_of(clicks), sum_of(orders), sum_of(commission)).group_by(day)
        )
        for when, *values in result:
            slot = found.get(_as_date(when))
            if slot is not None:
                slot[:] = [int(value) for value in values]
    return [Day(day, *values) for day, values in found.items()]


def top_items(app_ids: Sequence[int], rng: Range, limit: int = TOP_ITEMS) -> list[TopItem]:
    """The items that sold most in the range through these apps: units and sales of the lines
    whose commission began in the range (rows from no bucket), and the commission the range's
    rows earned on them (the sum of their effects). One query."""
    if not app_ids:
        return []
    items, entry, line = DayItems, LedgerEntry, CommissionLine
    new = entry.from_bucket.is_(None)

    def of_line(column):
        # Looked up row by row (the rows after the mark are a few minutes' worth): a join
        # here would have the planner, which cannot know the mark, hash every order line.
        return (
            sa.select(column)
            .select_from(line)
            .join(OrderLine, OrderLine.id == line.order_line_id)
            .where(line.id == entry.line_id)
            .scalar_subquery()
        )

    parts = sa.union_all(
        sa.select(items.item_id, items.name, items.units, items.sales, items.commission).where(
            items.app_id.in_(app_ids), _in_days(items, rng)
        ),
        sa.select(
            of_line(line.item_id),
            of_line(OrderLine.name),
            sa.case((new, entry.units), else_=0).label("units"),
            sa.case((new, entry.units * of_line(line.unit_price)), else_=0).label("sales"),
            _live_effect().label("commission"),
        ).where(_live_rows(app_ids), _in_time(entry.created_at, rng), entry.line_id.is_not(None)),
    ).subquery()
    sales = sum_of(parts.c.sales)
    statement = (
        sa.select(
            parts.c.item_id,
            sa.func.max(parts.c.name).label("name"),
            sum_of(parts.c.units).label("units"),
            sales.label("sales"),
            sum_of(parts.c.commission).label("commission"),
        )
        .group_by(parts.c.item_id)
        .order_by(sales.desc(), sa.literal_column("commission").desc(), parts.c.item_id)
        .limit(limit)
    )
    return [
        TopItem(row.item_id, row.name, int(row.units), int(row.sales), int(row.commission))
        for row in db.session.execute(statement)
    ]


def _rows_statement(app_ids: Sequence[int], rng: Range, page: int | None = None):
    """The range's ledger rows with their app, order and item names, newest first: all of
    them, or one page of them. A page's rows are chosen first and only then joined to the
    names: joined before the LIMIT, the planner sizes its lookups for the whole range's rows
    (PostgreSQL allocates Memoize caches that big: milliseconds for fifty rows)."""
    entry, line = LedgerEntry, CommissionLine
    rows = sa.select(entry).where(
        entry.app_id.in_(app_ids),
        entry.created_at >= rng.start,
        entry.created_at < rng.end,
    )
    newest_first = (entry.created_at.desc(), entry.id.desc())
    if page is not None:
        rows = rows.order_by(*newest_first).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    chosen = rows.subquery()
    statement = (
        sa.select(
            chosen.c.id,
            chosen.c.created_at,
            chosen.c.app_id,
            Order.number.label("order_number"),
            OrderLine.name.label("item_name"),
            chosen.c.bucket,
            chosen.c.from_bucket,
            chosen.c.units,
            chosen.c.amount,
            chosen.c.reason,
        )
        .outerjoin(Order, Order.id == chosen.c.order_id)
        .outerjoin(line, line.id == chosen.c.line_id)
        .outerjoin(OrderLine, OrderLine.id == line.order_line_id)
    )
    return statement.order_by(chosen.c.created_at.desc(), chosen.c.id.desc())


def _row(result_row) -> Row:
    values = result_row._mapping
    return Row(
        **{
            **values,
            "bucket": Bucket(values["bucket"]),
            "from_bucket": Bucket(values["from_bucket"]) if values["from_bucket"] else None,
        }
    )


def parse_page(raw) -> int:
    """A page number from the query string (1 when blank). Raises BadRange(field "page")."""
    if raw is None or raw == "":
        return 1
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise BadRange("The page must be a whole number.", field="page")
    page = int(raw)
    if not 1 <= page <= MAX_PAGE:
        raise BadRange("The page must be a whole number.", field="page")
    return page


def ledger_page(app_ids: Sequence[int], rng: Range, page: int = 1) -> Page:
    """One page of the range's ledger rows, newest first: two queries (the page, the count)."""
    if not app_ids:
        return Page([], 0, page)
    moves = DayMoves
    parts = sa.union_all(
        sa.select(moves.rows).where(moves.app_id.in_(app_ids), _in_days(moves, rng)),
        sa.select(sa.literal(1, sa.BigInteger).label("rows")).where(
            _live_rows(app_ids), _in_time(LedgerEntry.created_at, rng)
        ),
    ).subquery()
    total = db.session.scalar(sa.select(sum_of(parts.c.rows)))
    statement = _rows_statement(app_ids, rng, page)
    rows = [_row(r) for r in db.session.execute(statement)] if total else []
    return Page(rows, int(total), page)


def _version_statement() -> sa.Select:
    ids = sa.bindparam("app_ids", expanding=True)

    def after_mark(where) -> sa.ScalarSelect:
        return sa.select(sa.func.count()).where(where).scalar_subquery()

    return sa.select(
        rollup.mark("clicks"),
        after_mark(_live_clicks(ids)),
        rollup.mark("attributions"),
        after_mark(_live_orders(ids)),
        rollup.mark("ledger"),
        after_mark(_live_rows(ids)),
    )


_VERSION = _version_statement()  # built once: it is the one statement of a page seen again


def version(app_ids: Sequence[int]) -> tuple[int, ...]:
    """What these apps' figures are computed from, in one query: each source's roll-up mark
    and how many of these apps' rows come after it. The sources are append-only (rows are
    added, never changed in what the dashboard sums, never deleted), so as long as these six
    numbers stay the same, so does every figure: a new row of these apps adds to a count, and
    a roll-up moves a mark."""
    if not app_ids:
        return ()
    found = db.session.execute(_VERSION, {"app_ids": list(app_ids)}).one()
    return tuple(int(value) for value in found)


class _Recent:
    """The dashboards this process computed lately, each with the version of the rows it was
    computed from: a publisher looking again, or at the next page, while nothing changed, is
    served them (the figures being the same) for one query instead of six. Least recently
    used first out; safe across threads."""

    def __init__(self, size: int):
        self.size = size
        self._found: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, seen: tuple):
        with self._lock:
            found = self._found.get(key)
            if found is None or found[0] != seen:
                return None
            self._found.move_to_end(key)
            return found[1]

    def put(self, key, seen: tuple, board: "Dashboard") -> None:
        with self._lock:
            self._found[key] = (seen, board)
            self._found.move_to_end(key)
            while len(self._found) > self.size:
                self._found.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._found.clear()


RECENT_BOARDS = 128  # per process: each a few kilobytes (a year of days: about 100 kB)
_recent = _Recent(RECENT_BOARDS)


def forget_recent() -> None:
    """Drop the dashboards kept (the tests empty the database between them)."""
    _recent.clear()


def dashboard(app_ids: Sequence[int], rng: Range, page: int = 1) -> Dashboard:
    """Everything the dashboard page shows, for these apps (the caller checked they are the
    publisher's) over `rng`: a fixed number of queries whatever the rows and days; one when
    nothing changed since this process last computed the same page (see version)."""
    key = (tuple(sorted(set(app_ids))), rng, page)
    seen = version(app_ids)  # read first: rows added while computing make the next look again
    found = _recent.get(key, seen)
    if found is None:
        found = Dashboard(
            rng,
            totals(app_ids, rng),
            daily(app_ids, rng),
            top_items(app_ids, rng),
            ledger_page(app_ids, rng, page),
        )
        _recent.put(key, seen, found)
    return found


# --- CSV ----------------------------------------------------------------------------------------


def _csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


DAILY_COLUMNS = ("day", "clicks", "orders", "commission_centavos", "commission_php")
ITEM_COLUMNS = ("item_id", "item", "units", "sales_centavos", "commission_centavos")
LEDGER_COLUMNS = (
    "created_at_manila",
    "app",
    "order_number",
    "item",
    "bucket",
    "from_bucket",
    "units",
    "amount_centavos",
    "effect_centavos",
    "reason",
)


def _php(centavos: int) -> str:
    sign = "-" if centavos < 0 else ""
    return f"{sign}{abs(centavos) // 100}.{abs(centavos) % 100:02d}"


def daily_csv(app_ids: Sequence[int], rng: Range) -> str:
    lines = [_csv_line(DAILY_COLUMNS)]
    for day in daily(app_ids, rng):
        lines.append(
            _csv_line(
                (day.day.isoformat(), day.clicks, day.orders, day.commission, _php(day.commission))
            )
        )
    return "".join(lines)


def top_items_csv(app_ids: Sequence[int], rng: Range) -> str:
    lines = [_csv_line(ITEM_COLUMNS)]
    for item in top_items(app_ids, rng, limit=1000):
        lines.append(
            _csv_line(
                (item.item_id, csv_cell(item.name or ""), item.units, item.sales, item.commission)
            )
        )
    return "".join(lines)


def ledger_csv(app_ids: Sequence[int], rng: Range) -> Iterator[str]:
    """Every ledger row of the range, newest first, as chunks of CSV, read in batches of
    CSV_BATCH rows (plain tuples: a year of a busy app is 100,000 rows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LEDGER_COLUMNS)
    yield out.getvalue()
    out.seek(0)
    out.truncate()
    if not app_ids:
        return
    manila = timedelta(hours=8)  # Manila is UTC+8 all year (no DST since 1978)
    names = dict(db.session.execute(sa.select(App.id, App.name).where(App.id.in_(app_ids))).all())
    # One buffered read: a server-side cursor (yield_per) makes PostgreSQL plan for the first
    # rows (nested loops), ten times slower over a year of rows than this plan of hash joins.
    for batch in db.session.execute(_rows_statement(app_ids, rng)).partitions(CSV_BATCH):
        for (_, at, app_id, number, item, bucket, from_bucket, units, amount,
             reason) in batch:  # fmt: skip
            writer.writerow(
                (
                    (at + manila).isoformat(" ", "seconds")[:19],
                    csv_cell(names.get(app_id, "")),
                    number or "",
                    csv_cell(item or ""),
                    bucket,
                    from_bucket or "",
                    units,
                    amount,
                    effect(bucket, from_bucket, amount),
                    csv_cell(reason),
                )
            )
        yield out.getvalue()
        out.seek(0)
        out.truncate()
