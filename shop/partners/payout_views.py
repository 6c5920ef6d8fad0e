"""Payout pages: the operator's /admin/payouts (its own blueprint) and the publisher's
/partners/payouts (on the partners blueprint). They parse, call shop.partners.payouts, render."""

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from shop.auth.access import role_required
from shop.auth.models import Role
from shop.errors import InvalidInput
from shop.partners import payouts
from shop.partners.blueprint import bp as partners_bp
from shop.web import status_of

bp = Blueprint("payouts_admin", __name__, url_prefix="/admin/payouts")


def _csv(body: str, filename: str):
    response = make_response(body)
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- The operator ----------------------------------------------------------------------------


def _index(error=None, status=200):
    return render_template(
        "admin/payouts.html",
        preview=payouts.preview(),
        batches=payouts.recent_payouts(),
        error=error,
    ), status


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    """What a batch would pay now, who it leaves out, and the batches made."""
    return _index()


@bp.post("/")
@role_required(Role.ADMIN)
def make_batch():
    if request.form.get("confirm") != "yes":
        error = InvalidInput("Tick the box to confirm the batch.", field="confirm")
        return _index(error, status_of(error))
    run = payouts.make_payout(current_user.email, operator=current_user)
    if run.payout is None:
        flash("Nothing to pay: no publisher with an account is owed the minimum.", "warn")
        return redirect(url_for("payouts_admin.index"), 303)
    flash(
        f"Batch {run.payout.number} made: {run.payout.publishers} "
        f"publisher{'s' if run.payout.publishers != 1 else ''}. Download its bank file below.",
        "success",
    )
    if run.no_account:
        flash(
            "Left out, no payout account: " + ", ".join(s.email for s in run.no_account) + ".",
            "warn",
        )
    return redirect(url_for("payouts_admin.batch", payout_number=run.payout.number), 303)


@bp.get("/<payout_number>")
@role_required(Role.ADMIN)
def batch(payout_number: str):
    payout = payouts.get_payout(payout_number)
    return render_template(
        "admin/payouts_batch.html",
        payout=payout,
        lines=payouts.batch_lines(payout),
        reference=payouts.reference,
    )


@bp.get("/<payout_number>/bank.csv")
@role_required(Role.ADMIN)
def batch_csv(payout_number: str):
    payout = payouts.get_payout(payout_number)
    return _csv(payouts.payout_csv(payout.id), f"{payout.number}.csv")


# --- The publisher ---------------------------------------------------------------------------


def _publisher_page(error=None, status=200, form=None):
    account = payouts.account_of(current_user.id)
    return render_template(
        "partners/payouts.html",
        account=account,
        form=form
        or {
            "account_name": account.account_name if account else "",
            "bank": account.bank if account else "",
            "account_number": account.account_number if account else "",
        },
        batches=payouts.payouts_of(current_user.id),
        minimum=payouts.minimum(),
        error=error,
    ), status


@partners_bp.get("/payouts")
@role_required(Role.PUBLISHER)
def payouts_page():
    """Where the publisher is paid, and every payout made to them."""
    return _publisher_page()


@partners_bp.post("/payouts")
@role_required(Role.PUBLISHER)
def save_payout_account():
    form = {
        name: value[:200] if isinstance(value, str) else ""
        for name in ("account_name", "bank", "account_number")
        for value in [request.form.get(name)]
    }
    try:
        payouts.save_account(
            current_user.id, form["account_name"], form["bank"], form["account_number"]
        )
    except InvalidInput as exc:
        return _publisher_page(exc, status_of(exc), form)
    flash("Saved: the next payouts go to this account.", "success")
    return redirect(url_for("partners.payouts_page"), 303)


@partners_bp.get("/payouts/<payout_number>")
@role_required(Role.PUBLISHER)
def payout_statement(payout_number: str):
    return render_template(
        "partners/payouts_statement.html",
        statement=payouts.statement(current_user.id, payout_number),
    )


@partners_bp.get("/payouts/<payout_number>/statement.csv")
@role_required(Role.PUBLISHER)
def payout_statement_csv(payout_number: str):
    found = payouts.statement(current_user.id, payout_number)
    return _csv(payouts.statement_csv(found), f"statement-{found.number}.csv")
