import pytest
import sqlalchemy as sa

from shop import create_app
from shop.auth.models import User
from shop.branches.models import Branch, BranchKind
from shop.catalog.models import Item
from shop.config import Config, ConfigError, normalize_database_url
from shop.demo import DEMO_USERS
from shop.extensions import db
from tests.conftest import log_in


def _counts(app):
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Item, Branch, User)
        )


def test_seed_loads_demo_data_once(app, runner):
    result = runner.invoke(args=["shop", "seed"])
    assert result.exit_code == 0, result.output
    assert "Demo data loaded" in result.output
    assert "admin@demo.cliqq.ph" in result.output
    items, branches, users = _counts(app)
    assert items >= 40
    assert branches >= 61
    assert users == len(DEMO_USERS)
    with app.app_context():
        dc = db.session.scalar(sa.select(Branch).where(Branch.kind == BranchKind.DC))
        assert dc.city == "Pasig"

    again = runner.invoke(args=["shop", "seed"])
    assert again.exit_code == 0
    assert "nothing to add" in again.output
    assert _counts(app) == (items, branches, users)


def test_every_demo_login_works(app, runner):
    from shop.demo import DEMO_PASSWORD

    runner.invoke(args=["shop", "seed"])
    for email, _name, role in DEMO_USERS:
        client = app.test_client()
        assert log_in(client, email, DEMO_PASSWORD).status_code == 302, role
        assert role.label in client.get("/account").get_data(as_text=True)


def test_seed_refuses_demo_logins_in_production(app, runner):
    app.config["ENV"] = "production"
    try:
        result = runner.invoke(args=["shop", "seed"])
    finally:
        app.config["ENV"] = "testing"
    assert result.exit_code != 0
    assert "Refusing" in result.output
    assert _counts(app) == (0, 0, 0)


def test_create_user(app, runner):
    result = runner.invoke(
        args=["shop", "create-user", "ops@example.com", "--name", "Ops", "--role", "admin"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created Operator ops@example.com" in result.output
    again = runner.invoke(
        args=["shop", "create-user", "ops@example.com", "--name", "Ops"],
        input="a long enough password\na long enough password\n",
    )
    assert again.exit_code != 0
    assert "already exists" in again.output


def test_secret_key_is_required_outside_development(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SHOP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("DATABASE_URL", "postgres://db.internal/shop")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    config = Config()
    config.check()
    assert config.SECRET_KEY == "s3cret"
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://db.internal/shop"
    assert config.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/0"
    assert config.SESSION_COOKIE_SECURE is True


def test_stripe_webhook_secret_is_required_outside_development(monkeypatch):
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        Config().check()


def test_normalize_database_url():
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert normalize_database_url("postgresql://h/d") == "postgresql+psycopg://h/d"
    assert normalize_database_url("postgresql+psycopg://h/d") == "postgresql+psycopg://h/d"


def test_migrations_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


REDIS_LOGIN_PROBE = """
import re, sys
from shop import create_app
app = create_app({"ENV": "testing", "TESTING": True, "LOGIN_RATE_LIMIT": "2 per minute"})
assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
from shop.extensions import db
with app.app_context():
    db.create_all()
client = app.test_client()
token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text)[1]
data = {"email": "x@example.com", "password": "wrong", "csrf_token": token}
print([client.post("/login", data=data).status_code for _ in range(3)])
"""


def test_rate_limits_can_live_in_redis(tmp_path):
    """In a process of its own: the limiter is one object per process, bound to one storage."""
    import os
    import subprocess
    import sys

    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_timeout=1).flushdb()
    except redis.RedisError:
        pytest.skip("Redis unreachable at 127.0.0.1:6379: skipped")
    env = os.environ | {
        "RATELIMIT_STORAGE_URI": url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
        "SHOP_ENV": "testing",
    }
    result = subprocess.run(
        [sys.executable, "-c", REDIS_LOGIN_PROBE], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[401, 401, 429]"
    assert redis.Redis.from_url(url).keys("*")  # the counters are in Redis
