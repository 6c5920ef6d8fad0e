"""The operator's merchants screen: list, create, edit, suspend and reactivate, and the logins
that open a merchant's console (audited). A merchant's API keys are its own, in its console."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.admin import console
from shop.admin.blueprint import bp, invalid_status, show_error
from shop.admin.forms import (
    LOGIN_FIELDS,
    MERCHANT_FIELDS,
    MerchantEditForm,
    MerchantForm,
    MerchantLoginForm,
    StatusForm,
)
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


def _merchant_page(merchant, form=None, status=None, login_form=None):
    form = form or MerchantEditForm(
        formdata=None, merchant_name=merchant.name, contact_email=merchant.contact_email
    )
    return render_template(
        "admin/merchant.html",
        merchant=merchant,
        form=form,
        logins=merchants.logins_of(merchant.id),
        login_form=login_form or MerchantLoginForm(formdata=None),
    ), status


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


@bp.post("/merchants/<int:merchant_id>/logins")
@role_required(Role.ADMIN)
def merchant_login_add(merchant_id: int):
    """Let a login open this merchant's console: an existing merchant login by email, or a
    new one (name and first password)."""
    found = merchants.get_merchant(merchant_id)
    form = MerchantLoginForm()
    if not form.validate_on_submit():
        return _merchant_page(found, status=invalid_status(), login_form=form)
    try:
        added = console.add_merchant_login(
            current_user,
            merchant_id,
            form.login_email.data,
            form.login_name.data,
            form.login_password.data,
        )
    except DomainError as exc:
        return _merchant_page(found, status=show_error(form, exc, LOGIN_FIELDS), login_form=form)
    made = "A new login" if added.created else "The login"
    flash(f"{made} {added.email} opens {found.name}'s console now.", "success")
    return redirect(url_for("admin.merchant", merchant_id=merchant_id), 303)


@bp.post("/merchants/<int:merchant_id>/logins/<int:user_id>/remove")
@role_required(Role.ADMIN)
def merchant_login_remove(merchant_id: int, user_id: int):
    merchants.get_merchant(merchant_id)
    email = console.remove_merchant_login(current_user, merchant_id, user_id)
    flash(f"{email} no longer opens this merchant's console.", "success")
    return redirect(url_for("admin.merchant", merchant_id=merchant_id), 303)
