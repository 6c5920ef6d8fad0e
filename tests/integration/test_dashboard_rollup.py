"""The dashboard's daily roll-ups (issue #11, point 9) on both databases: the dashboard shows
the same figures before any roll-up, with some rows rolled up and the rest live, and with
everything rolled up; a roll-up run twice adds nothing twice; the rows of the last LAG stay
live; the tick rolls up. On PostgreSQL, two roll-ups at once add each row once, and the
control shows that without the mark's lock they would add it twice."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.extensions import db
from shop.partners import dashboard, rollup
from shop.partners.models import App, DayFigures, DayItems, DayMoves, LedgerEntry, RollupMark
from tests.conftest import log_in
from tests.integration.test_dashboard import NOW, _expected, seed
from tests.integration.test_payments import _race

RANGES = (("2026-10-01", "2026-11-30"), ("2026-11-01", "2026-11-30"), ("2026-11-24", "2026-11-30"),
          ("2026-10-20", "2026-10-20"), ("2026-12-01", "2026-12-05"))  # fmt: skip


def _everything(app, app_ids):
    """Every figure the dashboard shows, over several ranges, and the CSVs' tables."""
    with app.app_context():
        found = []
        for first, last in RANGES:
            rng = dashboard.parse_range(first, last, None, today=NOW.date())
            found.append(dashboard.dashboard(app_ids, rng))
            found.append(dashboard.ledger_page(app_ids, rng, 2))
            found.append(dashboard.top_items_csv(app_ids, rng))
        found.append(dashboard.balances(app_ids))
        return found


def _marks(app):
    with app.app_context():
        return dict(db.session.execute(sa.select(RollupMark.source, RollupMark.last_id)).all())


def _tables(app):
    with app.app_context():
        return [
            sorted(tuple(row) for row in db.session.execute(sa.select(*table.__table__.c)))
            for table in (DayFigures, DayMoves, DayItems)
        ]


@pytest.fixture
def two_apps(app, make, clock):
    clock.set(NOW)
    user = make.user(Role.PUBLISHER)
    first = make.partner_app(publisher_id=user.id)
    second = make.partner_app(publisher_id=user.id)
    cheap, dear = make.item(price=12345, name="Rice"), make.item(price=99900, name="Fan")
    # Older rows (everything before 16 Nov), then recent ones (ids after all the older ones).
    old = NOW - timedelta(days=40)
    rows = seed(app, first, cheap, orders=30, start=old, spread_days=20, clicks=60,
                flagged_clicks=3, flagged_orders=2)  # fmt: skip
    rows += seed(app, second, dear, orders=9, start=old, spread_days=20, clicks=12)
    rows += seed(app, first, dear, orders=12, start=NOW - timedelta(days=5), spread_days=5,
                 clicks=25, flagged_orders=1)  # fmt: skip
    return [first.id, second.id], rows


def test_the_figures_are_the_same_before_during_and_after_the_roll_up(app, two_apps):
    app_ids, rows = two_apps
    live = _everything(app, app_ids)
    alone = _everything(app, app_ids[:1])
    with app.app_context():
        # Part way: the rows older than 15 Nov are rolled up, in batches of 7 ids; the recent
        # ones (later ids) are still read live.
        assert rollup.roll_up(now=NOW - timedelta(days=14), batch=7) > 0
        recent = db.session.scalar(sa.select(sa.func.min(LedgerEntry.id)).where(
            LedgerEntry.created_at >= NOW - timedelta(days=6)))  # fmt: skip
    marks = _marks(app)
    assert 0 < marks["ledger"] < recent
    assert _everything(app, app_ids) == live
    with app.app_context():
        rollup.roll_up(now=NOW + timedelta(days=30))
    assert _marks(app)["ledger"] == max(r.id for r in _ledger(app))
    assert _everything(app, app_ids) == live
    assert _everything(app, app_ids[:1]) == alone
    # And the figures are the ledger's own sums, checked row by row.
    with app.app_context():
        rng = dashboard.parse_range("2026-11-01", "2026-11-30", None, today=NOW.date())
        totals = dashboard.totals(app_ids, rng)
    assert (totals.moved, totals.balances) == _expected(rows, rng.start, rng.end)


def _ledger(app):
    with app.app_context():
        return db.session.scalars(sa.select(LedgerEntry)).all()


def test_a_second_roll_up_adds_nothing(app, two_apps):
    with app.app_context():
        assert rollup.roll_up(now=NOW + timedelta(hours=1)) > 0
    tables, marks = _tables(app), _marks(app)
    assert all(tables)
    with app.app_context():
        assert rollup.roll_up(now=NOW + timedelta(hours=2)) == 0
    assert _tables(app) == tables and _marks(app) == marks


def test_a_sale_after_the_roll_up_shows_at_once(app, make, two_apps):
    app_ids, rows = two_apps
    with app.app_context():
        rollup.roll_up(now=NOW + timedelta(days=30))
        partner = db.session.get(App, app_ids[0])
    item = make.item(price=5000)
    rows += seed(app, partner, item, orders=3, start=NOW - timedelta(hours=3), clicks=4)
    with app.app_context():
        rng = dashboard.parse_range(None, None, "7", today=NOW.date())
        totals = dashboard.totals(app_ids, rng)
        top = dashboard.top_items(app_ids, rng)
    assert (totals.moved, totals.balances) == _expected(rows, rng.start, rng.end)
    assert item.id in {found.item_id for found in top}


