"""The audit log: every change made from the operator console, newest first."""

from flask import render_template, request

from shop.admin import audit
from shop.admin.blueprint import bp
from shop.auth.access import role_required
from shop.auth.service import Role
from shop.catalog.service import parse_positive


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log():
    """Filter by object (type and id) and by actor (a part of the email); 50 a page."""
    args = request.args
    page = parse_positive(args.get("page"), "page number", 1, 10_000)
    found = audit.entries(
        object_type=args.get("object_type", "").strip(),
        object_id=args.get("object_id", "").strip(),
        actor=args.get("actor", "").strip(),
        page=page,
    )
    return render_template("admin/audit.html", found=found)
