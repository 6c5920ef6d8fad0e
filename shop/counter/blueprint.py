"""The counter screens' blueprint and what every one of them shares: the terminal and shift a
login chose for a screen (kept in the session) and the actor they make. The DC's routes
(views.py) and the POS's (pos_views.py) are added to this blueprint; shop/__init__.py imports
both."""

from flask import Blueprint, session
from flask_login import current_user

from shop.counter import service
from shop.extensions import limiter
from shop.fulfillment import service as ecms

bp = Blueprint("counter", __name__, url_prefix="/counter")

# Every scan is a lookup of a tracking number: a scanner is fast, a guesser must not be.
counter_lookup_limit = limiter.shared_limit("120 per minute", scope="counter-lookup")

COUNTER_KEY = "dc_counter"  # the session's {"terminal", "shift"} for this login


def counter_of_session(key: str = COUNTER_KEY) -> dict | None:
    """The terminal and shift this login chose for a screen (`key`: the DC's, the POS's)."""
    counter = session.get(key)
    if isinstance(counter, dict) and counter.get("user") == current_user.id:
        return counter
    return None


def actor_of_session(key: str = COUNTER_KEY) -> ecms.Actor:
    counter = counter_of_session(key)
    if counter is None:
        raise service.NoCounter()
    return ecms.Actor.of(current_user, terminal=counter["terminal"], shift=counter["shift"])
