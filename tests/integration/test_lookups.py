"""Point 2 of issue #8, lookups: an order lookup never tells "exists but not yours" from "does
not exist", in status, words, headers or timing, and guessing is rate-limited.

Each comparison sends the same request for another session's real order, a well-formed number
that no order has, and a malformed one, each from a fresh client at an address of its own (so
the rate limit's counters read the same), with the limiter's clock held still (its headers
carry the time). Nothing is masked but the CSRF token."""

import html
import re
import time
from types import SimpleNamespace

import limits.storage.memory
import pytest
from flask_limiter import _extension as limiter_extension

from shop.checkout import service as checkout
from shop.payments import service as payments
from tests.conftest import csrf_token
from tests.integration.test_checkout import _add, _checkout
from tests.integration.test_every_route import FakeStripe

NUMBER = re.compile(r"/orders/(CQ-[A-Z0-9-]+)")


@pytest.fixture
def orders(app, make, monkeypatch):
    """Two online orders awaiting payment, placed by another session: (number, key) each."""
    fake = FakeStripe()
    monkeypatch.setattr(payments, "client", lambda: fake)
    item, branch = make.item(stock=10), make.branch()
    owner = app.test_client()
    placed = []
    for _ in range(2):
        _add(owner, item)
        location = _checkout(owner, branch, payment="online").headers["Location"]
        placed.append((NUMBER.search(location).group(1), location.split("key=")[1]))
    return placed


@pytest.fixture
def still_clock(monkeypatch):
    """The rate limiter's clock, held at one moment: its headers (X-RateLimit-Reset,
    Retry-After) carry the time, which would differ between two requests a second apart."""
    now = time.time()
    frozen = SimpleNamespace(time=lambda: now, mktime=time.mktime, sleep=time.sleep)
    monkeypatch.setattr(limits.storage.memory, "time", frozen)
    monkeypatch.setattr(limiter_extension, "time", frozen)


_addresses = iter(range(1, 10_000))


def _fresh(app):
    """A new visitor, from an address no earlier request of the test came from."""
    n = next(_addresses)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.8.{n // 250}.{n % 250 + 1}"
    return client


def _answer(response) -> tuple:
    """Everything a visitor sees of a response, the CSRF token masked."""
    body = re.sub(rb'(csrf_token" value="|data-csrf=")[^"]+', rb"\1<token>", response.data)
    headers = sorted(
        (name, value) for name, value in response.headers.items() if name != "Set-Cookie"
    )
    cookies = [
        re.sub(r"^session=[^;]*", "session=<masked>", value)
        for value in response.headers.getlist("Set-Cookie")
    ]
    return response.status_code, headers, cookies, body


def _three(orders) -> list[str]:
    other, _ = orders[0]
    return [other, "CQ-2345-6789", "nonsense", other.lower(), "CQ-" + "Z" * 300]


def _keys(orders) -> list[str | None]:
    """No key, a forged one, and a real key of another order."""
    return [None, "forged", orders[1][1]]


@pytest.mark.parametrize("page", ["/orders/{}", "/orders/{}/pay"])
def test_a_page_lookup_answers_missing_and_not_yours_alike(
    app, orders, still_clock, page, count_queries
):
    for key in _keys(orders):
        answers, statements = [], []
        for number in _three(orders):
            url = page.format(number) + (f"?key={key}" if key else "")
            client = _fresh(app)
            with count_queries() as queries:
                response = client.get(url)
            answers.append(_answer(response))
            statements.append([re.sub(r"\s+", " ", q) for q in queries])
        assert answers[0][0] == 404
        assert "We couldn't find that order." in html.unescape(answers[0][3].decode())
        for answer in answers[1:]:
            assert answer == answers[0], f"{page} with key {key!r}"
        # The same work on every path: the same statements, one lookup.
        assert all(s == statements[0] for s in statements), statements
        assert len(statements[0]) == 1


@pytest.mark.parametrize(
    "step", ["/orders/{}/pay", "/orders/{}/pay/complete", "/orders/{}/pay/cash"]
)
@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"text"',
        b"null",
        b"[" * 5000 + b"]" * 5000,
        b'{"payment_method": ["a"], "payment_intent": {"a": 1}}',
        b'{"key": 5}',
        b'{"payment_method": "pm_x", "payment_intent": "pi_x"}',
        b'{"payment_method": "a\\u0000b"}',
        b"{",
        b"",
        None,  # a form body
    ],
)
def test_a_card_step_answers_missing_and_not_yours_alike(app, orders, still_clock, step, body):
    answers = []
    for number in _three(orders):
        client = _fresh(app)
        headers = {"X-CSRFToken": csrf_token(client)}
        if body is None:
            response = client.post(
                step.format(number), data={"payment_method": "x"}, headers=headers
            )
        else:
            headers["Content-Type"] = "application/json"
            response = client.post(step.format(number), data=body, headers=headers)
        answers.append(_answer(response))
    assert 400 <= answers[0][0] < 500
    for answer in answers[1:]:
        assert answer == answers[0], f"{step} {body!r}"


