"""A post from another site is refused whatever its CSRF token says (shop/web.py,
_refuse_cross_origin); one without Origin is left to the CSRF check; server-to-server routes are
exempt."""

import pytest
import sqlalchemy as sa

from shop import create_app
from shop.auth.models import User
from shop.extensions import csrf, db
from tests.conftest import csrf_token, log_in, make_config, text

SIGNUP = {"name": "Maria Clara", "email": "maria@example.com", "password": "a long passphrase"}
FOREIGN = [
    "https://evil.example",
    "null",  # a sandboxed frame, a redirect from elsewhere
    "http://localhost.evil.example",
    "http://localhost:8080",  # another port is another origin
    "https://localhost",  # and so is another scheme
    "http://evil.example/http://localhost",
    "not an origin",
    "",
]


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def _signup(client, origin=None):
    headers = {"Origin": origin} if origin is not None else {}
    data = SIGNUP | {"csrf_token": csrf_token(client, "/signup")}
    return client.post("/signup", data=data, headers=headers)


@pytest.mark.parametrize("origin", FOREIGN)
def test_a_post_from_another_site_is_refused_with_a_valid_token(app, client, origin):
    response = _signup(client, origin)
    assert response.status_code == 403
    assert "sent from another site" in text(response)
    assert "<html" in text(response).lower()  # the friendly page
    assert _users(app) == 0
    assert client.get("/account").status_code == 302  # not logged in either


@pytest.mark.parametrize("origin", ["http://localhost", "HTTP://LOCALHOST", "http://localhost:80"])
def test_a_post_from_this_site_passes(app, client, origin):
    assert _signup(client, origin).status_code == 302
    assert _users(app) == 1


def test_a_post_without_origin_is_left_to_the_csrf_check(app, client):
    no_token = client.post("/signup", data=SIGNUP)
    assert no_token.status_code == 400  # the CSRF check, as before
    assert _users(app) == 0
    assert _signup(client).status_code == 302
    assert _users(app) == 1


def test_a_cross_site_post_cannot_log_out_or_change_a_password(app, client, make):
    user = make.user()
    log_in(client, user.email)
    token = csrf_token(client, "/account/password")
    evil = {"Origin": "https://evil.example"}
    assert client.post("/logout", data={"csrf_token": token}, headers=evil).status_code == 403
    assert client.get("/account").status_code == 200  # still logged in
    data = {"current": "correct horse battery", "new": "owned by evil", "csrf_token": token}
    data["confirm"] = data["new"]
    assert client.post("/account/password", data=data, headers=evil).status_code == 403
    assert log_in(app.test_client(), user.email).status_code == 302  # the old password works


def test_a_json_step_from_another_site_gets_a_json_refusal(client):
    response = client.post(
        "/orders/CQ-7K4M-2Q9P/pay", json={}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert response.is_json
    assert response.json["error"]["code"] == "forbidden"


def test_server_to_server_routes_are_not_asked_for_an_origin(client):
    response = client.post(
        "/payments/stripe/webhook",
        data=b"{}",
        headers={"Origin": "https://hooks.example", "Stripe-Signature": "t=1,v1=00"},
        content_type="application/json",
    )
    assert response.status_code != 403  # refused for its signature, not for where it came from
    assert response.status_code == 400


def test_the_origin_exemptions_are_exactly_the_csrf_exempt_views(app):
    """A view exempt from CSRF takes requests from other servers: it is exempt from the Origin
    check too, and nothing else is (besides /api/, which has no cookies)."""
    exempt_endpoints = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    }
    marked = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "server_to_server", False)
    }
    assert exempt_endpoints == marked == {"payments.webhook"}


def test_behind_a_proxy_this_site_is_the_forwarded_one(tmp_path):
    app = create_app(
        make_config(f"sqlite:///{tmp_path / 'unused.db'}", PROXY_FIX_X_FOR=1, PROXY_FIX_X_HOST=1)
    )
    client = app.test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    forwarded["X-Forwarded-Host"] = "shop.example"
    forwarded["Referer"] = "https://shop.example/login"  # Flask-WTF asks for it over https
    token = csrf_token(client, "/login")

    def log_out(origin):
        headers = forwarded | {"Origin": origin}
        return client.post("/logout", data={"csrf_token": token}, headers=headers).status_code

    assert log_out("https://shop.example") == 302
    assert log_out("http://localhost") == 403  # the address the proxy spoke to is not the site
    assert log_out("http://shop.example") == 403
