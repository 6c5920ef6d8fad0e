"""The codes people type: Damm check digits, generation, parsing and barcodes. No database."""

import re
import time

import barcode
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from shop.codes import (
    LABELS,
    LENGTHS,
    MAX_INPUT_CHARS,
    PREFIXES,
    CodeType,
    InvalidCode,
    barcode_svg,
    damm_check_digit,
    damm_valid,
    generate,
    group,
    kind_of,
    parse,
)
from shop.errors import InvalidInput, status_for

SAMPLE = 200  # generated codes per type for the exhaustive typo checks


@pytest.fixture(scope="module")
def samples() -> dict[CodeType, list[str]]:
    return {kind: [generate(kind) for _ in range(SAMPLE)] for kind in CodeType}


def codes_of(kind=None):
    """A Hypothesis strategy of valid codes: random bodies of the right shape plus the check."""
    kinds = st.sampled_from(list(CodeType)) if kind is None else st.just(kind)

    def build(k: CodeType, data: st.DataObject):
        n = k.length - 2
        body = k.prefix + data.draw(st.text("0123456789", min_size=n, max_size=n))
        return body + damm_check_digit(body)

    return st.tuples(kinds, st.data()).map(lambda t: build(*t))


# --- Damm -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "check"),
    [("572", "4"), ("0", "0"), ("1", "3"), ("123", "4"), ("5724", "0"), ("11294", "6")],
)
def test_damm_known_vectors(body, check):
    assert damm_check_digit(body) == check
    assert damm_valid(body + check)


def test_damm_valid_examples():
    assert damm_valid("5724")
    assert not damm_valid("5723")
    assert not damm_valid("5742")  # the last two swapped
    assert not damm_valid("7524")  # the first two swapped


@pytest.mark.parametrize("bad", ["", "12a", "１２", "٣", " 1", "1\x00", None, 572])
def test_damm_rejects_non_digits(bad):
    assert damm_valid(bad) is False
    with pytest.raises(ValueError):
        damm_check_digit(bad)


def test_damm_valid_needs_a_body_and_a_check_digit():
    assert not damm_valid("0")


@given(st.text("0123456789", min_size=1, max_size=30))
def test_damm_appended_check_digit_is_always_valid(body):
    assert damm_valid(body + damm_check_digit(body))
    wrong = [d for d in "0123456789" if d != damm_check_digit(body)]
    assert not any(damm_valid(body + d) for d in wrong)


@pytest.mark.parametrize("kind", list(CodeType))
def test_every_single_digit_substitution_is_detected(samples, kind):
    for code in samples[kind]:
        for i, original in enumerate(code):
            for d in "0123456789":
                if d != original:
                    typo = code[:i] + d + code[i + 1 :]
                    assert not damm_valid(typo), (code, typo)


@pytest.mark.parametrize("kind", list(CodeType))
def test_every_adjacent_transposition_is_detected(samples, kind):
    for code in samples[kind]:
        for i in range(len(code) - 1):
            a, b = code[i], code[i + 1]
            if a != b:
                swapped = code[:i] + b + a + code[i + 2 :]
                assert not damm_valid(swapped), (code, swapped)


# --- generate -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "first", "length"),
    [
        (CodeType.TRACKING, "7", 12),
        (CodeType.PAY, "1", 14),
        (CodeType.CLAIM, "2", 14),
        (CodeType.REFERENCE, "3", 14),
        (CodeType.RETURN, "4", 14),
    ],
)
def test_format_per_type(samples, kind, first, length):
    assert PREFIXES[kind] == kind.prefix == first
    assert LENGTHS[kind] == kind.length == length
    for code in samples[kind]:
        assert len(code) == length
        assert code[0] == first
        assert re.fullmatch(r"[0-9]+", code)
        assert damm_valid(code)
        assert kind_of(code) is kind
        assert parse(code, [kind]) == code


def test_labels():
    assert {k: k.label for k in CodeType} == LABELS
    assert LABELS == {
        CodeType.TRACKING: "tracking number",
        CodeType.PAY: "PAY CODE",
        CodeType.CLAIM: "CLAIM CODE",
        CodeType.REFERENCE: "PAY & CLAIM (REFERENCE) CODE",
        CodeType.RETURN: "RETURN CODE",
    }
    assert CodeType("claim") is CodeType.CLAIM
    assert CodeType.CLAIM == "claim"


def test_generate_accepts_the_string_value_and_refuses_an_unknown_kind():
    assert kind_of(generate("pay")) is CodeType.PAY
    with pytest.raises(ValueError):
        generate("gift")


