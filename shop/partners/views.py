"""The publishers' console: /partners/..."""

from flask import Blueprint

bp = Blueprint("partners", __name__, url_prefix="/partners")

# The publisher's pages, each module's routes on this blueprint: the console and dashboard,
# the payouts, the webhook endpoints.
from shop.partners import console_views, payout_views, webhook_views  # noqa: E402, F401
