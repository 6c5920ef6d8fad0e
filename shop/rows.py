"""Plain values built from result rows by column name, never by position.

`SomeValue(*row)` fills the fields in the order the statement happens to list its columns: put
`price` after `stock` in the column list and every card swaps them, silently. A class that
inherits `FromRow` reads each of its fields from the column of the same name instead, so the
column list may come in any order and carry extra columns (a window count, a distance); a
missing column is an error that names it.

The names are matched to positions once per result shape (and remembered), then each row is
read with one `itemgetter`: as fast as the positional call it replaces, on the hottest pages."""

from collections.abc import Callable, Iterable
from dataclasses import fields
from functools import lru_cache
from operator import itemgetter
from typing import Any, Self


class MissingColumn(LookupError):
    """A statement's result lacks a column that the value needs."""


@lru_cache(maxsize=256)
def _reader(cls: type, columns: tuple[str, ...]) -> Callable[[Any], tuple]:
    """How to read `cls`'s fields, by name, from rows whose columns are `columns`."""
    names = [field.name for field in fields(cls)]
    missing = [name for name in names if name not in columns]
    if missing:
        raise MissingColumn(
            f"{cls.__name__} needs the column{'s' if len(missing) != 1 else ''} "
            f"{', '.join(missing)}; the statement gives {', '.join(columns) or 'none'}."
        )
    positions = [columns.index(name) for name in names]
    if len(positions) == 1:
        (only,) = positions
        return lambda row: (row[only],)
    return itemgetter(*positions)


class FromRow:
    """A mixin for frozen dataclasses built from SQL rows: `from_row(row)` and
    `from_rows(rows)` match the dataclass's fields to the rows' columns by name."""

    __slots__ = ()

    @classmethod
    def from_row(cls, row) -> Self:
        """The value of one row (a SQLAlchemy Row). Raises MissingColumn."""
        return cls(*_reader(cls, row._fields)(row))

    @classmethod
    def from_rows(cls, rows: Iterable) -> list[Self]:
        """The values of a result's rows, in order. Raises MissingColumn."""
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return []
        read = _reader(cls, rows[0]._fields)
        return [cls(*read(row)) for row in rows]
