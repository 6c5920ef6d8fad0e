"""The publisher's dashboard (issue #11 point 5) on both databases: its totals equal the ledger
sums computed here independently, another's app is a 404 in every URL and CSV, and the number
of queries does not grow with the rows or the days."""

import csv
import io
import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.checkout.models import Order, OrderLine, OrderStatus, PaymentMethod
from shop.extensions import db
from shop.money import format_peso
from shop.partners import dashboard
from shop.partners.models import (
    Attribution,
    Bucket,
    Click,
    ClickKind,
    CommissionLine,
    LedgerEntry,
)
from tests.conftest import log_in

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # noon in Manila, 30 Nov 2026
_numbers = itertools.count(1)


def seed(app, partner, item, *, orders: int, start: datetime, spread_days: int = 1,
         flagged_clicks: int = 0, flagged_orders: int = 0, clicks: int = 0, rng=None):  # fmt: skip
    """Orders of `item` attributed to `partner`, each with its commission line and the ledger
    rows a real one would get (pending; then some approved, reversed, paid, clawed back),
    spread over `spread_days` days from `start`; and clicks. Returns the entries written."""
    rng = rng or random.Random(7)
    written = []
    with app.app_context():
        for n in range(clicks + flagged_clicks):
            at = start + timedelta(days=rng.randrange(spread_days), minutes=n)
            db.session.add(
                Click(
                    app_id=partner.id,
                    kind=ClickKind.EMBED,
                    visitor=f"v{n}",
                    client_hash=f"c{n}",
                    flag="flood" if n >= clicks else None,
                    at=at,
                )
            )
        for n in range(orders + flagged_orders):
            number = next(_numbers)
            at = start + timedelta(days=rng.randrange(spread_days), minutes=n)
            quantity = rng.randint(1, 3)
            order = Order(
                number=f"CQ-T{number:06d}",
                idempotency_key=f"dash-{number}",
                name="Juan",
                phone="+639171234567",
                email="juan@example.com",
                payment_method=PaymentMethod.COD,
                status=OrderStatus.CONFIRMED,
                subtotal=item.price * quantity,
                total=item.price * quantity,
                created_at=at,
            )
            db.session.add(order)
            db.session.flush()
            flagged = n >= orders
            db.session.add(
                Attribution(
                    order_id=order.id,
                    app_id=partner.id,
                    via="iframe",
                    flag="self_purchase" if flagged else None,
                    sales=item.price * quantity,
                    created_at=at,
                )
            )
            if flagged:
                continue
            line = OrderLine(
                order_id=order.id, item_id=item.id, name=item.name, unit_price=item.price,
                quantity=quantity,
            )  # fmt: skip
            db.session.add(line)
            db.session.flush()
            unit = item.price * partner.default_rate_bp // 10000
            commission = CommissionLine(
                order_line_id=line.id, order_id=order.id, app_id=partner.id, item_id=item.id,
                rate_bp=partner.default_rate_bp, rate_source="app", unit_price=item.price,
                quantity=quantity, unit_commission=unit,
            )  # fmt: skip
            db.session.add(commission)
            db.session.flush()
            amount = unit * quantity

            def entry(bucket, from_bucket, reason, hours, units=quantity, value=amount,
                      order=order, commission=commission, at=at):  # fmt: skip
                row = LedgerEntry(
                    app_id=partner.id, order_id=order.id, line_id=commission.id, bucket=bucket,
                    from_bucket=from_bucket, units=units, amount=value, reason=reason,
                    created_at=at + timedelta(hours=hours),
                )  # fmt: skip
                db.session.add(row)
                written.append(row)

            entry(Bucket.PENDING, None, "order", 0)
            fate = n % 5
            if fate == 1:
                entry(Bucket.APPROVED, Bucket.PENDING, "approved", 30)
            elif fate == 2:
                entry(Bucket.REVERSED, Bucket.PENDING, "cancelled", 5, 1, unit)
            elif fate == 3:
                entry(Bucket.APPROVED, Bucket.PENDING, "approved", 30)
                entry(Bucket.PAID, Bucket.APPROVED, "payout", 60)
            elif fate == 4:
                entry(Bucket.APPROVED, Bucket.PENDING, "approved", 30)
                entry(Bucket.PAID, Bucket.APPROVED, "payout", 60)
                entry(Bucket.REVERSED, Bucket.APPROVED, "clawback", 90, 1, unit)
        db.session.commit()
        snapshot = [
            (e.bucket, e.from_bucket, e.amount, e.created_at, e.units, e.line_id) for e in written
        ]
    return snapshot


