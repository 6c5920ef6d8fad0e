"""The operator's merchants screen: list, create, edit, suspend and reactivate (audited).
API keys are issue #12's."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.admin import console
from shop.admin.blueprint import bp, invalid_status, show_error
from shop.admin.forms import MERCHANT_FIELDS, MerchantEditForm, MerchantForm, StatusForm
from shop.auth.access import role_required
from shop.auth.service import Role
from shop.errors import DomainError
from shop.merchants import service as merchants


def _list_page(form=None, status=None):
    return render_template(
        "admin/merchants.html",
        merchants=merchants.list_merchants(),
        form=form or MerchantForm(formdata=None),
    ), status


@bp.get("/merchants")
@role_required(Role.ADMIN)
def merchants_list():
    return _list_page()


@bp.post("/merchants")
@role_required(Role.ADMIN)
def merchant_new():
    form = MerchantForm()
    if form.validate_on_submit():
        try:
            change = console.create_merchant(
                current_user, form.merchant_name.data, form.slug.data, form.contact_email.data
            )
        except DomainError as exc:
            return _list_page(form, show_error(form, exc, MERCHANT_FIELDS))
        flash(f"{change.merchant.name} is a merchant now.", "success")
        return redirect(url_for("admin.merchant", merchant_id=change.merchant.id), 303)
    return _list_page(form, invalid_status())


def _merchant_page(merchant, form=None, status=None):
    form = form or MerchantEditForm(
        formdata=None, merchant_name=merchant.name, contact_email=merchant.contact_email
    )
    return render_template("admin/merchant.html", merchant=merchant, form=form), status


@bp.route("/merchants/<int:merchant_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def merchant(merchant_id: int):
    """One merchant: its details to edit (POST saves them), its suspension."""
    found = merchants.get_merchant(merchant_id)
    if request.method == "GET":
        return _merchant_page(found)
    form = MerchantEditForm()
    if form.validate_on_submit():
        try:
            change = console.update_merchant(
                current_user, merchant_id, form.merchant_name.data, form.contact_email.data
            )
        except DomainError as exc:
            return _merchant_page(found, form, show_error(form, exc, MERCHANT_FIELDS))
        flash(
            f"{change.merchant.name} is saved." if change.after else "Nothing changed.", "success"
        )
        return redirect(url_for("admin.merchant", merchant_id=merchant_id), 303)
    return _merchant_page(found, form, invalid_status())


@bp.post("/merchants/<int:merchant_id>/status")
@role_required(Role.ADMIN)
def merchant_status(merchant_id: int):
    """Suspend or reactivate (`status`: "suspended" or "active")."""
    found = merchants.get_merchant(merchant_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash("Choose to suspend or reactivate.", "warn")
        return _merchant_page(found, status=invalid_status())
    try:
        change = console.set_merchant_status(current_user, merchant_id, form.status.data)
    except DomainError as exc:
        flash(exc.message, "warn")
        return _merchant_page(found, status=show_error(form, exc))
    flash(f"{change.merchant.name} is {change.merchant.status.value}.", "success")
    return redirect(url_for("admin.merchant", merchant_id=merchant_id), 303)
