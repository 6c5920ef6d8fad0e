"""The operator console in a browser: an operator edits an item's stock and finds the change,
with who made it, in the audit log; every console page at 360 and 1280 px, accessible and
without sideways scrolling at 360."""

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop.branches.models import Branch, BranchKind
from shop.catalog.models import Item
from shop.extensions import db
from shop.fulfillment.models import Package
from shop.merchants import service as merchants
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations
from tests.integration.test_checkout import _add, _checkout


def _log_in(browser, live_server, width: int):
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 800}, bypass_csp=True
    )
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("admin@demo.cliqq.ph")
    page.get_by_label("Password").fill("cliqq-demo-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/(admin/?|account|)$"))
    return context, page


@pytest.fixture
def operator(browser, live_server):
    context, page = _log_in(browser, live_server, 360)
    yield page
    context.close()


def test_the_operator_edits_stock_and_sees_it_in_the_audit_log(operator, live_app):
    with live_app.app_context():
        item = db.session.scalar(
            sa.select(Item).where(Item.active.is_(True), Item.virtual.is_(False)).order_by(Item.id)
        )
        name, stock = item.name, item.stock
    page = operator
    page.goto("/admin/")
    page.get_by_role("link", name="Items", exact=True).click()
    page.get_by_label("Search by name or slug").fill(name)
    page.get_by_role("search", name="Items").get_by_role("button", name="Search").click()
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    stock_field = page.get_by_label("Stock", exact=True)
    expect(stock_field).to_have_value(str(stock))
    stock_field.fill(str(stock + 7))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(f"{name} is saved.")).to_be_visible()
    expect(page.get_by_label("Stock", exact=True)).to_have_value(str(stock + 7))
    screenshot(page, "admin-item-saved-360")
    page.get_by_role("link", name="Changes to this item").click()
    entry = page.locator(".auditlog__entry").first
    expect(entry).to_contain_text("item.update")
    expect(entry).to_contain_text("admin@demo.cliqq.ph")
    expect(entry).to_contain_text(f"{stock} → {stock + 7}")
    screenshot(page, "admin-audit-after-edit-360")
    with live_app.app_context():
        assert db.session.get(Item, item.id).stock == stock + 7


@pytest.fixture(scope="module")
def world(live_app):
    """An order with a package and a merchant, for the pages that show them."""
    with live_app.app_context():
        branch = db.session.scalar(
            sa.select(Branch)
            .where(Branch.kind == BranchKind.STORE, Branch.active.is_(True))
            .where(Branch.closed_from.is_(None))
            .order_by(Branch.id)
        )
        item = db.session.scalar(
            sa.select(Item)
            .where(Item.active.is_(True), Item.virtual.is_(False), Item.frozen.is_(False))
            .where(Item.stock > 2, Item.weight_g < 2000)
            .order_by(Item.id)
        )
        branch_code, card = branch.code, SimpleNamespace(id=item.id)
        found = merchants.find_by_slug("e2e-console")
        merchant_id = found.id if found else None
    if merchant_id is None:
        with live_app.app_context():
            merchant_id = merchants.create_merchant(
                "Console Test Merchant", "e2e-console", "ops@merchant.example"
            ).merchant.id
    shopper = live_app.test_client()
    _add(shopper, card)
    location = _checkout(shopper, SimpleNamespace(code=branch_code)).headers["Location"]
    number = location.split("/")[2].split("?")[0]
    with live_app.app_context():
        tracking = db.session.scalar(
            sa.select(Package.tracking_number).order_by(Package.id.desc()).limit(1)
        )
    return {
        "item": card.id,
        "branch": branch_code,
        "number": number,
        "tracking": tracking,
        "merchant": merchant_id,
    }


PAGES = {
    "index": "/admin/",
    "items": "/admin/items",
    "item-new": "/admin/items/new",
    "item": "/admin/items/{item}",
    "categories": "/admin/categories",
    "branch": "/admin/branches/{branch}",
    "merchants": "/admin/merchants",
    "merchant": "/admin/merchants/{merchant}",
    "orders": "/admin/orders?status=confirmed",
    "order": "/admin/orders/{number}",
    "packages": "/admin/packages",
    "package": "/admin/packages/{tracking}",
    "audit": "/admin/audit",
}


@pytest.mark.parametrize("width", [360, 1280])
def test_every_console_page_fits_and_is_accessible(browser, live_server, world, width):
    context, page = _log_in(browser, live_server, width)
    try:
        problems = []
        for name, path in PAGES.items():
            response = page.goto(path.format(**world))
            assert response.status == 200, f"{name}: {response.status}"
            page.wait_for_load_state("networkidle")
            screenshot(page, f"admin-{name}-{width}")
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                problems.append(f"{name} scrolls sideways at {width} px ({wide} px wide)")
            problems += [f"{name}: {v}" for v in _serious_violations(page)]
        assert problems == []
    finally:
        context.close()
