"""A cash-on-delivery package from the DC to the shopper in a browser (issue #10, point 4, the
test the issue asks for): DC receive → inspect → dispatch, the branch's arrival, then the clerk
keys in the PAY & CLAIM (REFERENCE) CODE, scans the label, records the cash, and the AR
appears; by keyboard alone (a scanner types digits and Enter), the focus always in the next
input; at a phone's 360 px and a desktop's 1280 px; accessible."""

import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop.branches.models import Branch
from shop.codes import group
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PaymentMode
from shop.transaction import transaction
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations

SHOTS = Path("/tmp/shots-pos")


def _cod_shipment(live_app, amount: int = 45_000) -> tuple[str, str]:
    with live_app.app_context(), transaction():
        branch = db.session.scalar(sa.select(Branch).where(Branch.code == "0412"))
        made = ecms.create_shipment(
            reference=f"CQ-E2E-{uuid.uuid4().hex[:8]}",
            payment=PaymentMode.COD,
            amount_due=amount,
            branch_id=branch.id,
            recipient=ecms.Recipient("Maria Clara Reyes", "+639171234567", "maria@example.com"),
            parcels=[ecms.Parcel(False, 1800, 6000, "2 × Pork Siomai")],
        )
        number = db.session.scalar(
            sa.select(Package.tracking_number).where(Package.shipment_id == made.id)
        )
        return made.code.code, number


def _log_in(context, email: str):
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("cliqq-demo-2026")
    page.get_by_role("button", name="Log in").click()
    return page


def _shot(page, name: str):
    path = screenshot(page, name)
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


@pytest.mark.parametrize("width", [360, 1280])
def test_a_cod_package_from_the_dc_to_the_shopper(browser, live_server, live_app, width):
    code, number = _cod_shipment(live_app)
    options = dict(base_url=live_server, viewport={"width": width, "height": 900}, bypass_csp=True)
    dc_context = browser.new_context(**options)
    try:
        page = _log_in(dc_context, "dc@demo.cliqq.ph")
        page.goto("/counter/dc")
        page.get_by_label("Terminal").fill("DC-1")
        page.get_by_label("Shift").fill("1")
        page.get_by_role("button", name="Start").click()
        scan = page.get_by_label("Tracking number").first
        scan.fill(number)
        scan.press("Enter")
        expect(page.get_by_text(f"Received {number}")).to_be_visible()
        page.locator("#inspect-number").fill(number)
        page.get_by_label("Length (cm)").fill("25")
        page.get_by_label("Width (cm)").fill("20")
        page.get_by_label("Height (cm)").fill("12")
        page.get_by_label("Weight (kg, limit 10)").fill("1.8")
        page.get_by_role("button", name="Record inspection").click()
        expect(page.get_by_text(f"Accepted {number}")).to_be_visible()
        page.locator("#dispatch form", has_text=number).get_by_role("button").click()
        expect(page.get_by_role("heading", name="Trip manifest")).to_be_visible()
    finally:
        dc_context.close()

    context = browser.new_context(**options)
    try:
        page = _log_in(context, "clerk-0412@demo.cliqq.ph")
        page.goto("/counter/pos")
        expect(page.get_by_role("heading", name="Where are you working?")).to_be_visible()
        page.get_by_label("Terminal").fill("POS-1")
        page.get_by_label("Shift").fill("2")
        page.get_by_role("button", name="Start").click()
        expect(page.get_by_text("Terminal POS-1")).to_be_visible()
        code_box = page.get_by_role("textbox", name="Code", exact=True)
        expect(code_box).to_be_focused()
        expect(page.locator("#pos-arrivals").get_by_text(group(number))).to_be_visible()
        _shot(page, f"pos-arrivals-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _serious_violations(page) == []

        arrive = page.get_by_label("Arriving package's label")
        arrive.fill(number)
        arrive.press("Enter")
        expect(page.locator("#arrive-result").get_by_text("Taken in")).to_be_visible()
        expect(arrive).to_be_focused()
        expect(arrive).to_have_value("")

        # A typo is refused in place, the focus back in the code box.
        code_box.click()
        code_box.fill(code[:-1] + str((int(code[-1]) + 1) % 10))
        code_box.press("Enter")
        expect(page.locator("#pos-panel [role=alert]")).to_contain_text("typo")
        expect(code_box).to_be_focused()

        # Input 1: the REFERENCE CODE.
        code_box.fill(code)
        code_box.press("Enter")
        expect(page.locator("#claim-name")).to_have_text("Maria Clara Reyes")
        expect(page.get_by_text("Due ₱450.00")).to_be_visible()
        label = page.get_by_label("Package label")
        expect(label).to_be_focused()
        _shot(page, f"pos-claim-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _serious_violations(page) == []

        # Input 2: the label scan.
        page.keyboard.type(number)
        page.keyboard.press("Enter")
        cash = page.get_by_label("Cash received")
        expect(cash).to_be_focused()
        _shot(page, f"pos-cash-{width}")

        # Input 3: the cash received; Enter releases and the AR appears.
        page.keyboard.type("500")
        page.keyboard.press("Enter")
        ar = page.get_by_role("article", name="Acknowledgement Receipt")
        expect(ar).to_be_visible()
        expect(ar).to_contain_text("AR-0412-")
        expect(ar).to_contain_text("POS-1")
        expect(ar).to_contain_text("₱50.00")  # the change
        expect(page.get_by_role("heading", name="Released to Maria Clara Reyes")).to_be_visible()
        expect(code_box).to_be_focused()  # ready for the next shopper
        expect(code_box).to_have_value("")
        page.wait_for_load_state("networkidle")
        _shot(page, f"pos-released-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _serious_violations(page) == []

        page.get_by_role("link", name="Open the AR").click()
        expect(page.get_by_role("button", name="Print")).to_be_visible()
        _shot(page, f"pos-ar-{width}")
        assert _serious_violations(page) == []
    finally:
        context.close()
