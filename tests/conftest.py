"""Shared fixtures. The integration suite runs once per database backend: SQLite always, and
PostgreSQL at TEST_DATABASE_URL (default 127.0.0.1:5432/test). Without PostgreSQL those tests
are skipped and say so, unless REQUIRE_POSTGRES=1 (as in CI), which makes them fail instead.

Each xdist worker has its own SQLite file and its own PostgreSQL schema, migrated once with
Alembic (so every run also tests the migrations); after each test every table is emptied."""

import html
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from shop import create_app
from shop.config import Config, normalize_database_url
from shop.extensions import db, limiter
from shop.partners import dashboard
from tests import factories

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _schema() -> str:
    # Per worker and per process: two test runs at once (a developer's and a helper's) must
    # not empty each other's tables.
    return f"test_{_worker()}_{os.getpid()}"


def _drop_schema() -> None:
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, connect_timeout=3, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{_schema()}" CASCADE')


def _postgres_url() -> str:
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(plain, connect_timeout=3, autocommit=True) as conn:
            schema = _schema()
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL unreachable at {PG_URL} ({exc.__class__.__name__})"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{message}: REQUIRE_POSTGRES=1, so this fails.", pytrace=False)
        pytest.skip(f"{message}: PostgreSQL tests skipped.")
    separator = "&" if "?" in plain else "?"
    return normalize_database_url(f"{plain}{separator}options=-csearch_path%3D{schema}")


def make_config(database_url: str, **overrides) -> Config:
    settings = {
        "ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_FAST": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "CATEGORY_CACHE_SECONDS": 0,
    }
    return Config(**(settings | overrides))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def app(backend, tmp_path_factory):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = _postgres_url()
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if backend == "postgresql":
        _drop_schema()


TEST_SCHEMA = re.compile(r"^test_[A-Za-z0-9]+_[0-9]+$")


class NotATestDatabase(RuntimeError):
    """The per-test cleanup was pointed at a database that this test run did not create."""


def refuse_unless_test_database(app, scratch_root) -> None:
    """Raise NotATestDatabase unless `app` is a testing app whose database is one this run
    made: a SQLite file under pytest's temporary directory, or a PostgreSQL schema named
    test_<worker>_<pid> that is the connection's current schema. Cleanup empties every table:
    it must never run anywhere else, whatever a local config says."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    where = url.render_as_string(hide_password=True)
    if not app.config.get("TESTING") or app.config.get("ENV") != "testing":
        raise NotATestDatabase(f"refusing to empty {where}: the app is not a testing app")
    if url.get_backend_name() == "sqlite":
        path = os.path.realpath(url.database or "")
        if not url.database or not path.startswith(os.path.realpath(scratch_root) + os.sep):
            raise NotATestDatabase(
                f"refusing to empty {where}: not a SQLite file under this run's {scratch_root}"
            )
        return
    with app.app_context():
        schema = db.session.scalar(sa.text("SELECT current_schema()"))
        db.session.rollback()
    if not schema or not TEST_SCHEMA.match(schema):
        raise NotATestDatabase(
            f"refusing to empty {where}: its schema {schema!r} is not a test_<worker>_<pid> "
            "schema made by this run"
        )


@pytest.fixture(scope="session")
def _checked_apps():
    return set()


@pytest.fixture(autouse=True)
def _clean_database(request, tmp_path_factory, _checked_apps):
    """Empty every table after each test that used the app (children before parents), once
    the database is known to be this run's own; and set the app's clock back to real time."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    if id(app) not in _checked_apps:
        refuse_unless_test_database(app, tmp_path_factory.getbasetemp())
        _checked_apps.add(id(app))
    with app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        limiter.reset()
        dashboard.forget_recent()  # its ids may come back in the emptied tables (SQLite)
    app.extensions["clock"].unset()


@pytest.fixture
def clock(app):
    """The app's clock: `clock.set(moment)`, `clock.advance(minutes=31)`; real time again
    after the test."""
    return app.extensions["clock"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Factories: make.item(price=1000), make.user(role=Role.ADMIN), ..."""
    return factories.Factories(app)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as queries: ...` then `len(queries)`: the SQL sent meanwhile."""

    @contextmanager
    def counting():
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    return counting


CSRF_IN_PAGE = re.compile(
    r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"|"X-CSRFToken": "([^"]+)"'
)


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_IN_PAGE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def log_in(client, email: str, password: str = factories.PASSWORD):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client, "/login")},
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """localstripe, the fake Stripe, on a port of its own for this test run."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("localstripe") / "localstripe.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "localstripe"), "--port", str(port), "--from-scratch"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("localstripe did not start", pytrace=False)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)
    log.close()


def text(response) -> str:
    """The response body as a person reads it (HTML entities decoded)."""
    return html.unescape(response.get_data(as_text=True))
