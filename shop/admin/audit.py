"""The audit log: who changed what from the operator console, and when.

Call `record` from inside the service call that makes the change, after the change is
flushed, so the row is written in the SAME transaction: the change and its audit row are
committed together or not at all (a refused or failed change leaves no audit row, and no
change goes unrecorded). `record` only flushes; it never commits.

    from shop.admin import audit
    from shop.transaction import transaction

    @transaction()
    def suspend_app(actor, app_id):
        app = ...
        before = {"status": app.status}
        app.status = AppStatus.SUSPENDED
        db.session.flush()
        audit.record(actor, "app.suspend", "app", app.id, before, {"status": app.status})
        return app

`actor` is the signed-in operator (`flask_login.current_user`, or anything with `id` and
`email`); None records the system. `before` and `after` hold only what the change touched,
as plain values: dates, datetimes and enums are stored as their ISO text or value.
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa

from shop.admin.models import AuditEntry
from shop.errors import InvalidInput
from shop.extensions import db

SYSTEM = "system"
PER_PAGE = 50


def _plain(value):
    """A value JSON can hold, the same on SQLite and PostgreSQL."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(actor, action: str, obj_type: str, obj_id, before=None, after=None) -> AuditEntry:
    """Add one audit row for a change made in the current transaction, and flush it.

    `action` names the verb ("item.update", "branch.close"), `obj_type` the kind of object
    ("item", "branch") and `obj_id` its id or code (stored as text). Raises nothing of its
    own: a database error rolls the caller's whole transaction back, change included."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_email=(getattr(actor, "email", None) or SYSTEM)[:254],
        action=action[:64],
        object_type=obj_type[:32],
        object_id=str(obj_id)[:64],
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ: what an edit really changed."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


class AuditPage:
    """One page of the log, newest first."""

    def __init__(self, entries, page, has_next, filters):
        self.entries, self.page, self.has_next, self.filters = entries, page, has_next, filters

    @property
    def has_prev(self) -> bool:
        return self.page > 1


OBJECT_TYPE_LIMIT = 32


def entries(
    object_type: str = "", object_id: str = "", actor: str = "", page: int = 1
) -> AuditPage:
    """The log, newest first, PER_PAGE a page (keyset-free: the operator reads the first few
    pages), filtered by object type, object id and the actor's email (a part of it). Raises
    InvalidInput for a filter too long to be one."""
    if len(object_type) > OBJECT_TYPE_LIMIT or len(object_id) > 64 or len(actor) > 254:
        raise InvalidInput("That filter is too long.")
    statement = sa.select(AuditEntry)
    if object_type:
        statement = statement.where(AuditEntry.object_type == object_type)
    if object_id:
        statement = statement.where(AuditEntry.object_id == object_id)
    if actor:
        escaped = actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(AuditEntry.actor_email.ilike(f"%{escaped}%", escape="\\"))
    rows = list(
        db.session.scalars(
            statement.order_by(AuditEntry.id.desc())
            .limit(PER_PAGE + 1)
            .offset((page - 1) * PER_PAGE)
        )
    )
    filters = {"object_type": object_type, "object_id": object_id, "actor": actor}
    return AuditPage(rows[:PER_PAGE], page, len(rows) > PER_PAGE, filters)
