"""The publisher's webhook console in a browser, at 360 and 1280 px: add an endpoint (its
secret shown once), send a test event to a real receiver, read the delivery log, resend,
delete. Accessible (axe-core), no sideways scrolling."""

import pytest
from playwright.sync_api import expect
from standardwebhooks import Webhook

from shop.notify import service as notify
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import _serious_violations
from tests.integration.test_webhooks_outbound import Receiver


def _check(page, name: str, width: int):
    page.wait_for_load_state("networkidle")
    screenshot(page, f"{name}-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert _serious_violations(page) == []


@pytest.mark.parametrize("width", [360, 1280])
def test_a_publisher_adds_an_endpoint_tests_it_and_reads_the_log(
    browser, live_server, live_app, width
):
    receiver = Receiver()
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 800}, bypass_csp=True
    )
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Email").fill("publisher@demo.cliqq.ph")
        page.get_by_label("Password").fill("cliqq-demo-2026")
        page.get_by_role("button", name="Log in").click()
        page.goto("/partners/webhooks")
        expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()

        page.get_by_label("Endpoint URL").fill("example.com/hooks")
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.locator(".field__error")).to_contain_text("http")
        _check(page, "partners-webhooks-error", width)

        page.get_by_label("Endpoint URL").fill(receiver.url)
        page.get_by_label("Description (optional)").fill("Lakbay staging server")
        page.get_by_text("Only the ones ticked here").click()
        page.get_by_label("commission.approved").check()
        page.get_by_label("commission.paid").check()
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.get_by_role("heading", name="Endpoint added")).to_be_visible()
        secret = page.get_by_role("textbox", name="Signing secret").input_value()
        assert secret.startswith("whsec_")
        _check(page, "partners-webhooks-created", width)

        page.get_by_role("link", name="Open the endpoint and send a test event").click()
        expect(page.get_by_text(secret)).to_have_count(0)
        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_text("A test event is on its way")).to_be_visible()
        with live_app.app_context():
            notify.deliver_due(batch=1000)  # behind other tests' mail
        ((headers, body),) = receiver.taken()
        assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"
        page.reload()
        log = page.get_by_role("region", name="Delivery log table")
        expect(log).to_contain_text(headers["webhook-id"])
        expect(log).to_contain_text("200")
        _check(page, "partners-webhooks-endpoint", width)

        log.get_by_role("button", name="Resend").first.click()
        expect(page.get_by_text("queued again")).to_be_visible()
        with live_app.app_context():
            notify.deliver_due(batch=1000)  # behind other tests' mail
        assert len(receiver.taken()) == 2

        page.goto("/partners/webhooks")
        expect(page.get_by_role("link", name=receiver.url)).to_be_visible()
        expect(page.get_by_text("commission.approved, commission.paid")).to_be_visible()
        _check(page, "partners-webhooks", width)

        page.get_by_role("link", name=receiver.url).click()
        page.get_by_role("button", name="Delete endpoint").click()
        expect(page.get_by_text("No endpoint yet")).to_be_visible()
    finally:
        context.close()
        receiver.stop()
