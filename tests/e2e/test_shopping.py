"""A shopper, in a phone-sized browser: search, filter, open an item, fill and change the cart."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot


def test_search_filter_open_add_change_remove(page):
    page.goto("/")
    expect(page.get_by_role("heading", name="Shop everything")).to_be_visible()
    screenshot(page, "home-360")

    page.get_by_role("searchbox", name="Search the shop").fill("siomai")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=re.compile("Results for “siomai”"))).to_be_visible()
    expect(page.locator(".card").first).to_be_visible()

    page.goto("/")
    frozen = page.get_by_role("navigation", name="Categories").get_by_role(
        "link", name=re.compile("Frozen")
    )
    frozen.click()
    expect(page.get_by_role("link", name=re.compile("Frozen"))).to_have_attribute(
        "aria-current", "page"
    )
    expect(page).to_have_url(re.compile(r"category=frozen"))
    cards = page.locator(".card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 3
    for tag in cards.locator(".tag").all_inner_texts():
        assert tag  # every card says something about availability

    page.get_by_label("Sort by").select_option("price-low")
    expect(page).to_have_url(re.compile(r"sort=price-low"))
    prices = [
        int(re.sub(r"[^\d]", "", text)) for text in page.locator(".card__price").all_inner_texts()
    ]
    assert prices == sorted(prices)

    page.locator(".card__link").first.click()
    expect(page.get_by_role("button", name="Add to cart")).to_be_visible()
    item_name = page.get_by_role("heading", level=1).inner_text()
    screenshot(page, "item-360")

    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text(f"Added 2 × {item_name}")).to_be_visible()
    expect(page.locator("#cart-badge")).to_contain_text("2")

    page.get_by_role("link", name="View cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    unit = int(re.sub(r"[^\d]", "", page.locator(".line__main .muted").first.inner_text()))
    expect(page.get_by_test_id("cart-subtotal")).to_have_text(_peso(unit * 2))
    screenshot(page, "cart-360")

    # Changing the quantity swaps the cart in place: the page is never reloaded.
    page.evaluate("window.__sameDocument = true")
    quantity = page.get_by_label(f"Quantity of {item_name}")
    quantity.fill("3")
    quantity.press("Tab")
    expect(page.get_by_test_id("cart-subtotal")).to_have_text(_peso(unit * 3))
    expect(page.locator("#cart-badge")).to_contain_text("3")
    expect(page.get_by_text("Quantity updated.")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_role("button", name=f"Remove {item_name}").click()
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    expect(page.locator("#cart-badge")).to_contain_text("0")
    assert page.evaluate("window.__sameDocument") is True


def test_quantity_above_stock_is_refused_in_place(page):
    page.goto("/?per_page=96")
    low = page.locator(".card").filter(has=page.locator(".tag--warn")).first
    low.locator(".card__link").click()
    tag = page.locator(".notes .tag--warn").inner_text()
    left = int(re.search(r"\d+", tag).group())
    page.get_by_label("Quantity").evaluate("el => el.removeAttribute('max')")
    page.get_by_label("Quantity").fill(str(left + 1))
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Only {left}")
    expect(page.locator("#cart-badge")).to_contain_text("0")


def test_the_cart_works_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    page.locator(".card__link").first.click()
    name = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_role("link", name=name)).to_be_visible()
    page.get_by_label(f"Quantity of {name}").fill("2")
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_text("Quantity updated.")).to_be_visible()
    expect(page.get_by_label(f"Quantity of {name}")).to_have_value("2")
    page.get_by_role("button", name=f"Remove {name}").click()
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    context.close()


def _peso(centavos: int) -> str:
    whole, cents = divmod(centavos, 100)
    return f"₱{whole:,}.{cents:02d}"


def test_a_failed_update_says_so_in_place(page):
    """No network, then a server error: the cart says so where the shopper is looking."""
    page.goto("/items/mainit-pork-siomai-20")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge")).to_contain_text("1")
    page.goto("/cart")
    page.route(re.compile(r".*/cart/lines/\d+$"), lambda route: route.abort())
    quantity = page.get_by_label(re.compile("^Quantity"))
    quantity.fill("2")
    quantity.dispatch_event("change")
    expect(page.get_by_role("alert")).to_contain_text("couldn't reach the shop")
    page.unroute(re.compile(r".*/cart/lines/\d+$"))
    page.route(
        re.compile(r".*/cart/lines/\d+$"), lambda route: route.fulfill(status=500, body="boom")
    )
    quantity.fill("3")
    quantity.dispatch_event("change")
    expect(page.get_by_role("alert")).to_contain_text("didn't work on our side")
