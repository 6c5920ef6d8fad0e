"""The benchmark's database: `python bench/db.py reset URL` drops and recreates the schema named by
the URL's search_path (`?options=-csearch_path%3Dbench`), so every run starts from an empty schema.

Only that one schema is touched. A URL without a search_path, or one naming `public` or a system
schema, is refused rather than wiping something that isn't the benchmark's.
"""

import re
import sys

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from shop.config import normalize_database_url

SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
NOT_OURS = {"public", "information_schema"}


def bench_schema(url: str) -> str:
    """The first schema in the URL's search_path. SystemExit if there is none we may drop."""
    parsed = make_url(normalize_database_url(url))
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit(f"bench: the benchmark needs PostgreSQL, not {parsed.get_backend_name()}")
    options = parsed.query.get("options", ())
    options = (options,) if isinstance(options, str) else options
    for option in options:
        found = re.search(r"-c\s*search_path\s*=\s*([^\s,]+)", option)
        if found:
            schema = found.group(1).strip('"')
            if not SAFE_NAME.match(schema) or schema in NOT_OURS or schema.startswith("pg_"):
                raise SystemExit(f"bench: refusing to drop schema {schema!r}; name a scratch one")
            return schema
    raise SystemExit(
        "bench: the database URL must name the benchmark's schema, e.g. "
        "postgresql+psycopg://127.0.0.1:5432/test?options=-csearch_path%3Dbench"
    )


def reset(url: str) -> str:
    schema = bench_schema(url)
    engine = sa.create_engine(normalize_database_url(url))
    quoted = engine.dialect.identifier_preparer.quote_identifier(schema)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {quoted} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {quoted}"))
    finally:
        engine.dispose()
    return schema


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("reset", "schema"):
        print("usage: db.py reset|schema DATABASE_URL", file=sys.stderr)
        return 2
    print(reset(argv[2]) if argv[1] == "reset" else bench_schema(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
