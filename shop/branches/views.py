"""The branch finder page and the picker's search.

`/branches/search` answers the picker (`branches/_picker.html`, which checkout includes inside
its form) with the results fragment on htmx requests, and with the full finder page otherwise.
The picker's inputs live inside the checkout form, so their names carry a `branch_` prefix
(`branch_q`, `branch_near`, ...) and the selected radio is named after `field`; this endpoint
reads those spellings as well as the plain ones (`q`, `near`, `frozen`, `packages`,
`selected`)."""

import re

from flask import Blueprint, render_template, request

from shop.branches import service
from shop.errors import InvalidInput
from shop.web import is_htmx

bp = Blueprint("branches", __name__, url_prefix="/branches")

DEFAULT_FIELD = service.DEFAULT_PICKER_FIELD
FIELD = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
VIEWS = ("pick", "list")  # radios to choose one (checkout), or a plain list (the finder page)


def _arg(name: str, default: str = "") -> str:
    args = request.args
    return args.get(name) or args.get(f"branch_{name}") or default


def _context_from_request(full_page: bool) -> dict:
    """The picker's context from the query string. Raises InvalidInput for anything bad, also
    for parameters the full page ignores (a bad link should say so, whatever renders it)."""
    field = request.args.get("field") or DEFAULT_FIELD
    if not FIELD.match(field):
        raise InvalidInput("That field name isn't valid.", field="field")
    view = request.args.get("view") or "pick"
    if view not in VIEWS:
        raise InvalidInput("Choose view=pick or view=list.", field="view")
    if full_page:
        view = "list"  # the finder page lists; only checkout's form chooses
    return service.picker_context(
        q=_arg("q"),
        near=_arg("near"),
        frozen_required=service.parse_flag(_arg("frozen")),
        packages=service.parse_packages(_arg("packages")),
        selected=request.args.get("selected") or request.args.get(field),
        field=field,
        view=view,
        prefix="" if view == "list" else "branch_",
        legend="Pickup branch" if view == "pick" else "Search branches",
    )


def _finder_page():
    picker = _context_from_request(full_page=True)
    return render_template("branches/index.html", picker=picker)


@bp.get("")
def index():
    """Find a 7-Eleven branch: a plain GET form and its results; works without JavaScript."""
    return _finder_page()


@bp.get("/search")
def search():
    """The picker's results fragment on htmx requests; the finder page otherwise."""
    if not is_htmx():
        return _finder_page()
    return render_template("branches/_results.html", picker=_context_from_request(full_page=False))
