"""Every state of an order, as the shopper's page shows it at 360 px, at 1280 px and printed
(issue #9, point 7): the headline says what it means, axe-core finds nothing serious, and
nothing scrolls sideways. Orders are made through the services, as checkout makes them."""

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop import clock
from shop.catalog.models import Item
from shop.checkout import service
from shop.checkout.models import Order, PaymentMethod
from shop.extensions import db
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations
from tests.orders import place_order

# A long name and address: the page must still not scroll sideways at 360 px.
CONTACT = service.Contact(
    "Maximilianopaulo-Bartholomew dela Cruz", "+639171234567", "maximilianopaulo@example.com"
)


def _item(slug: str) -> Item:
    return db.session.scalar(sa.select(Item).where(Item.slug == slug))


def _place(slug: str, method: PaymentMethod, branch: str | None = "0412", answers=None) -> str:
    item = _item(slug)
    placed = place_order(
        {str(item.id): 1},
        idempotency_key=uuid.uuid4().hex[:16],
        contact=CONTACT,
        method=method,
        branch_code=branch,
        expected_total=item.price + (8500 if not item.virtual else 0),
        answers=answers,
    )
    return placed.number


@pytest.fixture(scope="module")
def orders(live_app):
    """One order in each state the shopper can meet today, by state name."""
    with live_app.app_context():
        load = _item("mobile-load-100")
        made = {
            "awaiting-card": _place("mainit-pork-siomai-20", PaymentMethod.ONLINE),
            "to-pay-at-pickup": _place("mainit-pork-siomai-20", PaymentMethod.COD),
            "awaiting-counter": _place(
                "mobile-load-100",
                PaymentMethod.CODE,
                branch=None,
                answers={f"deliver_to_{load.id}": "0918 765 4321"},
            ),
        }
        paid = _place("mainit-pork-siomai-20", PaymentMethod.ONLINE)
        order = db.session.scalar(sa.select(Order).where(Order.number == paid))
        service.confirm_online_payment(paid, "pi_states_paid", order.total, "php")
        made["paid"] = paid
        expired = _place("mainit-pork-siomai-20", PaymentMethod.ONLINE)
        with db.session.begin():
            db.session.execute(
                sa.update(Order)
                .where(Order.number == expired)
                .values(hold_until=clock.now() - timedelta(minutes=1))
            )
        service.expire_unpaid()
        made["expired"] = expired
        return {name: (number, service.order_key(number)) for name, number in made.items()}


HEADLINES = {
    "awaiting-card": "Waiting for your card payment",
    "to-pay-at-pickup": re.compile(r"^To pay at pickup: ₱"),
    "awaiting-counter": "Waiting for your payment at a 7-Eleven",
    "paid": "Paid",
    "expired": "Expired: not paid in time",
}


@pytest.mark.parametrize("state", list(HEADLINES))
def test_each_state_reads_as_what_it_means(browser, live_server, orders, state):
    number, key = orders[state]
    context = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, bypass_csp=True
    )
    page = context.new_page()
    page.goto(f"/orders/{number}?key={key}")
    expect(page.get_by_test_id("order-status")).to_have_text(HEADLINES[state])
    expect(page.get_by_test_id("order-standing")).not_to_be_empty()
    assert "text" not in page.get_by_test_id("order-standing").inner_text().lower()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, f"order-{state}-360")
    assert _serious_violations(page) == []
    page.emulate_media(media="print")
    assert _serious_violations(page) == []
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, f"order-{state}-1280")
    context.close()
