"""The codes a person types at a kiosk or a clerk keys in at a POS.

Every code is ASCII digits only: a type digit, random digits from `secrets` (never sequential,
never guessable from another code) and a final Damm check digit over everything before it. The
Damm check digit catches every single-digit typo and every swap of two adjacent different
digits, so a mistyped code is refused here, before any lookup.

| kind      | length | first digit |
|-----------|--------|-------------|
| tracking  | 12     | 7           |
| PAY       | 14     | 1           |
| CLAIM     | 14     | 2           |
| REFERENCE | 14     | 3           |
| RETURN    | 14     | 4           |

Uniqueness among live codes is the database's job (unique index + retry), not this module's.
"""

import enum
import functools
import secrets
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable

import barcode
from barcode.writer import SVGWriter
from markupsafe import Markup

from shop.errors import InvalidInput


class CodeType(enum.StrEnum):
    TRACKING = "tracking"
    PAY = "pay"
    CLAIM = "claim"
    REFERENCE = "reference"  # the PAY & CLAIM code of a cash-on-delivery order
    RETURN = "return"

    @property
    def prefix(self) -> str:
        return PREFIXES[self]

    @property
    def length(self) -> int:
        return LENGTHS[self]

    @property
    def label(self) -> str:
        """The code's name at the counter, as the seeds spell it ("PAY & CLAIM (REFERENCE)
        CODE")."""
        return LABELS[self]

    @property
    def shopper_label(self) -> str:
        """The code's name for a shopper ("Pay & claim code"): the same code, in plain words."""
        return SHOPPER_LABELS[self]


PREFIXES: dict[CodeType, str] = {
    CodeType.TRACKING: "7",
    CodeType.PAY: "1",
    CodeType.CLAIM: "2",
    CodeType.REFERENCE: "3",
    CodeType.RETURN: "4",
}
# Total digits, check digit included. The tracking number's leading 7 is one of its 11
# non-check digits; the other codes have a type digit + 12 random digits + the check digit.
LENGTHS: dict[CodeType, int] = {
    CodeType.TRACKING: 12,
    CodeType.PAY: 14,
    CodeType.CLAIM: 14,
    CodeType.REFERENCE: 14,
    CodeType.RETURN: 14,
}
LABELS: dict[CodeType, str] = {
    CodeType.TRACKING: "tracking number",
    CodeType.PAY: "PAY CODE",
    CodeType.CLAIM: "CLAIM CODE",
    CodeType.REFERENCE: "PAY & CLAIM (REFERENCE) CODE",
    CodeType.RETURN: "RETURN CODE",
}
SHOPPER_LABELS: dict[CodeType, str] = {
    CodeType.TRACKING: "tracking number",
    CodeType.PAY: "pay code",
    CodeType.CLAIM: "claim code",
    CodeType.REFERENCE: "pay & claim code",
    CodeType.RETURN: "return code",
}
_BY_SHAPE: dict[tuple[str, int], CodeType] = {(PREFIXES[k], LENGTHS[k]): k for k in CodeType}

# Anything longer than this is refused before it is looked at character by character: no code
# is anywhere near it, even generously spaced, and a 5,000-character paste costs nothing.
MAX_INPUT_CHARS = 64

DIGITS = "0123456789"  # str.isdigit() would also take "٣" or "３", which no POS can key in

# The standard order-10 weakly totally anti-symmetric quasigroup of H. Michael Damm (2004): a
# zero diagonal, and (c*x)*y == (c*y)*x only when x == y, which is what makes every adjacent
# transposition change the result.
DAMM_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


class InvalidCode(InvalidInput):
    """That isn't a valid code: please check what you typed."""

    code = "invalid_code"


def _is_digits(text: object) -> bool:
    return isinstance(text, str) and text != "" and all(c in DIGITS for c in text)


def _damm_interim(digits: str) -> int:
    interim = 0
    for c in digits:
        interim = DAMM_TABLE[interim][ord(c) - 48]
    return interim


