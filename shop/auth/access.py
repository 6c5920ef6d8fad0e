"""Who may open a page: `role_required`, the guard other features' views put on their pages
(they import it from here, never from auth's views)."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from shop.auth.models import Role


def role_required(*roles: Role):
    """Only users with one of these roles; others get 403, visitors the login page."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
