"""/livez (the process answers) and /healthz (its database answers): what a load balancer or an
orchestrator polls. (Both with the database down: tests/integration/test_bad_input.py.)"""

import pytest
import sqlalchemy as sa
from flask import session
from flask_limiter import ApplicationLimit, Limit
from flask_limiter.util import get_remote_address
from flask_login import current_user

from shop.extensions import db, limiter
from tests.conftest import log_in

PROBES = ("/livez", "/healthz")


@pytest.fixture
def pool_checkouts(app):
    """The connections taken from the pool meanwhile: `with pool_checkouts() as taken:`."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        taken: list[object] = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: taken.append(args[0])  # noqa: E731
        sa.event.listen(engine, "checkout", listener)
        try:
            yield taken
        finally:
            sa.event.remove(engine, "checkout", listener)

    return counting


@pytest.fixture
def nosy_hook(app, monkeypatch):
    """A before_request hook that reads the user and writes the session on every request, as
    a session-version check or a "last seen" stamp would (for this test only)."""

    def hook():
        session["seen"] = current_user.is_authenticated

    hooks = app.before_request_funcs.get(None, [])
    monkeypatch.setitem(app.before_request_funcs, None, [*hooks, hook])


def test_livez_answers_without_the_database(client, count_queries, pool_checkouts):
    client.get("/livez")  # warm
    with count_queries() as statements, pool_checkouts() as taken:
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert statements == [] and taken == []
    # the counters see a request that does reach the database
    with count_queries() as statements, pool_checkouts() as taken:
        assert client.get("/healthz").status_code == 200
    assert len(statements) == 1 and len(taken) == 1


def test_the_probes_never_open_the_session(client, make, nosy_hook, count_queries):
    user = make.user()
    assert log_in(client, user.email).status_code in (302, 303)
    page = client.get("/")
    assert "session=" in page.headers.get("Set-Cookie", "")  # the hook writes the session
    for path in PROBES:
        with count_queries() as statements:
            response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        assert "Cookie" not in response.headers.get("Vary", ""), path
        # the session was never read, so the logged-in user was never loaded
        assert statements == ([] if path == "/livez" else ["SELECT 1"]), path


@pytest.mark.parametrize(
    "kind",
    ["application", "default"],
)
def test_the_probes_are_never_rate_limited(client, monkeypatch, kind):
    # A strict limit on every route, for this test only (monkeypatch puts the real ones back).
    if kind == "application":
        strict = ApplicationLimit("3 per minute").bind(limiter)
    else:
        strict = Limit("3 per minute", key_function=get_remote_address).bind(limiter)
    monkeypatch.setattr(limiter.limit_manager, f"_{kind}_limits", [strict])
    statuses = [client.get("/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # the limit holds elsewhere
    for path in PROBES:
        assert [client.get(path).status_code for _ in range(10)] == [200] * 10, path
