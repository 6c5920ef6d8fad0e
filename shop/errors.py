"""Named domain errors. Services raise them; views map them to a message and a status."""


class DomainError(Exception):
    """A request the shop understood and refuses: `message` is safe to show a person."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str | None = None, *, field: str | None = None):
        self.message = message or self.__doc__ or "That request can't be done."
        self.field = field
        super().__init__(self.message)


class NotFound(DomainError):
    """That doesn't exist."""

    status = 404
    code = "not_found"


class InvalidInput(DomainError):
    """Some of what was sent isn't valid."""

    status = 422
    code = "invalid_input"


class Conflict(DomainError):
    """That can't be done in the current state."""

    status = 409
    code = "conflict"