def damm_check_digit(digits: str) -> str:
    """The Damm check digit of `digits` (one or more ASCII digits), as a one-character string:
    `digits + damm_check_digit(digits)` is always `damm_valid`.

    Raises ValueError if `digits` is empty or has anything but the ASCII digits 0-9."""
    if not _is_digits(digits):
        raise ValueError("digits must be one or more ASCII digits")
    return DIGITS[_damm_interim(digits)]


def damm_valid(digits: str) -> bool:
    """True if `digits` (ASCII digits, at least two: a body and its check digit) ends in the
    right Damm check digit. Anything else, of any type, is False; never raises."""
    return _is_digits(digits) and len(digits) >= 2 and _damm_interim(digits) == 0


def generate(kind: CodeType) -> str:
    """A new code of `kind`: its type digit, random digits from `secrets` and its Damm check
    digit, so `parse(code, kind)` returns it unchanged. It is not checked for uniqueness: the
    caller's unique index + retry is.

    Raises ValueError if `kind` is not a CodeType."""
    kind = CodeType(kind)
    random_digits = kind.length - len(kind.prefix) - 1
    body = kind.prefix + f"{secrets.randbelow(10**random_digits):0{random_digits}d}"
    return body + damm_check_digit(body)


def kind_of(code: str) -> CodeType | None:
    """The type of a bare code, from its first digit and its length; None if it has another
    shape or anything but ASCII digits. The check digit is not looked at: see `parse`."""
    if not _is_digits(code):
        return None
    return _BY_SHAPE.get((code[0], len(code)))


def _is_separator(c: str) -> bool:
    # People type spaces and dashes between groups, and copy codes from pages and messages
    # that bring non-breaking or thin spaces and en dashes or minus signs with them.
    return c.isspace() or unicodedata.category(c) == "Pd" or c == "\u2212"


def _as_kinds(kinds: CodeType | Iterable[CodeType] | None) -> tuple[CodeType, ...]:
    if kinds is None:
        return tuple(CodeType)
    # A CodeType is a str, so iterating one would give its letters, not itself.
    if isinstance(kinds, CodeType):
        return (kinds,)
    allowed = tuple(CodeType(k) for k in kinds)
    if not allowed:
        raise ValueError("kinds, when given, must name at least one CodeType")
    return allowed


def _a(label: str) -> str:
    return f"an {label}" if label[0] in "AEIOUaeiou" else f"a {label}"


def parse(text: str, kinds: CodeType | Iterable[CodeType] | None = None) -> str:
    """The bare digits of a code as a person typed it: spaces and dashes (also non-breaking
    spaces, en dashes and the like) are dropped; nothing else is changed or guessed. The result
    has a known type (in `kinds` when given) and a right check digit.

    Raises InvalidCode, whose message can be shown as it is, for: no text; more than
    MAX_INPUT_CHARS characters; any character but 0-9 and separators (letters, NUL, full-width
    digits...); a length no code has; an unknown first digit; a wrong check digit (a typo); a
    type not in `kinds`. Raises ValueError (a bug, not a typo) if `kinds` is given but empty or
    holds something that is not a CodeType."""
    allowed = _as_kinds(kinds)
    if not isinstance(text, str) or not text.strip():
        raise InvalidCode("Please type the code.")
    if len(text) > MAX_INPUT_CHARS:
        raise InvalidCode("That is too long for a code: please check what you typed.")
    digits = "".join(c for c in text if not _is_separator(c))
    if not all(c in DIGITS for c in digits):
        raise InvalidCode("A code has only the digits 0-9: please check what you typed.")
    lengths = sorted({k.length for k in allowed})
    # A whole, valid code of another type gets past the length check, to be named below.
    other_code = damm_valid(digits) and kind_of(digits) is not None
    if len(digits) not in lengths and not other_code:
        expected = " or ".join(str(n) for n in lengths)
        raise InvalidCode(
            f"That code has {len(digits)} digits; it should have {expected}: "
            "please check what you typed."
        )
    # The check digit comes before the type: a slip on the first digit is a typo, and saying
    # so helps more than naming the type that slip happens to spell.
    if not damm_valid(digits):
        raise InvalidCode("That code has a typo: please check the digits.")
    kind = kind_of(digits)
    if kind is None:
        raise InvalidCode("That isn't one of our codes: please check the first digit.")
    if kind not in allowed:
        wanted = " or ".join(_a(k.label) for k in allowed)
        raise InvalidCode(f"That is {_a(kind.label)}; {wanted} is needed here.")
    return digits


