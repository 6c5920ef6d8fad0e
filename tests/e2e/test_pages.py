"""Every page at 360 px: accessible (axe-core finds nothing serious or critical), no sideways
scrolling, and a screenshot in tests/e2e/screenshots/ for a person to look at."""

import re

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
    "branches": "/branches",
    "track-box": "/track",
    "track-box-error": "/track?number=7123",
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


@pytest.fixture
def a_package(live_app):
    """A real package on its way (dropped off, accepted), made in the live app's database."""
    import uuid

    import sqlalchemy as sa

    from shop.branches.models import Branch
    from shop.extensions import db
    from shop.fulfillment import service as ecms
    from shop.fulfillment.models import Package, PaymentMode
    from shop.transaction import transaction

    with live_app.app_context():
        with transaction():
            branch = db.session.scalar(sa.select(Branch).where(Branch.kind == "store").limit(1))
            shipment = ecms.create_shipment(
                reference=f"E2E-{uuid.uuid4().hex[:12]}",
                payment=PaymentMode.PREPAID,
                branch_id=branch.id,
                recipient=ecms.Recipient("Test Shopper", "+639171234567", "t@example.com"),
                parcels=[ecms.Parcel(False, 500, 1000, "1 × Ube Halaya")],
            )
            package = db.session.scalar(
                sa.select(Package).where(Package.shipment_id == shipment.id)
            )
            for action in ("drop_off", "accept"):
                ecms.transition(package, action)
        return package.tracking_number


@pytest.mark.parametrize("width", [360, 1280])
def test_a_shopper_tracks_a_package_from_the_box(browser, live_server, a_package, width):
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 800}, bypass_csp=True
    )
    page = context.new_page()
    page.goto("/track")
    grouped = f"{a_package[:4]} {a_package[4:8]} {a_package[8:]}"  # as a message shows it
    page.get_by_label("Tracking number").fill(grouped)
    page.get_by_role("button", name="Track").click()
    expect(page.get_by_role("heading", name="Track a package")).to_be_visible()
    expect(page.locator('[aria-current="step"]')).to_contain_text("Checked and accepted")
    expect(page.get_by_text("Next: it leaves the distribution center")).to_be_visible()
    screenshot(page, f"track-package-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert _serious_violations(page) == []
    context.close()


@pytest.mark.parametrize("path", ["/", "/items/mainit-pork-siomai-20", "/track", "/cart"])
def test_links_that_stand_alone_are_44_px_tap_targets(phone, path):
    phone.goto(path)
    small = phone.evaluate(
        """[...document.querySelectorAll('.crumbs a, .foot a, .packages a, a.tap')]
             .map(a => [a.textContent.trim(), a.getBoundingClientRect()])
             .filter(([, r]) => r.height < 44 || r.width < 44)
             .map(([text, r]) => `${text}: ${Math.round(r.width)} × ${Math.round(r.height)}`)"""
    )
    assert small == []


def test_the_total_and_place_order_stay_in_view_on_a_phone(phone):
    _fill_cart(phone)
    phone.goto("/checkout")
    place = phone.get_by_role("button", name=re.compile(r"^Place order · ₱"))
    for scrolled in (0, 400):
        phone.evaluate(f"window.scrollTo(0, {scrolled})")
        box = place.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 740, f"out of view at {scrolled}"
        assert phone.get_by_text("Total", exact=True).last.is_visible()
    screenshot(phone, "checkout-paybar-360", False)
    assert _serious_violations(phone) == []
