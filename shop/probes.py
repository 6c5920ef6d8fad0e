"""The load balancer's probes, `/livez` (the process answers) and `/healthz` (its database
answers; the views are in shop.web): they never open the session, so they never set a cookie
and never load a user, whatever a hook of the app does with the session on other requests."""

from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

PATHS = frozenset({"/livez", "/healthz"})


class ProbeSession(SecureCookieSession):
    """An empty session that may be written to and is never saved (no Set-Cookie)."""


class Sessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except on the probes: there the session is an empty
    ProbeSession, whatever cookie the request carries. A probe that touched the session would
    otherwise send a Set-Cookie to every load balancer check (and `Vary: Cookie`)."""

    def open_session(self, app, request):
        if request.path in PATHS:
            return ProbeSession()
        return super().open_session(app, request)

    def is_null_session(self, obj) -> bool:
        return isinstance(obj, ProbeSession) or super().is_null_session(obj)
