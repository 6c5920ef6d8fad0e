"""The webhook endpoints' pages of a console, one set for every owner type (the publishers'
/partners/webhooks, the merchants' /merchants/webhooks): list, add (the secret shown once),
delete, enable again, send a test event, the delivery log with a resend per attempt.

`add_webhook_pages(bp, WebhookPages(...))` puts the routes on a console's blueprint, with
endpoint names its templates and tests know (`<bp>.webhooks_index`, `<bp>.webhooks_show`,
...). The console says who the owner is (`owner_id()`, called inside the request, after
`guard` let it in) and its words; the rules are shop.notify.webhooks'. Templates:
templates/webhooks/."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for

from shop.errors import DomainError
from shop.extensions import limiter
from shop.notify import webhook_http, webhooks
from shop.web import status_of


@dataclass(frozen=True)
class WebhookPages:
    owner_type: str  # "publisher", "merchant"
    owner_id: Callable[[], int]  # the signed-in owner's id
    guard: Callable  # the view decorator that lets only the owner's role in
    event_types: tuple[str, ...]
    all_events: str  # "All commission events"
    intro: str  # the list page's opening paragraph (a template to include)
    nav: str  # the console's own links (a template to include)


def add_webhook_pages(bp: Blueprint, pages: WebhookPages) -> None:
    """Register the webhook pages on `bp` under /webhooks."""
    name = bp.name

    def route(rule: str, endpoint: str, view, method: str, limit: str | None = None) -> None:
        # Each console's views get names of their own: the rate limits (and the CSRF
        # exemptions' list) know a view by its module and name.
        view.__name__ = view.__qualname__ = f"{name}_{endpoint}"
        if limit is not None:
            view = limiter.limit(limit)(view)
        bp.add_url_rule(rule, endpoint, pages.guard(view), methods=[method])

    def words(**more) -> dict:
        return {"hooks": pages, "console": name, **more}

    def show(endpoint_id: int):
        return redirect(url_for(f"{name}.webhooks_show", endpoint_id=endpoint_id), 303)

    def list_page(*, values: dict | None = None, error: DomainError | None = None, status=200):
        endpoints = webhooks.list_endpoints(pages.owner_type, pages.owner_id())
        return (
            render_template(
                "webhooks/index.html",
                endpoints=endpoints,
                can_add=webhooks.has_room(len(endpoints)),
                event_types=pages.event_types,
                max_endpoints=webhooks.MAX_ENDPOINTS,
                max_url=webhook_http.MAX_URL,
                max_description=webhooks.MAX_DESCRIPTION,
                values=values or {"url": "", "description": "", "events": "all", "event_types": []},
                error=error,
                **words(),
            ),
            status,
        )

    def text(field: str) -> str:
        value = request.form.get(field, "")
        return value if isinstance(value, str) else ""

    def index():
        return list_page()

    def create():
        chosen = [n for n in request.form.getlist("event_types") if isinstance(n, str)]
        values = {
            "url": text("url"),
            "description": text("description"),
            "events": "some" if text("events") == "some" else "all",
            "event_types": chosen,
        }
        try:
            endpoint = webhooks.create_endpoint(
                pages.owner_type,
                pages.owner_id(),
                values["url"],
                values["description"],
                chosen if values["events"] == "some" else None,
            )
        except DomainError as exc:
            return list_page(values=values, error=exc, status=status_of(exc))
        page = render_template("webhooks/created.html", endpoint=endpoint, **words())
        # The secret is on this page only: no cache keeps it.
        return page, 201, {"Cache-Control": "no-store"}

    def endpoint_page(endpoint_id: int):
        owner = pages.owner_id()
        endpoint = webhooks.get_endpoint(endpoint_id, pages.owner_type, owner)
        return render_template(
            "webhooks/endpoint.html",
            endpoint=endpoint,
            deliveries=webhooks.deliveries(endpoint_id, pages.owner_type, owner),
            **words(),
        )

    def delete(endpoint_id: int):
        webhooks.delete_endpoint(endpoint_id, pages.owner_type, pages.owner_id())
        flash("The endpoint is deleted: it receives nothing more.", "success")
        return redirect(url_for(f"{name}.webhooks_index"), 303)

    def enable(endpoint_id: int):
        webhooks.enable_endpoint(endpoint_id, pages.owner_type, pages.owner_id())
        flash("The endpoint is enabled again. Resend the events it missed below.", "success")
        return show(endpoint_id)

    def send_test(endpoint_id: int):
        try:
            webhooks.send_test(endpoint_id, pages.owner_type, pages.owner_id())
        except webhooks.EndpointDisabled as exc:
            flash(exc.message, "warn")
            return show(endpoint_id)
        flash("A test event is on its way: it appears in the log below within seconds.", "success")
        return show(endpoint_id)

    def resend(endpoint_id: int, delivery_id: int):
        try:
            webhooks.resend_delivery(
                delivery_id, pages.owner_type, pages.owner_id(), endpoint_id=endpoint_id
            )
        except webhooks.EndpointDisabled as exc:
            flash(exc.message, "warn")
            return show(endpoint_id)
        flash("The event is queued again, with a new webhook-id.", "success")
        return show(endpoint_id)

    one = "/webhooks/<int:endpoint_id>"
    route("/webhooks", "webhooks_index", index, "GET")
    route("/webhooks", "webhooks_create", create, "POST", "30 per minute")
    route(one, "webhooks_show", endpoint_page, "GET")
    route(f"{one}/delete", "webhooks_delete", delete, "POST")
    route(f"{one}/enable", "webhooks_enable", enable, "POST")
    route(f"{one}/test", "webhooks_test", send_test, "POST", "10 per minute")
    route(
        f"{one}/deliveries/<int:delivery_id>/resend", "webhooks_resend", resend, "POST",
        "30 per minute",
    )  # fmt: skip
