"""The header at 360 px whoever is signed in (issue #9, point 9): a long first name is cut,
the cart stays whole and in view, and no page scrolls sideways."""

import contextlib

import pytest

from shop.auth.models import Role
from shop.auth.service import EmailTaken, create_user
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations

LONG_NAME = "Maximilianopaulo-Bartholomew dela Cruz"
PASSWORD = "a long enough password"


@pytest.fixture
def signed_in(browser, live_server, live_app):
    # axe-core is injected as a script, which the Content-Security-Policy would rightly block.
    context = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, bypass_csp=True
    )
    page = context.new_page()
    with live_app.app_context(), contextlib.suppress(EmailTaken):  # made by an earlier test
        create_user("maximilianopaulo@example.com", LONG_NAME, PASSWORD, Role.SHOPPER)
    page.goto("/login")
    page.get_by_label("Email").fill("maximilianopaulo@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    yield page
    context.close()


@pytest.mark.parametrize("path", ["/", "/cart", "/checkout", "/account", "/branches", "/track"])
def test_the_header_fits_360_px_with_a_long_name_signed_in(signed_in, path):
    page = signed_in
    if path == "/checkout":  # with something to check out, and the form filled with the name
        page.goto("/items/mainit-pork-siomai-20")
        page.get_by_role("button", name="Add to cart").click()
        page.wait_for_load_state("networkidle")
    page.goto(path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    cart = (
        page.get_by_role("navigation", name="Account and cart")
        .get_by_role("link", name="Cart")
        .bounding_box()
    )
    assert cart is not None and cart["x"] >= 0 and cart["x"] + cart["width"] <= 360
    account = page.get_by_role("link", name="Maximilianopaulo-Bartholomew")
    box = account.bounding_box()
    assert box["width"] <= 140  # cut, not pushing the cart out
    assert box["height"] >= 44  # still a full-size tap target
    assert _serious_violations(page) == []
    if path in ("/", "/account"):
        screenshot(page, f"header-long-name{path.replace('/', '-').rstrip('-')}-360", False)
