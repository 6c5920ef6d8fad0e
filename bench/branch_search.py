"""The branch search benchmark's data and query plans.

    python bench/branch_search.py seed N                     # N more active stores
    python bench/branch_search.py explain PATH [PLANS.txt]   # EXPLAIN ANALYZE of PATH's SQL

`seed` adds N active stores (kind 'store', reserved 0, shelf_capacity 50, open round the clock,
frozen-ready at random) at random points around Luzon (latitude 13.5-15.5, longitude
120.5-121.6), with codes B00001, B00002, ..., in one INSERT ... SELECT generate_series, with a
fixed random seed (the same points every run), then ANALYZEs the table: autovacuum would only
get to it after the first minute, so the planner would otherwise plan with the 80 demo rows'
statistics.

`explain` builds the app in-process (create_app(), DATABASE_URL from the environment), requests
PATH once with `HX-Request: true` to warm up, captures the statements (and their parameters) of
a second request, and runs EXPLAIN (ANALYZE, BUFFERS) of each with the same parameters. It
prints, for each, its index and sequential scans and execution time, the whole plan of the
nearest-first read (the one with ORDER BY ... LIMIT), and `branch-search nearest query uses
ix_branches_lat_lng: yes|no`; every plan goes to PLANS.txt when given. Exits non-zero if PATH
doesn't answer 200.
"""

import os
import sys

import sqlalchemy as sa

from shop.config import normalize_database_url

INDEX = "ix_branches_lat_lng"
CITIES = [  # (city, province): any plausible Luzon place; the coordinates are random anyway
    ("Quezon City", "Metro Manila"),
    ("Manila", "Metro Manila"),
    ("Makati", "Metro Manila"),
    ("Pasig", "Metro Manila"),
    ("Antipolo", "Rizal"),
    ("Calamba", "Laguna"),
    ("Santa Rosa", "Laguna"),
    ("Bacoor", "Cavite"),
    ("Dasmariñas", "Cavite"),
    ("Malolos", "Bulacan"),
    ("San Fernando", "Pampanga"),
    ("Angeles", "Pampanga"),
    ("Batangas City", "Batangas"),
    ("Lipa", "Batangas"),
    ("Tarlac City", "Tarlac"),
    ("Cabanatuan", "Nueva Ecija"),
]

SEED = """
INSERT INTO branches (code, name, address, city, province, lat, lng, opens_at, closes_at,
                      frozen, shelf_capacity, kind, active, reserved)
SELECT 'B' || lpad(g::text, 5, '0'),
       '7-Eleven Bench ' || g,
       g || ' Rizal Avenue, Barangay ' || (1 + g % 97),
       (:cities)[1 + g % cardinality(:cities)],
       (:provinces)[1 + g % cardinality(:provinces)],
       13.5 + random() * 2.0,
       120.5 + random() * 1.1,
       0, 0,
       random() < 0.4,
       50, 'store', true, 0
FROM generate_series(1, :n) AS g
"""


def seed(n: int) -> int:
    if not 1 <= n <= 99_999:
        raise SystemExit("bench: the number of extra branches must be from 1 to 99999")
    engine = sa.create_engine(normalize_database_url(os.environ["DATABASE_URL"]))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT setseed(0.2026)"))
            conn.execute(
                sa.text(SEED).bindparams(
                    sa.bindparam("cities", type_=sa.ARRAY(sa.String)),
                    sa.bindparam("provinces", type_=sa.ARRAY(sa.String)),
                ),
                {
                    "cities": [c for c, _ in CITIES],
                    "provinces": [p for _, p in CITIES],
                    "n": n,
                },
            )
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE branches"))
            conn.commit()
            stores = conn.execute(
                sa.text("SELECT count(*) FROM branches WHERE active AND kind = 'store'")
            ).scalar_one()
    finally:
        engine.dispose()
    print(f"  branches: {n:,} more active stores seeded around Luzon; {stores:,} stores in all")
    return 0


def explain(path: str, out_path: str | None = None) -> int:
    from shop import create_app
    from shop.extensions import db

    app = create_app()
    expected = os.environ.get("DATABASE_URL")
    if expected and app.config["SQLALCHEMY_DATABASE_URI"] != normalize_database_url(expected):
        raise SystemExit("bench: the app is not using the benchmark's DATABASE_URL")
    headers = {"HX-Request": "true"}
    with app.app_context():
        engine = db.engine
        client = app.test_client()
        captured: list[tuple[str, object]] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            captured.append((statement, parameters))

        for _ in ("warm-up", "measured"):
            captured.clear()
            sa.event.listen(engine, "before_cursor_execute", record)
            try:
                response = client.get(path, headers=headers)
            finally:
                sa.event.remove(engine, "before_cursor_execute", record)
            if response.status_code != 200:
                raise SystemExit(f"bench: GET {path} answered {response.status_code}, not 200")
        uses_index = None
        report = []
        with engine.connect() as conn:
            for i, (statement, parameters) in enumerate(captured, 1):
                plan = list(
                    conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                    ).scalars()
                )
                flat = " ".join(statement.split())
                nearest = "ORDER BY" in flat and "LIMIT" in flat and "count(" not in flat
                label = "the nearest-first read" if nearest else "statement"
                report += [f"({i}) {flat}", *(f"    {line}" for line in plan), ""]
                index_scans = sum(
                    f"Scan on {INDEX}" in line or f"using {INDEX}" in line for line in plan
                )
                seq_scans = sum("Seq Scan on branches" in line for line in plan)
                took = next(
                    (
                        line.split(":", 1)[1].strip()
                        for line in plan
                        if line.startswith("Execution Time")
                    ),
                    "?",
                )
                print(f"  ({i}) {label}: {flat[:90]}...")
                print(
                    f"      {index_scans} index scan(s) on {INDEX}, {seq_scans} seq scan(s)"
                    f" on branches; execution {took}"
                )
                if nearest:
                    uses_index = index_scans > 0
                    for line in plan:
                        print(f"      | {line}")
            conn.rollback()
        engine.dispose()
    if out_path:
        with open(out_path, "w") as out:
            out.write("\n".join(report))
        print(f"  (every statement's full plan: {out_path})")
    if uses_index is None:
        print("branch-search nearest query uses ix_branches_lat_lng: (no such query found)")
    else:
        print(f"branch-search nearest query uses {INDEX}: {'yes' if uses_index else 'no'}")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "seed" and argv[2].isdigit():
        return seed(int(argv[2]))
    if len(argv) in (3, 4) and argv[1] == "explain":
        return explain(argv[2], argv[3] if len(argv) == 4 else None)
    print("usage: branch_search.py seed N | explain PATH [PLANS.txt]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
