"""Every rule a page states comes from its one setting or constant (issue #8, point 9).

Each test changes a setting (app.config) or a constant (monkeypatched where it lives), renders
the pages that state the rule, and finds the new value there and the old one nowhere: a number
written into a template again fails here. Where the service enforces the rule, the test also
shows it enforces the changed value, so what a page says and what the shop does stay one."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from shop.branches import service as branches
from shop.cart import service as cart_service
from shop.catalog import service as catalog
from shop.checkout import service as checkout
from shop.checkout.models import Order
from shop.extensions import db
from shop.fulfillment import packing
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package
from shop.money import Money
from tests.conftest import csrf_token, text
from tests.integration.test_checkout import _add, _checkout, _get

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
MOMENT = datetime(2026, 7, 14, 7, 5, tzinfo=UTC)  # Tue 14 Jul, 3:05 PM in Manila


def _digital(make, **overrides):
    fields = {"name": "Load 100", "price": 10000, "virtual": True, "stock": 100}
    sizes = {"length_mm": 0, "width_mm": 0, "height_mm": 0, "weight_g": 0}
    return make.item(**(fields | sizes | overrides))


# --- the pickup window ---------------------------------------------------------------------------


def test_the_pickup_window_shown_is_the_setting(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "PICKUP_DAYS", 11)
    branch = make.branch()
    _add(client, make.item())
    page = text(client.get("/checkout"))
    assert "pick it up within 11 days of its arrival" in page
    assert "7 days" not in page
    order_page = text(client.get(_checkout(client, branch).headers["Location"]))
    assert "pick it up within 11 days" in order_page
    assert "7 days" not in order_page


def test_the_tracking_page_shows_the_pickup_deadline_of_a_package_at_its_branch(
    app, client, make, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "PICKUP_DAYS", 3)
    clock.set(MOMENT)
    _add(client, make.item())
    _checkout(client, make.branch())
    with app.app_context():
        package = db.session.scalar(sa.select(Package))
        number = package.tracking_number
        for action in ("drop_off", "accept", "dispatch"):
            ecms.transition(package, action)
        db.session.commit()
    assert "Pick it up by" not in text(client.get(f"/track/{number}"))  # not there yet
    clock.advance(hours=5)
    with app.app_context():
        package = db.session.scalar(sa.select(Package))
        ecms.transition(package, "arrive")
        db.session.commit()
        assert ecms.pickup_deadline(ecms.arrived_at(package)) == MOMENT + timedelta(days=3, hours=5)
    page = text(client.get(f"/track/{number}"))
    shown = re.search(r'data-testid="pickup-by">(.*?)</p>', page).group(1)
    assert re.sub("<[^>]+>", "", shown) == "Pick it up by Fri 17 Jul, 8:05 PM."  # Manila time


def test_pickup_days_must_be_a_whole_number_of_at_least_one(monkeypatch):
    from shop.config import Config, ConfigError

    for bad in ("0", "-3", "seven", "1.5"):
        monkeypatch.setenv("PICKUP_DAYS", bad)
        with pytest.raises(ConfigError, match="PICKUP_DAYS"):
            Config()
    monkeypatch.setenv("PICKUP_DAYS", "10")
    assert Config().PICKUP_DAYS == 10
    monkeypatch.delenv("PICKUP_DAYS")
    assert Config().PICKUP_DAYS == 7


# --- payment periods ----------------------------------------------------------------------------


def test_the_payment_hold_shown_and_applied_is_the_setting(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "ONLINE_PAYMENT_HOLD_MINUTES", 45)
    branch = make.branch()
    _add(client, make.item())
    page = text(client.get("/checkout"))
    assert "Pay within 45 minutes to keep your items" in page
    assert "30 minutes" not in page
    assert _checkout(client, branch, payment="online").status_code == 303
    order = _get(app, Order, name="Juan dela Cruz")
    assert order.hold_until - order.created_at == timedelta(minutes=45)


def test_the_pay_code_period_shown_and_applied_is_the_setting(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "PAY_CODE_HOURS", 36)
    _add(client, _digital(make))
    page = text(client.get("/checkout"))
    assert "within 36 hours" in page
    assert "48 hours" not in page
    assert _checkout(client, payment="code").status_code == 303
    order = _get(app, Order, name="Juan dela Cruz")
    assert order.hold_until - order.created_at == timedelta(hours=36)


# --- package limits -----------------------------------------------------------------------------


def test_the_package_limits_shown_and_applied_are_the_constants(app, client, make, monkeypatch):
    monkeypatch.setattr(packing, "BRANCH_BOX_MM", (250, 350, 400))
    monkeypatch.setattr(packing, "BRANCH_MAX_WEIGHT_G", 12_500)
    limits = "25 × 35 × 40 cm, 12.5 kg"
    # The lamp fits the changed box (380 mm, 11 kg) and not the seeds' one; the cube fits the
    # seeds' box and not the changed one (its third side, 300 mm, is over 250 mm).
    lamp = make.item(name="Long Lamp", length_mm=380, width_mm=90, height_mm=90, weight_g=11_000)
    cube = make.item(name="Cube Stool", length_mm=300, width_mm=300, height_mm=300)
    assert f"Too large for a store package ({limits})" in text(client.get(f"/items/{cube.slug}"))
    assert "Any 7-Eleven branch" in text(client.get(f"/items/{lamp.slug}"))
    _add(client, lamp)
    _add(client, cube)  # refused: no package can take it
    with client.session_transaction() as session:  # as if it had grown once in the cart
        session["cart"] = {**session["cart"], str(cube.id): 1}
    cart_page = text(client.get("/cart"))
    problem = (
        f"Cube Stool is too large or too heavy for store pickup (a package is at most {limits})"
    )
    assert problem in cart_page and problem in text(client.get("/checkout"))
    assert "Long Lamp is too large" not in cart_page
    client.post(f"/cart/lines/{cube.id}/remove", data={"csrf_token": csrf_token(client, "/cart")})
    checkout_page = text(client.get("/checkout"))
    assert f"each at most {limits}" in checkout_page and "too large" not in checkout_page
    for page in (cart_page, checkout_page):
        assert "30 × 30" not in page and "10 kg" not in page


# --- caps and fees ------------------------------------------------------------------------------


def test_the_cod_cap_shown_and_applied_is_the_constant(app, client, make, monkeypatch):
    monkeypatch.setattr(checkout, "COD_CAP", Money.pesos(150))
    branch = make.branch()
    _add(client, make.item(price=10000), 1)  # ₱100 + ₱85 shipping: over ₱150
    page = client.get("/checkout").get_data(as_text=True)
    assert re.search(r'id="pay-cod"[^>]*disabled', page)
    assert "Cash on pickup is for orders up to ₱150.00" in text(client.get("/checkout"))
    assert "50,000" not in text(client.get("/checkout"))
    response = _checkout(client, branch, payment="cod")
    assert response.status_code == 422 and "up to ₱150.00" in text(response)
    monkeypatch.setattr(checkout, "COD_CAP", Money.pesos(185))  # exactly the total: allowed
    assert _checkout(client, branch, payment="cod").status_code == 303


def test_the_code_payment_cap_shown_and_applied_is_the_constant(app, client, make, monkeypatch):
    monkeypatch.setattr(checkout, "CODE_PAYMENT_CAP", Money.pesos(150))
    _add(client, _digital(make), 2)  # ₱200
    page = text(client.get("/checkout"))
    assert "Code payment is for orders up to ₱150.00" in page
    assert _checkout(client, payment="code").status_code == 422


def test_the_quantity_cap_shown_and_applied_is_the_constant(app, client, make, monkeypatch):
    monkeypatch.setattr(cart_service, "MAX_QUANTITY", 5)
    item = make.item(stock=50)
    page = client.get(f"/items/{item.slug}").get_data(as_text=True)
    assert re.search(r'id="quantity"[^>]*max="5"', page)
    _add(client, item, 6)
    assert "Enter a quantity from 1 to 5." in text(client.get("/cart"))  # refused, flashed
    assert "Your cart is empty" in text(client.get("/cart"))
    _add(client, item, 5)
    page = client.get("/cart").get_data(as_text=True)
    assert re.search(rf'id="qty-{item.id}"[^>]*max="5"', page)
    assert 'max="99"' not in page
    low = make.item(stock=3)  # the stock, when lower than the cap, is the limit
    assert re.search(
        r'id="quantity"[^>]*max="3"', client.get(f"/items/{low.slug}").get_data(as_text=True)
    )


def test_the_shipping_fee_shown_and_charged_is_the_constant(app, client, make, monkeypatch):
    monkeypatch.setattr(checkout, "SHIPPING_FEE_PER_PACKAGE", Money.pesos(120))
    _add(client, make.item(price=10000))
    assert "Shipping is ₱120.00 per package" in text(client.get("/cart"))
    page = text(client.get("/checkout"))
    assert "Shipping is ₱120.00 per package" in page and "₱220.00" in page
    assert "₱85" not in page


def test_the_search_lengths_shown_are_the_constants(app, client, make, monkeypatch):
    monkeypatch.setattr(catalog, "MAX_QUERY", 40)
    monkeypatch.setattr(branches, "MAX_QUERY", 30)
    page = client.get("/?q=" + "a" * 50).get_data(as_text=True)
    assert 'maxlength="40"' in page and "limited to 40 characters" in page
    finder = client.get("/branches?q=" + "b" * 50).get_data(as_text=True)
    assert 'maxlength="30"' in finder and "limited to 30 characters" in finder
    assert 'maxlength="100"' not in page + finder


# --- the net under all of it ---------------------------------------------------------------------

# A number with a unit a rule is stated in, a peso amount, a box size, a cap on an input: each
# must come from a variable, never be typed into a template.
RESTATED = re.compile(
    r"\b\d+\s*(?:days?|hours?|minutes?|mins?|cm|kg|g|characters?)\b"
    r"|₱\s*\d|\bPHP\s*\d|\d\s*[×x]\s*\d"
    r"|\b(?:max|min|maxlength|minlength)=\"\d{2,}\""
    r"|\[\s*[\w.]+\s*,\s*\d+\s*\]\s*\|\s*(?:min|max)",
    re.IGNORECASE,
)


def test_no_template_restates_a_rule():
    found = [
        f"{path.relative_to(TEMPLATES)}:{n}: {match.group()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for match in RESTATED.finditer(line)
    ]
    assert found == []


def test_the_net_catches_what_the_templates_used_to_say():
    for line in (
        "By placing the order you agree to pick it up within 7 days of its arrival.",
        "Pay within 30 minutes to keep your items.",
        "pay at any 7-Eleven counter within 48 hours.",
        "(up to 30 × 30 × 30 cm and 10 kg each)",
        "for orders up to ₱50,000",
        'max="{{ [item.stock, 99] | min }}"',
        'maxlength="100"',
        "Searches are limited to 100 characters",
    ):
        assert RESTATED.search(line), line
