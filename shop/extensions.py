"""The Flask extensions, created here and bound to an app in `create_app`."""

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
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
