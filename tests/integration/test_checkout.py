"""Checkout through the test client and the service, on SQLite and PostgreSQL."""

import re

import pytest
import sqlalchemy as sa

from shop.branches.models import Branch
from shop.catalog.models import Item
from shop.checkout import service
from shop.checkout.models import Order, OrderStatus, PaymentMethod
from shop.codes import CodeType, damm_valid, kind_of
from shop.extensions import db
from shop.fulfillment.models import Package, Shipment
from tests.conftest import csrf_token, text
from tests.orders import place_order


def _add(client, item, quantity=1):
    client.post(
        "/cart/add",
        data={"item_id": item.id, "quantity": quantity, "csrf_token": csrf_token(client)},
    )


def _form(client) -> dict:
    html = client.get("/checkout").get_data(as_text=True)
    fields = dict(
        re.findall(
            r'<input[^>]*name="(csrf_token|idempotency_key|expected_total)"'
            r'[^>]*value="([^"]*)"',
            html,
        )
    )
    fields |= {
        k: v
        for v, k in re.findall(
            r'<input[^>]*value="([^"]*)"[^>]*name="(csrf_token|idempotency_key|expected_total)"',
            html,
        )
    }
    if "csrf_token" not in fields:
        fields["csrf_token"] = csrf_token(client)
    return fields


def _checkout(client, branch=None, payment="cod", form=None, **overrides):
    """Post the checkout form; `form` is what an earlier GET of /checkout gave (else GET now)."""
    data = (form or _form(client)) | {
        "name": "Juan dela Cruz",
        "phone": "0917 123 4567",
        "email": "juan@example.com",
        "payment": payment,
    }
    if branch is not None:
        data["branch_code"] = branch.code
    data |= overrides
    return client.post("/checkout", data={k: v for k, v in data.items() if v is not None})


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _get(app, model, **by):
    with app.app_context():
        obj = db.session.scalar(sa.select(model).filter_by(**by))
        db.session.expunge(obj)
        return obj


def test_cod_checkout_gives_reference_code_tracking_and_amount_due(app, client, make):
    item = make.item(name="Ube Halaya", price=25000, stock=10)
    branch = make.branch(shelf_capacity=10)
    _add(client, item, 2)
    response = _checkout(client, branch)
    assert response.status_code == 303, text(response)
    assert re.match(r"/orders/CQ-[A-Z0-9]{4}-[A-Z0-9]{4}\?key=", response.headers["Location"])
    page = text(client.get(response.headers["Location"]))
    order = _get(app, Order, name="Juan dela Cruz")
    assert order.status is OrderStatus.CONFIRMED
    assert order.total == 2 * 25000 + service.SHIPPING_FEE_PER_PACKAGE.centavos
    assert order.amount_due == order.total
    assert order.phone == "+639171234567"
    code = _get(app, Shipment, id=order.shipment_id)
    assert kind_of(code.code) is CodeType.REFERENCE and damm_valid(code.code)
    assert " ".join([code.code[i : i + 4] for i in range(0, 14, 4)]) in page
    assert "<svg" in page and 'role="img"' in page
    assert "₱585.00" in page  # the amount due at the counter
    package = _get(app, Package, shipment_id=order.shipment_id)
    assert kind_of(package.tracking_number) is CodeType.TRACKING
    assert f'href="/track/{package.tracking_number}"' in page
    assert _get(app, Item, id=item.id).stock == 8
    assert _get(app, Branch, id=branch.id).reserved == 1
    assert text(client.get("/cart")).count('class="line"') == 0  # the cart is emptied


def test_double_submit_makes_one_order(app, client, make):
    item = make.item(stock=10)
    branch = make.branch()
    _add(client, item, 1)
    form = _form(client)
    first = _checkout(client, branch, form=form)
    second = _checkout(client, branch, form=form)  # the same idempotency key: a double-click
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    assert _count(app, Order) == 1
    assert _get(app, Item, id=item.id).stock == 9


def test_empty_cart(client, make):
    branch = make.branch()
    assert "Your cart is empty" in text(client.get("/checkout"))
    response = _checkout(client, branch, idempotency_key="k" * 32, expected_total="0")
    assert response.status_code == 422
    assert "Your cart is empty" in text(response)


