"""The frame's address: `/embed/<key>/<token>/<the storefront's own path>`.

A WSGI middleware moves `/embed/<key>/<token>` from PATH_INFO into SCRIPT_NAME, so the request
reaches the storefront's own views (catalog, cart, checkout, the order and card payment pages)
and every `url_for` builds links and form actions that stay inside the frame, token included:
the frame keeps its app and its visitor with every cookie blocked. What it moved is kept in the
environ (`FRAME`) for the session interface, the embed's hooks and the templates.

Paths under `/embed/<key>/` without a token (`/embed/<key>/` itself, `/go/<slug>`,
`theme.css`) are the embed's own routes and pass through unchanged."""

import re
from dataclasses import dataclass

FRAME = "cliqq.embed_frame"  # the environ key of a request inside a frame (a FramePath)

KEY = r"[A-Za-z0-9_-]{1,32}"
# An itsdangerous URL-safe timed token: payload.timestamp.signature, base64url each (a payload
# compressed by itsdangerous starts with a dot).
TOKEN_PATTERN = r"\.?[A-Za-z0-9_-]{1,600}\.[A-Za-z0-9_-]{1,20}\.[A-Za-z0-9_-]{1,100}"  # noqa: S105  (a pattern, not a secret)
FRAME_PATH = re.compile(rf"/embed/(?P<key>{KEY})/(?P<token>{TOKEN_PATTERN})(?P<rest>/.*)?")


@dataclass(frozen=True)
class FramePath:
    key: str
    token: str
    root: str  # SCRIPT_NAME before the frame's prefix (the shop's own root, usually "")

    @property
    def prefix(self) -> str:
        """The frame's prefix, as url_for puts it before every path."""
        return f"{self.root}/embed/{self.key}/{self.token}"

    @property
    def cookie_path(self) -> str:
        """Where the frame's session cookie goes: every token of this app's frame."""
        return f"{self.root}/embed/{self.key}/"


def parse_frame_path(path: str) -> tuple[str, str, str] | None:
    """(key, token, the rest of the path, "/" at least) when `path` is inside a frame."""
    match = FRAME_PATH.fullmatch(path or "")
    if match is None:
        return None
    return match["key"], match["token"], match["rest"] or "/"


class EmbedPrefix:
    """The WSGI middleware (see the module's docstring)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        parsed = parse_frame_path(environ.get("PATH_INFO", ""))
        if parsed is not None:
            key, token, rest = parsed
            root = environ.get("SCRIPT_NAME", "").rstrip("/")
            frame = FramePath(key, token, root)
            environ = {**environ, FRAME: frame, "SCRIPT_NAME": frame.prefix, "PATH_INFO": rest}
        return self.app(environ, start_response)
