"""The kiosk in a browser (issue #10, point 5), at a phone's 360 px and a landscape kiosk's
1280 px: a claimed order → the kiosk gives a RETURN CODE (grouped, as a barcode, with the
return's tracking number and label) → the clerk at the counter keys it in and accepts it;
a PAY CODE gives a charge slip. Accessible, no horizontal scroll."""

import secrets

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop import codes
from shop.branches.models import Branch
from shop.checkout.service import ORDER_NUMBER_ALPHABET
from shop.extensions import db, limiter
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PaymentMode
from shop.transaction import transaction
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations


def _claimed_order(live_app, code: str = "0412") -> tuple[str, str]:
    """A prepaid order picked up at branch `code` just now: its order number and tracking
    number."""
    raw = "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(8))
    number = f"CQ-{raw[:4]}-{raw[4:]}"
    with live_app.app_context(), transaction():
        branch = db.session.scalar(sa.select(Branch).where(Branch.code == code))
        made = ecms.create_shipment(
            reference=number,
            payment=PaymentMode.PREPAID,
            branch_id=branch.id,
            recipient=ecms.Recipient("Juan dela Cruz", "+639171234567", "juan@example.com"),
            parcels=[ecms.Parcel(False, 1800, 6000, "2 × Pork Siomai")],
        )
        package = db.session.scalar(sa.select(Package).where(Package.shipment_id == made.id))
        for action in ("drop_off", "accept", "dispatch", "arrive", "claim"):
            ecms.transition(package, action, actor="e2e")
        return number, package.tracking_number


@pytest.fixture(autouse=True)
def _budgets_as_found(live_app):
    """These tests log a clerk in and use the kiosk's lookups on the one live server every
    browser test shares (one address): give the budgets back, so the log-ins of the tests
    that follow aren't refused for this file's."""
    yield
    with live_app.app_context():
        limiter.reset()


