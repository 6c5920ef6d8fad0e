"""The Flask extensions, created here and bound to an app in `create_app`."""

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# `bool(htmx)`: the request came from htmx (HX-Request); shop.web.is_htmx() decides fragment
# or page with it.
htmx = HTMX()
# Order numbers are a lookup: the order page and its card payment page and steps share one
# budget per client, so guessing numbers is as slow whichever of them it knocks on.
order_lookup_limit = limiter.shared_limit("60 per minute", scope="order-lookup")


def str_enum(enum_class, length: int):
    """A column type for a StrEnum stored as its values (a VARCHAR with a length, no native enum
    type: adding a value later needs no ALTER TYPE)."""
    import sqlalchemy as sa

    return sa.Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


def _no_jit(dbapi_connection, _record) -> None:
    # PostgreSQL's JIT compiles a query whose estimated cost passes jit_above_cost: a few
    # hundred milliseconds of compiling for an OLTP query that runs in one. The estimate runs
    # high whenever the planner cannot know a value until run time (the dashboard's roll-up
    # marks, partners.rollup), so the shop turns JIT off for its connections (committed, so
    # the pool's rollback on return keeps it).
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    cursor.close()
    dbapi_connection.commit()


def tune_engine(engine) -> None:
    """Settings of every new connection of the app's engine (PostgreSQL: no JIT)."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _no_jit)
