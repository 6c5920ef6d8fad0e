"""Issue #9, point 3, in a phone-sized browser: the branch a shopper chose stays chosen (and
said, "Picking up at ...") while they search for others; the picker opens with a prompt, or
near their last pickup branch; branches this order can't use are folded and can be opened;
and all of it works without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, screenshot
from tests.e2e.test_checkout import _add_to_cart, _contact, _first_item
from tests.e2e.test_pages import _serious_violations

SEARCH = "Search by name, city or branch code"
PROMPT = "Search by name, city or branch code, or use Nearest to me."


def _radio(page, name: str):
    return page.get_by_role("radio", name=re.compile(re.escape(name)))


def _chosen(page):
    return page.locator("#branch-chosen")


def _shot(page, name: str) -> None:
    """A screenshot of the whole page, and one of the picker alone (easier to look at)."""
    screenshot(page, name)
    page.locator("fieldset.picker").screenshot(path=str(SCREENSHOTS / f"{name}-picker.png"))


def _top(locator) -> float:
    """Where an element sits in the page (not in the viewport: clicking may scroll)."""
    return locator.evaluate("el => el.getBoundingClientRect().top + window.scrollY")


def _fold(results):
    """The <summary> that opens the unavailable branches ("Show 4 unavailable branches")."""
    return results.get_by_text(re.compile(r"\d+ unavailable branch"))


def _search(page, words: str, expect_text: str):
    page.get_by_label(SEARCH).fill(words)
    expect(page.locator("[data-branch-summary]")).to_contain_text(expect_text)


@pytest.fixture
def shopper(browser, live_server):
    """A phone (360 × 740) that lets axe-core in (the pages' CSP is tested elsewhere)."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, bypass_csp=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_a_choice_stays_chosen_while_the_shopper_searches(shopper):
    page = shopper
    _add_to_cart(page, _first_item(page, "snacks-drinks"))
    page.goto("/checkout")
    results = page.locator("#branch-results")
    expect(results).to_contain_text(PROMPT, use_inner_text=True)  # nothing from all over Luzon
    expect(results.get_by_role("radio")).to_have_count(0)
    expect(_chosen(page)).to_have_text("")

    _search(page, "Makati", "matching “Makati”")
    salcedo = _radio(page, "7-Eleven Salcedo Park")
    salcedo.check()
    expect(_chosen(page)).to_have_text("Picking up at 7-Eleven Salcedo Park, Makati")
    expect(salcedo).to_be_focused()

    # Choosing another moves nothing: the radios stay where they were, focus stays put.
    legaspi = _radio(page, "7-Eleven Legaspi Village")
    before = _top(legaspi), _top(salcedo)
    legaspi.check()
    after = _top(legaspi), _top(salcedo)
    assert before == after
    expect(legaspi).to_be_focused()
    expect(_chosen(page)).to_have_text("Picking up at 7-Eleven Legaspi Village, Makati")
    expect(salcedo).not_to_be_checked()

    # Another city: the choice is pinned first, still checked, still said.
    _search(page, "Pasig", "matching “Pasig”")
    expect(page.get_by_label(SEARCH)).to_be_focused()
    first = results.get_by_role("radio").first
    expect(first).to_have_accessible_name(re.compile("7-Eleven Legaspi Village"))
    expect(first).to_be_checked()
    expect(results.get_by_text("Your choice", exact=True)).to_be_visible()
    expect(_chosen(page)).to_have_text("Picking up at 7-Eleven Legaspi Village, Makati")
    expect(results).to_contain_text("Pasig")
    _shot(page, "picker-checkout-chosen-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert _serious_violations(page) == []

    # Choosing one found in Pasig: the line follows, the pinned one is now the earlier choice
    # (in place: nothing moved); the next search pins the new one.
    kapitolyo = results.get_by_role("radio", name=re.compile("Pasig")).nth(1)
    top = _top(kapitolyo)
    kapitolyo.check()
    assert _top(kapitolyo) == top
    expect(results.get_by_text("Your earlier choice")).to_be_visible()
    expect(results.get_by_text("Your choice", exact=True)).to_be_hidden()
    name = kapitolyo.get_attribute("data-branch-name")
    expect(_chosen(page)).to_have_text(f"Picking up at {name}, Pasig")
    _search(page, "Quezon City", "Quezon City")
    expect(results.get_by_role("radio").first).to_have_accessible_name(re.compile(re.escape(name)))
    expect(results.get_by_role("radio").first).to_be_checked()
    expect(_chosen(page)).to_have_text(f"Picking up at {name}, Pasig")

    # A search that finds nothing keeps it too, and says so.
    _search(page, "zzzz", "No branches match “zzzz”.")
    expect(results.get_by_role("radio")).to_have_count(1)
    expect(results.get_by_role("radio").first).to_be_checked()


def test_branches_this_order_cannot_use_are_folded_and_open(shopper):
    page = shopper
    _add_to_cart(page, _first_item(page, "frozen-food"))
    page.goto("/checkout")
    _search(page, "Makati", "matching “Makati”")
    results = page.locator("#branch-results")
    warm = results.get_by_text("Doesn't keep frozen items")
    expect(warm.first).to_be_hidden()  # folded
    toggle = _fold(results)
    expect(toggle).to_have_text(re.compile(r"^Show \d+ unavailable branches$"), use_inner_text=True)
    # Every radio before the fold can take this frozen order.
    available = results.locator("ul.branches:not(details ul) input[type=radio]")
    assert available.count() >= 1
    for i in range(available.count()):
        expect(available.nth(i)).to_be_enabled()
    _shot(page, "picker-checkout-folded-360")
    # The keyboard opens it: a native <details>.
    toggle.focus()
    page.keyboard.press("Enter")
    expect(warm.first).to_be_visible()
    expect(toggle).to_have_text(re.compile(r"^Hide \d+ unavailable branches$"), use_inner_text=True)
    expect(results.locator("details input[type=radio]").first).to_be_disabled()
    _shot(page, "picker-checkout-unfolded-360")
    assert _serious_violations(page) == []


def test_the_picker_opens_near_the_last_pickup_branch(shopper):
    page = shopper
    _add_to_cart(page, _first_item(page, "home-kitchen"))
    page.goto("/checkout")
    _contact(page)
    page.get_by_label("Pay at the store (cash on pickup)").check()
    _search(page, "Kapitolyo", "Kapitolyo")
    page.locator('input[name="branch_code"]:not([disabled])').first.check()
    name = page.locator("#branch-chosen strong").inner_text()
    page.get_by_role("button", name=re.compile("Place order")).click()
    expect(page.get_by_test_id("order-status")).to_have_text(re.compile("^To pay at pickup"))

    _add_to_cart(page, _first_item(page, "snacks-drinks"))
    page.goto("/checkout")
    results = page.locator("#branch-results")
    expect(results.get_by_text("Your last pickup branch")).to_be_visible()
    expect(results.get_by_role("radio").first).to_have_accessible_name(re.compile(name))
    expect(results.get_by_role("radio").first).to_be_checked()
    expect(_chosen(page)).to_contain_text(f"Picking up at {name}")
    expect(page.locator("[data-branch-summary]")).to_have_text(
        f"Branches near {name}, nearest first."
    )
    assert "Angeles" not in results.inner_text() and "Lipa" not in results.inner_text()
    _shot(page, "picker-checkout-opening-last-360")
    assert _serious_violations(page) == []


def test_without_javascript_the_search_keeps_the_choice(browser, live_server):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/items/mainit-pork-siomai-20")  # frozen: some branches can't take it
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/checkout")
    expect(page.locator("#branch-results")).to_contain_text(
        "Search by name, city or branch code.", use_inner_text=True
    )
    expect(page.get_by_role("button", name="Nearest to me")).to_be_hidden()
    page.get_by_label(SEARCH).fill("Makati")
    page.get_by_role("button", name="Search branches").click()
    ayala = _radio(page, "7-Eleven Ayala Triangle")
    ayala.check()
    page.get_by_label(SEARCH).fill("Pasig")
    page.get_by_role("button", name="Search branches").click()
    results = page.locator("#branch-results")
    expect(results.get_by_role("radio").first).to_have_accessible_name(
        re.compile("7-Eleven Ayala Triangle")
    )
    expect(results.get_by_role("radio").first).to_be_checked()
    expect(_chosen(page)).to_have_text("Picking up at 7-Eleven Ayala Triangle, Makati")
    expect(results).to_contain_text("Pasig")
    # The folded ones open without script too.
    _fold(results).click()
    expect(results.get_by_text("Doesn't keep frozen items").first).to_be_visible()
    _shot(page, "picker-checkout-nojs-360")
    # And the order goes to the kept choice.
    _contact(page)
    page.get_by_label("Pay at the store (cash on pickup)").check()
    page.get_by_role("button", name=re.compile("Place order")).first.click()
    expect(page.get_by_test_id("order-status")).to_have_text(re.compile("^To pay at pickup"))
    expect(page.get_by_text("7-Eleven Ayala Triangle").first).to_be_visible()
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_screenshots_of_the_picker_and_the_finder(browser, live_server, width):
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    page.goto("/branches")
    expect(page.locator("#branch-results")).to_contain_text(PROMPT, use_inner_text=True)
    _shot(page, f"picker-finder-opening-{width}")
    assert _serious_violations(page) == []
    page.get_by_label(SEARCH).fill("Makati")
    page.get_by_label(SEARCH).press("Enter")
    expect(page.locator("[data-branch-summary]")).to_contain_text("matching “Makati”")
    _shot(page, f"picker-finder-search-{width}")
    assert _serious_violations(page) == []
    page.goto("/branches?q=makati&frozen=1")  # a frozen order's view: the others folded
    expect(_fold(page.locator("#branch-results"))).to_have_text(
        re.compile(r"^Show \d+ unavailable branches$"), use_inner_text=True
    )
    _shot(page, f"picker-finder-folded-{width}")
    assert _serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    _add_to_cart(page, _first_item(page, "frozen-food"))
    page.goto("/checkout")
    expect(page.locator("#branch-results")).to_contain_text(PROMPT, use_inner_text=True)
    _shot(page, f"picker-checkout-opening-{width}")
    assert _serious_violations(page) == []
    _search(page, "Makati", "matching “Makati”")
    _radio(page, "7-Eleven Ayala Triangle").check()
    _search(page, "Taguig", "matching “Taguig”")
    expect(_chosen(page)).to_have_text("Picking up at 7-Eleven Ayala Triangle, Makati")
    _shot(page, f"picker-checkout-search-{width}")
    assert _serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
