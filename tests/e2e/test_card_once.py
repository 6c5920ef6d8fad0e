"""Paying by card in a phone-sized browser, through localstripe's Stripe.js and our shim: 3-D
Secure is asked once per payment; a declined card is said in our words next to the card, the
button works again, and the order may turn to cash at the store (or, digital only, a pay code).
"""

import re

import pytest
from playwright.sync_api import expect

from shop.payments import service as payments
from shop.payments.service import DECLINED, NOT_CONFIRMED
from tests.e2e.conftest import screenshot
from tests.e2e.test_checkout import _add_to_cart, _card, _contact, _first_item
from tests.e2e.test_pages import _serious_violations

LOAD_ITEM = "mobile-load-100"
LOAD = "Number to load for Prepaid Mobile Load ₱100"

# Tells the test each time localstripe's 3-D Secure page (a box with "Complete
# authentication") appears, on every page the browser loads.
COUNT_3DS = """
new MutationObserver((changes) => {
  for (const change of changes) for (const node of change.addedNodes) {
    if (node.nodeType === 1 && /Complete authentication/.test(node.textContent || "")) {
      window.saw3ds();
    }
  }
}).observe(document, { childList: true, subtree: true });
"""


def _count_3ds(page) -> list:
    seen: list = []
    page.expose_function("saw3ds", lambda: seen.append(1))
    page.add_init_script(COUNT_3DS)
    return seen


def _online_order(page, category="personal-care"):
    _add_to_cart(page, _first_item(page, category))
    page.goto("/checkout")
    _contact(page)
    page.get_by_label("Pay online (card)").check()
    page.get_by_label("Search by name, city or branch code").fill("Pasig")
    page.locator('input[name="branch_code"]:not([disabled])').first.check()
    page.get_by_role("button", name=re.compile("Place order")).click()
    expect(page.get_by_role("heading", name=re.compile(r"Pay ₱"))).to_be_visible()


def _pay(page):
    page.get_by_role("button", name=re.compile(r"^Pay ₱")).click()


@pytest.fixture
def axe_page(browser, live_server, localstripe):
    """A phone-sized page that can take axe-core (its CSP bypassed for that one script; the
    page's own CSP is exercised by the tests on the `page` fixture)."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, bypass_csp=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_3d_secure_is_asked_once_and_ends_on_the_paid_order(page):
    seen = _count_3ds(page)
    _online_order(page)
    _card(page, "4000002760003184")
    _pay(page)
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=15000)
    expect(page.get_by_test_id("order-code")).to_have_text(re.compile(r"^2"))
    assert len(seen) == 1


def test_a_failed_3d_secure_check_is_said_in_our_words(page):
    seen = _count_3ds(page)
    _online_order(page)
    _card(page, "4000002760003184")
    _pay(page)
    page.get_by_role("button", name="Fail authentication").click()
    expect(page.get_by_role("alert")).to_have_text(NOT_CONFIRMED)
    assert len(seen) == 1
    # Another try asks again, once, for that new payment.
    _pay(page)
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=15000)
    assert len(seen) == 2


def test_a_declined_card_offers_cash_at_the_store(axe_page):
    page = axe_page
    _online_order(page)
    cash = page.get_by_role("button", name="Pay in cash at the store instead")
    expect(cash).to_be_visible()  # quietly, from the start
    assert _serious_violations(page) == []
    screenshot(page, "pay-360")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, "pay-1280")
    page.set_viewport_size({"width": 360, "height": 740})

    _card(page, "4000000000000341")  # declined when charged
    button = page.get_by_role("button", name=re.compile(r"^Pay ₱"))
    button.click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(DECLINED)
    expect(button).not_to_have_attribute("aria-disabled", "true")
    expect(page.locator("#pay-cash")).to_have_class(re.compile("pay-cash--offered"))
    expect(page.get_by_text("No card needed: pay in cash at the counter")).to_be_visible()
    # Focus stays where the shopper can use it: on the button, which works again.
    assert page.evaluate("document.activeElement && document.activeElement.id") == "pay-button"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert _serious_violations(page) == []
    screenshot(page, "pay-declined-360")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, "pay-declined-1280")
    page.set_viewport_size({"width": 360, "height": 740})

    cash.click()
    expect(page.get_by_test_id("order-status")).to_have_text(re.compile(r"^To pay at pickup: ₱"))
    expect(page.get_by_role("heading", name="Your pay & claim code")).to_be_visible()
    code = page.get_by_test_id("order-code").inner_text()
    assert re.fullmatch(r"3\d{3} \d{4} \d{4} \d{2}", code), code
    expect(page.get_by_test_id("amount-due")).to_contain_text("₱")


def test_a_digital_order_is_offered_a_pay_code(page):
    _add_to_cart(page, LOAD_ITEM)
    page.goto("/checkout")
    page.get_by_label("Your name").fill("Maria Clara")
    page.get_by_label("Your mobile number").fill("0917 123 4567")
    page.get_by_label("Email").fill("maria@example.com")
    page.get_by_label(LOAD).fill("0917 123 4567")
    page.get_by_label("Pay online (card)").check()
    page.get_by_role("button", name=re.compile("Place order")).click()
    expect(page.get_by_role("heading", name=re.compile(r"Pay ₱"))).to_be_visible()
    page.get_by_role("button", name="Get a pay code instead").click()
    expect(page.get_by_test_id("order-status")).to_have_text(
        "Waiting for your payment at a 7-Eleven"
    )
    code = page.get_by_test_id("order-code").inner_text()
    assert re.fullmatch(r"1\d{3} \d{4} \d{4} \d{2}", code), code


def test_a_double_click_pays_once(page, live_app):
    _online_order(page)
    number = re.search(r"/orders/(CQ-[A-Z0-9-]+)/pay", page.url).group(1)
    charges = []
    page.on(
        "request",
        lambda r: charges.append(r.url) if r.method == "POST" and "/pay?" in r.url else None,
    )
    _card(page, "4242424242424242")
    # Two presses at once (a real double-click may land beside the button: the page moves as
    # it says "Checking your card…").
    page.get_by_role("button", name=re.compile(r"^Pay ₱")).evaluate(
        "b => { b.click(); b.click(); }"
    )
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=15000)
    assert len(charges) == 1, charges  # the second press did nothing
    with live_app.app_context():
        intents = payments.client().v1.payment_intents.list(params={"limit": 100})
        mine = [
            pi
            for pi in intents.auto_paging_iter()
            if (pi.to_dict().get("metadata") or {}).get("order") == number
        ]
    assert len(mine) == 1
