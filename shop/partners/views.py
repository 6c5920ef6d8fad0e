"""The publishers' console: /partners/..."""

from flask import Blueprint

bp = Blueprint("partners", __name__, url_prefix="/partners")

from shop.partners import payout_views  # noqa: E402, F401  (the publisher's payout pages)
from shop.partners import webhook_views  # noqa: E402, F401  (its routes, on this blueprint)
from shop.partners import console_views  # noqa: E402, F401  (the publisher's console, on bp)