def test_stale_cart_changes_nothing(app, client, make):
    item = make.item(name="Last Leche Flan", stock=3)
    branch = make.branch()
    _add(client, item, 3)
    form = _form(client)
    with app.app_context():
        db.session.get(Item, item.id).stock = 1
        db.session.commit()
    response = _checkout(client, branch, form=form)
    assert response.status_code == 409
    assert "Only 1 left of Last Leche Flan" in text(response)
    assert _count(app, Order) == 0
    assert _get(app, Item, id=item.id).stock == 1
    assert _get(app, Branch, id=branch.id).reserved == 0


@pytest.mark.parametrize("code", ["9999", "no-such", "", "<script>"])
def test_unknown_branch_changes_nothing(app, client, make, code):
    item = make.item(stock=5)
    make.branch()
    _add(client, item)
    response = _checkout(client, branch_code=code)
    assert response.status_code in (404, 422)
    assert "branch" in text(response).lower()
    assert _count(app, Order) == 0
    assert _get(app, Item, id=item.id).stock == 5


def test_full_branch_is_refused(app, client, make):
    item = make.item(stock=5)
    branch = make.branch(shelf_capacity=3, reserved=3)
    _add(client, item)
    response = _checkout(client, branch)
    assert response.status_code == 409
    assert "full" in text(response).lower()
    assert _get(app, Item, id=item.id).stock == 5
    assert _get(app, Branch, id=branch.id).reserved == 3


def test_frozen_order_needs_a_frozen_branch(app, client, make):
    item = make.item(frozen=True, stock=5)
    plain = make.branch(frozen=False)
    _add(client, item)
    response = _checkout(client, plain)
    assert response.status_code == 409
    assert "frozen" in text(response).lower()
    assert _count(app, Order) == 0
    cold = make.branch(frozen=True)
    assert _checkout(client, cold).status_code == 303


def test_too_large_item_makes_the_cart_ineligible(app, client, make):
    item = make.item(name="Giant Teddy Bear", length_mm=900, width_mm=500, height_mm=400)
    branch = make.branch()
    _add(client, item)  # refused (see test_cart): put it in as a cart from before would hold it
    with client.session_transaction() as session:
        session["cart"] = {str(item.id): 1}
    page = text(client.get("/checkout"))
    assert "Giant Teddy Bear is too large" in page
    assert "Place order" not in page
    # A hand-made post that says the right total and carries a real key: only the packing rule
    # can refuse it.
    response = _checkout(client, branch, **_valid_form_fields(app, client, {str(item.id): 1}))
    assert response.status_code == 409
    assert "Giant Teddy Bear is too large or too heavy for store pickup" in text(response)
    assert _count(app, Order) == 0
    assert _get(app, Item, id=item.id).stock == 10  # the stock it took came back


def _valid_form_fields(app, client, contents) -> dict:
    """What a checkout form the server rendered would carry, made without one (for carts
    whose page shows no form): the session's own key and the cart's true total."""
    with client.session_transaction() as session:
        sid = session["checkout_sid"]
    with app.app_context():
        offer, _ = service.quote(contents)
        key = service.checkout_key(f"{sid}:")
    return {
        "idempotency_key": key,
        "expected_total": str(offer.total.centavos),
        "csrf_token": csrf_token(client),
    }


@pytest.mark.parametrize("phone", ["12345", "02 8123 4567", "+1 415 555 0100", "0917-abc", ""])
def test_invalid_phone(app, client, make, phone):
    item = make.item()
    branch = make.branch()
    _add(client, item)
    response = _checkout(client, branch, phone=phone)
    assert response.status_code == 422
    assert "mobile number" in text(response).lower()
    assert _count(app, Order) == 0


def test_tampered_total_is_refused(app, client, make):
    item = make.item(price=10000)
    branch = make.branch()
    _add(client, item)
    response = _checkout(client, branch, expected_total="100")
    assert response.status_code == 409
    assert "check the new total" in text(response)
    assert _count(app, Order) == 0


def test_payment_must_be_chosen(app, client, make):
    item = make.item()
    branch = make.branch()
    _add(client, item)
    page = text(client.get("/checkout"))
    assert "checked" not in re.search(r'id="pay-cod"[^>]*>', page).group()  # never a default
    response = _checkout(client, branch, payment=None)
    assert response.status_code == 422
    assert "Choose how you'd like to pay" in text(response)
    response = _checkout(client, branch, payment="bitcoin")
    assert response.status_code == 422