def test_the_lookup_refuses_alike_but_lets_the_owner_in(app, make, monkeypatch):
    """The control: the very requests that are refused alike reach the order for its owner
    (its session, or its signed link), so the sameness above is not a lookup that always
    fails."""
    fake = FakeStripe()
    monkeypatch.setattr(payments, "client", lambda: fake)
    item, branch = make.item(stock=10), make.branch()
    owner = app.test_client()
    _add(owner, item)
    location = _checkout(owner, branch, payment="online").headers["Location"]
    number, key = NUMBER.search(location).group(1), location.split("key=")[1]
    assert owner.get(f"/orders/{number}").status_code == 200
    assert owner.get(f"/orders/{number}/pay").status_code == 200
    assert app.test_client().get(f"/orders/{number}?key={key}").status_code == 200
    assert app.test_client().get(f"/orders/{number}/pay?key={key}").status_code == 200
    step = owner.post(
        f"/orders/{number}/pay",
        json={"payment_method": "pm_battery1"},
        headers={"X-CSRFToken": csrf_token(owner)},
    )
    assert step.status_code == 402  # reached the card: FakeStripe's intent is unpaid
    with app.app_context():
        assert checkout.find_order(number, user_id=None, session_orders=None, key=key)
        with pytest.raises(checkout.OrderNotFound):
            checkout.find_order(number, user_id=None, session_orders=None, key="forged")


def test_order_lookups_share_one_rate_limit_per_client(app, orders):
    """Sixty lookups a minute per client, whichever door: the order page, the pay page, its
    two steps and its switch to cash count together, and the next is refused on each (JSON on
    the steps)."""
    client = app.test_client()
    token = csrf_token(client)
    number = orders[0][0]
    doors = [
        lambda: client.get(f"/orders/{number}"),
        lambda: client.get(f"/orders/{number}/pay"),
        lambda: client.post(f"/orders/{number}/pay", json={}, headers={"X-CSRFToken": token}),
        lambda: client.post(
            f"/orders/{number}/pay/complete", json={}, headers={"X-CSRFToken": token}
        ),
        lambda: client.post(f"/orders/{number}/pay/cash", data={"csrf_token": token}),
    ]
    statuses = [doors[i % 5]().status_code for i in range(60)]
    assert 429 not in statuses
    refused = [door() for door in doors]
    assert [r.status_code for r in refused] == [429] * 5
    assert refused[2].json["error"]["code"] == "rate_limited"
    assert "Retry-After" in refused[3].headers
    other = _fresh(app)  # another client still gets in
    assert other.get(f"/orders/{number}").status_code == 404


def test_a_wrong_payment_intent_is_refused_not_unavailable(app, orders, monkeypatch):
    """The 3-D Secure step with an id Stripe doesn't know (or that isn't one) is the
    shopper's mistake, a 409, not "card payments are unavailable" (503)."""
    owner = app.test_client()
    number, key = orders[0]
    token = csrf_token(owner)
    for sent in ("pi_unknown", "not-an-id", "pi_" + "x" * 300, ""):
        response = owner.post(
            f"/orders/{number}/pay/complete?key={key}",
            json={"payment_intent": sent},
            headers={"X-CSRFToken": token},
        )
        assert response.status_code in (409, 422), sent
        assert response.json["error"]["code"] in ("not_payable", "invalid_input")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"payment_method=pm_x"),
        ("text/plain", b'{"payment_method": "pm_x"}'),
        ("multipart/form-data; boundary=x", b"--x--\r\n"),
    ],
)
def test_a_card_step_takes_only_json(app, orders, content_type, body):
    client = app.test_client()
    response = client.post(
        f"/orders/{orders[0][0]}/pay",
        data=body,
        headers={"Content-Type": content_type, "X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_a_card_step_takes_the_signed_key_in_its_body_too(app, orders):
    """The link's key may come in the JSON body instead of the address; a key that isn't text
    is refused before any lookup."""
    number, key = orders[0]
    client = app.test_client()
    headers = {"X-CSRFToken": csrf_token(client)}
    step = f"/orders/{number}/pay"
    reached = client.post(step, json={"key": key, "payment_method": "tok_x"}, headers=headers)
    assert reached.status_code == 402  # past the lookup: no card Stripe.js could have made
    assert reached.json["error"]["code"] == "card_declined"
    refused = client.post(step, json={"key": 5}, headers=headers)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "invalid_input"
    assert refused.json["error"]["field"] == "key"
