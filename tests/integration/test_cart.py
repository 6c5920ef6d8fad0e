import pytest

from tests.conftest import csrf_token, text


def _add(client, item_id, quantity="1", htmx=False, token=None):
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"item_id": str(item_id), "quantity": quantity}
    data["csrf_token"] = token or csrf_token(client)
    return client.post("/cart/add", data=data, headers=headers)


def _cart(client) -> dict:
    with client.session_transaction() as session:
        return dict(session.get("cart", {}))


def test_add_then_show_with_server_totals(client, make):
    item = make.item(name="Pancit Canton", price=1850, stock=20)
    response = _add(client, item.id, "2")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cart")
    html = client.get("/cart").get_data(as_text=True)
    assert "Pancit Canton" in html
    assert "₱37.00" in html  # 2 × ₱18.50, computed on the server
    assert _cart(client) == {str(item.id): 2}


def test_adding_again_accumulates(client, make):
    item = make.item(stock=20)
    _add(client, item.id, "2")
    _add(client, item.id, "3")
    assert _cart(client) == {str(item.id): 5}


def test_htmx_add_returns_message_and_badge(client, make):
    item = make.item(name="Chicharon", stock=20)
    response = _add(client, item.id, "2", htmx=True)
    html = text(response)
    assert response.status_code == 200
    assert "Added 2 × Chicharon" in html
    assert 'id="cart-badge"' in html and 'hx-swap-oob="true"' in html
    assert ">2<" in html


