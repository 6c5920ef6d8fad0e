"""The publishers' console blueprint, /partners/... Its routes live by what they do: the
console and dashboard (console_views.py), the payouts (payout_views.py), the webhook endpoints
(webhook_views.py); shop/__init__.py imports all three, as it does the counter's."""

from flask import Blueprint

bp = Blueprint("partners", __name__, url_prefix="/partners")
