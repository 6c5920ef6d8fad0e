"""Time in one place: every stored timestamp is timezone-aware UTC; the shop shows Manila time."""

from datetime import UTC, date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

MANILA = ZoneInfo("Asia/Manila")


def format_manila(moment) -> str:
    """A moment as the shopper reads it: "Wed 25 Nov, 3:05 PM" in Manila time."""
    local = moment.astimezone(MANILA)
    return local.strftime("%a %d %b, %I:%M %p").replace(" 0", " ")


def parse_day(text, field: str, default: date | None = None) -> date | None:
    """A date as a form's date field sends it (YYYY-MM-DD); `default` when blank. Raises
    InvalidInput naming `field` for anything else."""
    from shop.errors import InvalidInput

    if text is None or text == "":
        return default
    try:
        if not isinstance(text, str) or len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"Enter the {field} date as YYYY-MM-DD.", field=field) from None


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime: pass an aware datetime (shop.clock.now)")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value
