"""Issue #12 end to end, on both databases: docs/examples/merchant.py (the docs' own script)
registers a webhook endpoint and creates a cash-on-delivery shipment over real HTTP; the
package goes through the DC and the branch counter as the shop's own do (inspection,
dispatch, arrival, the buyer paying cash with the PAY & CLAIM code); the merchant's receiver
gets every shipment.* event in order as they arrive, shipment.claimed last, signed as the
Standard Webhooks library verifies."""

import importlib.util
import json
import threading
from pathlib import Path

import pytest
from standardwebhooks import Webhook
from werkzeug.serving import make_server

from shop.fulfillment import service as ecms
from tests.integration import test_ecms_lifecycle as lifecycle
from tests.integration import test_webhooks_outbound as outbound
from tests.integration.test_api_keys import new_merchant
from tests.integration.test_webhooks_outbound import _deliver
from tests.partners import FITS

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "merchant.py"

world = lifecycle.world  # the DC, its branches and staff (fixtures shared by name)
receiver, now = outbound.receiver, outbound.now


@pytest.fixture
def script():
    spec = importlib.util.spec_from_file_location("merchant_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server(app):
    running = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{running.server_port}"
    running.shutdown()


def test_a_merchants_cod_shipment_from_its_script_to_shipment_claimed(
    app,
    world,
    server,
    script,
    receiver,
    now,
):
    _, key = new_merchant(app, "Tindahan PH")
    hook = receiver()
    endpoint = script.register_endpoint(server, key, hook.url)
    made = script.create_cod_shipment(server, key, world.a.code, "ORDER-1001")
    number, code = made["tracking_number"], made["reference_code"]
    assert made["status"] == "label_issued" and made["amount_due"] == 125_000
    with app.app_context():
        ecms.drop_off(number, world.dc_user)
    with app.app_context():
        ecms.accept(number, world.dc_user, inspection=FITS)
    with app.app_context():
        ecms.dispatch(number, world.dc_user)
    with app.app_context():
        ecms.arrive(number, world.clerk_a)
    with app.app_context():
        ecms.claim(code, [number], world.clerk_a, cash_received=125_000)
    while _deliver(app).claimed:  # as `flask shop worker` does: again at once while it claims
        pass  # (a pass sends a shipment's next event only once the one before it is delivered)
    verifier = Webhook(endpoint["secret"])
    events = []
    for headers, text in hook.taken():
        verifier.verify(text, {k.lower(): v for k, v in headers.items()})
        events.append(json.loads(text))
    # Delivered in the shipment's order, one at a time: claimed last, as it arrived.
    assert [e["type"] for e in events] == [
        "shipment.label_issued", "shipment.received", "shipment.accepted",
        "shipment.in_transit", "shipment.at_branch", "shipment.claimed",
    ]  # fmt: skip
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert all(e["data"]["tracking_number"] == number for e in events)
    state = script.call(server, key, "GET", f"/api/v1/shipments/{number}")
    assert state["status"] == "claimed"
