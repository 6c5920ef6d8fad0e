"""The operator's catalog screens: items (create, edit, stock, image) and categories. Every
change goes through shop.admin.console, which audits it in the change's own transaction."""

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from shop.admin import console, images
from shop.admin.blueprint import bp, invalid_status, show_error
from shop.admin.forms import (
    ITEM_FIELDS,
    CategoryForm,
    ImageForm,
    ItemForm,
    MoveCategoryForm,
    RenameCategoryForm,
)
from shop.auth.access import role_required
from shop.auth.service import Role
from shop.catalog import operator as catalog_operator
from shop.catalog import service as catalog
from shop.errors import DomainError, NotFound
from shop.money import format_peso
from shop.web import status_of, takes_files


def _category_choices(form: ItemForm) -> None:
    form.category.choices = [(str(c.id), c.name) for c, _ in catalog_operator.operator_categories()]


@bp.get("/items")
@role_required(Role.ADMIN)
def items():
    """Every item, hidden ones too: a search by name or slug, 50 a page."""
    page = catalog.parse_positive(request.args.get("page"), "page number", 1, catalog.MAX_PAGE)
    found = catalog_operator.operator_items(request.args.get("q", ""), page)
    return render_template("admin/items.html", found=found, q=request.args.get("q", ""))


@bp.route("/items/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def item_new():
    form = ItemForm()
    _category_choices(form)
    status = None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                change = console.create_item(current_user, **form.values())
            except DomainError as exc:
                status = show_error(form, exc, ITEM_FIELDS)
            else:
                flash(f"{change.label} is in the catalog.", "success")
                return redirect(url_for("admin.item_edit", item_id=change.id), 303)
        else:
            status = invalid_status()
    return render_template("admin/item_form.html", form=form, item=None), status


def _item_form(item) -> ItemForm:
    return ItemForm(
        formdata=None,
        item_name=item.name,
        slug=item.slug,
        category=str(item.category_id),
        price_pesos=format_peso(item.price).lstrip("₱"),
        stock=str(item.stock),
        stock_was=str(item.stock),
        length_mm=str(item.length_mm),
        width_mm=str(item.width_mm),
        height_mm=str(item.height_mm),
        weight_g=str(item.weight_g),
        is_frozen=item.frozen,
        is_active=item.active,
        description=item.description,
    )


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def item_edit(item_id: int):
    """Edit an item. The stock is saved only if it is still what the page showed (stock_was):
    an order that took some meanwhile makes the save refuse, not overwrite it."""
    item = catalog_operator.item_for_operator(item_id)
    status = None
    if request.method == "POST":
        form = ItemForm()
        _category_choices(form)
        was = form.stock_was.data or ""
        if form.validate_on_submit() and was.isascii() and was.isdigit() and len(was) <= 9:
            try:
                change = console.update_item(current_user, item_id, int(was), **form.values())
            except DomainError as exc:
                status = show_error(form, exc, ITEM_FIELDS)
                if isinstance(exc, catalog_operator.StockChanged):  # show the stock as it is now
                    now = catalog_operator.item_for_operator(item_id).stock
                    form.stock_was.data = str(now)
                    form.stock.errors = [*form.stock.errors, f"It is {now} now."]
            else:
                flash(
                    f"{change.label} is saved." if change.after else "Nothing changed.",
                    "success",
                )
                return redirect(url_for("admin.item_edit", item_id=item_id), 303)
        else:
            if not form.errors and not form.form_errors:
                form.form_errors.append("Reload the page and try again.")
            status = invalid_status()
    else:
        form = _item_form(item)
        _category_choices(form)
    return render_template(
        "admin/item_form.html", form=form, item=item, image_form=ImageForm(formdata=None)
    ), status


@bp.post("/items/<int:item_id>/image")
@takes_files
@role_required(Role.ADMIN)
def item_image(item_id: int):
    """Upload the item's picture: checked by its content (shop/admin/images.py)."""
    item = catalog_operator.item_for_operator(item_id)
    image_form = ImageForm()
    status = None
    if image_form.validate_on_submit() and hasattr(image_form.image.data, "read"):
        try:
            path = images.store(image_form.image.data.read())
            console.set_item_image(current_user, item_id, path)
        except DomainError as exc:
            status = show_error(image_form, exc)
        else:
            flash(f"{item.name} has its new picture.", "success")
            return redirect(url_for("admin.item_edit", item_id=item_id), 303)
    else:
        if not image_form.image.errors:
            image_form.image.errors = ["Choose a picture to upload."]
        status = invalid_status()
    form = _item_form(item)
    _category_choices(form)
    return render_template(
        "admin/item_form.html", form=form, item=item, image_form=image_form
    ), status


def serve_image(image_name: str):
    """An uploaded item picture (app route /static/uploads/<image_name>, see images.py)."""
    try:
        path, mime = images.path_of(image_name)
    except NotFound:
        abort(404)
    response = send_file(path, mimetype=mime, max_age=365 * 24 * 3600, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.record_once
def _serve_uploads(state) -> None:
    # The catalog's templates show `static_url(item.image)`: an uploaded picture's path
    # ("uploads/<name>") becomes /static/uploads/<name>, which this more specific rule answers
    # from IMAGE_DIR rather than static/ (Werkzeug prefers the static segment "uploads").
    state.app.add_url_rule(
        "/static/uploads/<image_name>", "uploaded_image", serve_image, methods=["GET"]
    )


# --- Categories ----------------------------------------------------------------------------


def _categories_page(form=None, rename_errors=None, status=None):
    return render_template(
        "admin/categories.html",
        categories=catalog_operator.operator_categories(),
        form=form or CategoryForm(formdata=None),
        rename_errors=rename_errors or {},
    ), status


@bp.get("/categories")
@role_required(Role.ADMIN)
def categories():
    return _categories_page()


@bp.post("/categories")
@role_required(Role.ADMIN)
def category_new():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            change = console.create_category(current_user, form.category_name.data, form.slug.data)
        except DomainError as exc:
            return _categories_page(form, status=show_error(form, exc, {"name": "category_name"}))
        flash(f"{change.label} is a new category, shown last.", "success")
        return redirect(url_for("admin.categories"), 303)
    return _categories_page(form, status=invalid_status())


@bp.post("/categories/<int:category_id>")
@role_required(Role.ADMIN)
def category_rename(category_id: int):
    catalog_operator.category_for_operator(category_id)
    form = RenameCategoryForm()
    if form.validate_on_submit():
        try:
            change = console.rename_category(current_user, category_id, form.category_name.data)
        except DomainError as exc:
            return _categories_page(rename_errors={category_id: exc.message}, status=status_of(exc))
        flash(f"Renamed to {change.label}.", "success")
        return redirect(url_for("admin.categories"), 303)
    message = " ".join(form.category_name.errors) or "Reload the page and try again."
    return _categories_page(rename_errors={category_id: message}, status=invalid_status())


@bp.post("/categories/<int:category_id>/move")
@role_required(Role.ADMIN)
def category_move(category_id: int):
    catalog_operator.category_for_operator(category_id)
    form = MoveCategoryForm()
    if not form.validate_on_submit():
        return _categories_page(
            rename_errors={category_id: "Move it up or down."}, status=invalid_status()
        )
    try:
        change = console.move_category(current_user, category_id, form.direction.data)
    except DomainError as exc:
        flash(exc.message, "warn")
        return _categories_page(status=show_error(form, exc))
    flash(f"{change.label} moved {form.direction.data}.", "success")
    return redirect(url_for("admin.categories"), 303)
