"""The checkout's idempotency key is the server's, bound to the session that got it (issue #8,
point 3): it is never a key to somebody else's order."""

import pytest

from shop.checkout.models import Order
from tests.conftest import csrf_token, log_in, text
from tests.integration.test_checkout import _add, _checkout, _count, _form


def _placed(app, client, make):
    item = make.item(stock=10)
    branch = make.branch()
    _add(client, item)
    form = _form(client)
    response = _checkout(client, branch, form=form)
    assert response.status_code == 303
    return form, response.headers["Location"].split("?")[0], item, branch


def test_another_session_posting_my_key_gets_nothing_of_my_order(app, client, make):
    form, my_order, item, branch = _placed(app, client, make)
    stranger = app.test_client()
    _add(stranger, item)
    stolen = _form(stranger) | {"idempotency_key": form["idempotency_key"]}
    response = _checkout(
        stranger,
        branch,
        form=stolen,
        name="Eve Stranger",
        email="eve@example.com",
        phone="09998887766",
    )
    assert response.status_code == 422
    assert "out of date" in text(response)
    assert "Location" not in response.headers
    page = text(response)
    for secret in ["Juan dela Cruz", "juan@example.com", my_order.split("/")[-1]]:
        assert secret not in page
    assert _count(app, Order) == 1


@pytest.mark.parametrize(
    "key",
    [
        "k" * 32,
        "anything.at-all",
        "a.b.c",
        ".",
        "",
        "x" * 200,
        "Zm9vYmFyYmF6cXV4.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_a_forged_key_is_refused_and_places_nothing(app, client, make, key):
    item = make.item(stock=10)
    _add(client, item)
    response = _checkout(client, make.branch(), idempotency_key=key)
    assert response.status_code == 422
    assert _count(app, Order) == 0


def test_a_key_signed_for_another_session_is_refused(app, client, make):
    from shop.checkout import service

    _add(client, make.item())
    with app.app_context():
        other = service.checkout_key("someone-else:")
    response = _checkout(client, make.branch(), idempotency_key=other)
    assert response.status_code == 422 and _count(app, Order) == 0


def test_a_key_replayed_after_signing_out_never_shows_the_order(app, client, make):
    user = make.user()
    log_in(client, user.email)
    form, my_order, item, branch = _placed(app, client, make)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    _add(client, item)
    response = _checkout(
        client, branch, form=_form(client) | {"idempotency_key": form["idempotency_key"]}
    )
    assert response.status_code == 422
    assert my_order not in response.headers.get("Location", "")
    assert _count(app, Order) == 1


def test_the_same_session_replaying_its_own_key_gets_its_own_order(app, client, make):
    form, my_order, item, branch = _placed(app, client, make)
    again = _checkout(client, branch, form=form)
    assert again.status_code == 303
    assert again.headers["Location"].split("?")[0] == my_order
    assert _count(app, Order) == 1


def test_each_checkout_page_issues_a_fresh_key(app, client, make):
    _add(client, make.item())
    first, second = _form(client)["idempotency_key"], _form(client)["idempotency_key"]
    assert first != second and first.count(".") == 1 and len(first) <= 64
