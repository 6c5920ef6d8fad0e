"""Branch closure and re-routing in a browser (issue #10, point 10): the shopper's order page
at 360 px after their branch closed says where the package went and why, and lets them choose
another branch with the picker; the operator's branch screens at 360 and 1280 px. Accessible,
nothing scrolls sideways."""

import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop.catalog.models import Item
from shop.checkout import service
from shop.checkout.models import Order, PaymentMethod
from shop.extensions import db
from shop.fulfillment import service as ecms
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations
from tests.orders import place_order

CLOSING = "0779"  # 7-Eleven Magallanes Interchange, Makati (frozen-ready: the siomai is frozen)
OPERATOR = ecms.Actor(role="admin", name="Operator (e2e)")


@pytest.fixture
def closed_order(live_app):
    """A COD order to CLOSING, whose branch then closes for today; reopened after the test
    (the live server is shared by every browser test)."""
    with live_app.app_context():
        item = db.session.scalar(sa.select(Item).where(Item.slug == "mainit-pork-siomai-20"))
        placed = place_order(
            {str(item.id): 1},
            idempotency_key=uuid.uuid4().hex[:16],
            contact=service.Contact("Juan dela Cruz", "+639171234567", "juan@example.com"),
            method=PaymentMethod.COD,
            branch_code=CLOSING,
            expected_total=item.price + 8500,
        )
        link = service.order_link(placed.number).removeprefix("http://localhost")
        done = ecms.reroute.close_branch(CLOSING, OPERATOR)
    try:
        yield placed.number, link, done
    finally:
        with live_app.app_context():
            ecms.reroute.reopen_branch(CLOSING, OPERATOR)


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture
def phone(browser, live_server):
    """A 360 × 740 page; the CSP bypassed only so axe-core can be injected."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, bypass_csp=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_the_shopper_sees_the_reroute_and_chooses_another_branch(phone, live_app, closed_order):
    page = phone
    number, link, done = closed_order
    [moved] = [m for m in done.moved if m.reference == number]
    page.goto(link)
    notice = page.get_by_test_id("rerouted")
    expect(notice).to_contain_text(f"Your package was sent to {moved.to_name}")
    expect(notice).to_contain_text("because 7-Eleven Magallanes Interchange closed")
    picker = page.get_by_role("group", name="New pickup branch")
    expect(picker).to_be_visible()  # open after a re-route
    _fits(page, 360)
    assert _serious_violations(page) == []
    screenshot(page, "reroute-order-360")

    assert moved.to_code != "0412"  # the nearest frozen-ready one, not the one chosen below
    page.get_by_label("Search by name, city or branch code").fill("Ayala Triangle")
    option = page.get_by_role("radio", name="7-Eleven Ayala Triangle")
    expect(option).to_be_visible()
    option.check()
    page.get_by_role("button", name="Send my order to this branch").click()
    expect(page.get_by_text("Your order now goes to 7-Eleven Ayala Triangle")).to_be_visible()
    expect(page.get_by_test_id("rerouted")).to_contain_text(
        f"You moved your pickup from {moved.to_name} to 7-Eleven Ayala Triangle"
    )
    _fits(page, 360)
    screenshot(page, "reroute-order-chosen-360")
    with live_app.app_context():
        order = db.session.scalar(sa.select(Order).where(Order.number == number))
        shipment = ecms.get_shipment(order.shipment_id)
        from shop.branches import service as branches

        assert branches.get_branch_by_id(shipment.branch_id).code == "0412"


@pytest.mark.parametrize("width", [1280, 360])
def test_the_operator_screens(browser, live_server, closed_order, width):
    number, link, done = closed_order
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    try:
        page.goto(link)
        _fits(page, width)
        screenshot(page, f"reroute-order-{width}")

        page.goto("/login")
        page.get_by_label("Email").fill("admin@demo.cliqq.ph")
        page.get_by_label("Password").fill("cliqq-demo-2026")
        page.get_by_role("button", name="Log in").click()
        page.goto("/admin/branches")
        expect(page.get_by_test_id(f"status-{CLOSING}")).to_have_text("Closed on " + _day(done))
        _fits(page, width)
        assert _serious_violations(page) == []
        screenshot(page, f"admin-branches-{width}")

        search = page.get_by_label("Search by name, city or branch code")
        search.fill("Legaspi")
        search.press("Enter")
        page.get_by_role("link", name="7-Eleven Legaspi Village").click()
        expect(page.get_by_role("heading", name="7-Eleven Legaspi Village")).to_be_visible()
        page.get_by_label("Until a date", exact=True).check()
        page.get_by_label("Last closed day").fill(done.closed_from.isoformat())
        _fits(page, width)
        assert _serious_violations(page) == []
        screenshot(page, f"admin-branch-{width}")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Close 7-Eleven Legaspi Village?")).to_be_visible()
        expect(page.get_by_test_id("closure-effect")).to_contain_text("will be re-routed")
        _fits(page, width)
        assert _serious_violations(page) == []
        screenshot(page, f"admin-branch-close-{width}")
        page.get_by_role("link", name="Cancel").click()  # nothing closed
        expect(page.get_by_test_id("branch-status")).to_have_text("Open")
    finally:
        context.close()


def _day(done) -> str:
    day = done.closed_from
    return f"{day:%a} {day.day} {day:%b}"