def group(code: str) -> str:
    """`code` in groups of four from the left, separated by single spaces, as it is printed:
    "1234 5678 9012 34", "7123 4567 8901". It is not validated; `parse` undoes it."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


# Code 128 wants a quiet zone of at least 10 modules on each side; 6.5 mm is about 21 modules of
# 0.3 mm, which an ordinary POS scanner reads comfortably from paper and from a phone screen.
BARCODE_OPTIONS = {
    "module_width": 0.3,  # mm per narrowest bar
    "module_height": 15.0,  # mm
    "quiet_zone": 6.5,  # mm each side
    "margin_top": 1.0,
    "margin_bottom": 1.0,
    "write_text": False,  # the page prints the grouped code itself
    "background": "white",
    "foreground": "black",
}
SVG_NS = "http://www.w3.org/2000/svg"


def _mm(value: str) -> float:
    """A length SVGWriter wrote ("12.300mm") as a number of millimetres."""
    return float(value.removesuffix("mm"))


def barcode_svg(code: str, *, title: str | None = None) -> Markup:
    """An inline, scalable <svg> Code 128 barcode of `code` for a page: role="img" with an
    aria-label ("Barcode of CLAIM CODE 2123 4567 8901 23", or `title` when given), a viewBox in
    millimetres and width="100%", black bars on white, crisp edges, no text, no external
    references, no scripts. `code` may be typed or grouped; the barcode encodes the bare digits.
    Rendered once per code and title, then cached.

    Raises InvalidCode if `code` is not a valid code (see `parse`)."""
    return _barcode_svg(parse(code), title)


@functools.lru_cache(maxsize=1024)
def _barcode_svg(digits: str, title: str | None) -> Markup:
    rendered = barcode.get("code128", digits, writer=SVGWriter()).render(BARCODE_OPTIONS)
    # We parse what SVGWriter just wrote from digits we validated, not outside input; the parser
    # neither fetches the DTD nor keeps comments. Only the bars are kept and written back out by
    # hand below, so nothing else the writer might ever add can reach the page.
    root = ET.fromstring(rendered)  # noqa: S314
    width, height = _mm(root.attrib["width"]), _mm(root.attrib["height"])
    bars = [
        (_mm(r.attrib["x"]), _mm(r.attrib["y"]), _mm(r.attrib["width"]), _mm(r.attrib["height"]))
        for r in root.iter(f"{{{SVG_NS}}}rect")
        if "x" in r.attrib  # the background rect has no position; we draw our own
    ]
    kind = kind_of(digits)
    label = title or f"Barcode of {kind.label if kind else 'code'} {group(digits)}"
    # Markup.format and Markup.join escape every value they are given, so the label (a caller's
    # title included) can't break out of its attribute.
    head = Markup(
        '<svg xmlns="{ns}" class="barcode" role="img" aria-label="{label}"'
        ' viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMidYMid meet"'
        ' shape-rendering="crispEdges"><title>{label}</title>'
        '<rect x="0" y="0" width="{w}" height="{h}" fill="#fff"/>'
        # fill is set on the group, not left to inheritance: a page's `svg { fill:
        # currentColor }` in a dark theme would otherwise draw light bars on white.
        '<g fill="#000">'
    ).format(ns=SVG_NS, label=label, w=f"{width:g}", h=f"{height:g}")
    bar = Markup('<rect x="{}" y="{}" width="{}" height="{}"/>')
    bars_svg = Markup("").join(bar.format(*(f"{v:g}" for v in b)) for b in bars)
    return head + bars_svg + Markup("</g></svg>")
