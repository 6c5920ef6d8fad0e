"""The publisher's dashboard: what its apps' clicks, orders and commission came to over a range
of Manila days, in total, per day, per item, and row by row (with CSV of each table).

Every figure is aggregated in the database (GROUP BY, SUM(CASE ...)): nothing here adds rows
up in Python, and the number of queries a page costs does not depend on how many rows or days
it covers (the tests count them). The queries read the indexes the tables already have:
clicks (app_id, at), attributions (app_id, created_at), commission_entries (app_id,
created_at).

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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from shop.checkout.models import Order, OrderLine
from shop.counter.remittance import _cell as csv_cell
from shop.errors import InvalidInput
from shop.extensions import db
from shop.partners.models import App, Attribution, Bucket, Click, CommissionLine, LedgerEntry
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
    app_id: int
    app_name: str
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


def _sum(expression) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(expression), 0)


def _count_if(condition) -> sa.ColumnElement:
    return _sum(sa.case((condition, 1), else_=0))


def _manila_day(column) -> sa.ColumnElement:
    """The Manila calendar day of a UTC timestamp, in SQL (Manila is UTC+8, with no DST)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.date(sa.func.timezone("Asia/Manila", column))
    return sa.func.date(column, "+8 hours")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def totals(app_ids: Sequence[int], rng: Range) -> Totals:
    """The range's figures and the all-time balances: three queries whatever the rows."""
    if not app_ids:
        return Totals()
    start, end = rng.start, rng.end
    clicks = db.session.execute(
        sa.select(
            _count_if(Click.flag.is_(None)).label("clicks"),
            _count_if(Click.flag.is_not(None)).label("flagged"),
        ).where(Click.app_id.in_(app_ids), Click.at >= start, Click.at < end)
    ).one()
    orders = db.session.execute(
        sa.select(
            _count_if(Attribution.flag.is_(None)).label("orders"),
            _count_if(Attribution.flag.is_not(None)).label("flagged"),
            _sum(sa.case((Attribution.flag.is_(None), Attribution.sales), else_=0)).label("sales"),
        ).where(
            Attribution.app_id.in_(app_ids),
            Attribution.created_at >= start,
            Attribution.created_at < end,
        )
    ).one()
    moved, balances = _bucket_sums(app_ids, rng)
    return Totals(
        clicks=int(clicks.clicks),
        flagged_clicks=int(clicks.flagged),
        orders=int(orders.orders),
        flagged_orders=int(orders.flagged),
        sales=int(orders.sales),
        moved=moved,
        balances=balances,
    )


def _bucket_sums(app_ids: Sequence[int], rng: Range | None) -> tuple[dict, dict]:
    """Per bucket: its balance's change over `rng` and its all-time balance. One query, one
    pass over the apps' rows: the database sums the amounts per (into, out of, in the range)
    group, at most 14 groups; each bucket is then what its groups moved in less what they
    moved out (a few additions of those sums, not of rows)."""
    entry = LedgerEntry
    in_range = (
        sa.case((sa.and_(entry.created_at >= rng.start, entry.created_at < rng.end), 1), else_=0)
        if rng is not None
        else sa.literal(0)
    ).label("in_range")
    groups = db.session.execute(
        sa.select(entry.bucket, entry.from_bucket, in_range, _sum(entry.amount).label("amount"))
        .where(entry.app_id.in_(app_ids))
        .group_by(entry.bucket, entry.from_bucket, in_range)
    )
    moved = dict.fromkeys(BUCKETS, 0)
    balances = dict.fromkeys(BUCKETS, 0)
    for into, out_of, inside, amount in groups:
        for into_or_out, sign in ((into, 1), (out_of, -1)):
            if into_or_out is None:
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


def _effect_sql() -> sa.ColumnElement:
    entry = LedgerEntry
    return sa.case(
        (entry.from_bucket.is_(None), entry.amount),
        (entry.bucket == Bucket.REVERSED, -entry.amount),
        else_=0,
    )


