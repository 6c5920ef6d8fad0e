"""The counter's signature pad and the void in a browser (issue #10, point 4): at a branch that
asks for a signature the shopper draws one with the pointer, the label scan releases, and the
clerk voids the release with a reason; at 360 and 1280 px; accessible."""

import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop.branches.models import Branch
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PaymentMode
from shop.transaction import transaction
from tests.e2e.test_pages import _serious_violations
from tests.e2e.test_pos_cod import _log_in, _shot


def _prepaid_at_branch(live_app, code: str = "0103") -> tuple[str, str]:
    with live_app.app_context(), transaction():
        branch = db.session.scalar(sa.select(Branch).where(Branch.code == code))
        branch.signature_required = True
        made = ecms.create_shipment(
            reference=f"CQ-E2E-{uuid.uuid4().hex[:8]}",
            payment=PaymentMode.PREPAID,
            branch_id=branch.id,
            recipient=ecms.Recipient("Jose Rizal", "+639171234567", "jose@example.com"),
            parcels=[ecms.Parcel(False, 900, 3000, "1 × Ube Jam")],
        )
        package = db.session.scalar(sa.select(Package).where(Package.shipment_id == made.id))
        for action in ("drop_off", "accept", "dispatch", "arrive"):
            ecms.transition(package, action, actor="e2e")
        return made.code.code, package.tracking_number


@pytest.mark.parametrize("width", [360, 1280])
def test_a_signed_claim_then_voided(browser, live_server, live_app, width):
    code, number = _prepaid_at_branch(live_app)
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 900}, bypass_csp=True
    )
    try:
        page = _log_in(context, "clerk-0103@demo.cliqq.ph")
        page.goto("/counter/pos")
        page.get_by_label("Terminal").fill("POS-2")
        page.get_by_label("Shift").fill("1")
        page.get_by_role("button", name="Start").click()
        code_box = page.get_by_role("textbox", name="Code", exact=True)
        code_box.fill(code)
        code_box.press("Enter")
        expect(page.locator("#claim-name")).to_have_text("Jose Rizal")
        label = page.get_by_label("Package label")
        expect(label).to_be_focused()

        # Scanned before signing: refused, nothing released, the label kept for the retry.
        page.keyboard.type(number)
        page.keyboard.press("Enter")
        expect(page.locator("#pos-panel [role=alert]")).to_contain_text("signature")

        pad = page.get_by_role("img", name="Signature pad")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
        page.mouse.down()
        for step in range(1, 12):
            page.mouse.move(
                box["x"] + 20 + step * (box["width"] - 40) / 11,
                box["y"] + box["height"] / 2 + (15 if step % 2 else -15),
            )
        page.mouse.up()
        expect(page.get_by_label("Package label")).to_be_focused()
        _shot(page, f"pos-signature-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _serious_violations(page) == []

        page.keyboard.type(number)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Released to Jose Rizal")).to_be_visible()
        expect(code_box).to_be_focused()

        page.get_by_text("Released by mistake? Void it").click()
        page.get_by_label("Why is it voided?").fill("Handed to the wrong shopper")
        page.get_by_role("button", name="Void the release").click()
        expect(page.get_by_role("heading", name="Release voided")).to_be_visible()
        expect(code_box).to_be_focused()
        _shot(page, f"pos-voided-{width}")
        assert _serious_violations(page) == []
    finally:
        context.close()
        with live_app.app_context(), transaction():  # the other tests' branch asks for none
            db.session.scalar(
                sa.select(Branch).where(Branch.code == "0103")
            ).signature_required = False