def _context(browser, live_server, width):
    return browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 900}, bypass_csp=True
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_a_kiosk_return_gives_a_return_code(browser, live_server, live_app, width):
    number, tracking = _claimed_order(live_app)
    context = _context(browser, live_server, width)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/counter/kiosk")
        screenshot(page, f"kiosk-home-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _serious_violations(page) == []
        page.get_by_role("link", name="Return a package").click()
        lookup = page.get_by_label("Order number, UID or tracking number")
        expect(lookup).to_be_focused()

        # Wrong phone first: said as an unknown order, the form kept.
        lookup.fill(number)
        page.get_by_label("Mobile number on the order").fill("0918 765 4321")
        page.get_by_role("button", name="Get my return code").click()
        expect(page.get_by_role("alert")).to_contain_text("couldn't find an order")
        screenshot(page, f"kiosk-return-refused-{width}")
        assert _serious_violations(page) == []

        page.get_by_label("Mobile number on the order").fill("0917 123 4567")
        page.get_by_role("button", name="Get my return code").click()
        expect(page.get_by_role("heading", name="Your return code")).to_be_focused()
        shown = page.get_by_test_id("return-code").inner_text()
        assert codes.kind_of(codes.parse(shown, codes.CodeType.RETURN)) is codes.CodeType.RETURN
        expect(page.get_by_role("img", name=f"Barcode of your return code {shown}")).to_be_visible()
        shown_tracking = page.get_by_test_id("return-tracking").inner_text()
        assert codes.parse(shown_tracking, codes.CodeType.TRACKING) != tracking
        label = page.get_by_role("link", name="Print return label")
        response = page.request.get(label.get_attribute("href"))
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
        page.wait_for_load_state("networkidle")
        screenshot(page, f"kiosk-return-code-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _serious_violations(page) == []
        return_label = shown_tracking
    finally:
        context.close()
    assert not errors, errors
    _the_counter_accepts_it(browser, live_server, width, shown, return_label, tracking)


def _the_counter_accepts_it(browser, live_server, width, code, return_label, tracking):
    """A clerk of another branch (Cubao Aurora) keys the RETURN CODE in, measures the package,
    scans the return label: taken in, the return's receipt shown."""
    context = _context(browser, live_server, width)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/login")
        page.get_by_label("Email").fill("clerk-0103@demo.cliqq.ph")
        page.get_by_label("Password").fill("cliqq-demo-2026")
        page.get_by_role("button", name="Log in").click()
        page.goto("/counter/pos")
        page.get_by_label("Terminal").fill("POS-2")
        page.get_by_label("Shift").fill("1")
        page.get_by_role("button", name="Start").click()
        box = page.get_by_role("textbox", name="Code", exact=True)
        expect(box).to_be_focused()
        box.fill(code)
        box.press("Enter")
        expect(page.get_by_role("heading", name=f"RETURN CODE {code}")).to_be_visible()
        expect(page.get_by_label("Length (cm)")).to_be_focused()
        # Over the return limit first: refused in place, nothing taken.
        page.get_by_label("Length (cm)").fill("46")
        page.get_by_label("Width (cm)").fill("29")
        page.get_by_label("Height (cm)").fill("15")
        page.get_by_label("Weight (kg)").fill("2.5")
        page.get_by_label("Return label").fill(return_label)
        page.get_by_label("Return label").press("Enter")
        expect(page.locator("#pos-panel [role=alert]")).to_contain_text("larger than 45")
        screenshot(page, f"pos-return-refused-{width}")
        assert _serious_violations(page) == []
        page.get_by_label("Length (cm)").fill("44")
        page.get_by_label("Return label").fill(return_label)
        page.get_by_label("Return label").press("Enter")
        expect(
            page.get_by_role("heading", name="Return taken in from Juan dela Cruz")
        ).to_be_visible()
        expect(page.get_by_role("heading", name="Acknowledgement Receipt: return")).to_be_visible()
        expect(page.locator("#pos-panel")).to_contain_text(codes.group(tracking))
        expect(page.get_by_text("RR-0103-")).to_be_visible()
        expect(box).to_be_focused()
        page.wait_for_load_state("networkidle")
        screenshot(page, f"pos-return-accepted-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _serious_violations(page) == []
    finally:
        context.close()
    assert not errors, errors


def _pay_code(live_app) -> str:
    """A code-payment order of a digital demo item: its PAY CODE."""
    from shop.catalog.models import Item
    from shop.checkout import service as checkout
    from shop.checkout.models import PaymentMethod
    from tests.orders import place_order

    with live_app.app_context():
        item = db.session.scalar(
            sa.select(Item).where(Item.virtual.is_(True), Item.stock > 0).order_by(Item.id)
        )
        answers = {}
        if item.asks_for.value == "mobile":
            answers = {f"deliver_to_{item.id}": "0917 123 4567"}
        elif item.asks_for.value == "email":
            answers = {f"deliver_to_{item.id}": "juan@example.com"}
        placed = place_order(
            {str(item.id): 1},
            idempotency_key=secrets.token_hex(8),
            contact=checkout.Contact("Juan dela Cruz", "+639171234567", "juan@example.com"),
            method=PaymentMethod.CODE,
            branch_code=None,
            expected_total=item.price,
            answers=answers,
        )
        return placed.pay_code


@pytest.mark.parametrize("width", [360, 1280])
def test_a_pay_code_gives_a_charge_slip(browser, live_server, live_app, width):
    code = _pay_code(live_app)
    context = _context(browser, live_server, width)
    page = context.new_page()
    try:
        page.goto("/counter/kiosk")
        page.get_by_role("link", name="Pay with a pay code").click()
        field = page.get_by_label("Pay code")
        expect(field).to_be_focused()
        field.fill(code[:-1] + str((int(code[-1]) + 1) % 10))  # a typo: refused at once
        field.press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("typo")
        page.get_by_label("Pay code").fill(codes.group(code))
        page.get_by_role("button", name="Get my charge slip").click()
        expect(page.get_by_role("heading", name="Your charge slip")).to_be_visible()
        expect(page.get_by_test_id("slip-code")).to_have_text(codes.group(code))
        expect(page.get_by_role("button", name="Print charge slip")).to_be_visible()
        expect(
            page.get_by_role("img", name=f"Barcode of your pay code {codes.group(code)}")
        ).to_be_visible()
        page.wait_for_load_state("networkidle")
        screenshot(page, f"kiosk-charge-slip-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _serious_violations(page) == []
    finally:
        context.close()