def _expected(rows, start, end):
    """The ledger's sums, computed here row by row (the independent check)."""
    moved = dict.fromkeys(dashboard.BUCKETS, 0)
    balance = dict.fromkeys(dashboard.BUCKETS, 0)
    for bucket, from_bucket, amount, at, _, _ in rows:
        balance[bucket] += amount
        if from_bucket is not None:
            balance[from_bucket] -= amount
        if start <= at < end:
            moved[bucket] += amount
            if from_bucket is not None:
                moved[from_bucket] -= amount
    return moved, balance


@pytest.fixture
def publisher(app, make, clock):
    clock.set(NOW)
    user = make.user(Role.PUBLISHER)
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return user, client


def test_the_totals_equal_the_ledgers_sums(app, make, publisher):
    user, client = publisher
    partner = make.partner_app(publisher_id=user.id)
    other = make.partner_app(publisher_id=user.id)
    item = make.item(price=12345)
    start = NOW - timedelta(days=40)
    rows = seed(app, partner, item, orders=37, start=start, spread_days=45, clicks=90,
                flagged_clicks=4, flagged_orders=3)  # fmt: skip
    rows_other = seed(app, other, item, orders=6, start=start, spread_days=20, clicks=5)
    with app.app_context():
        rng = dashboard.parse_range("2026-11-01", "2026-11-30", None, today=NOW.date())
        found = dashboard.dashboard([partner.id], rng)
        both = dashboard.totals([partner.id, other.id], rng)
        with_clicks = db.session.execute(
            sa.select(sa.func.count())
            .select_from(Click)
            .where(
                Click.app_id == partner.id,
                Click.at >= rng.start,
                Click.at < rng.end,
                Click.flag.is_(None),
            )  # fmt: skip
        ).scalar()
    moved, balance = _expected(rows, rng.start, rng.end)
    assert found.totals.moved == moved
    assert found.totals.balances == balance
    assert any(moved.values()) and any(balance.values())
    moved_both, balance_both = _expected(rows + rows_other, rng.start, rng.end)
    assert both.moved == moved_both and both.balances == balance_both
    assert found.totals.clicks == with_clicks and found.totals.clicks > 0
    # The days add up to the totals; the commission of a day is its rows' effects.
    assert sum(d.clicks for d in found.days) == found.totals.clicks
    assert sum(d.orders for d in found.days) == found.totals.orders
    effects = sum(
        dashboard.effect(b, f, a) for b, f, a, at, _, _ in rows if rng.start <= at < rng.end
    )
    assert sum(d.commission for d in found.days) == effects
    assert len(found.days) == 30
    # Top items: the one item, its units and sales from the range's new rows.
    new_rows = [r for r in rows if r[1] is None and rng.start <= r[3] < rng.end]
    assert found.top_items[0].units == sum(r[4] for r in new_rows)
    assert found.top_items[0].sales == sum(r[4] for r in new_rows) * item.price
    assert found.top_items[0].commission == effects
    in_range = [r for r in rows if rng.start <= r[3] < rng.end]
    assert found.ledger.total == len(in_range)
    assert found.ledger.rows[0].created_at >= found.ledger.rows[-1].created_at


