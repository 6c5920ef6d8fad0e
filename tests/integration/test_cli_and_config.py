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


def test_create_clerk_at_a_branch(app, runner, make):
    make.branch(code="0412", name="Ayala Triangle")
    dc = make.branch(code="DC-PASIG", name="Pasig DC", kind=BranchKind.DC)
    password = "a long enough password\na long enough password\n"
    result = runner.invoke(
        args=[
            "shop",
            "create-user",
            "c@example.com",
            "--name",
            "C",
            "--role",
            "clerk",
            "--branch",
            "0412",
        ],
        input=password,
    )
    assert result.exit_code == 0, result.output
    assert "Created Store clerk c@example.com at branch 0412" in result.output
    made = runner.invoke(
        args=["shop", "create-user", "d@example.com", "--name", "D", "--role", "dc"],
        input=password,
    )
    assert made.exit_code == 0, made.output
    with app.app_context():
        places = dict(db.session.execute(sa.select(User.email, User.branch_id)).all())
    assert places["d@example.com"] == dc.id
    assert places["c@example.com"] not in (None, dc.id)


@pytest.mark.parametrize("branch", [None, "9999", "DC-PASIG"])
def test_a_clerk_needs_a_store(app, runner, make, branch):
    make.branch(code="DC-PASIG", name="Pasig DC", kind=BranchKind.DC)
    args = ["shop", "create-user", "c@example.com", "--name", "C", "--role", "clerk"]
    result = runner.invoke(
        args=args + (["--branch", branch] if branch else []),
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


LONG_KEY = "k" * 32


@pytest.mark.parametrize("env", ["Production", "prod", "PRODUCTION", "dev", "test", " production"])
def test_shop_env_takes_only_its_three_values(monkeypatch, env):
    monkeypatch.setenv("SHOP_ENV", env)
    monkeypatch.setenv("SECRET_KEY", LONG_KEY)
    with pytest.raises(ConfigError, match="isn't one of development, testing, production"):
        Config().check()


@pytest.mark.parametrize("env", ["development", "testing", "production"])
def test_shop_env_values_that_start(monkeypatch, env):
    monkeypatch.setenv("SHOP_ENV", env)
    monkeypatch.setenv("SECRET_KEY", LONG_KEY)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    config = Config()
    config.check()
    assert config.SESSION_COOKIE_SECURE is (env == "production")


def test_production_set_by_override_still_marks_cookies_secure(monkeypatch):
    monkeypatch.delenv("SHOP_ENV", raising=False)
    config = Config(ENV="production", SECRET_KEY=LONG_KEY, STRIPE_WEBHOOK_SECRET="whsec_x")
    config.check()
    assert config.SESSION_COOKIE_SECURE is True and config.REMEMBER_COOKIE_SECURE is True


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 31)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    with pytest.raises(ConfigError, match="31 bytes: production needs at least 32"):
        Config().check()


def test_development_draws_its_own_secret_key_once(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOP_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = Config()
    first.check(tmp_path)
    second = Config()
    second.check(tmp_path)
    assert len(first.SECRET_KEY) == 64 and first.SECRET_KEY == second.SECRET_KEY
    assert "dev-only" not in first.SECRET_KEY
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # its owner's only
    other = Config()
    other.check(tmp_path / "another-install")
    assert other.SECRET_KEY != first.SECRET_KEY


def test_a_given_config_ignores_instance_config(tmp_path, monkeypatch):
    """A test's config is the whole truth: instance/config.py (a developer's DATABASE_URL) is
    read only when the app configures itself from the environment."""
    import shop

    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "DATABASE_URL = 'postgresql://127.0.0.1:5432/real_shop'\nITEMS_PER_PAGE = 7\n"
    )
    monkeypatch.setattr(shop, "ROOT", tmp_path)
    monkeypatch.setenv("SHOP_ENV", "testing")
    given = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}"})
    assert given.config["SQLALCHEMY_DATABASE_URI"].endswith("t.db")
    assert given.config["ITEMS_PER_PAGE"] == 24
    from_env = create_app()
    assert from_env.config["SQLALCHEMY_DATABASE_URI"].endswith("127.0.0.1:5432/real_shop")
    assert from_env.config["ITEMS_PER_PAGE"] == 7


def test_the_cleanup_refuses_a_database_that_is_not_a_test_one(tmp_path):
    from tests.conftest import NotATestDatabase, refuse_unless_test_database

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    real = create_app(
        {"ENV": "testing", "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///instance/shop.db"}
    )
    with pytest.raises(NotATestDatabase, match="not a SQLite file under this run"):
        refuse_unless_test_database(real, scratch)
    not_testing = create_app(
        {"ENV": "development", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch / 'x.db'}"}
    )
    with pytest.raises(NotATestDatabase, match="not a testing app"):
        refuse_unless_test_database(not_testing, scratch)
    ours = create_app(
        {"ENV": "testing", "TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/x.db"}
    )
    refuse_unless_test_database(ours, scratch)  # a file this run made: allowed


def test_the_cleanup_refuses_a_postgresql_schema_that_is_not_a_test_one(app, backend, tmp_path):
    from tests.conftest import PG_URL, NotATestDatabase, refuse_unless_test_database

    if backend != "postgresql":
        pytest.skip("the PostgreSQL half of the guard")
    public = create_app(
        {
            "ENV": "testing",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": normalize_database_url(PG_URL),
        }
    )
    with pytest.raises(NotATestDatabase, match="schema 'public' is not a test"):
        refuse_unless_test_database(public, tmp_path)
    refuse_unless_test_database(app, tmp_path)  # this worker's own schema: allowed
    with public.app_context():
        db.engine.dispose()


def test_secret_key_is_required_outside_development(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SHOP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", LONG_KEY)
    monkeypatch.setenv("DATABASE_URL", "postgres://db.internal/shop")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    config = Config()
    config.check()
    assert config.SECRET_KEY == LONG_KEY
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://db.internal/shop"
    assert config.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/0"
    assert config.SESSION_COOKIE_SECURE is True


def test_stripe_webhook_secret_is_required_outside_development(monkeypatch):
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", LONG_KEY)
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
app = create_app({"ENV": "testing", "TESTING": True, "LOGIN_RATE_LIMIT": "2 per minute",
                  "RATELIMIT_KEY_PREFIX": sys.argv[1]})
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
    import uuid

    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis unreachable at 127.0.0.1:6379: skipped")
    prefix = f"test-{uuid.uuid4().hex}"  # this run's own keys: other runs may share the Redis
    env = os.environ | {
        "RATELIMIT_STORAGE_URI": url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
        "SHOP_ENV": "testing",
    }
    result = subprocess.run(
        [sys.executable, "-c", REDIS_LOGIN_PROBE, prefix], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[401, 401, 429]"
    keys = redis.Redis.from_url(url).keys(f"*{prefix}*")
    assert keys  # the counters are in Redis
    redis.Redis.from_url(url).delete(*keys)
