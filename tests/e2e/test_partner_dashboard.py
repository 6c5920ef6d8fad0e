"""A publisher's whole console in the browser: signs up, registers an app, an operator approves
it, and the publisher reads the dashboard of seeded ledger rows (the chart drawn under the
shop's CSP, the same numbers as a table); accessible, no sideways scrolling at 360 px."""

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop import clock
from shop.catalog.models import Item
from shop.checkout.models import Order, OrderLine
from shop.extensions import db
from shop.partners.models import App, Attribution, Click, CommissionLine, LedgerEntry
from shop.transaction import transaction
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations
from tests.integration.test_dashboard import seed

DEMO_PASSWORD = "cliqq-demo-2026"  # noqa: S105 (the demo logins)


def _context(browser, live_server, width, **options):
    return browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 800}, **options
    )


def _watch(page) -> list[str]:
    """JavaScript errors and CSP refusals on the page."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return problems


def _check_layout(page, width, name):
    page.wait_for_load_state("networkidle")
    screenshot(page, f"{name}-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name


def _cleanup(live_app, app_id):
    """The seeded rows and the app, so other browser tests see the demo as it was."""
    with live_app.app_context(), transaction():
        orders = sa.select(Attribution.order_id).where(Attribution.app_id == app_id)
        order_ids = list(db.session.scalars(orders))
        db.session.execute(sa.delete(LedgerEntry).where(LedgerEntry.app_id == app_id))
        db.session.execute(sa.delete(CommissionLine).where(CommissionLine.app_id == app_id))
        db.session.execute(sa.delete(Attribution).where(Attribution.app_id == app_id))
        db.session.execute(sa.delete(Click).where(Click.app_id == app_id))
        db.session.execute(sa.delete(OrderLine).where(OrderLine.order_id.in_(order_ids)))
        db.session.execute(sa.delete(Order).where(Order.id.in_(order_ids)))
        db.session.execute(sa.delete(App).where(App.id == app_id))


@pytest.mark.parametrize("width", [360, 1280])
def test_a_publisher_signs_up_registers_and_reads_the_dashboard(
    browser, live_server, live_app, width
):
    publisher = _context(browser, live_server, width)
    page = publisher.new_page()
    problems = _watch(page)
    email = f"pub-{uuid.uuid4().hex[:10]}@example.com"
    page.goto("/partners/signup")
    page.get_by_label("Your name").fill("Lakbay Publisher")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a long password 2026")
    page.get_by_role("button", name="Create publisher account").click()
    expect(page.get_by_role("heading", name="Your apps", exact=True)).to_be_visible()
    page.get_by_role("link", name="Register an app").first.click()

    # A mistake first: the form says what is wrong, next to the field.
    page.get_by_label("App name").fill("Lakbay Travel")
    page.get_by_label("Allowed origins").fill("ftp://lakbay.example")
    page.get_by_label("Default commission rate (%)").fill("4.75")
    page.get_by_role("button", name="Register the app").click()
    expect(page.get_by_text("isn't an origin")).to_be_visible()
    page.get_by_label("Allowed origins").fill("https://lakbay.example\nhttps://m.lakbay.example")
    page.get_by_label("Theme colour").fill("#1d5fa8")
    page.get_by_role("button", name="Register the app").click()
    expect(page.get_by_text("Waiting for approval").first).to_be_visible()
    snippet = page.get_by_label("Paste this where the shop should appear in your page")
    expect(snippet).to_have_value(re.compile(r'<div data-cliqq-app="app_[0-9a-f]{20}"></div>'))
    expect(page.get_by_role("button", name="Copy the snippet")).to_be_visible()
    _check_layout(page, width, "partners-app-form")
    app_id = int(page.url.rstrip("/").split("/")[-1])

    try:
        # The operator approves it, at a rate of their own.
        operator = _context(browser, live_server, width, bypass_csp=True)
        admin = operator.new_page()
        admin.goto("/login")
        admin.get_by_label("Email").fill("admin@demo.cliqq.ph")
        admin.get_by_label("Password").fill(DEMO_PASSWORD)
        admin.get_by_role("button", name="Log in").click()
        admin.goto("/admin/apps/?status=pending")
        admin.get_by_role("link", name="Lakbay Travel").first.click()
        admin.get_by_label("Default rate (%)").fill("5")
        admin.get_by_role("button", name="Approve Lakbay Travel").click()
        expect(admin.get_by_text("is approved")).to_be_visible()
        _check_layout(admin, width, "admin-app")
        assert _serious_violations(admin) == []
        operator.close()

        # Sales come in (seeded rows, as the ledger writes them).
        with live_app.app_context():
            partner = db.session.get(App, app_id)
            assert partner.default_rate_bp == 500
            item = db.session.scalar(sa.select(Item).order_by(Item.id).limit(1))
            db.session.expunge_all()
        start = clock.now() - timedelta(days=12)
        seed(live_app, partner, item, orders=14, start=start, spread_days=8, clicks=40,
             flagged_clicks=2, flagged_orders=1)  # fmt: skip

        page.reload()
        expect(page.get_by_role("link", name="Preview the embedded shop")).to_be_visible()
        page.get_by_role("link", name="Dashboard").last.click()
        expect(page.get_by_role("heading", name="Dashboard: Lakbay Travel")).to_be_visible()
        expect(page.locator(".stat", has_text="orders")).to_contain_text("14")
        expect(page.locator(".stat", has_text="clicks")).to_contain_text("40")
        expect(page.get_by_text("Flagged, earning nothing: 2 clicks")).to_be_visible()
        days = page.get_by_role("region", name="Clicks, orders and commission per day")
        expect(days.get_by_role("row")).to_have_count(31)  # the header and 30 days
        expect(page.locator("#board-chart canvas")).to_have_count(1)  # uPlot drew it
        expect(page.get_by_role("region", name="Ledger rows")).to_contain_text(item.name)
        _check_layout(page, width, "partners-dashboard")
        page.get_by_role("link", name="7 days").click()
        expect(page.get_by_role("link", name="7 days")).to_have_attribute("aria-current", "true")
        with page.expect_download() as download:
            page.get_by_role("link", name="CSV of the ledger").click()
        assert download.value.suggested_filename.startswith("cliqq-ledger-")
        page.get_by_label("From", exact=True).fill("2026-12-31")
        page.get_by_label("To", exact=True).fill("2026-01-01")
        page.get_by_role("button", name="Show").click()
        expect(page.get_by_role("alert")).to_have_text("The end date comes before the start date.")
        assert problems == []

        # Accessibility, with axe (injected, so under a context that lets it run).
        state = publisher.storage_state()
        checker = _context(browser, live_server, width, bypass_csp=True, storage_state=state)
        audit = checker.new_page()
        for path in (f"/partners/apps/{app_id}/dashboard", f"/partners/apps/{app_id}",
                     "/partners/"):  # fmt: skip
            audit.goto(path)
            audit.wait_for_load_state("networkidle")
            assert _serious_violations(audit) == [], path
        checker.close()
    finally:
        publisher.close()
        _cleanup(live_app, app_id)
