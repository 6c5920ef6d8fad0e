"""The partners' pages under load (issue #11, point 9): the embedded catalog page and a
publisher's dashboard over 100,000 ledger rows.

    python bench/partners.py prepare PLAN.json [--rows 100000]
    python bench/partners.py cookie BASE_URL PLAN.json
    python bench/partners.py path embed|dashboard PLAN.json

`prepare` (against DATABASE_URL, the benchmark's schema): a publisher login with one approved
app (the whole catalog, framable from https://partner.example), and for that app, spread over
the last 90 days, orders of the demo catalog's items with their attributions, commission lines
and ledger rows in every bucket until there are `--rows` ledger rows, and as many clicks as
ledger rows. Everything is written with INSERT ... SELECT over generate_series, in the
database: 100,000 rows take a few seconds, not the minutes the services would. The rows follow
the ledger's rules (shop/partners/models.py): every line has its `pending` row; of the lines,
some move on to `approved`, some of those to `paid`, others to `reversed`. Then it rolls them
up into the dashboard's daily sums, as the tick would have (shop.partners.rollup). It writes
the app's key, the publisher's login, the embedded catalog page's path (with a frame token)
and the dashboard's path to PLAN.json; `path` prints one of those paths.

`cookie` logs the publisher in (GET /login, POST /login) and prints the session cookie as a
`Cookie:` header value for wrk.
"""

import argparse
import json
import sys
from urllib.parse import urlsplit

from checkout import Client, hidden_inputs

PASSWORD = "bench-publisher-2026"  # noqa: S105  (the bench's own scratch login)
EMAIL = "bench-publisher@example.com"
KEY = "app_bench000000000001"
ORIGIN = "https://partner.example"
DAYS = 90