def test_cod_is_capped(app, client, make):
    item = make.item(price=service.COD_CAP.centavos, stock=5)
    branch = make.branch()
    _add(client, item)
    page = text(client.get("/checkout"))
    assert re.search(r'id="pay-cod"[^>]*disabled', page)
    response = _checkout(client, branch, payment="cod")
    assert response.status_code == 422
    assert "Cash on pickup is for orders up to ₱50,000.00" in text(response)


def test_code_payment_for_digital_items(app, client, make):
    load = make.item(
        name="Load 100",
        price=10000,
        virtual=True,
        stock=100,
        length_mm=0,
        width_mm=0,
        height_mm=0,
        weight_g=0,
    )
    _add(client, load, 2)
    page = text(client.get("/checkout"))
    assert "Pickup branch" not in page and "no shipping" in page
    response = _checkout(client, payment="code")
    assert response.status_code == 303
    order = _get(app, Order, name="Juan dela Cruz")
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert order.total == 20000 and order.shipping_fee == 0
    assert order.pay_code.startswith("1") and damm_valid(order.pay_code)
    hours = (order.hold_until - order.created_at).total_seconds() / 3600
    assert hours == app.config["PAY_CODE_HOURS"] == 48
    page = text(client.get(response.headers["Location"]))
    assert "Your pay code" in page and "<svg" in page


def test_code_payment_is_refused_for_physical_items(app, client, make):
    item = make.item()
    branch = make.branch()
    _add(client, item)
    response = _checkout(client, branch, payment="code")
    assert response.status_code == 422
    assert "Only for digital items" in text(response)


def test_online_order_awaits_payment_and_holds_stock(app, client, make):
    item = make.item(stock=4)
    branch = make.branch()
    _add(client, item)
    with app.app_context():
        offer, _ = service.quote({str(item.id): 1})
        order = place_order(
            {str(item.id): 1},
            idempotency_key="online-1",
            contact=service.check_contact("Maria", "09171234567", "m@example.com"),
            method=PaymentMethod.ONLINE,
            branch_code=branch.code,
            expected_total=offer.total.centavos,
        )
        assert order.status is OrderStatus.AWAITING_PAYMENT
        assert order.shipment_id is None  # labels come once it is paid
        assert order.hold_until is not None
    assert _get(app, Item, id=item.id).stock == 3


def test_order_page_is_for_its_owner_or_signed_link(app, client, make):
    item = make.item()
    branch = make.branch()
    _add(client, item)
    location = _checkout(client, branch).headers["Location"]
    path, key = location.split("?key=")
    assert client.get(path).status_code == 200  # the session that placed it
    stranger = app.test_client()
    assert stranger.get(path).status_code == 404
    assert stranger.get(f"{path}?key=forged").status_code == 404
    assert stranger.get(location).status_code == 200
    assert stranger.get("/orders/CQ-XXXX-XXXX").status_code == 404
    assert stranger.get("/orders/nonsense").status_code == 404


def test_a_signed_in_shopper_finds_orders_on_the_account_page(app, client, make):
    from tests.conftest import log_in

    user = make.user(name="Andres Bonifacio")
    log_in(client, user.email)
    _add(client, make.item())
    location = _checkout(client, make.branch()).headers["Location"]
    number = location.split("/orders/")[1].split("?")[0]
    page = text(client.get("/account"))
    assert number in page
    assert client.get(f"/orders/{number}").status_code == 200  # the owner, without a key
    assert "Andres Bonifacio" in page


def test_a_missing_total_is_refused(app, client, make):
    item = make.item()
    _add(client, item)
    response = _checkout(client, make.branch(), expected_total="")
    assert response.status_code == 409
    assert _count(app, Order) == 0


