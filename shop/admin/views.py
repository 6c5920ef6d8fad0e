"""The operator's screens."""

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from shop.admin import console, service
from shop.admin.blueprint import bp, invalid_status, show_error
from shop.admin.forms import BRANCH_FIELDS, BranchForm
from shop.auth.access import role_required
from shop.auth.service import Role
from shop.counter import service as counter
from shop.errors import Conflict, DomainError
from shop.fulfillment import labels
from shop.fulfillment import service as ecms
from shop.notify import service as notify
from shop.notify.devmail import MailStore
from shop.notify.sms import TextStore, sender_kind
from shop.web import pdf_response, status_of


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    return render_template(
        "admin/index.html", overview=service.overview(), dev_mail=_dev_mail_enabled()
    )


@bp.get("/outbox")
@role_required(Role.ADMIN)
def outbox():
    return render_template("admin/outbox.html", outbox=service.outbox())


@bp.post("/outbox/<message_id>/retry")
@role_required(Role.ADMIN)
def retry(message_id: str):
    try:
        notify.retry(message_id[:36])
    except Conflict as exc:  # retried twice, or from two tabs: say so, no error page
        flash(exc.message, "warn")
    else:
        flash("The message is back in the queue: the worker sends it within seconds.", "success")
    return redirect(url_for("admin.outbox"), 303)


@bp.post("/outbox/retry-parked")
@role_required(Role.ADMIN)
def retry_parked():
    n = notify.retry_parked()
    flash(f"{n} parked message{'s are' if n != 1 else ' is'} back in the queue.", "success")
    return redirect(url_for("admin.outbox"), 303)


# --- The dev mail server's mailbox (never in production) -------------------------------------


def _dev_mail_enabled() -> bool:
    return current_app.config["ENV"] != "production"


def _mail_store() -> MailStore:
    if not _dev_mail_enabled():
        abort(404)
    return MailStore(current_app.config["DEV_MAIL_DIR"])


@bp.get("/mail")
@role_required(Role.ADMIN)
def mail():
    """Messages: the mail the dev mail server received and the texts the dev SMS sender kept."""
    store = _mail_store()
    texts = TextStore(current_app.config["DEV_TEXT_DIR"])
    return render_template(
        "admin/mail.html",
        mails=store.recent(),
        folder=store.folder,
        texts=texts.recent(),
        text_folder=texts.folder,
        sms_sender=sender_kind(current_app.config.get("SMS_URL")),
    )


@bp.get("/mail/<name>")
@role_required(Role.ADMIN)
def mail_message(name: str):
    found = _mail_store().get(name)
    if found is None:
        abort(404)
    return render_template("admin/mail_message.html", mail=found)


@bp.get("/mail/<name>/html")
@role_required(Role.ADMIN)
def mail_html(name: str):
    found = _mail_store().get(name)
    if found is None or found.html is None:
        abort(404)
    response = make_response(found.html)
    response.mimetype = "text/html"
    # A mail's HTML is somebody else's markup: shown sandboxed, with no script, no request
    # anywhere (images from data: only) and inline styles, as a mail client would.
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    )
    return response


@bp.get("/packages/<tracking_number>/label.pdf")
@role_required(Role.ADMIN, Role.DC)
def package_label(tracking_number: str):
    """One package's label, to print again at the DC or by an operator."""
    data = labels.package_label_pdf(tracking_number)
    return pdf_response(data, f"label-{labels.safe_filename(tracking_number)}")


# --- Branch closures (issue #10, point 10): shop/fulfillment/reroute.py ---------------------


@bp.get("/branches")
@role_required(Role.ADMIN)
def branches():
    """Every store, closed ones first; a search by name, city or code."""
    q = request.args.get("q", "")
    return render_template(
        "admin/branches.html", branches=service.branch_list(q), q=q, limit=service.BRANCH_LIST
    )


@bp.get("/branches/<branch_code>")
@role_required(Role.ADMIN)
def branch(branch_code: str):
    """One store: its closure, the form to close it (for today, until a date, for good) or to
    reopen it, its signature setting, and its capacity, hours and frozen pickup."""
    view = service.branch_view(branch_code)
    form = BranchForm(
        formdata=None,
        shelf_capacity=str(view.line.shelf_capacity),
        opens_at=view.opens_at,
        closes_at=view.closes_at,
        takes_frozen=view.line.frozen,
    )
    return render_template("admin/branch.html", view=view, form=form)


