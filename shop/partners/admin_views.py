"""The operator's apps and rates: /admin/apps. Every change is one call of shop.partners.apps
(approve_app, suspend_app, set_rate, remove_rate), each a POST with its CSRF token."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from shop.auth.access import role_required
from shop.auth.models import Role
from shop.catalog import service as catalog
from shop.errors import DomainError
from shop.partners import apps
from shop.partners.forms import ApproveForm, RateForm, bp_to_percent, percent_to_bp
from shop.partners.models import AppStatus
from shop.web import status_of

bp = Blueprint("apps_admin", __name__, url_prefix="/admin/apps")

MAX_ITEMS_LISTED = 500  # in the rate form's select; a search narrows it


def _status(raw) -> AppStatus | None:
    if raw is None or raw == "":
        return None
    try:
        return AppStatus(raw)
    except ValueError:
        return None


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    status = _status(request.args.get("status"))
    return render_template(
        "admin/apps.html", apps=apps.all_apps(status), status=status, statuses=list(AppStatus)
    )


def _item_query() -> str:
    query, _ = catalog.clean_query(request.args.get("item_q"))  # bounded by catalog.MAX_QUERY
    return query


def _rate_choices(form: RateForm, item_query: str) -> tuple[dict, dict]:
    """The rate form's choices (categories, then the items matching the search) and names of
    every category and item a rate names, for the table of rates."""
    categories = catalog.list_categories()
    listing = catalog.list_items(query=item_query, sort="name", per_page=MAX_ITEMS_LISTED)
    form.target.choices = [
        SelectChoice(f"category:{c.id}", c.name, optgroup="Categories") for c in categories
    ] + [SelectChoice(f"item:{i.id}", i.name, optgroup="Items") for i in listing.items]
    return {c.id: c.name for c in categories}, {}


def _show(app, *, approve=None, rate=None, status: int = 200):
    approve = approve or ApproveForm(formdata=None, rate=bp_to_percent(app.default_rate_bp))
    rate = rate or RateForm(formdata=None)
    item_query = _item_query()
    category_names, _ = _rate_choices(rate, item_query)
    item_names = {
        i.id: i.name
        for i in catalog.get_items_any([r.item_id for r in app.rates if r.item_id]).values()
    }
    return render_template(
        "admin/apps_show.html",
        app=app,
        approve=approve,
        rate_form=rate,
        item_query=item_query,
        category_names=category_names,
        item_names=item_names,
        bp_to_percent=bp_to_percent,
    ), status


@bp.get("/<int:app_id>")
@role_required(Role.ADMIN)
def show(app_id: int):
    return _show(apps.get_app(app_id))


@bp.post("/<int:app_id>/approve")
@role_required(Role.ADMIN)
def approve(app_id: int):
    app = apps.get_app(app_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        return _show(app, approve=form, status=422)
    rate = None
    if form.rate.data:
        try:
            rate = percent_to_bp(form.rate.data)
        except ValueError:
            form.rate.errors.append("Write the rate as a percentage, like 5 or 5.25.")
            return _show(app, approve=form, status=422)
    try:
        apps.approve_app(app.id, current_user.id, default_rate_bp=rate, actor=current_user)
    except DomainError as exc:
        form.rate.errors.append(exc.message)
        return _show(app, approve=form, status=status_of(exc))
    flash(f"{app.name} is approved: its embed works now.", "success")
    return redirect(url_for("apps_admin.show", app_id=app.id), 303)


@bp.post("/<int:app_id>/suspend")
@role_required(Role.ADMIN)
def suspend(app_id: int):
    app = apps.get_app(app_id)
    if not ApproveForm().validate_on_submit():
        return _show(app, status=422)
    apps.suspend_app(app.id, actor=current_user)
    flash(f"{app.name} is suspended: its embed stops and new orders earn nothing.", "warn")
    return redirect(url_for("apps_admin.show", app_id=app.id), 303)


def _target(raw) -> dict:
    kind, _, ident = (raw or "").partition(":")
    if kind not in ("item", "category") or not (ident.isascii() and ident.isdigit()):
        raise apps.BadApp("Choose an item or a category.", field="target")
    if not 0 < int(ident) < 2**31 or len(ident) > 10:
        raise apps.BadApp("Choose an item or a category.", field="target")
    return {f"{kind}_id": int(ident)}


@bp.post("/<int:app_id>/rates")
@role_required(Role.ADMIN)
def set_rate(app_id: int):
    app = apps.get_app(app_id)
    form = RateForm()
    if not form.validate_on_submit():
        return _show(app, rate=form, status=422)
    try:
        target = _target(form.target.data)
        try:
            rate_bp = percent_to_bp(form.rate.data)
        except ValueError:
            raise apps.BadApp(
                "Write the rate as a percentage, like 5 or 5.25.", field="rate"
            ) from None
        apps.set_rate(app.id, rate_bp, **target, actor=current_user)
    except DomainError as exc:
        field = form.target if exc.field in ("target", "item_id", "category_id") else form.rate
        field.errors = [*field.errors, exc.message]
        return _show(app, rate=form, status=status_of(exc))
    flash("The rate is set.", "success")
    return redirect(url_for("apps_admin.show", app_id=app.id), 303)


@bp.post("/<int:app_id>/rates/<int:rate_id>/remove")
@role_required(Role.ADMIN)
def remove_rate(app_id: int, rate_id: int):
    app = apps.get_app(app_id)
    if not ApproveForm().validate_on_submit():
        return _show(app, status=422)
    apps.remove_rate(app.id, rate_id, actor=current_user)
    flash("The rate is removed: the app's default applies again.", "success")
    return redirect(url_for("apps_admin.show", app_id=app.id), 303)