def test_the_flagged_orders_and_clicks_are_counted_apart(app, make, publisher):
    user, client = publisher
    partner = make.partner_app(publisher_id=user.id)
    item = make.item(price=10000)
    seed(app, partner, item, orders=4, start=NOW - timedelta(hours=2), clicks=8,
         flagged_clicks=3, flagged_orders=2)  # fmt: skip
    with app.app_context():
        rng = dashboard.parse_range(None, None, "7", today=NOW.date())
        totals = dashboard.totals([partner.id], rng)
    assert (totals.clicks, totals.flagged_clicks) == (8, 3)
    assert (totals.orders, totals.flagged_orders) == (4, 2)
    assert totals.conversion == 0.5
    page = client.get(f"/partners/dashboard?app={partner.id}&preset=7").get_data(as_text=True)
    assert "50.0 %" in page and "3 clicks" in page and "2 orders" in page


def test_the_page_shows_the_figures(app, make, publisher):
    user, client = publisher
    partner = make.partner_app(publisher_id=user.id, name="Tindahan Ko")
    item = make.item(price=20000, name="Rice cooker")
    seed(app, partner, item, orders=5, start=NOW - timedelta(days=3), clicks=10)
    response = client.get("/partners/dashboard")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Rice cooker" in page and "Tindahan Ko" in page
    assert 'id="board-chart-data"' in page and "Clicks, orders and commission per day" in page
    for path in (f"/partners/apps/{partner.id}/dashboard", f"/partners/dashboard?app={partner.id}"):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-01",
        "from=yesterday",
        "to=2026-11-01&from=2026-11-02",
        "from=2024-01-01&to=2026-01-01",
        "from=9999-12-31",
        "from=0001-01-01",
        "preset=8",
        "preset=%EF%BC%97",
        "page=0",
        "page=abc",
        "page=99999999999",
        "from=2026-11-01T00:00",
    ],
)
def test_bad_ranges_are_a_clear_4xx(app, make, publisher, query):
    user, client = publisher
    make.partner_app(publisher_id=user.id)
    response = client.get(f"/partners/dashboard?{query}")
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    assert client.get(f"/partners/dashboard/ledger.csv?{query}").status_code in (200, 422)


def test_another_publishers_app_is_a_404_everywhere(app, make, publisher):
    user, client = publisher
    mine = make.partner_app(publisher_id=user.id)
    theirs = make.partner_app()
    seed(app, theirs, make.item(), orders=2, start=NOW - timedelta(days=1))
    for path in (
        f"/partners/apps/{theirs.id}",
        f"/partners/apps/{theirs.id}/dashboard",
        f"/partners/dashboard?app={theirs.id}",
        f"/partners/dashboard/daily.csv?app={theirs.id}",
        f"/partners/dashboard/items.csv?app={theirs.id}",
        f"/partners/dashboard/ledger.csv?app={theirs.id}",
        "/partners/dashboard?app=999999",
        "/partners/dashboard?app=abc",
        "/partners/apps/999999/dashboard",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/partners/apps/{theirs.id}", data={}).status_code in (400, 404)
    # The publisher's own, and all of its apps, are fine; and "all" leaves out another's rows.
    assert client.get(f"/partners/apps/{mine.id}/dashboard").status_code == 200
    ledger = client.get("/partners/dashboard/ledger.csv").get_data(as_text=True)
    assert ledger.count("\r\n") == 1  # the header only: none of their rows


def test_a_visitor_and_other_roles_cannot_see_the_console(app, make):
    visitor = app.test_client()
    assert "/login" in visitor.get("/partners/dashboard").headers["Location"]
    shopper = app.test_client()
    log_in(shopper, make.user(Role.SHOPPER).email)
    for path in ("/partners/", "/partners/dashboard", "/partners/apps/new",
                 "/partners/dashboard/ledger.csv"):  # fmt: skip
        assert shopper.get(path).status_code == 403, path


def test_the_csv_exports_and_their_protection(app, make, publisher):
    user, client = publisher
    partner = make.partner_app(publisher_id=user.id, name="=HYPERLINK(1)")
    item = make.item(price=10000, name="@SUM(A1)")
    rows = seed(app, partner, item, orders=5, start=NOW - timedelta(days=6))
    ledger = client.get("/partners/dashboard/ledger.csv?preset=7")
    assert ledger.status_code == 200 and ledger.mimetype == "text/csv"
    assert "attachment" in ledger.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(ledger.get_data(as_text=True))))
    assert len(table) == len(rows)
    assert {r["app"] for r in table} == {"'=HYPERLINK(1)"}
    assert {r["item"] for r in table} == {"'@SUM(A1)"}
    assert sum(int(r["effect_centavos"]) for r in table) == sum(
        dashboard.effect(b, f, a) for b, f, a, *_ in rows
    )
    items = list(csv.DictReader(io.StringIO(client.get("/partners/dashboard/items.csv?preset=7")
                                            .get_data(as_text=True))))  # fmt: skip
    assert items[0]["item"] == "'@SUM(A1)"
    days = list(csv.DictReader(io.StringIO(client.get("/partners/dashboard/daily.csv?preset=7")
                                           .get_data(as_text=True))))  # fmt: skip
    assert len(days) == 7
    assert sum(int(d["commission_centavos"]) for d in days) == sum(
        dashboard.effect(b, f, a) for b, f, a, *_ in rows
    )


