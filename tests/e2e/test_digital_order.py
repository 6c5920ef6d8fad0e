"""A cart of digital items in a phone-sized browser (issue #9, points 5 and 7): nobody picks
anything up, a load asks for the number to load and checks it, and the order page says what to
do and by when."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_checkout import _add_to_cart
from tests.e2e.test_pages import _serious_violations

LOAD = "Number to load for Prepaid Mobile Load ₱100"


def test_a_load_bought_with_a_pay_code(browser, live_server):
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": 360, "height": 740},
        bypass_csp=True,  # to inject axe-core (the pages' own CSP is tested elsewhere)
    )
    page = context.new_page()
    _add_to_cart(page, "mobile-load-100")
    page.goto("/checkout")
    # On a phone the order summary starts folded (the total is in the bar), and opens.
    lines = page.locator(".checkout__summary .mini")
    expect(lines).to_be_hidden()
    page.get_by_text("1 item · ₱100.00").click()
    expect(lines).to_contain_text("1 × Prepaid Mobile Load ₱100")
    expect(page.get_by_role("group", name="Your details")).to_be_visible()
    expect(page.get_by_role("group", name="Who picks it up")).to_have_count(0)
    expect(page.get_by_role("group", name="Pickup branch")).to_have_count(0)
    expect(page.get_by_text("pick it up within")).to_have_count(0)
    expect(page.get_by_label("Pay at the store (cash on pickup)")).to_have_count(0)
    page.get_by_label("Your name").fill("Maria Clara")
    page.get_by_label("Your mobile number").fill("0917 123 4567")
    page.get_by_label("Email").fill("maria@example.com")
    page.get_by_label(LOAD).fill("0917 123 456")  # a digit short
    page.get_by_label("Pay with a code at any 7-Eleven").check()
    screenshot(page, "checkout-digital-360")
    assert _serious_violations(page) == []
    page.get_by_role("button", name=re.compile("Place order")).click()

    number = page.get_by_label(LOAD)
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(
        page.get_by_text(re.compile("Enter the Philippine mobile number to load"))
    ).to_have_count(2)
    expect(number).to_have_value("0917 123 456")  # what was typed stays, to be corrected
    expect(page.get_by_label("Pay with a code at any 7-Eleven")).to_be_checked()
    number.fill("0918 765 4321")
    page.get_by_role("button", name=re.compile("Place order")).click()

    expect(page.get_by_test_id("order-status")).to_have_text(
        "Waiting for your payment at a 7-Eleven"
    )
    expect(page.get_by_test_id("order-standing")).to_contain_text(
        re.compile(r"Pay ₱100\.00 at any 7-Eleven counter with the pay code below before")
    )
    expect(page.get_by_test_id("destination")).to_have_text("To 0918 765 4321")
    expect(page.get_by_role("heading", name="Your pay code")).to_be_visible()
    expect(page.get_by_role("heading", name="Pickup branch")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "order-pay-code-360")
    assert _serious_violations(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "order-pay-code-1280")
    context.close()


def test_the_only_way_to_pay_is_chosen_for_the_shopper(page):
    # The gift voucher alone is ₱1,000: a pay code could pay it, so nothing is chosen; a cart
    # above the pay-code cap (₱50,000) can only pay by card. The demo's dearest digital item
    # times a large quantity crosses it.
    _add_to_cart(page, "pasalubong-gift-voucher-1000", 51)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/checkout")
    expect(page.locator(".checkout__summary .mini")).to_be_visible()  # open on a wide screen
    expect(page.get_by_label("Pay online (card)")).to_be_checked()
    expect(page.get_by_label("Pay with a code at any 7-Eleven")).to_be_disabled()
    expect(
        page.get_by_label("Email address to send Pasalubong Gift Voucher ₱1,000 to")
    ).to_be_visible()
    screenshot(page, "checkout-digital-card-only-1280")
