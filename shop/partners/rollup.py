"""The dashboard's daily roll-ups: per app and Manila day, the sums of the clicks, the
attributed orders and the ledger rows, so a dashboard over a year of a busy app adds up a few
hundred daily rows instead of a hundred thousand.

The source tables are append-only (clicks, attributions and ledger rows are never updated in
what is summed, nor deleted), so a sum, once taken, stays true. Each source has a watermark
(RollupMark.last_id): the roll-up tables hold exactly the rows with ids up to it. `roll_up`
(run by the tick) takes the rows after the mark, adds their sums into the tables with an
upsert, and moves the mark, in one transaction, with the mark's row locked (FOR UPDATE): two
ticks at once add each row once. The dashboard reads, in each of its statements, the sums and
the rows after the mark (live_after), so it shows the same figures however far the roll-up
got, and right after a sale.

Which ids are safe to roll: a row whose transaction is still open is not visible yet, and an id
smaller than the mark would then be left out of both halves for good. So the roll-up only goes
up to the newest row at least LAG old (by its own timestamp): every row with a smaller id was
inserted before it, in a transaction that has been open for at least LAG, far longer than any
of the shop's (a request, a tick's batch, a payout batch). The rows of the last LAG are read
live: a few minutes of rows.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from shop import clock
from shop.checkout.models import OrderLine
from shop.extensions import db
from shop.partners.models import (
    Attribution,
    Bucket,
    Click,
    CommissionLine,
    DayFigures,
    DayItems,
    DayMoves,
    LedgerEntry,
    RollupMark,
)
from shop.transaction import transaction

LAG = timedelta(minutes=10)
BATCH = 50_000  # ids per source per transaction: the first roll-up of a big table goes in steps
NEW = ""  # DayMoves.from_bucket of new commission (the row came from no bucket)


def manila_day(column) -> sa.ColumnElement:
    """The Manila calendar day of a UTC timestamp, in SQL (Manila is UTC+8, with no DST)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.date(sa.func.timezone("Asia/Manila", column))
    return sa.func.date(column, "+8 hours")


def sum_of(expression) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(expression), 0)


def _count_if(condition) -> sa.ColumnElement:
    return sum_of(sa.case((condition, 1), else_=0))


def effect_sql(bucket, from_bucket_is_new, amount) -> sa.ColumnElement:
    """A row's effect on the commission earned (partners.dashboard.effect), in SQL."""
    return sa.case(
        (from_bucket_is_new, amount),
        (bucket == Bucket.REVERSED.value, -amount),
        else_=0,
    )


def mark(source: str) -> sa.ColumnElement:
    """The source's watermark as a scalar subquery (0 before its first roll-up): a statement
    that reads the sums and the rows after the mark reads both in one snapshot."""
    return sa.func.coalesce(
        sa.select(RollupMark.last_id).where(RollupMark.source == source).scalar_subquery(), 0
    )


# --- what each source adds up ------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    name: str
    id_column: sa.ColumnElement
    at_column: sa.ColumnElement
    # (after id, up to id) -> the upserts that add those rows into the sums
    sums: Callable[[int, int], tuple[sa.Executable, ...]]


