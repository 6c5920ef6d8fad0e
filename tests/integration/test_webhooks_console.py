"""The publisher's webhook console (/partners/webhooks) on both databases: publishers only,
the secret shown once, bad input refused with a 4xx and nothing saved, another publisher's
endpoint a 404 for every action, the test event and a resend through a real receiver."""

import re

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.extensions import db
from shop.notify import service as notify
from shop.notify import webhook_http, webhooks
from shop.notify.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from tests.conftest import csrf_token, log_in, text
from tests.integration.test_webhooks_outbound import receiver  # noqa: F401  (a fixture)

PAGE = "/partners/webhooks"


@pytest.fixture
def publisher(app, make):
    user = make.user(role=Role.PUBLISHER)
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    client.user = user
    return client


def _add(client, url="http://127.0.0.1:9/hooks", **fields):
    data = {"url": url, "description": "Staging", "csrf_token": csrf_token(client, "/login")}
    return client.post(PAGE, data=data | fields)


def _endpoints(app) -> list[WebhookEndpoint]:
    with app.app_context():
        rows = db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
        db.session.expunge_all()
        return rows


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_console_is_for_publishers(app, client, make):
    assert "/login" in client.get(PAGE).headers["Location"]
    shopper = app.test_client()
    log_in(shopper, make.user(role=Role.SHOPPER).email)
    assert shopper.get(PAGE).status_code == 403


def test_an_endpoint_is_added_and_its_secret_shown_once(app, publisher):
    page = publisher.get(PAGE)
    assert page.status_code == 200 and "No endpoint yet" in text(page)
    created = _add(publisher)
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    (endpoint,) = _endpoints(app)
    assert endpoint.owner_id == publisher.user.id and endpoint.event_types is None
    assert endpoint.secret in text(created)
    listing = text(publisher.get(PAGE))
    shown = text(publisher.get(f"{PAGE}/{endpoint.id}"))
    for page in (listing, shown):
        assert "http://127.0.0.1:9/hooks" in page
        assert endpoint.secret not in page
    assert endpoint.secret_hint in shown and endpoint.secret[-4:] in shown


def test_an_endpoint_can_receive_only_some_event_types(app, publisher):
    response = _add(
        publisher, events="some", event_types=["commission.paid", "commission.approved"]
    )
    assert response.status_code == 201
    assert _endpoints(app)[0].event_types == ["commission.approved", "commission.paid"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": ""}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://example.com/"}, "url"),
        ({"url": "https://user:pw@example.com/"}, "url"),
        ({"url": "https://example.com/" + "a" * 3000}, "url"),
        ({"description": "d" * 300}, "description"),
        ({"events": "some"}, "event_types"),
        ({"events": "some", "event_types": "commission.nope"}, "event_types"),
        ({"events": "some", "event_types": "shipment.claimed"}, "event_types"),
    ],
)
def test_bad_input_is_refused_with_a_4xx_and_nothing_saved(app, publisher, fields, field):
    response = _add(publisher, **fields)
    assert 400 <= response.status_code < 500
    assert 'class="field__error"' in response.get_data(as_text=True)
    assert _count(app, WebhookEndpoint) == 0