def prepare(plan_path: str, rows: int) -> int:
    import sqlalchemy as sa

    from shop import create_app
    from shop.auth.models import Role, User
    from shop.auth.service import create_user
    from shop.extensions import db
    from shop.partners.models import App, AppStatus
    from shop.transaction import transaction

    app = create_app()
    with app.app_context():
        with transaction():
            if db.session.scalar(sa.select(User.id).where(User.email == EMAIL)) is None:
                create_user(EMAIL, "Bench Publisher", PASSWORD, Role.PUBLISHER)
            publisher = db.session.scalar(sa.select(User.id).where(User.email == EMAIL))
            partner = App(
                publisher_id=publisher,
                name="Bench app",
                key=KEY,
                origins=[ORIGIN],
                default_rate_bp=500,
                status=AppStatus.APPROVED,
            )
            db.session.add(partner)
            db.session.flush()
            app_id = partner.id
        # Each order: one line, one commission line, and 2.5 ledger rows on average (its
        # pending row, then by the line's id one of eight fates: see the VALUES below).
        orders = max(1, rows * 2 // 5)
        statements = [
            # The orders, over the last DAYS days, one line each of one of the demo's items.
            """
            INSERT INTO orders (number, idempotency_key, name, phone, email, payment_method,
                status, packages, units, subtotal, shipping_fee, total, amount_due, created_at)
            SELECT 'CQ-BP' || lpad(g::text, 8, '0'), 'bench-partner-' || g, 'Bench Shopper',
                '+639171234567', 'shopper' || g || '@example.com', 'cod', 'confirmed', 1, 1,
                10000, 0, 10000, 10000,
                now() - (g % :days) * interval '1 day' - (g % 1440) * interval '1 minute'
            FROM generate_series(1, :orders) AS g
            """,
            """
            INSERT INTO order_lines (order_id, item_id, name, unit_price, quantity, virtual,
                frozen)
            SELECT o.id, i.id, i.name, 10000, 1, false, false
            FROM orders o
            JOIN LATERAL (
                SELECT id, name FROM items ORDER BY id OFFSET (o.id % 40) LIMIT 1
            ) i ON true
            WHERE o.number LIKE 'CQ-BP%'
            """,
            """
            INSERT INTO attributions (order_id, app_id, via, sales, created_at)
            SELECT o.id, :app, 'iframe', o.subtotal, o.created_at
            FROM orders o WHERE o.number LIKE 'CQ-BP%'
            """,
            """
            INSERT INTO commission_lines (order_line_id, order_id, app_id, item_id, rate_bp,
                rate_source, unit_price, quantity, unit_commission)
            SELECT l.id, l.order_id, :app, l.item_id, 500, 'app', l.unit_price, l.quantity, 500
            FROM order_lines l JOIN orders o ON o.id = l.order_id
            WHERE o.number LIKE 'CQ-BP%'
            """,
            # Every line's pending row at its order's time; then, by the line's id: a quarter
            # stays pending, a quarter is approved, a quarter approved and paid, a quarter
            # reversed (and a few of the paid ones clawed back).
            """
            INSERT INTO commission_entries (app_id, order_id, line_id, bucket, from_bucket,
                units, amount, reason, created_at)
            SELECT :app, c.order_id, c.id, m.bucket, m.from_bucket, 1, 500, m.reason,
                o.created_at + m.step * interval '8 days'
            FROM commission_lines c
            JOIN orders o ON o.id = c.order_id
            JOIN (VALUES
                (0, 'pending', NULL, 'order', 0),
                (1, 'approved', 'pending', 'approved', 1),
                (2, 'approved', 'pending', 'approved', 1),
                (2, 'paid', 'approved', 'payout', 2),
                (3, 'reversed', 'pending', 'cancelled', 1),
                (4, 'approved', 'pending', 'approved', 1),
                (4, 'paid', 'approved', 'payout', 2),
                (4, 'reversed', 'approved', 'clawback', 3),
                (5, 'approved', 'pending', 'approved', 1),
                (5, 'paid', 'approved', 'payout', 2),
                (6, 'approved', 'pending', 'approved', 1),
                (6, 'paid', 'approved', 'payout', 2),
                (7, 'reversed', 'pending', 'returned', 1)
            ) AS m(kind, bucket, from_bucket, reason, step)
                ON m.kind = 0 OR m.kind = c.id % 8
            WHERE c.app_id = :app
            """,
            # As many clicks as ledger rows, over the same days, from many visitors.
            """
            INSERT INTO clicks (app_id, kind, visitor, client_hash, at)
            SELECT :app, CASE WHEN g % 3 = 0 THEN 'link' ELSE 'embed' END,
                md5('visitor' || (g % 50000)), md5('client' || (g % 20000)),
                now() - (g % :days) * interval '1 day' - (g % 1440) * interval '1 minute'
            FROM generate_series(1, :clicks) AS g
            """,
        ]
        with transaction():
            for statement in statements:
                db.session.execute(
                    sa.text(statement),
                    {"app": app_id, "orders": orders, "days": DAYS, "clicks": rows},
                )
            ledger_rows = db.session.scalar(
                sa.text("SELECT count(*) FROM commission_entries WHERE app_id = :app"),
                {"app": app_id},
            )
        # What the tick does every half minute: the dashboard's daily sums take in the rows
        # (all but those of the last few minutes, which it reads live).
        from shop.partners import rollup

        rolled = rollup.roll_up()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        # The embedded catalog page as a frame shows it: the app's prefix with a frame token
        # (signed with the SECRET_KEY the server shares, valid for EMBED_TOKEN_MAX_AGE_SECONDS).
        from shop.embed import service as embed

        with app.test_request_context():
            token = embed.sign_token(KEY, "bench-visitor-0000000001", None, ORIGIN)
    plan = {
        "email": EMAIL,
        "app_key": KEY,
        "app_id": app_id,
        "embed_path": f"/embed/{KEY}/{token}/",
        # The publisher's dashboard of that app over the last 90 days: every row counts.
        "dashboard_path": f"/partners/apps/{app_id}/dashboard?preset=90",
    }
    with open(plan_path, "w") as out:
        json.dump(plan, out)
    print(
        f"  partners: one publisher's app with {ledger_rows:,} ledger rows, {orders:,} orders "
        f"and {rows:,} clicks over {DAYS} days; {rolled:,} rows rolled up into daily sums"
    )
    return 0


def cookie(base: str, plan_path: str) -> int:
    with open(plan_path) as source:
        plan = json.load(source)
    address = urlsplit(base)
    client = Client(address.hostname, address.port)
    _, page = client.expect(200, "GET", "/login")
    token = hidden_inputs(page).get("csrf_token", "")
    client.expect(
        302, "POST", "/login", {"csrf_token": token, "email": plan["email"], "password": PASSWORD}
    )
    print("; ".join(f"{name}={value}" for name, value in client.cookies.items()))
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prepare_parser = commands.add_parser("prepare")
    prepare_parser.add_argument("plan")
    prepare_parser.add_argument("--rows", type=int, default=100_000)
    cookie_parser = commands.add_parser("cookie")
    cookie_parser.add_argument("base")
    cookie_parser.add_argument("plan")
    path_parser = commands.add_parser("path")
    path_parser.add_argument("page", choices=("embed", "dashboard"))
    path_parser.add_argument("plan")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        return prepare(args.plan, args.rows)
    if args.command == "path":
        with open(args.plan) as source:
            print(json.load(source)[f"{args.page}_path"])
        return 0
    return cookie(args.base, args.plan)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
