"""The distribution center's screen (issue #10, point 3): receive, inspect, dispatch a trip
with its manifest, the APO. Every answer is a page, or on an htmx request
the fragment that changed; refusals are the ECMS's messages, shown in place."""

from flask import redirect, render_template, request, session, url_for
from flask_login import current_user

from shop.auth.access import role_required
from shop.auth.service import Role
from shop.counter import service
from shop.counter.blueprint import (
    COUNTER_KEY,
    actor_of_session,
    bp,
    counter_lookup_limit,
    counter_of_session,
)
from shop.errors import DomainError, InvalidInput
from shop.fulfillment import service as ecms
from shop.web import is_htmx, status_of


def _counter(key: str = COUNTER_KEY) -> dict | None:
    return counter_of_session(key)


def _actor(key: str = COUNTER_KEY) -> ecms.Actor:
    return actor_of_session(key)


def _page(status: int = 200, **context):
    context.setdefault("receive", None)
    context.setdefault("inspect", None)
    return render_template(
        "counter/dc.html",
        counter=_counter(),
        groups=service.accepted_groups(),
        trips=service.recent_trips(),
        apo_groups=service.returning_groups(),
        apos=service.recent_apos(),
        **context,
    ), status


@bp.get("/dc")
@role_required(Role.DC, Role.ADMIN)
def dc():
    return _page()


@bp.post("/dc/counter")
@role_required(Role.DC, Role.ADMIN)
def choose_counter():
    """The terminal and shift this login works at, once per session: every action records
    them."""
    try:
        terminal, shift = service.counter_of(
            request.form.get("terminal"), request.form.get("shift")
        )
    except DomainError as exc:
        return _page(status_of(exc), counter_error=exc)
    session[COUNTER_KEY] = {"user": current_user.id, "terminal": terminal, "shift": shift}
    return redirect(url_for("counter.dc"), 303)


def _answer(section: str, fragment: str, result=None, error: DomainError | None = None, **extra):
    status = status_of(error) if error is not None else 200
    outcome = {"result": result, "error": error, **extra}
    if is_htmx():
        return render_template(
            fragment,
            outcome=outcome,
            groups=service.accepted_groups() if section == "inspect" else None,
        ), status
    return _page(status, **{section: outcome})


@bp.post("/dc/receive")
@role_required(Role.DC, Role.ADMIN)
@counter_lookup_limit
def receive():
    """A scanned (or typed) tracking number: the package is received at the DC."""
    typed = request.form.get("tracking_number")
    try:
        handled = service.receive(typed, _actor())
    except DomainError as exc:
        return _answer("receive", "counter/_received.html", error=exc, typed=typed)
    return _answer("receive", "counter/_received.html", handled)


@bp.post("/dc/inspect")
@role_required(Role.DC, Role.ADMIN)
@counter_lookup_limit
def inspect():
    """A received package's inspection: accepted, or rejected with the reason."""
    form = request.form
    try:
        actor = _actor()
        inspection = service.inspection_of(
            form.get("length"),
            form.get("width"),
            form.get("height"),
            form.get("weight"),
            form.get("damaged") == "yes",
            form.get("note", ""),
        )
        handled = service.inspect(
            form.get("tracking_number"), actor, inspection, reject=form.get("decision") == "reject"
        )
    except DomainError as exc:
        return _answer("inspect", "counter/_inspected.html", error=exc, form=form)
    return _answer("inspect", "counter/_inspected.html", handled)


@bp.post("/dc/trips")
@role_required(Role.DC, Role.ADMIN)
def dispatch():
    """Dispatch one group (a destination, cold or not) as a trip, then show its manifest."""
    form = request.form
    try:
        actor = _actor()
        destination = form.get("destination", "")
        if not (destination.isascii() and destination.isdigit() and 0 < len(destination) <= 9):
            raise InvalidInput("Choose a trip to dispatch.", field="destination")
        trip = service.dispatch_trip(
            actor, int(destination), form.get("cold") == "yes", form.getlist("packages")
        )
    except DomainError as exc:
        return _page(status_of(exc), dispatch_error=exc)
    return redirect(url_for("counter.manifest", trip_number=trip.number), 303)


@bp.get("/dc/trips/<trip_number>")
@role_required(Role.DC, Role.ADMIN)
@counter_lookup_limit
def manifest(trip_number: str):
    """A trip's printable manifest (A4): what the driver signs for."""
    try:
        trip = service.get_trip(trip_number)
    except DomainError as exc:
        return render_template("counter/manifest.html", error=exc), status_of(exc)
    return render_template(
        "counter/manifest.html",
        trip=trip,
        items={p.id: service.units(p.contents) for p in trip.packages},
    )


# --- the APO: packages going back to their merchants ---------------------------------------------


@bp.post("/dc/apo")
@role_required(Role.DC, Role.ADMIN)
def create_apo():
    """An APO for one merchant's returning packages at the DC, as the screen listed them;
    then its printable document."""
    form = request.form
    try:
        number = service.create_apo(_actor(), form.get("merchant"), form.getlist("packages"))
    except DomainError as exc:
        return _page(status_of(exc), apo_error=exc)
    return redirect(url_for("counter.apo", apo_number=number), 303)


def _apo_page(number, status: int = 200, **context):
    try:
        apo = service.get_apo(number)
    except DomainError as exc:
        return render_template("counter/apo.html", error=exc), status_of(exc)
    return render_template(
        "counter/apo.html",
        apo=apo,
        items={p.id: service.units(p.contents) for p in apo.packages},
        **context,
    ), status


@bp.get("/dc/apo/<apo_number>")
@role_required(Role.DC, Role.ADMIN)
@counter_lookup_limit
def apo(apo_number: str):
    """An APO's printable document (A4): what the merchant's courier signs for."""
    return _apo_page(apo_number)


@bp.post("/dc/apo/<apo_number>/release")
@role_required(Role.DC, Role.ADMIN)
@counter_lookup_limit
def release_apo(apo_number: str):
    """The merchant's courier takes the packages: all of them returned to the merchant."""
    try:
        service.release_apo(_actor(), apo_number, request.form.get("courier"))
    except DomainError as exc:
        return _apo_page(apo_number, status_of(exc), release_error=exc)
    return redirect(url_for("counter.apo", apo_number=apo_number.strip().upper()), 303)
