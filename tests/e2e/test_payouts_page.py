"""Payouts in the browser (issue #11, point 6), at 360 px and on a desktop: the publisher
enters where to be paid, the operator makes the batch (with its confirm tick) and downloads the
bank file, the publisher reads the statement with a clawback netted. Accessible, no sideways
scrolling of the page."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop.auth.models import User
from shop.extensions import db
from shop.partners.models import App, Bucket, LedgerEntry, Payout, PayoutAccount, PayoutLine
from shop.transaction import transaction
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations

PASSWORD = "cliqq-demo-2026"


@pytest.fixture
def owed(live_app):
    """The demo publisher owed ₱625.00 on one app and a ₱40.00 clawback on another, without a
    payout account; everything made here (and by the batch) is removed after."""
    with live_app.app_context(), transaction():
        publisher_id = db.session.scalar(
            sa.select(User.id).where(User.email == "publisher@demo.cliqq.ph")
        )
        before = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Payout.id), 0)))
        apps = [
            App(publisher_id=publisher_id, name=name, key=f"e2epayouts{n:06d}")
            for n, name in enumerate(("Lakbay Travel", "Lakbay Deals"))
        ]
        db.session.add_all(apps)
        db.session.flush()
        for app_id, amount, bucket, from_bucket, reason in [
            (apps[0].id, 62_500, Bucket.PENDING, None, "order"),
            (apps[0].id, 62_500, Bucket.APPROVED, Bucket.PENDING, "approved"),
            (apps[1].id, 4_000, Bucket.REVERSED, Bucket.APPROVED, "clawback"),
        ]:
            db.session.add(LedgerEntry(app_id=app_id, amount=amount, units=1, bucket=bucket,
                                       from_bucket=from_bucket, reason=reason))  # fmt: skip
        app_ids = [a.id for a in apps]
    yield
    with live_app.app_context(), transaction():
        made = sa.select(Payout.id).where(Payout.id > before)
        db.session.execute(
            sa.delete(LedgerEntry).where(
                sa.or_(LedgerEntry.payout_id.in_(made), LedgerEntry.app_id.in_(app_ids))
            )
        )
        db.session.execute(sa.delete(PayoutLine).where(PayoutLine.payout_id.in_(made)))
        db.session.execute(sa.delete(Payout).where(Payout.id > before))
        db.session.execute(sa.delete(App).where(App.id.in_(app_ids)))
        db.session.execute(
            sa.delete(PayoutAccount).where(PayoutAccount.publisher_id == publisher_id)
        )


def _log_in(browser, live_server, width, email):
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 800}, bypass_csp=True
    )
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    return context, page


def _look(page, name, width):
    page.wait_for_load_state("networkidle")
    screenshot(page, f"{name}-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    assert _serious_violations(page) == [], name


@pytest.mark.parametrize("width", [360, 1280])
def test_a_payout_from_account_to_statement(browser, live_server, owed, width):
    publisher, mine = _log_in(browser, live_server, width, "publisher@demo.cliqq.ph")
    mine.goto("/partners/payouts")
    expect(mine.get_by_text("You have no payout account yet")).to_be_visible()
    mine.get_by_label("Account name").fill("Lakbay Ventures Inc.")
    mine.get_by_label("Bank").fill("BDO Unibank")
    mine.get_by_label("Account number").fill("0012-3456-7890")
    mine.get_by_role("button", name="Save payout account").click()
    expect(mine.get_by_text("Saved: the next payouts go to this account.")).to_be_visible()
    expect(mine.get_by_label("Account number")).to_have_value("001234567890")

    operator, ops = _log_in(browser, live_server, width, "admin@demo.cliqq.ph")
    ops.goto("/admin/payouts/")
    expect(ops.get_by_role("heading", name="Payouts", exact=True)).to_be_visible()
    balances = ops.get_by_role("region", name="Table of approved balances")
    expect(balances.get_by_role("row", name="Lakbay")).to_contain_text("₱585.00")
    expect(balances.get_by_role("row", name="Lakbay")).to_contain_text("pays")
    _look(ops, "admin-payouts", width)
    ops.get_by_role("button", name="Make payout batch").click()  # the tick is required
    expect(ops).to_have_url(f"{live_server}/admin/payouts/")
    ops.get_by_label("I checked the list").check()
    ops.get_by_role("button", name="Make payout batch").click()
    expect(ops.get_by_role("heading", name="Payout PO-")).to_be_visible()
    number = ops.get_by_role("heading", name="Payout PO-").inner_text().removeprefix("Payout ")
    transfers = ops.get_by_role("region", name="Table of transfers")
    expect(transfers.get_by_role("row", name="Lakbay Ventures Inc.")).to_contain_text("₱585.00")
    _look(ops, "admin-payouts-batch", width)
    with ops.expect_download() as download:
        ops.get_by_role("link", name="Download bank file (CSV)").click()
    assert download.value.suggested_filename == f"{number}.csv"
    body = Path(download.value.path()).read_bytes().decode()
    assert "Lakbay Ventures Inc.,BDO Unibank,001234567890,585.00," in body

    mine.goto("/partners/payouts")
    paid = mine.get_by_role("region", name="Table of your payouts")
    expect(paid.get_by_role("row", name=number)).to_contain_text("₱585.00")
    _look(mine, "partners-payouts", width)
    paid.get_by_role("link", name=number).click()
    expect(mine.get_by_role("heading", name=f"Statement {number}")).to_be_visible()
    covers = mine.get_by_role("region", name="Table of what this payout covers")
    expect(covers.get_by_role("row", name="Lakbay Deals")).to_contain_text("-₱40.00")
    expect(covers.get_by_role("row", name="Lakbay Travel")).to_contain_text("₱625.00")
    _look(mine, "partners-payouts-statement", width)
    publisher.close()
    operator.close()
