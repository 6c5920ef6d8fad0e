"""The publisher's webhook endpoints (/partners/webhooks): list, add (the secret shown once),
delete, enable again, send a test event, the delivery log with a resend per attempt. Routes on
the partners blueprint; the rules are shop.notify.webhooks'."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.auth.access import role_required
from shop.auth.models import Role
from shop.errors import DomainError
from shop.extensions import limiter
from shop.notify import webhook_http, webhooks
from shop.partners.blueprint import bp
from shop.web import status_of

OWNER = "publisher"
EVENT_TYPES = webhooks.COMMISSION_EVENTS


def _text(name: str) -> str:
    value = request.form.get(name, "")
    return value if isinstance(value, str) else ""


def _list_page(*, values: dict | None = None, error: DomainError | None = None, status=200):
    endpoints = webhooks.list_endpoints(OWNER, current_user.id)
    return (
        render_template(
            "partners/webhooks.html",
            endpoints=endpoints,
            can_add=webhooks.has_room(len(endpoints)),
            event_types=EVENT_TYPES,
            max_endpoints=webhooks.MAX_ENDPOINTS,
            max_url=webhook_http.MAX_URL,
            max_description=webhooks.MAX_DESCRIPTION,
            values=values or {"url": "", "description": "", "events": "all", "event_types": []},
            error=error,
        ),
        status,
    )


@bp.get("/webhooks")
@role_required(Role.PUBLISHER)
def webhooks_index():
    return _list_page()


@bp.post("/webhooks")
@role_required(Role.PUBLISHER)
@limiter.limit("30 per minute")
def webhooks_create():
    chosen = [name for name in request.form.getlist("event_types") if isinstance(name, str)]
    values = {
        "url": _text("url"),
        "description": _text("description"),
        "events": "some" if _text("events") == "some" else "all",
        "event_types": chosen,
    }
    try:
        endpoint = webhooks.create_endpoint(
            OWNER,
            current_user.id,
            values["url"],
            values["description"],
            chosen if values["events"] == "some" else None,
        )
    except DomainError as exc:
        return _list_page(values=values, error=exc, status=status_of(exc))
    response = render_template("partners/webhooks_created.html", endpoint=endpoint)
    # The secret is on this page only: no cache keeps it.
    return response, 201, {"Cache-Control": "no-store"}


@bp.get("/webhooks/<int:endpoint_id>")
@role_required(Role.PUBLISHER)
def webhooks_show(endpoint_id: int):
    endpoint = webhooks.get_endpoint(endpoint_id, OWNER, current_user.id)
    return render_template(
        "partners/webhooks_endpoint.html",
        endpoint=endpoint,
        deliveries=webhooks.deliveries(endpoint_id, OWNER, current_user.id),
    )


@bp.post("/webhooks/<int:endpoint_id>/delete")
@role_required(Role.PUBLISHER)
def webhooks_delete(endpoint_id: int):
    webhooks.delete_endpoint(endpoint_id, OWNER, current_user.id)
    flash("The endpoint is deleted: it receives nothing more.", "success")
    return redirect(url_for("partners.webhooks_index"), 303)


@bp.post("/webhooks/<int:endpoint_id>/enable")
@role_required(Role.PUBLISHER)
def webhooks_enable(endpoint_id: int):
    webhooks.enable_endpoint(endpoint_id, OWNER, current_user.id)
    flash("The endpoint is enabled again. Resend the events it missed below.", "success")
    return redirect(url_for("partners.webhooks_show", endpoint_id=endpoint_id), 303)


@bp.post("/webhooks/<int:endpoint_id>/test")
@role_required(Role.PUBLISHER)
@limiter.limit("10 per minute")
def webhooks_test(endpoint_id: int):
    try:
        webhooks.send_test(endpoint_id, OWNER, current_user.id)
    except webhooks.EndpointDisabled as exc:
        flash(exc.message, "warn")
        return redirect(url_for("partners.webhooks_show", endpoint_id=endpoint_id), 303)
    flash("A test event is on its way: it appears in the log below within seconds.", "success")
    return redirect(url_for("partners.webhooks_show", endpoint_id=endpoint_id), 303)


@bp.post("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/resend")
@role_required(Role.PUBLISHER)
@limiter.limit("30 per minute")
def webhooks_resend(endpoint_id: int, delivery_id: int):
    try:
        webhooks.resend_delivery(delivery_id, OWNER, current_user.id, endpoint_id=endpoint_id)
    except webhooks.EndpointDisabled as exc:
        flash(exc.message, "warn")
        return redirect(url_for("partners.webhooks_show", endpoint_id=endpoint_id), 303)
    flash("The event is queued again, with a new webhook-id.", "success")
    return redirect(url_for("partners.webhooks_show", endpoint_id=endpoint_id), 303)
