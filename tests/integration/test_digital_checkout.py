"""A cart of digital items speaks of digital things (issue #9, point 5): nobody picks anything
up, the only way to pay is preselected, and a load asks for the number to load. On SQLite and
PostgreSQL."""

import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from shop.catalog.models import AsksFor, Item
from shop.checkout import service
from shop.checkout.models import Order, OrderLine, PaymentMethod
from shop.errors import InvalidInput
from shop.extensions import db
from tests.conftest import log_in, text
from tests.integration.test_checkout import _add, _checkout, _form
from tests.orders import place_order

DIGITAL = {"virtual": True, "length_mm": 0, "width_mm": 0, "height_mm": 0, "weight_g": 0}


@pytest.fixture
def load(make):
    return make.item(
        name="Prepaid Load 100", price=10000, stock=50, asks_for=AsksFor.MOBILE, **DIGITAL
    )


@pytest.fixture
def voucher(make):
    return make.item(
        name="Gift Voucher 500", price=50000, stock=50, asks_for=AsksFor.EMAIL, **DIGITAL
    )


def _field(item) -> str:
    return f"deliver_to_{item.id}"


def _checked(html: str) -> list[str]:
    """The payment methods the page shows checked."""
    return re.findall(r'name="payment" value="(\w+)" checked', html)


def _lines(app, number):
    with app.app_context():
        order = db.session.scalar(sa.select(Order).where(Order.number == number))
        return [(line.name, line.deliver_to) for line in order.lines]


def _number(response) -> str:
    return re.search(r"/orders/(CQ-[A-Z0-9-]{9})", response.headers["Location"]).group(1)


def test_a_digital_cart_asks_nothing_about_pickup(client, load):
    _add(client, load)
    html = client.get("/checkout").get_data(as_text=True)
    assert "Your details" in html and "Who picks it up" not in html
    assert "Name of the person picking up" not in html and "Your name" in html
    assert "pick it up within" not in html  # no pickup window is promised
    assert "data-branch-picker" not in html  # no branch to choose
    assert 'value="cod"' not in html  # cash on pickup can't apply: not even shown
    assert 'value="code"' in html and 'value="online"' in html
    assert _checked(html) == []  # two ways to pay: the shopper chooses


def test_a_load_asks_for_the_number_to_load(client, load):
    _add(client, load)
    html = client.get("/checkout").get_data(as_text=True)
    label = f'<label class="field__label" for="deliver-to-{load.id}">'
    assert f"{label}Number to load for Prepaid Load 100</label>" in html
    assert re.search(rf'name="{_field(load)}"[^>]*required[^>]*type="tel"', html, re.S)


def test_the_only_way_to_pay_is_preselected(client, make):
    # Over the pay-code cap, a digital order can only be paid by card: that one is checked.
    big = make.item(name="Big Voucher", price=service.CODE_PAYMENT_CAP.centavos + 100, **DIGITAL)
    _add(client, big)
    assert _checked(client.get("/checkout").get_data(as_text=True)) == ["online"]


def test_a_pickup_order_over_the_cash_cap_preselects_the_card(client, make):
    heavy = make.item(name="Television", price=service.COD_CAP.centavos + 100, stock=3)
    _add(client, heavy)
    html = client.get("/checkout").get_data(as_text=True)
    assert _checked(html) == ["online"]
    assert 'value="code"' not in html  # a pay code is for digital items only: not shown


def test_a_pickup_order_makes_the_shopper_choose(client, make):
    _add(client, make.item(name="Chips", stock=3))
    html = client.get("/checkout").get_data(as_text=True)
    assert _checked(html) == []  # cash on pickup is never chosen for anyone
    assert "Who picks it up" in html and "pick it up within" in html