def test_a_number_drawn_twice_is_caught_by_the_index_and_drawn_again(app, make, monkeypatch):
    from shop import codes as code_module

    item = make.item(stock=10)
    branch = make.branch()
    contact_args = ("Maria", "09171234567", "m@example.com")

    def place(key):
        with app.app_context():
            offer, _ = service.quote({str(item.id): 1})
            return place_order(
                {str(item.id): 1},
                idempotency_key=key,
                contact=service.check_contact(*contact_args),
                method=PaymentMethod.COD,
                branch_code=branch.code,
                expected_total=offer.total.centavos,
            )

    first = place("first")
    with app.app_context():
        taken = db.session.scalar(sa.select(Package.tracking_number))
    fresh = code_module.generate
    draws = iter([first.number])
    monkeypatch.setattr(service, "_new_order_number", lambda: next(draws, "CQ-ZZZZ-ZZZZ"))
    tracking = iter([taken])
    monkeypatch.setattr(
        code_module,
        "generate",
        lambda kind: (
            next(tracking, None) or fresh(kind) if kind is CodeType.TRACKING else fresh(kind)
        ),
    )
    second = place("second")
    assert second.number == "CQ-ZZZZ-ZZZZ"
    assert _count(app, Order) == 2
    assert _get(app, Item, id=item.id).stock == 8  # the failed attempt took nothing
    with app.app_context():
        numbers = list(db.session.scalars(sa.select(Package.tracking_number)))
    assert len(numbers) == len(set(numbers)) == 2


def test_a_branch_filled_between_two_checkout_pages_is_full_on_the_second(app, client, make):
    # The list a checkout page opens with is read fresh: no process keeps a copy whose free
    # slots could offer a full branch as free (issue #8). It opens at the guest's last pickup
    # branch (issue #9, point 3).
    item = make.item()
    branch = make.branch(shelf_capacity=1)
    _add(client, item)
    with client.session_transaction() as session:
        session["last_branch"] = branch.code
    radio = re.compile(rf'<input[^>]*id="branch-{branch.code}"[^>]*>')
    first = client.get("/checkout").get_data(as_text=True)
    with app.app_context():
        db.session.get(Branch, branch.id).reserved = 1  # someone else took the last slot
        db.session.commit()
    second = client.get("/checkout").get_data(as_text=True)
    assert "1 slot free" in first and "disabled" not in radio.search(first).group()
    assert "1 slot free" not in second and "Full right now" in second
    assert 'tag--ok">1 slot free' in first and 'tag--stop">Full' in second
    assert "disabled" in radio.search(second).group()
    response = _checkout(client, branch)
    assert response.status_code == 409 and "full" in text(response).lower()
    assert _count(app, Order) == 0


def test_the_account_page_shows_each_order_and_the_checkout_starts_filled(app, client, make):
    from tests.conftest import log_in

    user = make.user(name="Andres Bonifacio", email="andres@example.com")
    log_in(client, user.email)
    _add(client, make.item(name="Ube Halaya", price=25000), 2)
    _checkout(client, make.branch(), phone="0918 765 4321")
    page = text(client.get("/account"))
    order = _get(app, Order, user_id=user.id)
    assert order.number in page
    assert "2 × Ube Halaya" in page and "₱585.00" in page and "To pay at pickup: ₱585.00" in page
    assert f'datetime="{order.created_at.isoformat()}"' in page
    _add(client, make.item())
    form = text(client.get("/checkout"))
    assert 'value="Andres Bonifacio"' in form and 'value="andres@example.com"' in form
    assert 'value="0918 765 4321"' in form  # the mobile of the latest order


def test_a_new_account_starts_with_no_mobile(app, client, make):
    from tests.conftest import log_in

    user = make.user(name="Gabriela Silang")
    log_in(client, user.email)
    _add(client, make.item())
    form = text(client.get("/checkout"))
    assert 'value="Gabriela Silang"' in form
    assert re.search(
        r'<input[^>]*name="phone"[^>]*value=""|<input(?![^>]*value=)[^>]*name="phone"', form
    )


def test_a_guest_is_told_to_keep_the_link_and_an_owner_is_not(app, client, make):
    from tests.conftest import log_in

    _add(client, make.item())
    guest_page = text(client.get(_checkout(client, make.branch()).headers["Location"]))
    assert "it is the key to your order" in guest_page and "juan@example.com" in guest_page
    owner = app.test_client()
    log_in(owner, make.user().email)
    _add(owner, make.item())
    owner_page = text(owner.get(_checkout(owner, make.branch()).headers["Location"]))
    assert "key to your order" not in owner_page
