"""The label's rules that need no database (issue #10, point 2): the phone mask, the bars."""

import re

import barcode
import pytest

from shop.fulfillment import labels
from shop.fulfillment.labels import LabelContent, bars, code128_modules, mask_phone


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+639171234567", "0917 *** 4567"),
        ("+639981110000", "0998 *** 0000"),
        ("09171234567", "0917 *** 4567"),
        ("12345", "*** 45"),
        ("", ""),
        ("x", ""),
    ],
)
def test_a_phone_shows_its_prefix_and_last_four_only(phone, masked):
    assert mask_phone(phone) == masked


def test_the_bars_are_python_barcodes_modules():
    number = "712345678903"
    modules = barcode.get_barcode_class("code128")(number).build()[0]
    assert code128_modules(number) == modules
    drawn = ["0"] * len(modules)
    for start, width in bars(modules):
        drawn[start : start + width] = ["1"] * width
    assert "".join(drawn) == modules
    assert modules.startswith("11") and modules.endswith("11")  # starts and ends with a bar


def test_the_bars_and_quiet_zones_fit_an_a6_page():
    modules = code128_modules("712345678903")
    width = (len(modules) + 2 * labels.QUIET_MODULES) * labels.MODULE_MM
    assert width <= labels.PAGE_MM[0] - 2 * labels.MARGIN_MM


def test_render_draws_one_a6_page_per_label():
    label = LabelContent(
        tracking_number="712345678903",
        tracking_grouped="7123 4567 8903",
        branch_code="0456",
        branch_name="7-Eleven Ortigas Center Emerald Avenue",
        branch_city="Pasig",
        recipient_name="Maria Clara Santos",
        recipient_phone="0917 *** 4567",
        payment_line="COD ₱1,234.50 — collect at counter",
        cod=True,
        frozen=True,
        routing="origin 0123 → DC Pasig → 0456",
        package_no=1,
        package_count=3,
        reference="CQ-ABCD-1234",
        weight="1.25 kg",
    )
    pdf = labels.render([label, label, label])
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 3
    assert b"/MediaBox [0 0 297.64 419.53]" in pdf


@pytest.mark.parametrize(
    ("text", "safe"),
    [("CQ-ABCD-1234", "CQ-ABCD-1234"), ('a"b\r\nc/../d', "abcd"), ("", "label"), ("₱", "label")],
)
def test_a_filename_keeps_letters_digits_and_dashes(text, safe):
    assert labels.safe_filename(text) == safe
