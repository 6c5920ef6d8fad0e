"""Money in integer centavos (PHP). Never a float: ₱1,234.50 is `Money(123450)`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_PESO_TEXT = re.compile(r"^\s*(-)?\s*(?:₱|PHP\s*)?([0-9][0-9,]*)(?:\.([0-9]{1,2}))?\s*$", re.I)


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An amount of Philippine pesos, held as a whole number of centavos."""

    centavos: int

    def __post_init__(self):
        if isinstance(self.centavos, bool) or not isinstance(self.centavos, int):
            raise TypeError(f"Money needs integer centavos, got {self.centavos!r}")

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def pesos(cls, amount: int | str | Decimal) -> Money:
        """`Money.pesos("1234.50")`: an exact amount in pesos (at most two decimals)."""
        try:
            value = Decimal(str(amount)) * 100
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {amount!r}") from exc
        if value != value.to_integral_value():
            raise ValueError(f"more precise than a centavo: {amount!r}")
        return cls(int(value))

    @classmethod
    def parse(cls, text: str) -> Money:
        """Read what a person types: "₱1,234.50", "1234.5", "PHP 20"."""
        match = _PESO_TEXT.match(text or "")
        if not match:
            raise ValueError(f"not an amount of pesos: {text!r}")
        sign, whole, frac = match.groups()
        if "," in whole and not re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})*", whole):
            raise ValueError(f"misplaced thousands separator: {text!r}")
        centavos = int(whole.replace(",", "")) * 100 + int((frac or "0").ljust(2, "0"))
        return cls(-centavos if sign else centavos)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.centavos + other.centavos)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.centavos - other.centavos)

    def __mul__(self, quantity: int) -> Money:
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            return NotImplemented
        return Money(self.centavos * quantity)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.centavos)

    def __bool__(self) -> bool:
        return self.centavos != 0

    def __str__(self) -> str:
        return format_peso(self.centavos)


def total(amounts) -> Money:
    """The sum of an iterable of Money (₱0.00 when empty)."""
    result = Money.zero()
    for amount in amounts:
        result = result + amount
    return result


def format_peso(centavos: int | Money) -> str:
    """₱1,234.50 (and -₱5.00): the one way the shop shows an amount."""
    if isinstance(centavos, Money):
        centavos = centavos.centavos
    sign = "-" if centavos < 0 else ""
    whole, cents = divmod(abs(centavos), 100)
    return f"{sign}₱{whole:,}.{cents:02d}"