@pytest.mark.parametrize("typed", ["", "12345", "0917 123 456", "+1 415 555 0100", "02 8123 4567"])
def test_a_wrong_number_to_load_is_refused_at_its_field(app, client, load, typed):
    _add(client, load)
    response = _checkout(client, payment="code", **{_field(load): typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the Philippine mobile number to load with Prepaid Load 100" in html
    assert re.search(rf'id="deliver-to-{load.id}"[^>]*aria-invalid="true"', html, re.S)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0
        assert db.session.get(Item, load.id).stock == 50  # the taken stock went back


def test_the_number_to_load_is_kept_on_its_line_and_shown(app, client, load, make):
    chips = make.item(name="Game PIN", price=5000, stock=5, **DIGITAL)  # asks nothing
    _add(client, load, 2)
    _add(client, chips)
    response = _checkout(client, payment="code", **{_field(load): "0918-765-4321"})
    assert response.status_code == 303, text(response)
    number = _number(response)
    assert sorted(_lines(app, number)) == [
        ("Game PIN", None),
        ("Prepaid Load 100", "+639187654321"),
    ]
    page = text(client.get(response.headers["Location"]))
    assert "To 0918 765 4321" in page


def test_a_voucher_asks_for_the_address_it_goes_to(app, client, voucher):
    _add(client, voucher)
    refused = _checkout(client, payment="online", **{_field(voucher): "not an address"})
    assert refused.status_code == 422
    assert "Enter the email address to send Gift Voucher 500 to" in text(refused)
    placed = _checkout(client, payment="online", **{_field(voucher): "Maria@Example.com"})
    assert placed.status_code == 303, text(placed)
    assert _lines(app, _number(placed)) == [("Gift Voucher 500", "maria@example.com")]


def test_a_mixed_cart_asks_for_pickup_and_for_the_number(app, client, make, load):
    branch = make.branch(shelf_capacity=5)
    _add(client, make.item(name="Chips", stock=5))
    _add(client, load)
    html = client.get("/checkout").get_data(as_text=True)
    assert "Who picks it up" in html and f'name="{_field(load)}"' in html
    response = _checkout(client, branch, payment="cod", **{_field(load): "09171234567"})
    assert response.status_code == 303, text(response)
    assert ("Prepaid Load 100", "+639171234567") in _lines(app, _number(response))


def test_a_signed_in_shopper_loads_their_own_number_by_default(app, client, make, load):
    user = make.user()
    with app.app_context():
        place_order(
            {str(load.id): 1},
            contact=service.Contact(user.name, "+639175550000", user.email),
            method=PaymentMethod.CODE,
            branch_code=None,
            expected_total=10000,
            user_id=user.id,
            answers={_field(load): "0917 555 0000"},
        )
        db.session.commit()
    log_in(client, user.email)
    _add(client, load)
    html = client.get("/checkout").get_data(as_text=True)
    assert re.search(rf'name="{_field(load)}" value="0917 555 0000"', html)


def test_the_service_refuses_a_line_without_its_answer(app, load):
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            place_order(
                {str(load.id): 1},
                contact=service.Contact("Juan dela Cruz", "+639171234567", "juan@example.com"),
                method=PaymentMethod.CODE,
                branch_code=None,
                expected_total=10000,
            )
        assert refused.value.field == _field(load)
        assert db.session.scalar(sa.select(sa.func.count(OrderLine.id))) == 0
        assert db.session.get(Item, load.id).stock == 50


@pytest.mark.parametrize(
    "shape",
    [
        "x" * 5000,
        "0917 123 4567\u200b",
        "\uff10\uff19\uff11\uff17\uff11\uff12\uff13\uff14\uff15\uff16\uff17",
    ],
)
def test_odd_answers_are_refused_without_an_order(app, client, load, shape):
    _add(client, load)
    response = _checkout(client, payment="code", **{_field(load): shape})
    assert 400 <= response.status_code < 500
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_an_answer_given_twice_uses_the_first_and_never_a_list(app, client, load):
    _add(client, load)
    data = _form(client) | {
        "name": "Juan dela Cruz",
        "phone": "0917 123 4567",
        "email": "juan@example.com",
        "payment": "code",
    }
    body = list(data.items()) + [(_field(load), "0917 111 2222"), (_field(load), "nonsense")]
    response = client.post("/checkout", data=MultiDict(body))
    assert response.status_code == 303, text(response)
    assert _lines(app, _number(response)) == [("Prepaid Load 100", "+639171112222")]


# --- the order page says where things stand (issue #9, point 7) ---------------------------------


def test_the_order_page_says_what_each_state_means(app, client, make, clock):
    item = make.item(name="Ube Halaya", price=25000, stock=10)
    _add(client, item)
    card = _checkout(client, make.branch(name="7-Eleven Ayala"), payment="online")
    number = _number(card)
    order_url = f"/orders/{number}"
    page = text(client.get(order_url))
    assert "Waiting for your card payment" in page
    assert "Pay ₱335.00 by card before" in page and "minutes left)" in page
    assert "Pay ₱335.00 now" in page

    _add(client, item)
    cod = _checkout(client, make.branch(name="7-Eleven Ortigas"), payment="cod")
    page = text(client.get(cod.headers["Location"]))
    assert "To pay at pickup: ₱335.00" in page
    assert "in cash at the counter at 7-Eleven Ortigas" in page

    clock.advance(minutes=31)
    with app.app_context():
        assert service.expire_unpaid() == 1
    page = text(client.get(order_url))
    assert "Expired: not paid in time" in page and "Shop again" in page
    assert "Pay ₱335.00 now" not in page and "What to do" not in page