def _queries_for(client, count_queries, path):
    with count_queries() as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_rows_or_days(app, make, publisher, count_queries):
    user, client = publisher
    partner = make.partner_app(publisher_id=user.id)
    item = make.item()
    seed(app, partner, item, orders=10, start=NOW - timedelta(days=5), spread_days=5, clicks=10)
    few = _queries_for(client, count_queries, "/partners/dashboard?preset=7")
    few_csv = _queries_for(client, count_queries, "/partners/dashboard/ledger.csv?preset=90")
    seed(app, partner, item, orders=200, start=NOW - timedelta(days=80), spread_days=80,
         clicks=200, flagged_orders=5, flagged_clicks=5)  # fmt: skip
    many = _queries_for(client, count_queries, "/partners/dashboard?preset=90")
    many_csv = _queries_for(client, count_queries, "/partners/dashboard/ledger.csv?preset=90")
    assert many == few, (few, many)
    assert many_csv == few_csv
    assert many <= 12


def test_the_ledger_is_paginated_newest_first(app, make, publisher):
    user, client = publisher
    partner = make.partner_app(publisher_id=user.id)
    rows = seed(app, partner, make.item(), orders=30, start=NOW - timedelta(days=20),
                spread_days=10)  # fmt: skip
    assert len(rows) > dashboard.PAGE_SIZE
    with app.app_context():
        rng = dashboard.parse_range(None, None, "30", today=NOW.date())
        first = dashboard.ledger_page([partner.id], rng, 1)
        second = dashboard.ledger_page([partner.id], rng, 2)
    assert first.total == len(rows) and first.pages == 2
    assert len(first.rows) == dashboard.PAGE_SIZE
    assert len(second.rows) == len(rows) - dashboard.PAGE_SIZE
    assert first.rows[-1].created_at >= second.rows[0].created_at
    assert {r.id for r in first.rows}.isdisjoint({r.id for r in second.rows})
    page = client.get(f"/partners/apps/{partner.id}/dashboard?preset=30")
    assert "Older" in page.get_data(as_text=True)
    older = client.get(f"/partners/apps/{partner.id}/dashboard?page=2&preset=30")
    assert older.status_code == 200 and "Newer" in older.get_data(as_text=True)
    beyond = client.get(f"/partners/apps/{partner.id}/dashboard?page=9")
    assert beyond.status_code == 200 and "No ledger rows" in beyond.get_data(as_text=True)


def test_the_console_home_shows_the_all_time_balances(app, make, publisher):
    user, client = publisher
    partner = make.partner_app(publisher_id=user.id, name="Lakbay")
    rows = seed(app, partner, make.item(price=10000), orders=5, start=NOW - timedelta(days=200))
    _, balance = _expected(rows, NOW, NOW)
    page = client.get("/partners/").get_data(as_text=True)
    assert "Lakbay" in page
    for bucket in dashboard.BUCKETS:
        assert format_peso(balance[bucket]) in page