def test_production_settings_refuse_a_private_address_in_the_form(app, publisher, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    monkeypatch.setitem(app.config, "WEBHOOK_REQUIRE_HTTPS", True)
    for url in ("http://127.0.0.1:9/hooks", "https://127.0.0.1/hooks", "https://10.1.2.3/"):
        response = _add(publisher, url=url)
        assert response.status_code == 422, url
    assert _count(app, WebhookEndpoint) == 0


def test_a_post_without_its_csrf_token_is_refused(app, publisher):
    response = publisher.post(PAGE, data={"url": "http://127.0.0.1:9/"})
    assert response.status_code == 400
    assert _count(app, WebhookEndpoint) == 0


def test_another_publishers_endpoint_is_a_404_for_every_action(app, publisher, make):
    _add(publisher)
    (endpoint,) = _endpoints(app)
    other = app.test_client()
    log_in(other, make.user(role=Role.PUBLISHER).email)
    token = csrf_token(other, PAGE)
    assert other.get(f"{PAGE}/{endpoint.id}").status_code == 404
    for action in ("delete", "enable", "test", "deliveries/1/resend"):
        response = other.post(f"{PAGE}/{endpoint.id}/{action}", data={"csrf_token": token})
        assert response.status_code == 404, action
    assert "127.0.0.1:9" not in text(other.get(PAGE))
    assert len(_endpoints(app)) == 1 and _count(app, OutboxMessage) == 0


def test_a_test_event_the_log_and_a_resend(app, publisher, receiver):  # noqa: F811
    hooks = receiver()
    _add(publisher, url=hooks.url)
    (endpoint,) = _endpoints(app)
    token = csrf_token(publisher, PAGE)
    sent = publisher.post(f"{PAGE}/{endpoint.id}/test", data={"csrf_token": token})
    assert sent.status_code == 303
    with app.app_context():
        notify.deliver_due()
    ((headers, body),) = hooks.taken()
    assert '"type":"webhook.test"' in body
    page = text(publisher.get(f"{PAGE}/{endpoint.id}"))
    assert headers["webhook-id"] in page and "webhook.test" in page
    with app.app_context():
        delivery_id = db.session.scalar(sa.select(WebhookDelivery.id))
    resent = publisher.post(
        f"{PAGE}/{endpoint.id}/deliveries/{delivery_id}/resend", data={"csrf_token": token}
    )
    assert resent.status_code == 303
    with app.app_context():
        notify.deliver_due()
    ids = [h["webhook-id"] for h, _ in hooks.taken()]
    assert len(ids) == 2 and len(set(ids)) == 2
    listing = publisher.get(PAGE).get_data(as_text=True)
    assert re.search(r'tag--ok">200</span>', listing)  # the last delivery's answer
    # A delivery of this endpoint can't be resent through another endpoint's address.
    _add(publisher, url=hooks.url + "/2")
    second = _endpoints(app)[1]
    wrong = publisher.post(
        f"{PAGE}/{second.id}/deliveries/{delivery_id}/resend", data={"csrf_token": token}
    )
    assert wrong.status_code == 404


def test_a_disabled_endpoint_can_be_enabled_again(app, publisher):
    _add(publisher)
    (endpoint,) = _endpoints(app)
    with app.app_context():
        row = db.session.get(WebhookEndpoint, endpoint.id)
        row.enabled, row.disabled_reason = False, "It answered 410 Gone."
        db.session.commit()
    token = csrf_token(publisher, PAGE)
    page = text(publisher.get(f"{PAGE}/{endpoint.id}"))
    assert "Disabled" in page and "410 Gone" in page and "Send test event" not in page
    refused = publisher.post(f"{PAGE}/{endpoint.id}/test", data={"csrf_token": token})
    assert refused.status_code == 303 and _count(app, OutboxMessage) == 0
    publisher.post(f"{PAGE}/{endpoint.id}/enable", data={"csrf_token": token})
    assert _endpoints(app)[0].enabled


def test_an_endpoint_is_deleted_with_its_log(app, publisher):
    _add(publisher)
    (endpoint,) = _endpoints(app)
    token = csrf_token(publisher, PAGE)
    response = publisher.post(f"{PAGE}/{endpoint.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith(PAGE)
    assert _endpoints(app) == []
    assert publisher.get(f"{PAGE}/{endpoint.id}").status_code == 404


def test_at_most_ten_endpoints(app, publisher):
    for n in range(10):
        assert _add(publisher, url=f"http://127.0.0.1:9/{n}").status_code == 201
    assert _add(publisher, url="http://127.0.0.1:9/11").status_code == 409
    assert "as many as an account may have" in text(publisher.get(PAGE))


def test_the_lengths_the_form_allows_are_the_services(app, publisher, monkeypatch):
    monkeypatch.setattr(webhook_http, "MAX_URL", 321)
    monkeypatch.setattr(webhooks, "MAX_DESCRIPTION", 55)
    page = publisher.get(PAGE).get_data(as_text=True)
    assert 'maxlength="321"' in page and 'maxlength="55"' in page
