"""The counter's pull-out in a browser (issue #10, points 4 and 7): a package not picked up in
time is listed to go back, its label scanned as it is handed to the delivery staff; at 360 px
and 1280 px, accessible."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop import clock
from shop.codes import group
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package
from shop.fulfillment.models import PackageState as S
from shop.transaction import transaction
from tests.e2e.test_pages import _serious_violations
from tests.e2e.test_pos_cod import _cod_shipment, _log_in, _shot


def _unclaimed_at_ayala(live_app) -> str:
    """A package on Ayala Triangle's shelf past its pickup deadline (moved there directly, as
    the DC, the trip and the tick would)."""
    _, number = _cod_shipment(live_app)
    with live_app.app_context(), transaction():
        package = db.session.scalar(sa.select(Package).where(Package.tracking_number == number))
        for action in ("drop_off", "accept", "dispatch", "arrive"):
            ecms.transition(package, action, actor="e2e")
        past = clock.now() - timedelta(minutes=1)
        package.pickup_deadline = past
        db.session.flush()
        ecms.transition(package, "pickup_deadline_passed", actor="e2e")
    return number


@pytest.mark.parametrize("width", [360, 1280])
def test_the_clerk_hands_an_unclaimed_package_over(browser, live_server, live_app, width):
    number = _unclaimed_at_ayala(live_app)
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 800}, bypass_csp=True
    )
    page = _log_in(context, "clerk-0412@demo.cliqq.ph")
    page.goto("/counter/pos")
    page.get_by_label("Terminal").fill("POS-3")
    page.get_by_label("Shift").fill("1")
    page.get_by_role("button", name="Start").click()
    going_back = page.get_by_role("region", name="Pull-out")
    expect(going_back).to_contain_text("Not picked up in time")
    expect(going_back).to_contain_text(group(number))
    scan = page.get_by_label("Label of a package going back")
    scan.fill(number)
    scan.press("Enter")
    expect(going_back.get_by_role("status")).to_contain_text(f"Handed over: {group(number)}")
    expect(scan).to_be_focused()
    expect(scan).to_have_value("")
    page.wait_for_load_state("networkidle")
    _shot(page, f"pos-pull-out-{width}")
    assert _serious_violations(page) == []
    with live_app.app_context():
        state = db.session.scalar(sa.select(Package.state).where(Package.tracking_number == number))
    assert state is S.RETURNING
    context.close()
