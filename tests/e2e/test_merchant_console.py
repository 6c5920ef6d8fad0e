"""The merchant console in a browser, at 360 and 1280 px, as the demo merchant login: find a
shipment by its reference, open its timeline, make an API key (its secret shown once), read
the webhook endpoint's delivery log and the COD remittances. Each page accessible (axe-core)
and without sideways scrolling."""

import pytest
from playwright.sync_api import expect

from shop.notify import service as notify
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations


def _check(page, name: str, width: int):
    page.wait_for_load_state("networkidle")
    screenshot(page, f"{name}-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    assert _serious_violations(page) == [], name


@pytest.mark.parametrize("width", [360, 1280])
def test_a_merchant_finds_a_shipment_reads_its_timeline_and_makes_a_key(
    browser, live_server, live_app, width
):
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 800}, bypass_csp=True
    )
    page = context.new_page()
    try:
        page.goto("/login?next=/merchants/")
        page.get_by_label("Email").fill("merchant@demo.cliqq.ph")
        page.get_by_label("Password").fill("cliqq-demo-2026")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Tindahan Online")).to_be_visible()
        expect(page.get_by_role("heading", name="Shipments by status")).to_be_visible()
        _check(page, "merchant-home", width)

        nav = page.get_by_role("navigation", name="Merchant console")
        nav.get_by_role("link", name="Shipments").click()
        page.get_by_label("Tracking number or reference").fill("to-10004")
        page.get_by_role("button", name="Search shipments").click()
        found = page.get_by_role("region", name="Shipments found")
        expect(found.get_by_role("row")).to_have_count(2)  # the header and TO-10004
        _check(page, "merchant-shipments", width)

        page.get_by_label("Tracking number or reference").fill("")
        page.get_by_label("Status").select_option("claimed")
        page.get_by_role("button", name="Search shipments").click()
        expect(found).to_contain_text("TO-10005")
        expect(found).not_to_contain_text("TO-10004")

        page.get_by_label("Status").select_option("")
        page.get_by_role("button", name="Search shipments").click()
        found.get_by_role("row", name="TO-10004").get_by_role("link").click()
        expect(page.get_by_role("heading", name="TO-10004")).to_be_visible()
        timeline = page.get_by_test_id("timeline")
        expect(timeline).to_contain_text("in transit")
        expect(timeline).to_contain_text("at branch")
        expect(page.get_by_role("link", name="Shipping label (PDF)")).to_be_visible()
        _check(page, "merchant-shipment", width)

        page.goto("/merchants/shipments?q=TO-10001")
        found.get_by_role("link").click()
        page.get_by_text("Change the pickup branch").click()
        expect(page.get_by_label("Search by name, city or branch code")).to_be_visible()
        _check(page, "merchant-shipment-rebranch", width)

        nav = page.get_by_role("navigation", name="Merchant console")
        nav.get_by_role("link", name="API keys").click()
        page.get_by_label("Key name").fill(f"Staging {width}")
        page.get_by_role("button", name="Make key").click()
        secret = page.get_by_role("textbox", name="Secret key").input_value()
        assert secret.startswith("sk_")
        _check(page, "merchant-key-made", width)
        page.goto("/merchants/keys")
        expect(page.get_by_text(secret)).to_have_count(0)
        expect(page.get_by_role("region", name="API keys table")).to_contain_text(secret[:11])
        _check(page, "merchant-keys", width)

        with live_app.app_context():
            notify.deliver_due(batch=1000)  # the demo endpoint's events: nothing listens there
        nav = page.get_by_role("navigation", name="Merchant console")
        nav.get_by_role("link", name="Webhooks").click()
        _check(page, "merchant-webhooks", width)
        page.get_by_role("link", name="http://127.0.0.1:5001/webhooks").click()
        log = page.get_by_role("region", name="Delivery log table")
        expect(log).to_contain_text("shipment.")
        _check(page, "merchant-webhooks-endpoint", width)

        page.goto("/merchants/remittances")
        days = page.get_by_role("region", name="By branch and day", exact=True)
        expect(days).to_contain_text("BGC High Street")
        expect(days).to_contain_text("₱450.00")
        _check(page, "merchant-remittances", width)
    finally:
        context.close()
