"""The operator's outbox and dev mail pages at 360 px: accessible, no sideways scrolling, and a
parked message retried with its button, as the operator would."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop.extensions import db
from shop.notify import service as notify
from shop.notify.devmail import MailStore
from shop.notify.models import OutboxMessage, OutboxStatus
from shop.transaction import transaction
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations

RAW = (
    b"From: CLiQQ Shop <no-reply@localhost>\r\nTo: shopper@demo.cliqq.ph\r\n"
    b"Subject: Your order CQ-7K4M-2Q9P is confirmed\r\n"
    b"Message-ID: <6f1c0e62-4d0b-4c55-9a43-0f6a8d0e2b7a@localhost>\r\n"
    b"Date: Tue, 01 Dec 2026 02:30:00 +0000\r\n\r\nThank you for your order.\r\n"
)


@pytest.fixture
def operator(browser, live_server, live_app, tmp_path, monkeypatch):
    monkeypatch.setitem(live_app.config, "DEV_MAIL_DIR", str(tmp_path / "mail"))
    MailStore(tmp_path / "mail").save(RAW, now=datetime(2026, 12, 1, 2, 30, tzinfo=UTC))
    with live_app.app_context(), transaction():
        message_id = notify.enqueue_mail(
            "shopper@demo.cliqq.ph", "Your order CQ-7K4M-2Q9P is confirmed", "Thank you."
        )
        message = db.session.get(OutboxMessage, message_id)
        message.status, message.attempts = OutboxStatus.PARKED, 10
        message.last_error = "SMTPDataError: (451, b'4.3.0 Try later')"
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
    with live_app.app_context(), transaction():
        db.session.execute(sa.delete(OutboxMessage))


def _check(page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    screenshot(page, f"{name}-360")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name} scrolls sideways at 360 px ({width} px wide)"
    assert _serious_violations(page) == []


def test_the_operator_retries_a_parked_message(operator):
    operator.goto("/admin/")
    operator.get_by_role("link", name="Outbox").click()
    expect(operator.get_by_role("heading", name="Outbox")).to_be_visible()
    expect(operator.get_by_text("4.3.0 Try later")).to_be_visible()
    _check(operator, "admin-outbox")
    operator.get_by_role("button", name="Retry mail to shopper@demo.cliqq.ph").click()
    expect(operator.get_by_text("The message is back in the queue")).to_be_visible()
    expect(operator.get_by_text("Nothing is parked.")).to_be_visible()


def test_the_operator_reads_the_mail_sent(operator):
    operator.goto("/admin/")
    operator.get_by_role("link", name="Messages sent").click()
    _check(operator, "admin-mail")
    operator.get_by_role("link", name="Your order CQ-7K4M-2Q9P is confirmed").click()
    expect(operator.get_by_text("Thank you for your order.")).to_be_visible()
    _check(operator, "admin-mail-message")
