"""Every page at 360 px: accessible (axe-core finds nothing serious or critical), no sideways
scrolling, and a screenshot in tests/e2e/screenshots/ for a person to look at."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import AXE, screenshot

PAGES = {
    "home": "/",
    "search": "/?q=ube",
    "category": "/?category=frozen-food&sort=price-low",
    "item": "/items/mainit-pork-siomai-20",
    "item-too-large": "/items/ani-well-milled-rice-25kg",
    "cart": "/cart",
    "cart-empty": "/cart",
    "login": "/login",
    "signup": "/signup",
    "not-found": "/items/no-such-item",
    "bad-request": "/?page=abc",
}


@pytest.fixture
def phone(browser, live_server):
    # axe-core is injected as a script, which our Content-Security-Policy would rightly block.
    context = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, bypass_csp=True
    )
    yield context.new_page()
    context.close()


def _fill_cart(page):
    page.goto("/items/mainit-pork-siomai-20")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge")).to_contain_text("1")


def _serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_accessible_and_fits_a_phone(phone, name):
    if name == "cart":
        _fill_cart(phone)
    response = phone.goto(PAGES[name])
    assert response.status < 500
    phone.wait_for_load_state("networkidle")
    screenshot(phone, f"{name}-360")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name} scrolls sideways at 360 px ({width} px wide)"
    assert _serious_violations(phone) == []


def test_the_item_images_have_loaded(phone):
    phone.goto("/")
    phone.wait_for_load_state("networkidle")
    broken = phone.evaluate(
        "[...document.images].filter(i => i.loading !== 'lazy' && !i.naturalWidth).map(i => i.src)"
    )
    assert broken == []


def test_keyboard_reaches_search_and_cart(phone):
    phone.goto("/")
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("link", name="Skip to content")).to_be_focused()
    phone.keyboard.press("Enter")
    phone.keyboard.press("Tab")
    focused = phone.evaluate("document.activeElement.closest('main') !== null")
    assert focused
