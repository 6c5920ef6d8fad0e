"""Public tracking in each state off the usual way, and the operator's Messages page with mail
and a text, at 360 px and 1280 px (issue #10, points 8 and 9): accessible, no sideways
scrolling at 360, the words a shopper reads."""

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop.branches import service as branches
from shop.branches.models import Branch
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PackageEvent, PaymentMode
from shop.notify.devmail import MailStore
from shop.notify.sms import TextStore
from shop.transaction import transaction
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations

SHOTS = Path("/tmp/shots-time")
TO_BRANCH = ["drop_off", "accept", "dispatch"]
LATE = [*TO_BRANCH, "arrive", "pickup_deadline_passed"]
PATHS = {
    "rerouted": [*TO_BRANCH, "reroute"],
    "ready": [*TO_BRANCH, "arrive"],
    "unclaimed": LATE,
    "sent-back": [*LATE, "send_back"],
    "returned": [
        *TO_BRANCH,
        "arrive",
        "claim",
        "return_drop_off",
        "pull_out",
        "return_to_merchant",
    ],
    "rejected": ["drop_off", "reject"],
    "cancelled": ["cancel"],
}


def _package(app, actions: list[str]) -> str:
    """A package of the demo branch 0412 moved through `actions` (a "reroute" is an event
    written as the re-route writes one)."""
    with app.app_context(), transaction():
        branch = db.session.scalar(sa.select(Branch).where(Branch.code == "0412"))
        branches.reserve(branch.code, 1)
        made = ecms.create_shipment(
            reference=f"CQ-E2E-{uuid.uuid4().hex[:6].upper()}",
            payment=PaymentMode.COD,
            amount_due=45_000,
            branch_id=branch.id,
            recipient=ecms.Recipient("Juan dela Cruz", "+639171234567", "juan@example.com"),
            parcels=[ecms.Parcel(False, 1800, 6000, "1 × Thing")],
        )
        package = db.session.scalar(sa.select(Package).where(Package.shipment_id == made.id))
        for action in actions:
            if action == "reroute":
                db.session.add(
                    PackageEvent(
                        package=package,
                        action="reroute",
                        from_state=package.state,
                        to_state=package.state,
                        actor="Operator",
                        place="DC Pasig",
                        at=datetime.now(UTC),
                        actor_role="admin",
                    )
                )
                continue
            ecms.transition(package, action, actor="e2e", place="7-Eleven Ayala Triangle")
        return package.tracking_number


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 740 if width == 360 else 900})
        page.wait_for_load_state("networkidle")
        path = screenshot(page, f"{name}-{width}")
        shutil.copy(path, SHOTS / path.name)
        if width == 360:
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= 360, f"{name} scrolls sideways at 360 px ({scroll} px wide)"
            assert _serious_violations(page) == []


@pytest.fixture
def page(browser, live_server):
    """A phone-sized page that lets axe's script in (as the other page checks do)."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, bypass_csp=True
    )
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("state", list(PATHS))
def test_tracking_reads_well_in_every_state(page, live_app, state):
    number = _package(live_app, PATHS[state])
    page.goto(f"/track/{number}")
    expect(page.get_by_role("heading", name="Track a package")).to_be_visible()
    expect(page.get_by_test_id("next-step")).to_be_visible()
    if state == "rerouted":
        expect(page.get_by_test_id("rerouted")).to_contain_text("Sent to another branch")
    if state == "ready":
        expect(page.get_by_test_id("pickup-by")).to_contain_text("Pick it up by")
    if state == "sent-back":
        expect(page.get_by_text("Sent back to the seller")).to_be_visible()
    expect(page.get_by_text("Juan")).to_have_count(0)
    _shoot(page, f"track-{state}")


@pytest.fixture
def operator(browser, live_server, live_app, tmp_path, monkeypatch):
    monkeypatch.setitem(live_app.config, "DEV_MAIL_DIR", str(tmp_path / "mail"))
    monkeypatch.setitem(live_app.config, "DEV_TEXT_DIR", str(tmp_path / "texts"))
    monkeypatch.setitem(live_app.config, "SMS_URL", "dev")
    moment = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    MailStore(tmp_path / "mail").save(
        b"From: CLiQQ Shop <no-reply@localhost>\r\nTo: shopper@demo.cliqq.ph\r\n"
        b"Subject: Ready for pickup at 7-Eleven Ayala Triangle until Tue 8 Dec, 9:00 AM\r\n"
        b"Message-ID: <9d7c1e62-4d0b-4c55-9a43-0f6a8d0e2b7a@localhost>\r\n"
        b"Date: Tue, 01 Dec 2026 02:30:00 +0000\r\n\r\nYour order is ready.\r\n",
        now=moment,
    )
    TextStore(tmp_path / "texts").save(
        "9d7c1e62-4d0b-4c55-9a43-0f6a8d0e2b7b",
        {
            "to": "+639171234567",
            "text": "CLiQQ Shop: order CQ-7K4M-2Q9P is ready at 7-Eleven Ayala Triangle until "
            "Tue 8 Dec, 9:00 AM. Show code 1234 5678 9012 and pay ₱450.00. "
            "http://127.0.0.1/track/712345678901",
        },
        now=moment + timedelta(seconds=1),
    )
    context = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, bypass_csp=True
    )
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("admin@demo.cliqq.ph")
    page.get_by_label("Password").fill("cliqq-demo-2026")
    page.get_by_role("button", name="Log in").click()
    yield page
    context.close()


def test_the_operator_reads_mail_and_texts_on_one_page(operator):
    operator.goto("/admin/")
    operator.get_by_role("link", name="Messages sent").click()
    expect(operator.get_by_role("heading", name="1 text message")).to_be_visible()
    expect(operator.get_by_test_id("text-message")).to_contain_text("is ready at 7-Eleven")
    expect(operator.get_by_role("link", name="Ready for pickup at 7-Eleven Ayala")).to_be_visible()
    _shoot(operator, "admin-messages")
