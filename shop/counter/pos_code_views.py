"""The counter's PAY CODE and RETURN CODE panels (issue #10, point 4): the code box opens
them through pos_views.PANELS; each answers the panel alone for htmx, else the whole counter
page with it, and the receipt prints itself when it appears."""

from flask import request

from shop.auth.access import role_required
from shop.auth.service import Role
from shop.counter import service
from shop.counter.pos_views import _actor, _message, _panel, pos_per_address, pos_per_clerk
from shop.counter.views import bp
from shop.errors import DomainError
from shop.web import status_of


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
