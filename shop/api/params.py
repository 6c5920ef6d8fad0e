"""What the API reads from a query string: only the parameters an endpoint names, each once,
each a plain value; anything else is a 422 naming the parameter, never ignored (a client's typo
should fail loudly, not quietly return something else)."""

from collections.abc import Iterable
from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from shop.errors import InvalidInput

MAX_VALUE = 200  # characters of one query value
FLAGS = {"true": True, "1": True, "false": False, "0": False}


class UnknownParameter(InvalidInput):
    """This endpoint takes no such parameter."""

    code = "unknown_parameter"


def query_params(args: MultiDict, known: Iterable[str]) -> dict[str, str]:
    """The query's parameters as {name: value}. Raises UnknownParameter for a name the
    endpoint doesn't take, InvalidInput for one given twice or longer than MAX_VALUE."""
    known = set(known)
    found: dict[str, str] = {}
    for name, value in args.items(multi=True):
        if name not in known:
            shown = name if name.isprintable() and len(name) <= 40 else "that"
            raise UnknownParameter(
                f"This endpoint takes no parameter “{shown}” (it takes "
                f"{', '.join(sorted(known))}).",
                field=name if name.isprintable() and len(name) <= 40 else None,
            )
        if name in found:
            raise InvalidInput(f"Give “{name}” once.", field=name)
        if len(value) > MAX_VALUE:
            raise InvalidInput(f"“{name}” is at most {MAX_VALUE} characters.", field=name)
        found[name] = value
    return found


def whole_number(raw: str | None, name: str, *, default: int, lowest: int, highest: int) -> int:
    """A whole number from `lowest` to `highest` (plain digits), or `default` when absent
    (`limit=` with no value is a mistake, not a way to say "the default")."""
    if raw is None:
        return default
    digits = len(str(highest))
    if (
        not raw.isascii()
        or not raw.isdigit()
        or len(raw) > digits
        or not lowest <= int(raw) <= highest
    ):
        raise InvalidInput(
            f"“{name}” must be a whole number from {lowest} to {highest}.", field=name
        )
    return int(raw)


def flag(raw: str | None, name: str) -> bool:
    """`true` or `false` (also `1` or `0`); False when absent."""
    if raw is None:
        return False
    if raw not in FLAGS:
        raise InvalidInput(f"“{name}” is true or false.", field=name)
    return FLAGS[raw]


def moment(raw: str | None, name: str) -> datetime | None:
    """An ISO 8601 moment with its offset ("2026-12-01T08:00:00+08:00", or "Z"), or None when
    absent. A moment without an offset is refused: it could be any of 27 time zones."""
    if raw is None:
        return None
    try:
        found = datetime.fromisoformat(raw.replace("Z", "+00:00")) if len(raw) <= 40 else None
    except ValueError:
        found = None
    if found is None or found.tzinfo is None or not 2000 <= found.year <= 2100:
        raise InvalidInput(
            f"“{name}” is a moment with its offset, like 2026-12-01T08:00:00+08:00.", field=name
        )
    return found.astimezone(UTC)
