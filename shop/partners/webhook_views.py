"""The publisher's webhook endpoints (/partners/webhooks): list, add (the secret shown once),
delete, enable again, send a test event, the delivery log with a resend per attempt. The pages
are every console's (shop.notify.webhook_pages); the rules are shop.notify.webhooks'."""

from flask_login import current_user

from shop.auth.access import role_required
from shop.auth.models import Role
from shop.notify import webhooks
from shop.notify.webhook_pages import WebhookPages, add_webhook_pages
from shop.partners.blueprint import bp

add_webhook_pages(
    bp,
    WebhookPages(
        owner_type="publisher",
        owner_id=lambda: current_user.id,
        guard=role_required(Role.PUBLISHER),
        event_types=webhooks.COMMISSION_EVENTS,
        all_events="All commission events",
        intro="partners/_webhooks_intro.html",
        nav="partners/_nav.html",
    ),
)
