"""Named domain errors, and how each channel turns them into an HTTP status.

A service raises a `DomainError` subclass: a machine `code` (stable: the API and the pages'
tests rely on it), a `message` fit for a person, and the `field` it is about, if any. An error
carries no HTTP status: each channel maps codes to statuses at its edge (`status_for`), so the
shop can answer a full branch with 409 while the merchant API answers `branch_unavailable` with
422. The error's kind (its base class) gives the default status; a channel's table overrides it
by code."""

from collections.abc import Mapping


class DomainError(Exception):
    """A request the shop understood and refuses: `message` is safe to show a person."""

    code = "bad_request"

    def __init__(
        self, message: str | None = None, *, field: str | None = None, code: str | None = None
    ):
        # A docstring wrapped over lines reads as one sentence (no newlines and indents).
        default = " ".join((self.__doc__ or "").split()) or "That request can't be done."
        self.message = message or default
        self.field = field
        if code:
            self.code = code
        super().__init__(self.message)

    def as_dict(self) -> dict:
        """The JSON error body's inside: {"code", "message", "field"}."""
        return {"code": self.code, "message": self.message, "field": self.field}


class NotFound(DomainError):
    """That doesn't exist."""

    code = "not_found"


class InvalidInput(DomainError):
    """Some of what was sent isn't valid."""

    code = "invalid_input"


class Conflict(DomainError):
    """That can't be done in the current state."""

    code = "conflict"


class Unauthorized(DomainError):
    """Who you are couldn't be confirmed."""

    code = "unauthorized"


class Forbidden(DomainError):
    """You can't do that."""

    code = "forbidden"


class Unavailable(DomainError):
    """A service the shop depends on isn't answering. Try again in a minute."""

    code = "unavailable"


class TooMany(DomainError):
    """Too many at once. Finish or wait for what you have before starting more."""

    code = "too_many"


# The status each kind of error has unless a channel says otherwise (most specific first).
KIND_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (InvalidInput, 422),
    (Conflict, 409),
    (Unauthorized, 401),
    (Forbidden, 403),
    (Unavailable, 503),
    (TooMany, 429),
    (DomainError, 400),
)


def status_for(error: DomainError, by_code: Mapping[str, int] | None = None) -> int:
    """The HTTP status of `error` on a channel whose own table is `by_code` (code -> status)."""
    if by_code and error.code in by_code:
        return by_code[error.code]
    for kind, status in KIND_STATUS:
        if isinstance(error, kind):
            return status
    return 400