def test_change_quantity_in_place_and_totals(client, make):
    item = make.item(price=2500, stock=9)
    _add(client, item.id, "1")
    token = csrf_token(client)
    response = client.post(
        f"/cart/lines/{item.id}",
        data={"quantity": "4", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    html = text(response)
    assert response.status_code == 200
    assert '<section id="cart"' in html and "<html" not in html
    assert "₱100.00" in html
    assert 'hx-swap-oob="true"' in html
    assert _cart(client) == {str(item.id): 4}


def test_change_quantity_without_javascript(client, make):
    item = make.item(stock=9)
    _add(client, item.id, "1")
    response = client.post(
        f"/cart/lines/{item.id}", data={"quantity": "3", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 303
    assert _cart(client) == {str(item.id): 3}


def test_remove(client, make):
    item = make.item()
    other = make.item()
    _add(client, item.id)
    _add(client, other.id)
    response = client.post(
        f"/cart/lines/{item.id}/remove",
        data={"csrf_token": csrf_token(client)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert _cart(client) == {str(other.id): 1}


def test_quantity_above_stock_is_refused_with_a_message(client, make):
    item = make.item(name="Last Mango", stock=3)
    response = _add(client, item.id, "4", htmx=True)
    assert response.status_code == 409
    assert "Only 3 are left of Last Mango" in text(response)
    assert _cart(client) == {}
    _add(client, item.id, "2")
    response = _add(client, item.id, "2", htmx=True)
    assert response.status_code == 409
    assert "already has 2" in text(response)
    assert _cart(client) == {str(item.id): 2}


def test_quantity_above_stock_on_update_is_refused(client, make):
    item = make.item(stock=3)
    _add(client, item.id, "1")
    response = client.post(
        f"/cart/lines/{item.id}",
        data={"quantity": "7", "csrf_token": csrf_token(client)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert "Only 3 are left" in text(response)
    assert _cart(client) == {str(item.id): 1}


def test_out_of_stock_cannot_be_added(client, make):
    item = make.item(stock=0)
    response = _add(client, item.id, "1", htmx=True)
    assert response.status_code == 409
    assert "out of stock" in text(response)


def test_stale_cart_is_corrected_with_a_notice(client, make, app):
    from shop.catalog.models import Item
    from shop.extensions import db

    item = make.item(name="Hot Pandesal", stock=5)
    gone = make.item(name="Old Stock")
    _add(client, item.id, "5")
    _add(client, gone.id, "1")
    with app.app_context():
        db.session.get(Item, item.id).stock = 2
        db.session.get(Item, gone.id).stock = 0
        db.session.commit()
    html = client.get("/cart").get_data(as_text=True)
    assert "Only 2 left of Hot Pandesal" in html
    assert "Old Stock sold out" in html
    assert _cart(client) == {str(item.id): 2}


def test_tampered_session_cart_is_ignored(client, make):
    item = make.item(stock=5)
    with client.session_transaction() as session:
        other, another = str(item.id + 10**6), str(item.id + 10**6 + 1)  # never the item's id
        session["cart"] = {str(item.id): 2, "abc": 1, other: -4, another: "x", str(10**15): 1}
    html = client.get("/cart").get_data(as_text=True)
    assert html.count('class="line"') == 1
    assert _cart(client) == {str(item.id): 2}


def test_badge_counts_units(client, make):
    a, b = make.item(), make.item()
    _add(client, a.id, "2")
    _add(client, b.id, "3")
    html = client.get("/").get_data(as_text=True)
    assert 'id="cart-badge"' in html
    assert '<span class="visually-hidden">, </span>5<span class="visually-hidden"> items' in html


@pytest.mark.parametrize(
    "quantity", ["0", "-5", "1e9", "abc", "", "1.5", "100", "٣", " ", "9" * 40]
)
def test_bad_quantities_are_refused_and_change_nothing(client, make, quantity):
    item = make.item(stock=500)
    _add(client, item.id, "1")
    response = _add(client, item.id, quantity, htmx=True)
    assert response.status_code == 422
    assert "quantity" in text(response).lower()
    response = client.post(
        f"/cart/lines/{item.id}",
        data={"quantity": quantity, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 422
    assert "quantity" in text(response).lower()
    assert _cart(client) == {str(item.id): 1}


@pytest.mark.parametrize("item_id", ["", "abc", "-1", "99999999", "1e3", "9" * 50])
def test_unknown_items_are_refused(client, item_id):
    response = _add(client, item_id, "1", htmx=True)
    assert response.status_code == 404
    assert _cart(client) == {}


def test_update_of_an_item_not_in_the_cart_is_404(client, make):
    item = make.item()
    response = client.post(
        f"/cart/lines/{item.id}", data={"quantity": "2", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 404
    assert _cart(client) == {}


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_cart_posts_need_a_valid_csrf_token(client, make, token):
    item = make.item()
    data = {"item_id": str(item.id), "quantity": "1"}
    if token is not None:
        data["csrf_token"] = token
    client.get("/")  # a session exists
    response = client.post("/cart/add", data=data)
    assert response.status_code == 400
    assert "expired" in text(response)
    assert _cart(client) == {}


def test_cart_shows_packages_and_too_large_items(client, make):
    snack = make.item(weight_g=500)
    ice_cream = make.item(frozen=True, weight_g=1000)
    fan = make.item(name="Stand Fan", length_mm=450, width_mm=400, height_mm=1000)
    _add(client, snack.id, "2")
    _add(client, ice_cream.id, "1")
    html = text(client.get("/cart"))
    assert '<dd data-testid="cart-packages">2</dd>' in html  # frozen travels apart
    assert "₱85.00 per package" in html
    refused = _add(client, fan.id, "1")
    assert refused.status_code in (303, 409)
    assert str(fan.id) not in _cart(client)  # never offered for a checkout that must refuse
    # One already in a cart (it grew after it was added) is named, and checkout isn't offered.
    with client.session_transaction() as session:
        session["cart"] = {**session["cart"], str(fan.id): 1}
    html = text(client.get("/cart"))
    assert "Stand Fan is too large or too heavy for store pickup" in html
    assert 'href="/checkout"' not in html


def test_an_item_too_large_for_pickup_offers_no_way_to_the_cart(client, make):
    fan = make.item(name="Stand Fan", length_mm=450, width_mm=400, height_mm=1000, stock=5)
    page = text(client.get(f"/items/{fan.slug}"))
    assert "Add to cart" not in page
    assert "too large or too heavy for a store package" in page and "can't be ordered" in page
    refused = _add(client, fan.id, "1", htmx=True)
    assert refused.status_code == 409
    assert "Stand Fan is too large or too heavy for store pickup" in text(refused)
    assert _cart(client) == {}
    plain = _add(client, fan.id, "1")  # without JavaScript: back, with the reason flashed
    assert plain.status_code == 303
    assert "too large" in text(client.get(plain.headers["Location"]))
    assert _cart(client) == {}


@pytest.mark.parametrize("htmx", [True, False])
def test_removed_names_the_item_and_can_be_undone(client, make, htmx):
    item = make.item(name="Pancit Canton", stock=20)
    _add(client, item.id, "3")
    headers = {"HX-Request": "true"} if htmx else {}
    token = csrf_token(client, "/cart")
    removed = client.post(
        f"/cart/lines/{item.id}/remove", data={"csrf_token": token}, headers=headers
    )
    page = text(client.get(removed.headers["Location"])) if not htmx else text(removed)
    assert "Removed Pancit Canton from your cart." in page
    assert "Undo: put back 3 × Pancit Canton" in page
    assert _cart(client) == {}
    back = client.post(
        f"/cart/lines/{item.id}/restore",
        data={"csrf_token": token, "quantity": "3"},
        headers=headers,
    )
    assert back.status_code in (200, 303)
    assert _cart(client) == {str(item.id): 3}
    assert "Undo:" not in text(client.get("/cart"))  # offered once


def test_undo_respects_the_stock_left(app, client, make):
    from shop.catalog.models import Item
    from shop.extensions import db

    item = make.item(name="Last Leche Flan", stock=3)
    _add(client, item.id, "3")
    token = csrf_token(client, "/cart")
    client.post(f"/cart/lines/{item.id}/remove", data={"csrf_token": token})
    with app.app_context():
        db.session.get(Item, item.id).stock = 1
        db.session.commit()
    response = client.post(
        f"/cart/lines/{item.id}/restore",
        data={"csrf_token": token, "quantity": "3"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409 and "Only 1 is left" in text(response)
    assert _cart(client) == {}


@pytest.mark.parametrize("typed", ["7", "0", "abc"])
def test_a_refused_quantity_is_said_next_to_its_line(client, make, typed):
    item = make.item(name="Kesong Puti", stock=3)
    other = make.item(name="Taho Mix")
    _add(client, item.id, "2")
    _add(client, other.id, "1")
    response = client.post(
        f"/cart/lines/{item.id}",
        data={"quantity": typed, "csrf_token": csrf_token(client)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code in (409, 422)
    page = text(response)
    line = page[page.index(f'id="line-{item.id}"') : page.index(f'id="line-{other.id}"')]
    assert f'id="qty-{item.id}-error"' in line and "Your cart still has 2." in line
    assert 'aria-invalid="true"' in line and 'value="2"' in line  # the box shows the real 2
    assert "aria-invalid" not in page[page.index(f'id="line-{other.id}"') :]
    assert _cart(client) == {str(item.id): 2, str(other.id): 1}
