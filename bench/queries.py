"""SQL statements per page: builds the app with create_app() (DATABASE_URL etc. from the
environment, as bench/run.sh sets them), requests each page once to warm up, then counts the
statements SQLAlchemy sends while the test client requests it once more (the steady state:
per-process caches are warm). The warm-up request's count of the home page, the very first
request of the process, is shown too.

    python bench/queries.py            # the counts
    python bench/queries.py -v         # ... and the statements themselves

Prints `SQL queries per home page: N` (the home page, anonymous) and the same for a few
informational variants. Exits non-zero if a page doesn't answer 200.
"""

import os
import sys

import sqlalchemy as sa

from shop import create_app
from shop.config import normalize_database_url
from shop.extensions import db

PAGES = [
    ("home page", "/"),
    ("home page, page 2", "/?page=2"),
    ("home page, search 'rice'", "/?q=rice"),
    ("healthz", "/healthz"),
]


def count_queries(client, engine, path: str) -> tuple[int, int, list[str]]:
    """(statements of the warm-up request, of the measured one, the measured statements)."""
    counts: list[list[str]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        counts[-1].append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        # the warm-up compiles templates, configures mappers, connects and fills caches
        for _ in ("warm-up", "measured"):
            counts.append([])
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"bench: GET {path} answered {response.status_code}, not 200")
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return len(counts[0]), len(counts[1]), counts[1]


def main(argv: list[str]) -> int:
    verbose = "-v" in argv[1:]
    app = create_app()
    expected = os.environ.get("DATABASE_URL")
    if expected and app.config["SQLALCHEMY_DATABASE_URI"] != normalize_database_url(expected):
        # instance/config.py may override the database: never count against another one
        raise SystemExit("bench: the app is not using the benchmark's DATABASE_URL")
    with app.app_context():
        engine = db.engine
        client = app.test_client()
        for label, path in PAGES:
            first, n, statements = count_queries(client, engine, path)
            if path == "/":
                print(f"SQL queries per home page: {n}")
                print(f"  (informational) the first home page of a fresh process: {first}")
            else:
                print(f"  (informational) SQL queries for {label} {path}: {n}")
            if verbose:
                for statement in statements:
                    print(f"      {statement[:300]}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