@bp.post("/branches/<branch_code>/details")
@role_required(Role.ADMIN)
def branch_details(branch_code: str):
    """Save the store's shelf capacity, opening hours and frozen pickup (audited)."""
    view = service.branch_view(branch_code)  # 404 for an unknown store, before the form
    form = BranchForm()
    status = None
    if form.validate_on_submit():
        try:
            facts = service.branch_facts(form)
            _, changed = console.update_branch(current_user, branch_code, **facts)
        except DomainError as exc:
            status = show_error(form, exc, BRANCH_FIELDS)
        else:
            flash(
                f"{view.line.name} is saved." if changed else "Nothing changed.",
                "success",
            )
            return redirect(url_for("admin.branch", branch_code=view.line.code), 303)
    else:
        status = invalid_status()
    return render_template("admin/branch.html", view=view, form=form), status


@bp.get("/branches/<branch_code>/close")
@role_required(Role.ADMIN)
def close_confirm(branch_code: str):
    """The confirm step: what closing would do (orders and packages re-routed), changing
    nothing; its button sends the POST below."""
    terms = ecms.reroute.closure_terms(request.args.get("how"), request.args.get("until"))
    preview = ecms.reroute.closure_preview(branch_code, **terms)
    return render_template(
        "admin/branch_close.html",
        preview=preview,
        how=request.args.get("how"),
        until=terms.get("until", ""),
    )


@bp.post("/branches/<branch_code>/close")
@role_required(Role.ADMIN)
def close(branch_code: str):
    terms = ecms.reroute.closure_terms(request.form.get("how"), request.form.get("until"))
    done = console.close_branch(current_user, branch_code, **terms)
    flash(
        f"{done.name} is closed. {done.rerouted} package{'s' if done.rerouted != 1 else ''} "
        f"re-routed, {done.recalled} called back through the DC"
        f"{f', {done.kept} left on the shelf' if done.kept else ''}.",
        "success",
    )
    if done.stranded:
        flash(
            "No open branch near by could take: "
            + ", ".join(done.stranded)
            + ". They still go to this branch: call their shoppers.",
            "warn",
        )
    return redirect(url_for("admin.branch", branch_code=done.code), 303)


@bp.post("/branches/<branch_code>/reopen")
@role_required(Role.ADMIN)
def reopen(branch_code: str):
    opened = console.reopen_branch(current_user, branch_code)
    flash(f"{opened.name} is open again: shoppers can choose it.", "success")
    return redirect(url_for("admin.branch", branch_code=opened.code), 303)


@bp.post("/branches/<branch_code>/signature")
@role_required(Role.ADMIN)
def signature(branch_code: str):
    """Whether the branch's counter asks for the shopper's signature at pickup."""
    branch, asked = service.ask_for_signature(
        current_user, branch_code, request.form.get("signature")
    )
    flash(
        f"{branch.name}'s counter {'now asks' if asked else 'no longer asks'} the shopper to "
        "sign at pickup.",
        "success",
    )
    return redirect(url_for("admin.branch", branch_code=branch.code), 303)


# --- Remittance: COD cash collected at the counters ---------------------------------------------


@bp.get("/remittance")
@role_required(Role.ADMIN)
def remittance():
    """COD cash per merchant, branch and day, reconciled against the counters' ARs."""
    args = request.args
    try:
        found = counter.remittance_report(args.get("from"), args.get("to"), args.get("branch"))
    except DomainError as exc:
        return render_template("admin/remittance.html", error=exc, args=args), status_of(exc)
    return render_template("admin/remittance.html", report=found, args=args)


@bp.get("/remittance.csv")
@role_required(Role.ADMIN)
def remittance_csv():
    args = request.args
    try:
        found = counter.remittance_report(args.get("from"), args.get("to"), args.get("branch"))
    except DomainError as exc:
        return render_template("admin/remittance.html", error=exc, args=args), status_of(exc)
    response = make_response(counter.remittance_csv(found))
    response.mimetype = "text/csv"
    name = f"remittance-{found.start:%Y%m%d}-{found.end:%Y%m%d}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# The console's other screens, on the same blueprint (see shop/admin/blueprint.py).
from shop.admin import audit_views, catalog_views, merchants_views, orders_views  # noqa: E402, F401
