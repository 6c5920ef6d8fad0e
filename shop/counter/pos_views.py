"""The counter (POS) screen (issue #10, point 4): one code box, the panel that code opens
(the claim of a CLAIM or PAY & CLAIM code), arrivals, drop-offs, voids and the printable AR.
Every answer is a page, or on an htmx request the fragment that changed (the panel); a code
typed in the box answers with a 303 to its panel's GET url, which htmx follows and swaps in.
Refusals are the services' messages, shown in place."""

from flask import current_app, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user

from shop.auth.access import role_required
from shop.auth.service import Role
from shop.codes import CodeType
from shop.counter import service
from shop.counter.blueprint import actor_of_session, bp, counter_of_session
from shop.errors import DomainError
from shop.extensions import limiter
from shop.web import is_htmx, status_of

POS_KEY = "pos_counter"  # the session's {"user", "terminal", "shift"} at the POS

# What the first digit of a code opens: CodeType -> the endpoint of its panel's GET url, which
# takes the code's digits as `code`. A kind with no panel (a tracking number) is refused by
# name, saying where it goes instead (NoPanel).
PANELS: dict[CodeType, str] = {
    CodeType.CLAIM: "counter.pos_claim",
    CodeType.REFERENCE: "counter.pos_claim",
    CodeType.PAY: "counter.pos_pay",  # what it pays, cash, the charge receipt
    CodeType.RETURN: "counter.pos_return",  # measure, label, the return's AR
}


def _clerk_key() -> str:
    return f"clerk:{current_user.get_id()}" if current_user.is_authenticated else "clerk:-"


# Every code, label or receipt looked up at the counter counts against the clerk and against
# the address: a scanner is fast, a guesser must not be, whichever login or terminal they use.
pos_per_clerk = limiter.shared_limit(
    lambda: current_app.config["POS_LOOKUPS_PER_CLERK"], scope="pos-clerk", key_func=_clerk_key
)
pos_per_address = limiter.shared_limit(
    lambda: current_app.config["POS_LOOKUPS_PER_ADDRESS"],
    scope="pos-address",
    key_func=get_remote_address,
)


def _actor():
    return actor_of_session(POS_KEY)


def _page(status: int = 200, panel: str | None = None, **context):
    counter = counter_of_session(POS_KEY)
    arrivals = service.arrivals(_actor()) if counter else None
    pull_outs = service.pull_outs(_actor()) if counter else None
    context.setdefault("focus_code", panel not in CLAIM_PANELS)
    return render_template(
        "counter/pos.html",
        counter=counter,
        counter_endpoint="counter.pos_choose_counter",
        arrivals=arrivals,
        pull_outs=pull_outs,
        panel=panel,
        id_types=service.ID_TYPES,
        **context,
    ), status


CLAIM_PANELS = {"counter/_pos_claim.html"}


def _panel(template: str, status: int = 200, **context):
    """The panel alone for htmx, else the whole page with it."""
    if is_htmx():
        return render_template(template, id_types=service.ID_TYPES, **context), status
    return _page(status, panel=template, **context)


def _message(error: DomainError):
    return _panel("counter/_pos_message.html", status_of(error), error=error)


@bp.get("/pos")
@role_required(Role.CLERK, Role.ADMIN)
def pos():
    return _page()


@bp.post("/pos/counter")
@role_required(Role.CLERK, Role.ADMIN)
def pos_choose_counter():
    """The terminal and shift this login works at, once per session: every action and every
    receipt records them."""
    try:
        terminal, shift = service.counter_of(
            request.form.get("terminal"), request.form.get("shift")
        )
    except DomainError as exc:
        return _page(status_of(exc), counter_error=exc)
    session[POS_KEY] = {"user": current_user.id, "terminal": terminal, "shift": shift}
    return redirect(url_for("counter.pos"), 303)


@bp.post("/pos/code")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_code():
    """The one code box: a mistyped code is refused by its check digit before any lookup; the
    first digit says which panel opens."""
    try:
        _actor()
        code, kind = service.code_of(request.form.get("code"))
        endpoint = PANELS.get(kind)
        if endpoint is None:
            raise service.NoPanel(kind)
    except DomainError as exc:
        return _message(exc)
    return redirect(url_for(endpoint, code=code), 303)


@bp.get("/pos/claim/<code>")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_claim(code: str):
    """The claim panel of a CLAIM or PAY & CLAIM (REFERENCE) code: who collects (their name
    large, to check against an ID), what is due, the first label to scan."""
    try:
        claim = service.open_claim(code, [], _actor())
    except DomainError as exc:
        return _message(exc)
    return _panel("counter/_pos_claim.html", claim=claim, id_type=service.ID_TYPES[0])


