"""The publishers' console: /partners/..."""

from flask import Blueprint

bp = Blueprint("partners", __name__, url_prefix="/partners")

from shop.partners import console_views  # noqa: E402, F401  (the publisher's console, on bp)