@pytest.mark.parametrize("kind", [CodeType.TRACKING, CodeType.CLAIM])
def test_generated_codes_look_random(kind):
    codes = [generate(kind) for _ in range(1000)]
    assert len(set(codes)) == 1000
    # Not sequential: consecutive codes' random parts are not a counter.
    n = [int(c[1:-1]) for c in codes]
    steps = {b - a for a, b in zip(n, n[1:], strict=False)}
    assert len(steps) > 900
    assert sorted(n) != n
    # Every digit turns up in every random position (10^-43 chance of a false failure).
    for i in range(1, kind.length - 1):
        assert {c[i] for c in codes} == set("0123456789"), i


# --- kind_of, group, parse ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("712345678901", CodeType.TRACKING),
        ("12345678901234", CodeType.PAY),
        ("22345678901234", CodeType.CLAIM),
        ("32345678901234", CodeType.REFERENCE),
        ("42345678901234", CodeType.RETURN),
        ("72345678901234", None),  # 7 with 14 digits
        ("123456789012", None),  # 1 with 12 digits
        ("52345678901234", None),
        ("02345678901234", None),
        ("2234 5678 9012 34", None),  # kind_of takes bare codes
        ("", None),
        ("２２345678901234", None),
    ],
)
def test_kind_of(code, kind):
    assert kind_of(code) is kind


def test_group():
    assert group("12345678901234") == "1234 5678 9012 34"
    assert group("712345678901") == "7123 4567 8901"
    assert group("") == ""


@given(codes_of())
def test_parse_undoes_group(code):
    assert parse(group(code)) == code
    assert parse(group(code).replace(" ", "-")) == code
    assert parse(f"  {code}\n") == code


@given(codes_of(), st.data())
def test_parse_ignores_any_mix_of_separators(code, data):
    seps = st.text(" -\u00a0\u2007\u202f\u2009\u2010\u2011\u2012\u2013\u2014\u2212\t", max_size=2)
    text = "".join(c + data.draw(seps) for c in code)
    if len(text) <= MAX_INPUT_CHARS:
        assert parse(text) == code


def test_parse_accepts_what_people_type():
    code = "2" + "123456789012"
    code += damm_check_digit(code)
    a, b, c, d = group(code).split()
    assert parse(f"{a}-{b} {c} {d}") == code
    assert parse(f"{a} - {b} - {c} - {d}") == code
    assert parse(f"{a}\u00a0{b}\u2013{c}\u2014{d}") == code  # non-breaking space, en/em dash
    assert parse(code, kinds=[CodeType.CLAIM]) == code
    assert parse(code, kinds=CodeType.CLAIM) == code  # a single kind, not its letters


def refused(text, kinds=None) -> str:
    with pytest.raises(InvalidCode) as caught:
        parse(text, kinds)
    error = caught.value
    assert isinstance(error, InvalidInput)
    assert (status_for(error), error.code) == (422, "invalid_code")
    return error.message


def test_parse_refuses_a_wrong_check_digit():
    code = generate(CodeType.CLAIM)
    typo = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert refused(typo) == "That code has a typo: please check the digits."
    assert refused(group(typo)) == "That code has a typo: please check the digits."


def test_parse_calls_a_slip_on_the_type_digit_a_typo():
    code = generate(CodeType.CLAIM)
    assert "typo" in refused("1" + code[1:], [CodeType.CLAIM])
    assert "typo" in refused("5" + code[1:])


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "type the code"),
        ("   ", "type the code"),
        (None, "type the code"),
        (b"22345678901234", "type the code"),
        ("2234 5678 9012 3A", "only the digits"),
        ("CLAIM 2234567890123", "only the digits"),
        ("2234567890123\x004", "only the digits"),
        ("２２３４５６７８９０１２３４", "only the digits"),  # full-width digits
        ("2234.5678.9012.34", "only the digits"),
        ("2234_5678_9012_34", "only the digits"),
        ("2234567890123\u200b4", "only the digits"),  # zero-width space
        ("<script>", "only the digits"),
        ("572", "has 3 digits"),
        ("2234567890123", "has 13 digits"),
        ("223456789012345", "has 15 digits"),
        ("2" * 40, "has 40 digits"),
        ("9" * 5000, "too long"),
        ("1" + " " * 100 + "2", "too long"),
    ],
)
def test_parse_refuses(text, says):
    assert says in refused(text)


def test_parse_refuses_an_unknown_first_digit():
    for first in "056789":
        body = first + "123456789012"
        assert "first digit" in refused(body + damm_check_digit(body))
    body = "1" + "2345678901"  # a 1 with a tracking number's length
    assert "first digit" in refused(body + damm_check_digit(body))


def test_parse_refuses_a_5000_character_input_cheaply():
    text = "1234 " * 1000
    start = time.perf_counter()
    for _ in range(1000):
        with pytest.raises(InvalidCode):
            parse(text)
    assert time.perf_counter() - start < 0.5


