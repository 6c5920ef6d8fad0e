"""The shopper's mail about an order: queued in the order's own transaction, sent by the
worker over real SMTP, carrying the order's link, once however often the order is confirmed."""

import json

import sqlalchemy as sa

from shop.checkout.models import Order
from shop.extensions import db
from shop.notify import service as notify
from shop.notify.models import OutboxMessage
from tests.conftest import text
from tests.integration.test_checkout import _add, _checkout, _get
from tests.integration.test_outbox import smtp  # noqa: F401  (a fixture)
from tests.integration.test_payments import _event, _place, _signed


def _mails(app) -> list[dict]:
    with app.app_context():
        return [
            message.payload
            for message in db.session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.kind == "mail")
                .order_by(OutboxMessage.created_at)
            )
        ]


def test_a_cod_order_mails_its_code_and_link_over_smtp(app, client, make, smtp):  # noqa: F811
    item = make.item(name="Ube Halaya", price=25000)
    branch = make.branch(name="7-Eleven Kapitolyo")
    _add(client, item)
    location = _checkout(client, branch).headers["Location"]
    order = _get(app, Order, name="Juan dela Cruz")
    [mail] = _mails(app)
    assert mail["to"] == ["juan@example.com"]
    assert order.number in mail["subject"]
    with app.app_context():
        delivered = notify.deliver_due().outcomes
    assert [outcome.result for outcome in delivered] == ["delivered"]
    [received] = smtp.store.recent()
    body = received.text
    with app.app_context():
        code = db.session.execute(sa.text("SELECT code FROM shipments")).scalar_one()
    assert " ".join(code[i : i + 4] for i in range(0, 14, 4)) in body
    assert "7-Eleven Kapitolyo" in body and "₱335.00" in body
    link = next(line for line in body.splitlines() if "/orders/" in line).strip()
    assert link.startswith("http://localhost/orders/") and location.split("?")[0] in link
    stranger = app.test_client()  # the link alone opens the order, as a guest needs
    path = link.removeprefix("http://localhost")
    assert order.number in text(stranger.get(path))


def test_a_refused_order_queues_no_mail(app, client, make):
    _add(client, make.item())
    assert _checkout(client, make.branch(), payment="bitcoin").status_code == 422
    assert _mails(app) == []


def test_an_online_order_mails_on_placing_and_once_on_payment(app, client, make):
    number, total = _place(app, make.item(), make.branch())
    placed = _mails(app)
    assert len(placed) == 1 and "before" in placed[0]["text"]  # pay by card before ...
    for event_id in ("evt_1", "evt_2"):  # the success twice: one mail
        payload = json.dumps(_event(number, total, event_id=event_id)).encode()
        client.post("/payments/stripe/webhook", data=payload, headers=_signed(app, payload))
    mails = _mails(app)
    assert len(mails) == 2
    paid = mails[1]
    assert paid["subject"].startswith("Paid:") and "claim code" in paid["text"]
    with app.app_context():
        code = db.session.execute(sa.text("SELECT code FROM shipments")).scalar_one()
    assert " ".join(code[i : i + 4] for i in range(0, 14, 4)) in paid["text"]


def test_shop_url_sets_the_links_host(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "SHOP_URL", "https://shop.example.ph")
    _add(client, make.item())
    _checkout(client, make.branch())
    [mail] = _mails(app)
    assert "https://shop.example.ph/orders/CQ-" in mail["text"]
