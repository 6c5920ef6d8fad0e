"""The distribution center screen in a browser (issue #10, point 3), at a desktop's 1280 px
and a phone's 360 px: receive by typing + Enter (focus back in the input), inspect, dispatch,
the manifest; accessible."""

import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop.branches.models import Branch
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PaymentMode
from shop.transaction import transaction
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations


def _shipment(live_app, code: str = "0412") -> str:
    with live_app.app_context(), transaction():
        branch = db.session.scalar(sa.select(Branch).where(Branch.code == code))
        made = ecms.create_shipment(
            reference=f"CQ-E2E-{uuid.uuid4().hex[:8]}",
            payment=PaymentMode.PREPAID,
            branch_id=branch.id,
            recipient=ecms.Recipient("Juan dela Cruz", "+639171234567", "juan@example.com"),
            parcels=[ecms.Parcel(False, 1800, 6000, "2 × Pork Siomai")],
        )
        return db.session.scalar(
            sa.select(Package.tracking_number).where(Package.shipment_id == made.id)
        )


@pytest.mark.parametrize("width", [1280, 360])
def test_the_dc_receives_inspects_and_dispatches(browser, live_server, live_app, width):
    number = _shipment(live_app)
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Email").fill("dc@demo.cliqq.ph")
        page.get_by_label("Password").fill("cliqq-demo-2026")
        page.get_by_role("button", name="Log in").click()
        page.goto("/counter/dc")
        page.get_by_label("Terminal").fill("DC-1")
        page.get_by_label("Shift").fill("2")
        page.get_by_role("button", name="Start").click()
        expect(page.get_by_text("Terminal DC-1")).to_be_visible()

        scan = page.get_by_label("Tracking number").first
        expect(scan).to_be_focused()
        scan.fill(number)
        scan.press("Enter")
        expect(page.get_by_text(f"Received {number}")).to_be_visible()
        expect(scan).to_be_focused()
        expect(scan).to_have_value("")
        scan.fill("712345678900")
        scan.press("Enter")
        expect(page.locator("#receive-result [role=alert]")).to_be_visible()
        expect(scan).to_be_focused()

        inspect = page.locator("#inspect-number")
        inspect.fill(number)
        page.get_by_label("Length (cm)").fill("25")
        page.get_by_label("Width (cm)").fill("20")
        page.get_by_label("Height (cm)").fill("12")
        page.get_by_label("Weight (kg, limit 10)").fill("1.8")
        page.get_by_role("button", name="Record inspection").click()
        expect(page.get_by_text(f"Accepted {number}")).to_be_visible()
        expect(page.locator("#dispatch").get_by_text(number)).to_be_visible()
        page.wait_for_load_state("networkidle")
        screenshot(page, f"dc-screen-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _serious_violations(page) == []

        page.locator("#dispatch form", has_text=number).get_by_role("button").click()
        expect(page.get_by_role("heading", name="Trip manifest")).to_be_visible()
        expect(page.get_by_text("Driver's name and signature")).to_be_visible()
        screenshot(page, f"dc-manifest-{width}")
        assert _serious_violations(page) == []
    finally:
        context.close()