def test_parse_kinds_filter():
    claim, pay = generate(CodeType.CLAIM), generate(CodeType.PAY)
    tracking = generate(CodeType.TRACKING)
    assert parse(claim, [CodeType.CLAIM, CodeType.REFERENCE]) == claim
    assert refused(pay, [CodeType.CLAIM]) == "That is a PAY CODE; a CLAIM CODE is needed here."
    assert refused(claim, [CodeType.PAY, CodeType.REFERENCE]) == (
        "That is a CLAIM CODE; a PAY CODE or a PAY & CLAIM (REFERENCE) CODE is needed here."
    )
    # A whole code of another length is named too, not called the wrong length.
    assert "is a CLAIM CODE; a tracking number" in refused(claim, [CodeType.TRACKING])
    assert "is a tracking number" in refused(tracking, [CodeType.RETURN])
    # A broken code of a length no allowed kind has is told the length to type.
    assert "should have 12" in refused("2" * 14, [CodeType.TRACKING])
    assert "should have 14" in refused("123", [CodeType.PAY])


def test_parse_kinds_must_be_code_types():
    code = generate(CodeType.PAY)
    with pytest.raises(ValueError):
        parse(code, [])
    with pytest.raises(ValueError):
        parse(code, ["gift"])


@given(st.text(max_size=80))
def test_parse_either_returns_a_valid_code_or_refuses(text):
    try:
        code = parse(text)
    except InvalidCode as error:
        assert error.message
    else:
        assert kind_of(code) is not None
        assert damm_valid(code)


# --- barcode_svg ----------------------------------------------------------------------------


def bars_to_modules(svg: str, module_width: float = 0.3) -> tuple[str, float, float, float]:
    """The bar pattern an ideal scanner reads off the drawn rects, as '1'/'0' modules, with the
    quiet zones either side (in modules) and the total width."""
    width = float(re.search(r'viewBox="0 0 ([\d.]+) [\d.]+"', svg).group(1))
    rects = [
        (float(x), float(w))
        for x, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    ][1:]  # the first is the white background
    start = rects[0][0]
    end = rects[-1][0] + rects[-1][1]
    modules = ["0"] * round((end - start) / module_width)
    for x, w in rects:
        first = round((x - start) / module_width)
        for i in range(first, first + round(w / module_width)):
            modules[i] = "1"
    return "".join(modules), start / module_width, (width - end) / module_width, width


@pytest.mark.parametrize("kind", list(CodeType))
def test_barcode_svg(kind):
    code = generate(kind)
    svg = barcode_svg(code)
    assert isinstance(svg, Markup)
    assert svg.startswith("<svg ")
    assert svg.endswith("</svg>")
    assert 'role="img"' in svg
    assert f'aria-label="Barcode of {escape_amp(kind.label)} {group(code)}"' in svg
    assert "viewBox=" in svg
    assert 'width="100%"' in svg
    assert "mm" not in svg  # no fixed physical size: it scales with the page
    assert svg.count("<rect") > 20
    assert 'fill="#fff"' in svg  # white background
    for absent in ("<?xml", "<!DOCTYPE", "<!--", "<script", "<text", "href", "<image", "url("):
        assert absent not in svg
    assert re.findall(r"https?://[^\"']*", svg) == ["http://www.w3.org/2000/svg"]
    assert re.search(r"\son\w+=", svg) is None  # no event handlers


def escape_amp(text: str) -> str:
    return text.replace("&", "&amp;")


def test_barcode_svg_draws_exactly_the_code128_of_the_code_with_quiet_zones():
    for kind in CodeType:
        code = generate(kind)
        modules, left, right, _ = bars_to_modules(barcode_svg(code))
        expected = barcode.get("code128", code).build()[0].strip("0")
        assert modules == expected
        # Code 128 needs at least 10 modules of quiet zone each side.
        assert left >= 10
        assert right >= 10


def test_barcode_svg_differs_per_code_and_is_cached():
    a, b = generate(CodeType.CLAIM), generate(CodeType.CLAIM)
    assert barcode_svg(a) != barcode_svg(b)
    assert barcode_svg(a) is barcode_svg(a)
    assert barcode_svg(group(a)) == barcode_svg(a)  # a grouped code draws the bare digits


def test_barcode_svg_title_is_escaped():
    code = generate(CodeType.PAY)
    svg = barcode_svg(code, title='Pay "now" <script>alert(1)</script>')
    assert "<script>" not in svg
    assert 'aria-label="Pay &#34;now&#34; &lt;script&gt;' in svg


def test_barcode_svg_refuses_an_invalid_code():
    with pytest.raises(InvalidCode):
        barcode_svg("hello")
    with pytest.raises(InvalidCode):
        barcode_svg("12345678901234")  # wrong check digit