def test_the_rows_of_the_last_minutes_stay_live(app, make, two_apps):
    app_ids, _ = two_apps
    newest = max(_ledger(app), key=lambda r: r.id)
    with app.app_context():
        rollup.roll_up(now=newest.created_at + rollup.LAG - timedelta(seconds=1))
    assert _marks(app)["ledger"] < newest.id
    with app.app_context():
        rollup.roll_up(now=newest.created_at + rollup.LAG + timedelta(seconds=1))
    assert _marks(app)["ledger"] == newest.id


def test_the_tick_rolls_up(app, two_apps, clock):
    from shop.cli import run_tick

    clock.set(NOW + timedelta(days=30))
    with app.app_context():
        run_tick(quiet=True)
    marks = _marks(app)
    assert set(marks) == {"clicks", "attributions", "ledger"}
    assert marks["ledger"] == max(r.id for r in _ledger(app))


# --- two roll-ups at once (PostgreSQL) ---------------------------------------------------------


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite serializes every writer")


def _racing(app, monkeypatch, workers=3):
    """Roll up in `workers` threads at once, each holding its transaction open a moment after
    it has read the mark (so, without the lock, they would all read the same mark)."""
    real = rollup._locked_mark

    def slow_mark(source):
        found = real(source)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(rollup, "_locked_mark", slow_mark)

    def roll(_):
        with app.app_context():
            try:
                return rollup.roll_up(now=NOW + timedelta(days=30))
            finally:
                db.session.remove()

    return _race(workers, roll)


def _marks_at_zero(app):
    with app.app_context():
        rollup.roll_up(now=NOW - timedelta(days=365))  # creates the marks, rolls nothing
    assert set(_marks(app).values()) == {0}


def _rolled_rows(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.sum(DayMoves.rows)))


def test_two_roll_ups_at_once_add_each_row_once(app, two_apps, monkeypatch, postgres_only):
    _marks_at_zero(app)
    results = _racing(app, monkeypatch)
    assert not [r for r in results if isinstance(r, Exception)], results
    # Each source was rolled by one of them: the ids they covered add up to the marks.
    assert sum(results) == sum(_marks(app).values()), results
    assert _rolled_rows(app) == len(_ledger(app))


def test_control_without_the_lock_rows_are_added_twice(app, two_apps, monkeypatch, postgres_only):
    _marks_at_zero(app)

    def unlocked(source):
        return db.session.scalars(
            sa.select(RollupMark)
            .where(RollupMark.source == source)
            .execution_options(populate_existing=True)
        ).one()

    monkeypatch.setattr(rollup, "_locked_mark", unlocked)
    results = _racing(app, monkeypatch)
    assert sum(results) > sum(_marks(app).values()), results  # the race is real
    assert _rolled_rows(app) > len(_ledger(app))


# --- a dashboard seen again ---------------------------------------------------------------------


def test_a_page_seen_again_costs_one_query_until_its_rows_change(app, make, two_apps,
                                                                 count_queries):  # fmt: skip
    app_ids, _ = two_apps
    rng = dashboard.parse_range(None, None, "30", today=NOW.date())
    with app.app_context():
        first = dashboard.dashboard(app_ids, rng)
        with count_queries() as queries:
            again = dashboard.dashboard(app_ids, rng)
        assert again == first and len(queries) == 1
        with count_queries() as queries:
            dashboard.dashboard(app_ids, rng, page=2)  # another page: computed
        assert len(queries) > 1
        partner, other = db.session.get(App, app_ids[0]), make.partner_app()
    # Another app's sale changes nothing here; one of these apps' sales shows at once.
    item = make.item(price=7000)
    seed(app, other, item, orders=2, start=NOW - timedelta(hours=2), clicks=2)
    with app.app_context(), count_queries() as queries:
        assert dashboard.dashboard(app_ids, rng) == first
    assert len(queries) == 1
    seed(app, partner, item, orders=1, start=NOW - timedelta(hours=1), clicks=1)
    with app.app_context():
        after = dashboard.dashboard(app_ids, rng)
    assert after.totals.orders == first.totals.orders + 1
    assert after.totals.clicks == first.totals.clicks + 1
    # A roll-up moves the marks: computed again, to the same figures.
    with app.app_context():
        rollup.roll_up(now=NOW + timedelta(days=30))
        with count_queries() as queries:
            assert dashboard.dashboard(app_ids, rng) == after
        assert len(queries) > 1


def test_the_page_names_the_apps_as_they_are_now(app, make, clock):
    clock.set(NOW)
    user = make.user(Role.PUBLISHER)
    first = make.partner_app(publisher_id=user.id, name="Old name")
    make.partner_app(publisher_id=user.id)
    seed(app, first, make.item(), orders=2, start=NOW - timedelta(days=1))
    client = app.test_client()
    log_in(client, user.email)
    assert "Old name" in client.get("/partners/dashboard").get_data(as_text=True)
    with app.app_context():
        db.session.get(App, first.id).name = "New name"
        db.session.commit()
    page = client.get("/partners/dashboard").get_data(as_text=True)
    assert "New name" in page and "Old name" not in page
    ledger = client.get("/partners/dashboard/ledger.csv").get_data(as_text=True)
    assert "New name" in ledger