def daily(app_ids: Sequence[int], rng: Range) -> list[Day]:
    """Every day of the range (days without anything are zeros): three GROUP BY queries."""
    found: dict[date, list[int]] = {day: [0, 0, 0] for day in rng.dates()}
    if app_ids:
        start, end = rng.start, rng.end
        clicks_day = _manila_day(Click.at)
        clicks = db.session.execute(
            sa.select(clicks_day.label("day"), sa.func.count().label("n"))
            .where(
                Click.app_id.in_(app_ids),
                Click.at >= start,
                Click.at < end,
                Click.flag.is_(None),
            )
            .group_by(clicks_day)
        )
        orders_day = _manila_day(Attribution.created_at)
        orders = db.session.execute(
            sa.select(orders_day.label("day"), sa.func.count().label("n"))
            .where(
                Attribution.app_id.in_(app_ids),
                Attribution.created_at >= start,
                Attribution.created_at < end,
                Attribution.flag.is_(None),
            )
            .group_by(orders_day)
        )
        entries_day = _manila_day(LedgerEntry.created_at)
        commission = db.session.execute(
            sa.select(entries_day.label("day"), _sum(_effect_sql()).label("n"))
            .where(
                LedgerEntry.app_id.in_(app_ids),
                LedgerEntry.created_at >= start,
                LedgerEntry.created_at < end,
            )
            .group_by(entries_day)
        )
        for index, result in enumerate((clicks, orders, commission)):
            for day, n in result:
                slot = found.get(_as_date(day))
                if slot is not None:
                    slot[index] = int(n)
    return [Day(day, *values) for day, values in found.items()]


def top_items(app_ids: Sequence[int], rng: Range, limit: int = TOP_ITEMS) -> list[TopItem]:
    """The items that sold most in the range through these apps: units and sales of the lines
    whose commission began in the range (rows from no bucket), and the commission the range's
    rows earned on them (the sum of their effects). One query."""
    if not app_ids:
        return []
    entry, line = LedgerEntry, CommissionLine
    new = entry.from_bucket.is_(None)
    sales = _sum(sa.case((new, entry.units * line.unit_price), else_=0))
    statement = (
        sa.select(
            line.item_id,
            sa.func.max(OrderLine.name).label("name"),
            _sum(sa.case((new, entry.units), else_=0)).label("units"),
            sales.label("sales"),
            _sum(_effect_sql()).label("commission"),
        )
        .join(line, line.id == entry.line_id)
        .join(OrderLine, OrderLine.id == line.order_line_id)
        .where(
            entry.app_id.in_(app_ids),
            entry.created_at >= rng.start,
            entry.created_at < rng.end,
        )
        .group_by(line.item_id)
        .order_by(sales.desc(), sa.literal_column("commission").desc(), line.item_id)
        .limit(limit)
    )
    return [
        TopItem(row.item_id, row.name, int(row.units), int(row.sales), int(row.commission))
        for row in db.session.execute(statement)
    ]


def _rows_statement(app_ids: Sequence[int], rng: Range):
    entry, line = LedgerEntry, CommissionLine
    return (
        sa.select(
            entry.id,
            entry.created_at,
            entry.app_id,
            App.name.label("app_name"),
            Order.number.label("order_number"),
            OrderLine.name.label("item_name"),
            entry.bucket,
            entry.from_bucket,
            entry.units,
            entry.amount,
            entry.reason,
        )
        .join(App, App.id == entry.app_id)
        .outerjoin(Order, Order.id == entry.order_id)
        .outerjoin(line, line.id == entry.line_id)
        .outerjoin(OrderLine, OrderLine.id == line.order_line_id)
        .where(
            entry.app_id.in_(app_ids),
            entry.created_at >= rng.start,
            entry.created_at < rng.end,
        )
        .order_by(entry.created_at.desc(), entry.id.desc())
    )


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
    total = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LedgerEntry)
        .where(
            LedgerEntry.app_id.in_(app_ids),
            LedgerEntry.created_at >= rng.start,
            LedgerEntry.created_at < rng.end,
        )
    )
    statement = _rows_statement(app_ids, rng).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    rows = [_row(r) for r in db.session.execute(statement)] if total else []
    return Page(rows, int(total), page)


def dashboard(app_ids: Sequence[int], rng: Range, page: int = 1) -> Dashboard:
    """Everything the dashboard page shows, for these apps (the caller checked they are the
    publisher's) over `rng`: a fixed number of queries whatever the rows and days."""
    return Dashboard(
        rng,
        totals(app_ids, rng),
        daily(app_ids, rng),
        top_items(app_ids, rng),
        ledger_page(app_ids, rng, page),
    )


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
    # One buffered read: a server-side cursor (yield_per) makes PostgreSQL plan for the first
    # rows (nested loops), ten times slower over a year of rows than this plan of hash joins.
    for batch in db.session.execute(_rows_statement(app_ids, rng)).partitions(CSV_BATCH):
        for (_, at, _, app_name, number, item, bucket, from_bucket, units, amount,
             reason) in batch:  # fmt: skip
            writer.writerow(
                (
                    (at + manila).isoformat(" ", "seconds")[:19],
                    csv_cell(app_name),
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
