"""The session interface: Flask's signed-cookie sessions, with two exceptions.

- The load balancer's probes, `/livez` (the process answers) and `/healthz` (its database
  answers; the views are in shop.web), never open the session, so they never set a cookie and
  never load a user, whatever a hook of the app does with the session on other requests.
- Inside a partner's frame (`/embed/<key>/<token>/...`, shop.embed.prefix) the session is the
  frame's own cookie: EMBED_SESSION_COOKIE_NAME, `Path=/embed/<key>/`, `SameSite=None; Secure;
  Partitioned` (CHIPS), so a browser that blocks third-party cookies still keeps it, per
  partner site, and the shop's own session cookie is never read or written there."""

from flask import has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from shop.embed.prefix import FRAME

PATHS = frozenset({"/livez", "/healthz"})


class ProbeSession(SecureCookieSession):
    """An empty session that may be written to and is never saved (no Set-Cookie)."""


def _frame():
    return request.environ.get(FRAME) if has_request_context() else None


class Sessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except on the probes: there the session is an empty
    ProbeSession, whatever cookie the request carries. A probe that touched the session would
    otherwise send a Set-Cookie to every load balancer check (and `Vary: Cookie`). Inside a
    frame, the frame's cookie (see the module's docstring)."""

    def open_session(self, app, request):
        if request.path in PATHS:
            return ProbeSession()
        return super().open_session(app, request)

    def is_null_session(self, obj) -> bool:
        return isinstance(obj, ProbeSession) or super().is_null_session(obj)

    def get_cookie_name(self, app) -> str:
        if _frame() is not None:
            return app.config["EMBED_SESSION_COOKIE_NAME"]
        return super().get_cookie_name(app)

    def get_cookie_path(self, app) -> str:
        frame = _frame()
        return frame.cookie_path if frame is not None else super().get_cookie_path(app)

    def get_cookie_domain(self, app) -> str | None:
        # Host-only inside a frame: a partitioned cookie is the shop host's alone.
        return None if _frame() is not None else super().get_cookie_domain(app)

    def get_cookie_samesite(self, app) -> str | None:
        return "None" if _frame() is not None else super().get_cookie_samesite(app)

    def get_cookie_secure(self, app) -> bool:
        # SameSite=None needs Secure; browsers accept it on http://localhost and 127.0.0.1
        # (potentially trustworthy origins), so the demo and the tests run on plain http.
        return True if _frame() is not None else super().get_cookie_secure(app)

    def get_cookie_partitioned(self, app) -> bool:
        return True if _frame() is not None else super().get_cookie_partitioned(app)
