"""The kiosk's pages (issue #10, point 5), on both databases: a return's code, barcode,
tracking number, window and label; a PAY CODE's charge slip; every refusal said clearly with a
4xx; CSRF on its forms; its lookups rate limited per address (KIOSK_RATE_LIMIT)."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop import codes
from shop.extensions import db
from shop.fulfillment import returns
from shop.fulfillment.models import Code
from tests.conftest import csrf_token, text
from tests.integration.test_pay_codes import load, placed  # noqa: F401  (fixtures)
from tests.integration.test_returns import (  # noqa: F401  (fixtures)
    FITS,
    MOMENT,
    PHONE,
    call,
    claimed,
    order_number,
    shipped,
    world,
)

KIOSK = "/counter/kiosk"


def post_return(client, lookup, phone="0917 123 4567", **extra):
    token = csrf_token(client, f"{KIOSK}/return")
    return client.post(
        f"{KIOSK}/return", data={"csrf_token": token, "lookup": lookup, "phone": phone, **extra}
    )


def post_pay(client, code):
    token = csrf_token(client, f"{KIOSK}/pay")
    return client.post(f"{KIOSK}/pay", data={"csrf_token": token, "code": code})


def codes_made(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Code.id)))


def test_the_kiosk_offers_its_two_tasks_without_a_login(client):
    page = client.get(KIOSK)
    assert page.status_code == 200
    html = text(page)
    assert "Return a package" in html and "Pay with a pay code" in html
    assert "within 7 days of pickup" in html
    assert page.headers["Cache-Control"] == "no-store"


def test_a_return_shows_its_code_barcode_tracking_window_and_label(app, client, world, clock):  # noqa: F811
    order = claimed(app, world, clock)
    clock.set(MOMENT + timedelta(days=1))
    page = post_return(client, order.reference)
    assert page.status_code == 200, text(page)
    html = page.get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(sa.select(Code))
    assert f'data-testid="return-code">{codes.group(row.code)}<' in html
    assert f'aria-label="Barcode of your return code {codes.group(row.code)}"' in html
    assert codes.group(row.tracking_number) in html
    assert "Hand it in by" in html and "45 × 30 × 30 cm, 10 kg" in html
    assert "any 7-Eleven" in html and "stick it flat" in html
    label = re.search(r'href="([^"]+label\.pdf)"', html).group(1)
    pdf = client.get(label)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and pdf.headers["Cache-Control"] == "no-store"
    again = post_return(client, order.numbers[0])
    assert again.status_code == 200 and "the same code" in text(again)
    assert codes_made(app) == 1


@pytest.mark.parametrize(
    ("case", "status", "says"),
    [
        ("unknown", 404, "couldn't find an order with that number and mobile number"),
        ("wrong_phone", 404, "couldn't find an order with that number and mobile number"),
        ("not_claimed", 409, "hasn't been picked up yet"),
        ("out_of_window", 409, "return window for that package closed on"),
        ("returned", 409, "already been returned"),
    ],
)
def test_every_refusal_is_said(app, client, world, clock, case, status, says):  # noqa: F811
    phone = "0917 123 4567"
    if case == "unknown":
        lookup = order_number()
    elif case == "not_claimed":
        lookup = shipped(app, world).reference
    else:
        order = claimed(app, world, clock)
        lookup = order.reference
        if case == "wrong_phone":
            phone = "0918 765 4321"
        elif case == "out_of_window":
            clock.set(MOMENT + timedelta(days=8))
        elif case == "returned":
            issued = call(app, returns.request_return, lookup, PHONE)
            call(app, returns.accept_return, issued.return_code, world.clerk_a, inspection=FITS)
    page = post_return(client, lookup, phone)
    assert page.status_code == status
    assert says in text(page).replace("&#39;", "'")
    assert 'role="alert"' in page.get_data(as_text=True)
    assert codes_made(app) == (1 if case == "returned" else 0)


@pytest.mark.parametrize(
    ("lookup", "phone", "field"),
    [
        ("", "09171234567", "lookup"),
        ("   ", "09171234567", "lookup"),
        ("x" * 5000, "09171234567", "lookup"),
        ("CQ-2345-678\x00", "09171234567", None),  # NUL: refused before the view
        ("hello", "09171234567", "lookup"),
        ("2" * 14, "09171234567", "lookup"),  # a typo in a UID
        ("7123 4567 890", "09171234567", "lookup"),
        ("١٢٣٤", "09171234567", "lookup"),
        ("CQ-2345-6789", "", "phone"),
        ("CQ-2345-6789", "call me", "phone"),
        ("CQ-2345-6789", "9" * 5000, "phone"),
    ],
)
def test_bad_input_of_every_shape_is_a_4xx(app, client, lookup, phone, field):
    page = post_return(client, lookup, phone)
    assert 400 <= page.status_code < 500
    if field:
        assert f'id="{field}-error"' in page.get_data(as_text=True)
    assert codes_made(app) == 0


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"lookup": ["CQ-2345-6789", "CQ-2345-6788"], "phone": "09171234567"},
        {"lookup": "CQ-2345-6789", "phone": ["09171234567", "x"]},
    ],
)
def test_odd_forms_are_a_4xx(client, data):
    token = csrf_token(client, f"{KIOSK}/return")
    page = client.post(f"{KIOSK}/return", data={"csrf_token": token, **data})
    assert 400 <= page.status_code < 500


def test_the_forms_need_their_csrf_token(client):
    assert client.post(f"{KIOSK}/return", data={"lookup": "x", "phone": "y"}).status_code == 400
    assert client.post(f"{KIOSK}/pay", data={"code": "x"}).status_code == 400


def test_a_pay_code_gives_a_charge_slip(app, client, load):  # noqa: F811
    order = placed(app, load)
    page = post_pay(client, codes.group(order.pay_code))
    assert page.status_code == 200, text(page)
    html = page.get_data(as_text=True)
    assert f'data-testid="slip-code">{codes.group(order.pay_code)}<' in html
    assert 'data-testid="slip-amount">₱100.00<' in html
    assert "Prepaid Load 100" in html and "0918 *** 4321" in html
    assert f'aria-label="Barcode of your pay code {codes.group(order.pay_code)}"' in html
    assert "Valid until" in html


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("", 422),
        ("1234", 422),
        ("4" + "0" * 12 + codes.damm_check_digit("4" + "0" * 12), 422),  # a RETURN CODE
        ("1" + "0" * 12 + codes.damm_check_digit("1" + "0" * 12), 404),  # fixed: xdist ids
        ("x" * 5000, 422),
    ],
)
def test_a_bad_pay_code_is_said(client, code, status):
    page = post_pay(client, code)
    assert page.status_code == status
    assert 'id="code-error"' in page.get_data(as_text=True)


def test_an_expired_pay_code_is_said(app, client, load, clock):  # noqa: F811
    order = placed(app, load)
    clock.set(order.hold_until)
    page = post_pay(client, order.pay_code)
    assert page.status_code == 409 and "expired on" in text(page)


def test_a_label_for_a_code_that_is_not_live_is_a_404(client):
    assert client.get(f"{KIOSK}/returns/{codes.generate('return')}/label.pdf").status_code == 404
    assert client.get(f"{KIOSK}/returns/junk/label.pdf").status_code == 422


def test_kiosk_lookups_are_rate_limited_per_address(app, client):
    token = csrf_token(client, f"{KIOSK}/return")
    answers = [
        client.post(
            f"{KIOSK}/return",
            data={"csrf_token": token, "lookup": order_number(), "phone": "09171234567"},
        ).status_code
        for _ in range(10)
    ]
    assert answers == [404] * 10
    # The eleventh lookup in the minute, whichever task or label it asks for, is refused.
    assert client.post(f"{KIOSK}/pay", data={"csrf_token": token, "code": "1"}).status_code == 429
    assert client.get(f"{KIOSK}/returns/{codes.generate('return')}/label.pdf").status_code == 429
    other = app.test_client()
    fresh = other.post(
        f"{KIOSK}/return",
        data={
            "csrf_token": csrf_token(other, f"{KIOSK}/return"),
            "lookup": order_number(),
            "phone": "09171234567",
        },
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert fresh.status_code == 404  # another address has its own budget
    assert client.get(KIOSK).status_code == 200  # the pages themselves are not lookups
