"""The API reference page (/api/docs) in a browser, at 360 and 1280 px: Redoc draws every
operation of /api/v1/openapi.json from our own host, with no JavaScript error. Redoc's footer
names a logo on cdn.redoc.ly: the page's CSP (img-src 'self' data:) refuses it, so no request
to another host is ever made (a refused one never leaves the browser)."""

import pytest
from playwright.sync_api import expect

from shop.api import openapi
from tests.e2e.conftest import screenshot


@pytest.mark.parametrize("width", [360, 1280])
def test_the_reference_draws_every_operation_from_our_host(browser, live_server, width):
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 800})
    page = context.new_page()
    sent_elsewhere: list[str] = []
    errors: list[str] = []
    page.on(
        "requestfinished",
        lambda request: (
            None
            if request.url.startswith((live_server, f"blob:{live_server}/"))  # the search's worker
            else sent_elsewhere.append(request.url)
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/api/docs")
        expect(page.get_by_role("heading", name="CLiQQ Shop API")).to_be_visible(timeout=20_000)
        for operation in openapi.OPERATIONS:
            expect(page.locator("h2", has_text=operation.summary).first).to_be_attached()
        page.goto("/api/docs#tag/Shipments/operation/createShipment")
        expect(page.get_by_text("ORDER-1001").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        screenshot(page, f"api-docs-{width}", full_page=False)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
    assert not sent_elsewhere, sent_elsewhere
    assert not errors, errors
