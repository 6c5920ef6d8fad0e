"""The operator's screens."""

from flask import Blueprint, render_template

from shop.admin import service
from shop.auth.service import Role
from shop.auth.views import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    return render_template("admin/index.html", overview=service.overview())