def _upsert(table, keys: list[str], select, added: list[str], greatest: tuple[str, ...] = ()):
    """INSERT the select's rows into `table`, adding `added` columns into a row already there
    (and keeping the larger of each `greatest` column)."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    statement = insert.from_select(keys + added + list(greatest), select)
    larger = sa.func.greatest if dialect == "postgresql" else sa.func.max
    columns = table.__table__.c
    update = {name: columns[name] + statement.excluded[name] for name in added}
    update |= {name: larger(columns[name], statement.excluded[name]) for name in greatest}
    return statement.on_conflict_do_update(index_elements=keys, set_=update)


def _clicks(after: int, upto: int):
    day = manila_day(Click.at)
    select = (
        sa.select(
            Click.app_id,
            day,
            _count_if(Click.flag.is_(None)),
            _count_if(Click.flag.is_not(None)),
        )
        .where(Click.id > after, Click.id <= upto)
        .group_by(Click.app_id, day)
    )
    return _upsert(DayFigures, ["app_id", "day"], select, ["clicks", "flagged_clicks"])


def _attributions(after: int, upto: int):
    day = manila_day(Attribution.created_at)
    unflagged = Attribution.flag.is_(None)
    select = (
        sa.select(
            Attribution.app_id,
            day,
            _count_if(unflagged),
            _count_if(Attribution.flag.is_not(None)),
            sum_of(sa.case((unflagged, Attribution.sales), else_=0)),
        )
        .where(Attribution.order_id > after, Attribution.order_id <= upto)
        .group_by(Attribution.app_id, day)
    )
    return _upsert(DayFigures, ["app_id", "day"], select, ["orders", "flagged_orders", "sales"])


def _ledger(after: int, upto: int):
    entry = LedgerEntry
    day = manila_day(entry.created_at)
    source = sa.func.coalesce(entry.from_bucket, NEW)
    select = (
        sa.select(entry.app_id, day, entry.bucket, source, sa.func.count(), sum_of(entry.amount))
        .where(entry.id > after, entry.id <= upto)
        .group_by(entry.app_id, day, entry.bucket, source)
    )
    return _upsert(DayMoves, ["app_id", "day", "bucket", "from_bucket"], select, ["rows", "amount"])


def _ledger_items(after: int, upto: int):
    entry, line = LedgerEntry, CommissionLine
    day = manila_day(entry.created_at)
    new = entry.from_bucket.is_(None)
    select = (
        sa.select(
            entry.app_id,
            day,
            line.item_id,
            sum_of(sa.case((new, entry.units), else_=0)),
            sum_of(sa.case((new, entry.units * line.unit_price), else_=0)),
            sum_of(effect_sql(entry.bucket, new, entry.amount)),
            sa.func.max(OrderLine.name),
        )
        .join(line, line.id == entry.line_id)
        .join(OrderLine, OrderLine.id == line.order_line_id)
        .where(entry.id > after, entry.id <= upto)
        .group_by(entry.app_id, day, line.item_id)
    )
    return _upsert(
        DayItems,
        ["app_id", "day", "item_id"],
        select,
        ["units", "sales", "commission"],
        greatest=("name",),
    )


SOURCES = (
    Source("clicks", Click.id, Click.at, lambda *ids: (_clicks(*ids),)),
    Source(
        "attributions",
        Attribution.order_id,
        Attribution.created_at,
        lambda *ids: (_attributions(*ids),),
    ),
    Source(
        "ledger",
        LedgerEntry.id,
        LedgerEntry.created_at,
        lambda *ids: (_ledger(*ids), _ledger_items(*ids)),
    ),
)


# --- rolling up --------------------------------------------------------------------------------


def _locked_mark(source: str) -> RollupMark:
    """The source's mark, locked until the transaction ends (created at 0 the first time)."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(RollupMark)
    db.session.execute(
        insert.values(source=source, last_id=0).on_conflict_do_nothing(index_elements=["source"])
    )
    return db.session.scalars(
        sa.select(RollupMark)
        .where(RollupMark.source == source)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _roll(source: Source, cut: datetime, now: datetime, batch: int) -> int:
    """One batch of one source, in its own transaction. Returns how many ids it covered."""
    with transaction():
        found = _locked_mark(source.name)
        after = int(found.last_id)
        # The next `batch` rows old enough (whatever gaps the ids have), and up to the last.
        ids = (
            sa.select(source.id_column.label("id"))
            .where(source.id_column > after, source.at_column < cut)
            .order_by(source.id_column)
            .limit(batch)
            .subquery()
        )
        upto = db.session.scalar(sa.select(sa.func.max(ids.c.id)))
        if upto is None:
            return 0
        for statement in source.sums(after, upto):
            db.session.execute(statement)
        found.last_id = upto
        found.rolled_at = now
    return upto - after


def roll_up(now: datetime | None = None, batch: int = BATCH) -> int:
    """Add every source's rows older than LAG into the daily sums (the tick calls it; safe on
    several hosts at once). Returns how many ids the marks moved over, all sources together."""
    now = now or clock.now()
    cut = now - LAG
    moved = 0
    for source in SOURCES:
        while step := _roll(source, cut, now, batch):
            moved += step
    return moved
