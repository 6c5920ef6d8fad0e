"""The operator's remittance page at 360 px and on a desktop: COD cash released at a counter,
with its AR, read as the operator would; accessible, no sideways scrolling of the page."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop.auth.models import User
from shop.branches.models import Branch, BranchKind
from shop.counter import pos as counter_pos
from shop.counter import service as counter
from shop.counter.models import Receipt
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PackageEvent, Shipment
from shop.money import format_peso
from shop.transaction import transaction
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations
from tests.integration.test_ecms_lifecycle import FITS, call, ship


def _actor(app, email, **counter):
    with app.app_context():
        return ecms.Actor.of(
            db.session.scalar(sa.select(User).where(User.email == email)), **counter
        )


@pytest.fixture
def released(live_app):
    """Two COD orders released at Ayala Triangle's counter (one AR each), removed after; gives
    what the day's report then totals."""
    with live_app.app_context():
        branch = db.session.scalar(sa.select(Branch).where(Branch.code == "0412"))
        assert db.session.scalar(sa.select(Branch.id).where(Branch.kind == BranchKind.DC))
        db.session.expunge(branch)
    with live_app.app_context():
        # Other tests' releases today, and the demo merchant's (shop.demo): the shop's own row.
        before = sum(
            t.collected
            for t in counter.remittance_report().by_merchant
            if t.merchant == "CLiQQ Shop"
        )
    dc = _actor(live_app, "dc@demo.cliqq.ph")
    clerk = _actor(live_app, "clerk-0412@demo.cliqq.ph", terminal="POS-1", shift="1")
    shipments = []
    for amount in (1_250_00, 349_50):
        shipped = ship(live_app, branch, cod=amount)
        number = shipped.numbers[0]
        call(live_app, ecms.drop_off, number, dc)
        call(live_app, ecms.accept, number, dc, inspection=FITS)
        call(live_app, ecms.dispatch, number, dc)
        call(live_app, ecms.arrive, number, clerk)
        done = call(
            live_app, counter_pos.claim_step, shipped.code, [], clerk,
            label=number, cash_received=str(amount // 100 + 1), id_type="Passport",
        )  # fmt: skip
        shipments.append(done.claim.shipment_id)
    yield before + 1_250_00 + 349_50
    with live_app.app_context(), transaction():
        packages = sa.select(Package.id).where(Package.shipment_id.in_(shipments))  # ours only
        db.session.execute(sa.delete(Receipt).where(Receipt.shipment_id.in_(shipments)))
        db.session.execute(sa.delete(PackageEvent).where(PackageEvent.package_id.in_(packages)))
        db.session.execute(sa.delete(Package).where(Package.shipment_id.in_(shipments)))
        db.session.execute(sa.delete(Shipment).where(Shipment.id.in_(shipments)))


@pytest.mark.parametrize("width", [360, 1280])
def test_the_operator_reads_the_days_remittance(browser, live_server, released, width):
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 800}, bypass_csp=True
    )
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("admin@demo.cliqq.ph")
    page.get_by_label("Password").fill("cliqq-demo-2026")
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/")
    page.get_by_role("link", name="Remittance").click()
    expect(page.get_by_role("heading", name="Remittance", exact=True)).to_be_visible()
    owed = page.get_by_role("region", name="Owed to each merchant", exact=True)
    expect(owed.get_by_role("row", name="CLiQQ Shop")).to_contain_text(format_peso(released))
    days = page.get_by_role("region", name="By branch and day", exact=True)
    expect(days.get_by_role("row").nth(1)).to_contain_text("matches")
    page.wait_for_load_state("networkidle")
    screenshot(page, f"admin-remittance-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert _serious_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("remittance-")
    page.get_by_label("From", exact=True).fill("2026-12-31")
    page.get_by_label("To", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_have_text("The end date comes before the start date.")
    context.close()
