import pytest

from shop.contact import InvalidPhone, format_phone, normalize_phone


@pytest.mark.parametrize(
    "typed",
    [
        "0917 123 4567",
        "09171234567",
        "+63 917 123 4567",
        "+639171234567",
        "639171234567",
        "0917-123-4567",
        "(0917) 123 4567",
    ],
)
def test_philippine_mobiles_in_every_usual_form(typed):
    assert normalize_phone(typed) == "+639171234567"
    assert format_phone(normalize_phone(typed)) == "0917 123 4567"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        " ",
        "12345",
        "02 8123 4567",
        "+1 415 555 0100",
        "0917 123 456",
        "0917-abc-4567",
        "9" * 40,
        "0917 123 4567\x00",
        None,
    ],
)
def test_everything_else_is_refused(typed):
    with pytest.raises(InvalidPhone) as refused:
        normalize_phone(typed)
    assert refused.value.field == "phone"
    assert "mobile number" in refused.value.message
