"""One unit of work per service call.

A public service function runs its writes inside `transaction()`: it commits once at the end
and rolls back on any error (a domain error, a database error, a worker killed mid-request).
The helpers it calls only flush. A service called from inside another's transaction joins it:
only the outermost `transaction()` commits, so no service ever commits inside another's
transaction, and everything the call changed (an order, its shipment, the outbox messages that
report it) is saved together or not at all.

    @transaction()
    def place_order(...): ...          # as a decorator

    with transaction():                # or as a block
        ...
"""

from collections.abc import Iterator
from contextlib import contextmanager

from shop.extensions import db

_DEPTH = "unit_of_work_depth"


@contextmanager
def transaction() -> Iterator[None]:
    """Commit once when the outermost block ends; roll back and re-raise on any exception."""
    session = db.session()
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth


def in_transaction() -> bool:
    """Is a unit of work open (so a caller's helper must only flush)?"""
    return db.session().info.get(_DEPTH, 0) > 0
