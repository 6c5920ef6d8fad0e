"""The shop's one clock. Services ask `clock.now()`; nothing else reads the system time.

The app factory installs a `Clock` on each app (`app.extensions["clock"]`); a test sets it
(`clock.set(moment)`, `clock.advance(minutes=31)`) and every service, model default and tick in
that app sees the same time. Outside an app (a unit test of a pure rule) it is the system's UTC
time."""

from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context


class Clock:
    """UTC time, timezone-aware; frozen at a moment once `set`, until `unset`."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen if self._frozen is not None else datetime.now(UTC)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("the clock takes timezone-aware moments")
        self._frozen = moment.astimezone(UTC)

    def advance(self, **delta) -> datetime:
        """Move a frozen clock (or freeze the current time and move it) by timedelta(**delta)."""
        self.set(self.now() + timedelta(**delta))
        return self.now()

    def unset(self) -> None:
        self._frozen = None


def init_app(app) -> None:
    app.extensions["clock"] = Clock()


def current() -> Clock:
    return current_app.extensions["clock"]


def now() -> datetime:
    """The shop's current time (UTC, aware): the app's clock, or the system's outside an app."""
    if has_app_context():
        clock = current_app.extensions.get("clock")
        if clock is not None:
            return clock.now()
    return datetime.now(UTC)
