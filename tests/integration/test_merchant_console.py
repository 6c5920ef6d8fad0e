"""The merchant console (/merchants/..., issue #12 point 8) on both databases: merchant logins
linked to their merchant only (others 403, visitors to the login page); every page renders;
shipments searched by tracking number or reference, filtered by status and date, a page at a
time; a shipment's timeline, codes and label; cancel, re-route and return through the API's
services, each refused when its state says no; API keys made (the secret shown once), listed
and revoked (then a 401 on the API); webhook endpoints with the delivery log and a resend; COD
remittances of the merchant's own shipments only; another merchant's every object a 404; a
form without its CSRF token refused; a suspended merchant's console reads but changes nothing;
an operator links a login from the merchant's page or the command line."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from shop.auth.models import Role, User
from shop.branches.models import Branch, BranchKind
from shop.counter import pos as counter_pos
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.merchants import console as merchant_console
from shop.merchants import service as merchants
from shop.merchants.models import ApiKey, MerchantStatus
from shop.notify import service as notify
from shop.notify.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from tests.conftest import csrf_token, log_in, text
from tests.integration.test_api_keys import auth, new_merchant
from tests.integration.test_api_shipments import TO_BRANCH, _move, body, post
from tests.integration.test_ecms_lifecycle import FITS, call
from tests.integration.test_webhooks_outbound import receiver  # noqa: F401  (a fixture)

HOME = "/merchants/"


class Console:
    """A merchant, its API key and a client logged in as its console login."""

    def __init__(self, app, make, name="Tindahan PH"):
        self.app = app
        self.merchant_id, self.secret = new_merchant(app, name)
        self.user = make.user(role=Role.MERCHANT, merchant_id=self.merchant_id)
        self.client = app.test_client()
        assert log_in(self.client, self.user.email).status_code == 302

    def token(self) -> str:
        return csrf_token(self.client, "/account")

    def post(self, path, **data):
        return self.client.post(path, data={"csrf_token": self.token(), **data})

    def ship(self, branch, reference="ORDER-1001", **changes) -> str:
        api = self.app.test_client()
        made = post(api, self.secret, body(branch, reference=reference, **changes))
        assert made.status_code == 201, made.get_json()
        return made.get_json()["tracking_number"]


@pytest.fixture
def branch(make):
    return make.branch(name="7-Eleven Ayala Triangle", shelf_capacity=10)


@pytest.fixture
def mine(app, make):
    return Console(app, make)


@pytest.fixture
def theirs(app, make):
    return Console(app, make, "Other shop")


def _shipment_path(number: str, action: str = "") -> str:
    return f"/merchants/shipments/{number}" + (f"/{action}" if action else "")


def _status(app, number) -> str:
    with app.app_context():
        return ecms.get_package(number).state.value


def test_the_console_is_for_merchant_logins_linked_to_a_merchant(app, client, make):
    assert "/login" in client.get(HOME).headers["Location"]
    for role in (Role.SHOPPER, Role.PUBLISHER, Role.ADMIN, Role.CLERK):
        other = app.test_client()
        log_in(other, make.user(role=role).email)
        assert other.get(HOME).status_code == 403, role
        assert other.get("/merchants/webhooks").status_code == 403, role
    unlinked = app.test_client()
    log_in(unlinked, make.user(role=Role.MERCHANT).email)
    refused = unlinked.get("/merchants/shipments")
    assert refused.status_code == 403 and "isn't linked to a merchant" in text(refused)


def test_every_page_renders(app, mine, branch):
    number = mine.ship(branch)
    with app.app_context():
        merchants.create_key(mine.merchant_id, "Staging")
    pages = {
        HOME: ["Tindahan PH", "Shipments by status", "label issued", "ORDER-1001"],
        "/merchants/shipments": ["ORDER-1001", "Tracking number or reference"],
        _shipment_path(number): ["Timeline", "Juan dela Cruz", "CLAIM CODE", "Shipping label"],
        "/merchants/keys": ["First key", "Staging", "Make a key"],
        "/merchants/webhooks": ["No endpoint yet", "All shipment events"],
        "/merchants/remittances": ["COD remittances", "No cash on delivery of yours"],
    }
    for path, words in pages.items():
        response = mine.client.get(path)
        assert response.status_code == 200, path
        page = text(response)
        for word in words:
            assert word in page, (path, word)
    label = mine.client.get(_shipment_path(number, "label"))
    api_label = app.test_client().get(
        f"/api/v1/shipments/{number}/label", headers=auth(mine.secret)
    )
    assert label.status_code == 200 and label.mimetype == "application/pdf"
    assert label.headers["Cache-Control"] == "private, no-store"
    assert label.data[:4] == b"%PDF" and len(label.data) > 1000
    assert api_label.status_code == 200 and api_label.mimetype == label.mimetype


def test_a_shipments_page_shows_its_codes_recipient_branch_and_timeline(app, mine, branch):
    number = mine.ship(branch, payment="cod", amount_due=125_000)
    _move(app, number, "drop_off", "accept")
    page = text(mine.client.get(_shipment_path(number)))
    with app.app_context():
        view = merchant_console.shipment_page(merchants.get_merchant(mine.merchant_id), number)
    grouped = " ".join(view.shipment.code[i : i + 4] for i in range(0, 14, 4))
    assert grouped in page and "PAY & CLAIM (reference) code" in page
    assert "₱1,250.00" in page and branch.name in page and "0917 123 4567" in page
    timeline = re.search(r'data-testid="timeline">(.*?)</ol>', page, re.S).group(1)
    assert [s for s in ("label issued", "received", "accepted") if s in timeline] == [
        "label issued", "received", "accepted"]  # fmt: skip
    assert "Cancel the shipment" not in page  # dropped off: too late
    assert "Change the pickup branch" in page  # not arrived yet


def test_search_by_tracking_number_or_reference_status_and_dates(
    app, mine, branch, clock, monkeypatch
):
    day = datetime(2026, 7, 14, 1, 0, tzinfo=UTC)  # 9:00 in Manila
    made = {}
    for n, reference in enumerate(["ORDER-1", "ORDER-2", "GIFT-3"]):
        clock.set(day + timedelta(days=n))
        made[reference] = mine.ship(branch, reference=reference)
    assert mine.post(_shipment_path(made["GIFT-3"], "cancel")).status_code == 303

    def found(**args) -> list[str]:
        response = mine.client.get("/merchants/shipments", query_string=args)
        assert response.status_code == 200, args
        return re.findall(r'data-label="Reference">([^<]+)<', response.get_data(as_text=True))

    assert found() == ["GIFT-3", "ORDER-2", "ORDER-1"]  # newest first
    spaced = " ".join(made["ORDER-2"][i : i + 4] for i in range(0, 12, 4))
    assert found(q=spaced) == ["ORDER-2"]
    assert found(q=made["ORDER-1"].replace("", "-").strip("-")) == ["ORDER-1"]
    assert found(q="order") == ["ORDER-2", "ORDER-1"]  # the start of a reference, any case
    assert found(q="100%") == [] and found(q="_") == []  # wildcards are plain characters
    assert found(status="cancelled") == ["GIFT-3"]
    assert found(status="label_issued") == ["ORDER-2", "ORDER-1"]
    assert found(**{"from": "2026-07-15"}) == ["GIFT-3", "ORDER-2"]
    assert found(**{"from": "2026-07-15", "to": "2026-07-15"}) == ["ORDER-2"]
    assert found(to="2026-07-14") == ["ORDER-1"]
    monkeypatch.setattr(merchant_console, "PER_PAGE", 2)
    first = mine.client.get("/merchants/shipments").get_data(as_text=True)
    assert 'href="/merchants/shipments?page=2"' in first
    assert found(page="2") == ["ORDER-1"]
    second = mine.client.get("/merchants/shipments?q=order&page=2").get_data(as_text=True)
    assert "page=1" in second and "q=order" in second  # the pager keeps the search
    for bad in (
        {"from": "14/07/2026"},
        {"to": "2026-02-30"},
        {"status": "lost"},
        {"from": "2026-07-15", "to": "2026-07-14"},
        {"page": "x"},
        {"q": "x" * 65},
    ):
        response = mine.client.get("/merchants/shipments", query_string=bad)
        assert response.status_code == 422, bad
        assert 'role="alert"' in response.get_data(as_text=True)


def test_cancel_before_drop_off_only(app, mine, branch):
    number = mine.ship(branch)
    assert "Cancel the shipment" in text(mine.client.get(_shipment_path(number)))
    done = mine.post(_shipment_path(number, "cancel"), reason="Buyer changed their mind")
    assert done.status_code == 303 and done.headers["Location"].endswith(_shipment_path(number))
    assert _status(app, number) == "cancelled"
    page = text(mine.client.get(_shipment_path(number)))
    assert "is cancelled" in page and "Cancel the shipment" not in page
    with app.app_context():
        event = ecms.get_package(number).events[-1]
        assert event.actor == f"console:tindahan-ph ({mine.user.email})"
    again = mine.post(_shipment_path(number, "cancel"))
    assert again.status_code == 409 and "can't be cancel" in text(again)
    late = mine.ship(branch, reference="ORDER-1002")
    _move(app, late, "drop_off")
    refused = mine.post(_shipment_path(late, "cancel"))
    assert refused.status_code == 409 and _status(app, late) == "received"
    long = mine.post(_shipment_path(late, "cancel"), reason="x" * 501)
    assert long.status_code == 422


def test_the_pickup_branch_changes_before_arrival_only(app, mine, branch, make):
    number = mine.ship(branch)
    other = make.branch(name="7-Eleven Cubao Aurora", shelf_capacity=10)
    page = text(mine.client.get(_shipment_path(number)))
    assert "Change the pickup branch" in page and "New pickup branch" in page
    searched = mine.post(
        _shipment_path(number, "branch"), action="search-branches", branch_q="Cubao"
    )
    assert searched.status_code == 200 and other.name in text(searched)
    assert _status(app, number) == "label_issued"
    moved = mine.post(_shipment_path(number, "branch"), branch_code=other.code)
    assert moved.status_code == 303
    with app.app_context():
        view = merchant_console.shipment_page(merchants.get_merchant(mine.merchant_id), number)
    assert view.shipment.branch_code == other.code
    same = mine.post(_shipment_path(number, "branch"), branch_code=other.code)
    assert same.status_code == 422 and "already" in text(same)
    nothing = mine.post(_shipment_path(number, "branch"), branch_code="")
    assert nothing.status_code == 422 and "Choose the new pickup branch" in text(nothing)
    unknown = mine.post(_shipment_path(number, "branch"), branch_code="9999")
    assert unknown.status_code == 422
    _move(app, number, *TO_BRANCH)
    assert "Change the pickup branch" not in text(mine.client.get(_shipment_path(number)))
    late = mine.post(_shipment_path(number, "branch"), branch_code=branch.code)
    assert late.status_code == 409


def test_a_return_is_asked_for_a_claimed_shipment(app, mine, branch):
    number = mine.ship(branch)
    assert "Request a return" not in text(mine.client.get(_shipment_path(number)))
    early = mine.post(_shipment_path(number, "return"))
    assert early.status_code == 409 and "picked up" in text(early)
    _move(app, number, *TO_BRANCH, "claim")
    assert "Request a return" in text(mine.client.get(_shipment_path(number)))
    issued = mine.post(_shipment_path(number, "return"))
    assert issued.status_code == 303
    page = text(mine.client.get(_shipment_path(number)))
    code = re.search(r"RETURN CODE (4\d{13})", page).group(1)
    again = mine.post(_shipment_path(number, "return"))
    assert again.status_code == 303
    assert code in text(mine.client.get(_shipment_path(number)))  # the same live code


def test_a_key_is_shown_once_listed_by_prefix_and_revoked(app, mine):
    api = app.test_client()
    made = mine.post("/merchants/keys", key_name="Production server")
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    secret = re.search(r'value="(sk_[^"]+)"', made.get_data(as_text=True)).group(1)
    assert len(secret) == merchants.KEY_LENGTH
    listing = mine.client.get("/merchants/keys").get_data(as_text=True)
    assert secret not in listing and secret[: merchants.KEY_SHOWN] in listing
    assert "Production server" in listing
    assert api.get("/api/v1/branches", headers=auth(secret)).status_code == 200
    assert (
        "Never" not in text(mine.client.get("/merchants/keys")).split("Production server")[1][:200]
    )
    with app.app_context():
        key = db.session.scalar(sa.select(ApiKey).where(ApiKey.name == "Production server"))
        assert key.created_by == mine.user.email
    revoked = mine.post(f"/merchants/keys/{key.id}/revoke")
    assert revoked.status_code == 303 and "is revoked" in text(mine.client.get("/merchants/keys"))
    assert api.get("/api/v1/branches", headers=auth(secret)).status_code == 401
    for bad in ("", " ", "x" * 81, "tab\x01"):
        refused = mine.post("/merchants/keys", key_name=bad)
        assert refused.status_code in (400, 422), bad
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) == 2


def test_at_most_twenty_keys_in_use(app, mine, monkeypatch):
    monkeypatch.setattr(merchants, "MAX_KEYS", 2)
    assert mine.post("/merchants/keys", key_name="Two").status_code == 201
    refused = mine.post("/merchants/keys", key_name="Three")
    assert refused.status_code == 409 and "Revoke one" in text(refused)


def test_webhook_endpoints_the_delivery_log_and_a_resend(app, mine, branch, receiver):  # noqa: F811
    hooks = receiver()
    added = mine.post("/merchants/webhooks", url=hooks.url, description="Production")
    assert added.status_code == 201 and "whsec_" in text(added)
    with app.app_context():
        endpoint = db.session.scalars(sa.select(WebhookEndpoint)).one()
        assert (endpoint.owner_type, endpoint.owner_id) == ("merchant", mine.merchant_id)
        endpoint_id, secret = endpoint.id, endpoint.secret
    path = f"/merchants/webhooks/{endpoint_id}"
    assert secret not in mine.client.get(path).get_data(as_text=True)
    mine.ship(branch)  # shipment.label_issued
    assert mine.post(f"{path}/test").status_code == 303
    with app.app_context():
        notify.deliver_due(batch=50)
    assert len(hooks.taken()) == 2
    page = text(mine.client.get(path))
    assert "shipment.label_issued" in page and "webhook.test" in page
    assert '"tracking_number"' in page  # the request's body
    with app.app_context():
        delivery_id = db.session.scalar(
            sa.select(WebhookDelivery.id).where(
                WebhookDelivery.event_type == "shipment.label_issued"
            )
        )
        queued = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    resent = mine.post(f"{path}/deliveries/{delivery_id}/resend")
    assert resent.status_code == 303
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == queued + 1
        )
    assert "queued again" in text(mine.client.get(path))
    with app.app_context():
        notify.deliver_due(batch=50)
    assert len(hooks.taken()) == 3
    only = mine.post("/merchants/webhooks", url=hooks.url, events="some",
                     event_types=["shipment.claimed", "commission.paid"])  # fmt: skip
    assert only.status_code == 422  # a publisher's event type isn't a merchant's
    with app.app_context():
        row = db.session.get(WebhookEndpoint, endpoint_id)
        row.enabled, row.disabled_reason = False, "It answered 410 Gone."
        db.session.commit()
    assert "Enable again" in text(mine.client.get(path))
    assert mine.post(f"{path}/enable").status_code == 303
    assert mine.post(f"{path}/delete").status_code == 303
    assert mine.client.get(path).status_code == 404


def _release_cod(app, make, console, branch, reference):
    """A COD shipment of `console`'s merchant, carried to `branch` and released at its counter
    with its AR."""
    number = console.ship(branch, reference=reference, payment="cod", amount_due=125_000)
    dc_user = ecms.Actor.of(make.user(role=Role.DC, branch_id=_dc(app, make)))
    clerk = ecms.Actor.of(make.user(role=Role.CLERK, branch_id=branch.id), terminal="POS-1")
    call(app, ecms.drop_off, number, dc_user)
    call(app, ecms.accept, number, dc_user, inspection=FITS)
    call(app, ecms.dispatch, number, dc_user)
    call(app, ecms.arrive, number, clerk)
    with app.app_context():
        code = ecms.get_package(number).shipment.code
    done = call(app, counter_pos.claim_step, code, [], clerk, label=number,
                cash_received="1300", id_type="Passport")  # fmt: skip
    assert done.receipt is not None
    return number


def _dc(app, make) -> int:
    with app.app_context():
        found = db.session.scalar(sa.select(Branch.id).where(Branch.kind == BranchKind.DC))
    return found or make.branch(code="DC-PASIG", name="DC Pasig", kind=BranchKind.DC).id


def test_cod_remittances_show_the_merchants_own_lines_only(app, make, mine, theirs, branch):
    _release_cod(app, make, mine, branch, "ORDER-MINE")
    _release_cod(app, make, theirs, branch, "ORDER-THEIRS")
    _release_cod(app, make, theirs, branch, "ORDER-THEIRS-2")
    page = text(mine.client.get("/merchants/remittances"))
    assert "₱1,250.00" in page and "₱2,500.00" not in page and branch.name in page
    assert "Other shop" not in page and "other-shop" not in page
    assert "matches" in page
    other = text(theirs.client.get("/merchants/remittances"))
    assert "₱2,500.00" in other
    today = datetime.now(UTC).astimezone().date()
    long_ago = mine.client.get("/merchants/remittances?from=2020-01-01&to=2020-01-07")
    assert long_ago.status_code == 200 and "No cash on delivery of yours" in text(long_ago)
    for bad in ({"from": "junk"}, {"from": "2020-01-01", "to": "2020-12-31"},
                {"from": today.isoformat(), "to": "2020-01-01"}):  # fmt: skip
        assert mine.client.get("/merchants/remittances", query_string=bad).status_code == 422


def test_another_merchants_objects_are_404s(app, mine, theirs, branch, receiver):  # noqa: F811
    number = theirs.ship(branch)
    for path in (_shipment_path(number), _shipment_path(number, "label")):
        assert mine.client.get(path).status_code == 404, path
    for action, data in (("cancel", {}), ("branch", {"branch_code": branch.code}), ("return", {})):
        assert mine.post(_shipment_path(number, action), **data).status_code == 404, action
    assert _status(app, number) == "label_issued"
    assert number not in mine.client.get("/merchants/shipments").get_data(as_text=True)
    assert "No shipment matches" in text(mine.client.get(f"/merchants/shipments?q={number}"))
    with app.app_context():
        key_id = db.session.scalar(
            sa.select(ApiKey.id).where(ApiKey.merchant_id == theirs.merchant_id)
        )
    assert mine.post(f"/merchants/keys/{key_id}/revoke").status_code == 404
    assert app.test_client().get("/api/v1/branches", headers=auth(theirs.secret)).status_code == 200
    assert "First key" in text(mine.client.get("/merchants/keys"))  # its own only
    hooks = receiver()
    theirs.post("/merchants/webhooks", url=hooks.url)
    with app.app_context():
        endpoint_id = db.session.scalar(sa.select(WebhookEndpoint.id))
    assert theirs.post(f"/merchants/webhooks/{endpoint_id}/test").status_code == 303
    with app.app_context():
        notify.deliver_due(batch=50)
        delivery_id = db.session.scalar(sa.select(WebhookDelivery.id))
    base = f"/merchants/webhooks/{endpoint_id}"
    assert mine.client.get(base).status_code == 404
    for action in ("test", "enable", "delete", f"deliveries/{delivery_id}/resend"):
        assert mine.post(f"{base}/{action}").status_code == 404, action
    assert hooks.url not in mine.client.get("/merchants/webhooks").get_data(as_text=True)
    # Their delivery through an endpoint of mine: still theirs.
    mine.post("/merchants/webhooks", url=hooks.url + "/mine")
    with app.app_context():
        own = db.session.scalar(
            sa.select(WebhookEndpoint.id).where(WebhookEndpoint.owner_id == mine.merchant_id)
        )
    wrong = mine.post(f"/merchants/webhooks/{own}/deliveries/{delivery_id}/resend")
    assert wrong.status_code == 404
    with app.app_context():
        assert db.session.get(WebhookEndpoint, endpoint_id) is not None


def test_a_form_without_its_csrf_token_is_refused(app, mine, branch):
    number = mine.ship(branch)
    for path, data in (
        ("/merchants/keys", {"key_name": "No token"}),
        (_shipment_path(number, "cancel"), {}),
        (_shipment_path(number, "return"), {}),
        ("/merchants/webhooks", {"url": "http://127.0.0.1:9/x"}),
    ):
        assert mine.client.post(path, data=data).status_code == 400, path
    assert _status(app, number) == "label_issued"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_a_suspended_merchants_console_reads_but_changes_nothing(app, mine, branch):
    number = mine.ship(branch)
    with app.app_context():
        merchants.set_status(mine.merchant_id, MerchantStatus.SUSPENDED)
    for path in (HOME, "/merchants/shipments", _shipment_path(number), "/merchants/keys"):
        response = mine.client.get(path)
        assert response.status_code == 200 and "is suspended" in text(response), path
    assert "Cancel the shipment" not in text(mine.client.get(_shipment_path(number)))
    refused = mine.post("/merchants/keys", key_name="More")
    assert refused.status_code == 403 and "suspended" in text(refused)
    assert mine.post(_shipment_path(number, "cancel")).status_code == 403
    assert _status(app, number) == "label_issued"
    with app.app_context():
        key_id = db.session.scalar(sa.select(ApiKey.id))
    assert mine.post(f"/merchants/keys/{key_id}/revoke").status_code == 303  # less access: fine


def test_an_operator_links_a_login_from_the_merchants_page(app, make):
    merchant_id, _ = new_merchant(app)
    admin = app.test_client()
    log_in(admin, make.user(role=Role.ADMIN).email)
    path = f"/admin/merchants/{merchant_id}"
    token = csrf_token(admin, path)
    page = text(admin.get(path))
    assert "Console logins" in page and "No login opens this console yet" in page

    def add(**fields):
        return admin.post(f"{path}/logins", data={"csrf_token": token, **fields})

    weak = add(login_email="ana@tindahan.example", login_name="Ana", login_password="short")
    assert weak.status_code == 422 and "at least 10" in text(weak)
    made = add(login_email="Ana@Tindahan.example", login_name="Ana Reyes",
               login_password="a good first password")  # fmt: skip
    assert made.status_code == 303
    assert "ana@tindahan.example" in text(admin.get(path))
    ana = app.test_client()
    assert log_in(ana, "ana@tindahan.example", "a good first password").status_code == 302
    assert "Tindahan PH" in text(ana.get(HOME))
    shopper = make.user(role=Role.SHOPPER)
    assert add(login_email=shopper.email).status_code == 409
    other_id, _ = new_merchant(app, "Other shop")
    taken = admin.post(
        f"/admin/merchants/{other_id}/logins",
        data={"csrf_token": token, "login_email": "ana@tindahan.example"},
    )
    assert taken.status_code == 409 and "another merchant" in text(taken)
    unlinked = make.user(role=Role.MERCHANT)
    assert add(login_email=unlinked.email).status_code == 303  # an existing login, linked
    with app.app_context():
        linked = db.session.scalars(
            sa.select(User.email).where(User.merchant_id == merchant_id).order_by(User.email)
        ).all()
        ana_id = db.session.scalar(sa.select(User.id).where(User.email == "ana@tindahan.example"))
    assert linked == sorted(["ana@tindahan.example", unlinked.email])
    removed = admin.post(f"{path}/logins/{ana_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    assert ana.get(HOME).status_code == 403
    assert admin.post(f"/admin/merchants/{other_id}/logins/{ana_id}/remove",
                      data={"csrf_token": token}).status_code == 404  # fmt: skip
    assert admin.post(f"{path}/logins", data={"login_email": "x@example.com"}).status_code == 400


def test_create_user_links_a_merchant_login_from_the_command_line(app, runner, client):
    merchant_id, _ = new_merchant(app)
    args = ["shop", "create-user", "ops@tindahan.example", "--name", "Ops", "--role", "merchant",
            "--merchant", "tindahan-ph", "--password", "a good first password"]  # fmt: skip
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Created merchant login ops@tindahan.example for Tindahan PH" in result.output
    assert log_in(client, "ops@tindahan.example", "a good first password").status_code == 302
    assert client.get(HOME).status_code == 200
    wrong = runner.invoke(args=[*args[:6], "shopper", *args[7:]])
    assert wrong.exit_code != 0 and "--role merchant" in wrong.output
    unknown = runner.invoke(args=[*args[:8], "no-such-shop", *args[9:]])
    assert unknown.exit_code != 0 and "no-such-shop" in unknown.output