@bp.post("/pos/claim/<code>")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_claim_step(code: str):
    """A label scanned, or the cash entered: the panel says what comes next, or the order is
    released (with the AR for cash on delivery)."""
    form = request.form
    labels = form.getlist("labels")
    id_type = form.get("id_type")
    try:
        actor = _actor()
        done = service.claim_step(
            code,
            labels,
            actor,
            label=form.get("label"),
            cash_received=form.get("cash_received"),
            id_type=id_type,
            signature=form.get("signature"),
        )
    except DomainError as exc:
        try:  # the panel again, as it was before this step, with the refusal
            claim = service.open_claim(code, labels, _actor())
        except DomainError as refused:
            return _message(refused)
        return _panel(
            "counter/_pos_claim.html",
            status_of(exc),
            claim=claim,
            error=exc,
            id_type=id_type,
            cash=form.get("cash_received", ""),
        )
    if isinstance(done, service.ClaimPanel):
        return _panel("counter/_pos_claim.html", claim=done, id_type=id_type)
    return _panel("counter/_pos_released.html", released=done)


@bp.post("/pos/void")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_void():
    """Void a mistaken release: the same clerk, within the void window, with a reason."""
    try:
        voided = service.void_release(
            request.form.get("code"), _actor(), request.form.get("reason")
        )
    except DomainError as exc:
        return _message(exc)
    return _panel("counter/_pos_voided.html", voided=voided)


@bp.get("/pos/receipts/<receipt_number>")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_receipt(receipt_number: str):
    """A counter receipt, printable (80 mm wide): the AR of a COD claim."""
    try:
        receipt = service.get_receipt(receipt_number, _actor())
    except DomainError as exc:
        return render_template("counter/pos_receipt.html", error=exc), status_of(exc)
    return render_template("counter/pos_receipt.html", receipt=receipt)


def _scan(section: str, template: str, call):
    typed = request.form.get("tracking_number") or request.form.get("trip")
    try:
        moved = call(typed, _actor())
    except DomainError as exc:
        outcome = {"error": exc, "typed": typed}
        status = status_of(exc)
    else:
        outcome = {"result": moved}
        status = 200
    if is_htmx():
        context = {"outcome": outcome}
        if section == "arrive":
            context["arrivals"] = service.arrivals(_actor())
        if section == "pull_out":
            context["pull_outs"] = service.pull_outs(_actor())
        return render_template(template, **context), status
    return _page(status, **{section: outcome})


@bp.post("/pos/arrive")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_arrive():
    """A package of an arriving trip, its label scanned: on the shelf, pickup deadline set."""
    return _scan("arrive", "counter/_pos_arrived.html", service.arrive)


@bp.post("/pos/arrive-trip")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_arrive_trip():
    """A whole trip taken in at once."""
    return _scan("arrive", "counter/_pos_arrived.html", service.arrive_trip)


@bp.post("/pos/drop-off")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_drop_off():
    """A store-to-store or merchant package handed in here: received at this branch."""
    return _scan("drop_off", "counter/_pos_dropped.html", service.drop_off)


@bp.post("/pos/pull-out")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_pull_out():
    """A package going back (unclaimed, or a return taken in here), its label scanned as it is
    handed to the delivery staff: returning, on its way to the DC."""
    return _scan("pull_out", "counter/_pos_pulled.html", service.pull_out)


@bp.post("/pos/pull-out-all")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_pull_out_all():
    """Everything listed to go back, handed over at once."""
    return _scan("pull_out", "counter/_pos_pulled.html", service.pull_out_all)


# --- the PAY CODE and RETURN CODE panels (what it pays, cash, the charge receipt; measure,
# label, the return's AR), opened through PANELS like the claim ----------------------------


@bp.get("/pos/pay/<code>")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_pay(code: str):
    """A PAY CODE: what it pays and the amount; the cash received next."""
    try:
        check = service.open_pay(code, _actor())
    except DomainError as exc:
        return _message(exc)
    return _panel("counter/_pos_pay.html", pay=check)


@bp.post("/pos/pay/<code>")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_pay_step(code: str):
    """The cash received: the order paid, its items sent, the charge receipt printed."""
    cash = request.form.get("cash_received", "")
    try:
        charged = service.pay_step(code, _actor(), cash)
    except DomainError as exc:
        try:
            check = service.open_pay(code, _actor())
        except DomainError as refused:
            return _message(refused)
        return _panel("counter/_pos_pay.html", status_of(exc), pay=check, error=exc, cash=cash[:40])
    return _panel("counter/_pos_charged.html", charged=charged)


@bp.get("/pos/return/<code>")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_return(code: str):
    """A RETURN CODE: the return, the limit; its measurements and label next."""
    try:
        check = service.open_return(code, _actor())
    except DomainError as exc:
        return _message(exc)
    return _panel("counter/_pos_return.html", ret=check, form={})


@bp.post("/pos/return/<code>")
@role_required(Role.CLERK, Role.ADMIN)
@pos_per_clerk
@pos_per_address
def pos_return_step(code: str):
    """Measured and the return label scanned: taken in, the return's AR printed."""
    form = request.form
    typed = {name: (form.get(name) or "")[:40] for name in ("length", "width", "height", "weight")}
    try:
        returned = service.return_step(
            code,
            _actor(),
            **typed,
            damaged=form.get("damaged") == "yes",
            label=form.get("label"),
        )
    except DomainError as exc:
        try:
            check = service.open_return(code, _actor())
        except DomainError as refused:
            return _message(refused)
        typed["damaged"] = form.get("damaged") == "yes"
        return _panel("counter/_pos_return.html", status_of(exc), ret=check, error=exc, form=typed)
    return _panel("counter/_pos_returned.html", returned=returned)
