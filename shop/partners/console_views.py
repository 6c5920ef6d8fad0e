"""The publisher's console on the `partners` blueprint: sign-up, the apps (register, edit, key
and snippet) and the dashboard with its CSV exports. Every app id in a URL is checked against
the logged-in publisher's apps: another's is a 404, as one that doesn't exist."""

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user
from wtforms.fields.choices import SelectChoice

from shop import clock
from shop.auth import service as accounts
from shop.auth.access import role_required
from shop.auth.models import Role
from shop.catalog import service as catalog
from shop.embed import service as embed
from shop.errors import DomainError
from shop.extensions import limiter
from shop.partners import apps, dashboard
from shop.partners.apps import AppDetails, AppNotFound
from shop.partners.blueprint import bp
from shop.partners.forms import AppForm, PublisherSignupForm, bp_to_percent, percent_to_bp
from shop.partners.models import AppStatus
from shop.web import error_page, status_of

MAX_CATALOG_ITEMS = 500  # the item checkboxes of the app form
FORM_FIELDS = {  # the service's field names -> the form's
    "name": "name",
    "origins": "origins",
    "rate": "rate",
    "theme_colour": "theme_colour",
    "category_ids": "categories",
    "item_ids": "items",
}


def _signup_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


# --- sign-up and the console's home -------------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup():
    if current_user.is_authenticated and current_user.has_role(Role.PUBLISHER):
        return redirect(url_for("partners.home"))
    form = PublisherSignupForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.email.data, form.name.data, form.password.data, Role.PUBLISHER
            )
        except DomainError as exc:
            getattr(form, exc.field or "email", form.email).errors.append(exc.message)
            return render_template("partners/signup.html", form=form), status_of(exc)
        login_user(user)
        flash("Your publisher account is ready. Register your first app.", "success")
        return redirect(url_for("partners.home"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("partners/signup.html", form=form), status


@bp.get("/")
@role_required(Role.PUBLISHER)
def home():
    mine = apps.apps_of(current_user.id)
    return render_template(
        "partners/index.html",
        apps=mine,
        balances=dashboard.balances([a.id for a in mine]),
        buckets=dashboard.BUCKETS,
        percent=bp_to_percent,
    )


# --- the app form -------------------------------------------------------------------------------


def _catalog_choices(form: AppForm) -> None:
    form.categories.choices = [SelectChoice(str(c.id), c.name) for c in catalog.list_categories()]
    listing = catalog.list_items(sort="name", per_page=MAX_CATALOG_ITEMS)
    form.items.choices = [SelectChoice(str(i.id), i.name) for i in listing.items]


def _ids(values) -> tuple[int, ...]:
    ids = []
    for value in values or ():
        if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10):
            raise apps.BadApp("That choice of catalog isn't valid.", field="category_ids")
        ids.append(int(value))
    return tuple(ids)


def _details(form: AppForm) -> AppDetails:
    """What the form says, as the service takes it. Raises BadApp (with the field)."""
    try:
        rate = percent_to_bp(form.rate.data)
    except ValueError:
        raise apps.BadApp(
            "Write the rate as a percentage with at most two decimals, like 5 or 5.25.",
            field="rate",
        ) from None
    categories = items = None
    if form.catalog.data == "chosen":
        categories, items = _ids(form.categories.data), _ids(form.items.data)
        if not categories and not items:
            raise apps.BadApp("Choose at least one category or item.", field="category_ids")
    elif form.catalog.data != "all":
        raise apps.BadApp("Choose what your embedded shop shows.", field="category_ids")
    return AppDetails(
        name=form.name.data or "",
        origins=tuple(
            line.strip() for line in (form.origins.data or "").splitlines() if line.strip()
        ),
        default_rate_bp=rate,
        theme_colour=form.theme_colour.data or "",
        category_ids=categories,
        item_ids=items,
    )


def _form_page(form: AppForm, app=None, *, status: int = 200, error: str | None = None):
    return render_template(
        "partners/app_form.html",
        form=form,
        app=app,
        snippet=embed.embed_snippet(app) if app is not None else None,
        error=error,
        approved=app is not None and app.status is AppStatus.APPROVED,
    ), status


def _save(form: AppForm, app=None):
    """Register or update from a submitted form; the form again with the errors in place."""
    try:
        details = _details(form)
        if app is None:
            saved = apps.register_app(current_user.id, details)
        else:
            saved = apps.update_app(app.id, current_user.id, details)
    except AppNotFound:
        raise
    except DomainError as exc:
        target = getattr(form, FORM_FIELDS.get(exc.field or "", ""), None)
        if target is not None:
            target.errors = [*target.errors, exc.message]
            return _form_page(form, app, status=status_of(exc))
        return _form_page(form, app, status=status_of(exc), error=exc.message)
    if app is None:
        flash("Your app is registered. An operator will look at it soon.", "success")
    elif saved.status is AppStatus.PENDING and app.status is AppStatus.APPROVED:
        flash("Saved. A new rate needs an operator's approval again.", "warn")
    else:
        flash("Saved.", "success")
    return redirect(url_for("partners.edit_app", app_id=saved.id), 303)


@bp.route("/apps/new", methods=["GET", "POST"])
@role_required(Role.PUBLISHER)
def new_app():
    form = AppForm()
    _catalog_choices(form)
    if request.method == "GET":
        form.rate.data = bp_to_percent(500)
        form.theme_colour.data = "#00704a"
        return _form_page(form)
    if not form.validate_on_submit():
        return _form_page(form, status=422)
    return _save(form)


@bp.route("/apps/<int:app_id>", methods=["GET", "POST"])
@role_required(Role.PUBLISHER)
def edit_app(app_id: int):
    app = apps.app_of(current_user.id, app_id)
    form = AppForm()
    _catalog_choices(form)
    if request.method == "GET":
        form.name.data = app.name
        form.origins.data = "\n".join(app.origins or [])
        form.rate.data = bp_to_percent(app.default_rate_bp)
        form.theme_colour.data = app.theme_colour
        chosen = app.category_ids is not None or app.item_ids is not None
        form.catalog.data = "chosen" if chosen else "all"
        form.categories.data = [str(i) for i in app.category_ids or []]
        form.items.data = [str(i) for i in app.item_ids or []]
        return _form_page(form, app)
    if not form.validate_on_submit():
        return _form_page(form, app, status=422)
    return _save(form, app)


# --- the dashboard ------------------------------------------------------------------------------


def _scope(app_param):
    """(the publisher's apps, the ids the figures cover, the one app chosen or None). An app
    id that isn't one of the publisher's apps raises AppNotFound (a 404)."""
    mine = apps.apps_of(current_user.id)
    if app_param is None or app_param == "":
        return mine, [a.id for a in mine], None
    chosen = next((a for a in mine if str(a.id) == app_param), None)
    if chosen is None:
        raise AppNotFound()
    return mine, [chosen.id], chosen


def _range():
    today = dashboard.today_in_manila(clock.now())
    args = request.args
    return dashboard.parse_range(args.get("from"), args.get("to"), args.get("preset"), today=today)


def _dashboard_page(app_param):
    mine, ids, chosen = _scope(app_param)
    try:
        rng = _range()
        page = dashboard.parse_page(request.args.get("page"))
    except dashboard.BadRange as exc:
        return render_template(
            "partners/dashboard.html",
            apps=mine,
            chosen=chosen,
            error=exc,
            args=request.args,
            presets=dashboard.PRESETS,
            max_days=dashboard.MAX_DAYS,
        ), status_of(exc)
    found = dashboard.dashboard(ids, rng, page)

    def page_url(number: int) -> str:
        args = rng.as_args() | {"page": number}
        if chosen is not None and request.endpoint == "partners.board":
            args["app"] = chosen.id
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    return render_template(
        "partners/dashboard.html",
        apps=mine,
        chosen=chosen,
        board=found,
        app_names={a.id: a.name for a in mine},
        error=None,
        args=request.args,
        presets=dashboard.PRESETS,
        max_days=dashboard.MAX_DAYS,
        buckets=dashboard.BUCKETS,
        format_conversion=dashboard.format_conversion,
        page_url=page_url,
    )


@bp.get("/dashboard")
@role_required(Role.PUBLISHER)
def board():
    return _dashboard_page(request.args.get("app"))


@bp.get("/apps/<int:app_id>/dashboard")
@role_required(Role.PUBLISHER)
def app_board(app_id: int):
    return _dashboard_page(str(app_id))


def _csv(name: str, body, rng) -> Response:
    response = Response(body, mimetype="text/csv")
    filename = f"cliqq-{name}-{rng.first.isoformat()}-{rng.last.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


CSV_TABLES = {
    "daily": lambda ids, rng: dashboard.daily_csv(ids, rng),
    "items": lambda ids, rng: dashboard.top_items_csv(ids, rng),
    "ledger": lambda ids, rng: "".join(dashboard.ledger_csv(ids, rng)),
}


def _csv_view(table: str):
    _, ids, _ = _scope(request.args.get("app"))
    try:
        rng = _range()
    except dashboard.BadRange as exc:
        return error_page(status_of(exc), exc.message, "Check the dates", code=exc.code)
    return _csv(table, CSV_TABLES[table](ids, rng), rng)


@bp.get("/dashboard/daily.csv")
@role_required(Role.PUBLISHER)
def daily_csv():
    return _csv_view("daily")


@bp.get("/dashboard/items.csv")
@role_required(Role.PUBLISHER)
def items_csv():
    return _csv_view("items")


@bp.get("/dashboard/ledger.csv")
@role_required(Role.PUBLISHER)
def ledger_csv():
    return _csv_view("ledger")
