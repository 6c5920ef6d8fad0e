"""The operator console's blueprint and what its view modules share. Its routes live in
views.py (overview, outbox, mail, branches, remittance), catalog_views.py (items, images,
categories), merchants_views.py, orders_views.py (orders and packages) and audit_views.py;
views.py imports the others at its bottom, so registering `bp` registers them all."""

from flask import Blueprint, request

from shop.errors import DomainError
from shop.web import status_of

bp = Blueprint("admin", __name__, url_prefix="/admin")


def show_error(form, exc: DomainError, fields: dict | None = None) -> int:
    """Put a service's refusal on the form field it names (`fields` maps the service's field
    names to the form's), or on the form as a whole; returns the status to answer with."""
    name = (fields or {}).get(exc.field, exc.field) if exc.field else None
    target = getattr(form, name, None) if name else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, exc.message]
    else:
        form.form_errors.append(exc.message)
    return status_of(exc)


def invalid_status() -> int:
    """A form that fails its own validation: 400 when the body isn't a form at all (JSON,
    nothing), 422 when it is one with wrong values."""
    return 422 if request.form or request.files else 400
