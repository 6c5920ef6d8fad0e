"""People's contact details as checkout and the API take them: Philippine mobile numbers."""

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from shop.errors import InvalidInput

# What people type around the digits; letters are refused (phonenumbers would read them as
# keypad digits, and nobody means "0917-CALL-ME" here).
PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ().\-]{7,32}$")


class InvalidPhone(InvalidInput):
    """Enter a Philippine mobile number, like 0917 123 4567."""

    code = "invalid_phone"


def normalize_phone(text: str) -> str:
    """A Philippine mobile number as typed (0917 123 4567, +63 917-123-4567, 639171234567),
    returned in E.164 (+639171234567). Raises InvalidPhone."""
    text = (text or "").strip()
    if not PHONE_CHARACTERS.match(text):
        raise InvalidPhone(field="phone")
    if text.startswith("63") and text.isdigit():
        text = "+" + text
    try:
        number = phonenumbers.parse(text, "PH")
    except NumberParseException:
        raise InvalidPhone(field="phone") from None
    if (
        number.country_code != 63
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number)
        not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    ):
        raise InvalidPhone(field="phone")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """+639171234567 shown the Philippine way: 0917 123 4567."""
    try:
        number = phonenumbers.parse(e164, "PH")
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
