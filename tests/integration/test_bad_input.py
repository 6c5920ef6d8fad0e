"""Point 7 of issue #4: bad input gets a clear message, never a 500, and changes nothing."""

import re

import pytest

from tests.conftest import csrf_token, text
from tests.factories import PASSWORD


@pytest.mark.parametrize(
    "path",
    [
        "/items/no-such-thing",
        "/items/UPPER",
        "/items/" + "a" * 500,
        "/items/%E2%82%B1",
        "/nowhere",
        "/items/a/b",
    ],
)
def test_unknown_pages_are_a_friendly_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "couldn't find" in text(response)
    assert "Back to the shop" in text(response)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=abc", "page number must be a whole number"),
        ("page=-1", "page number must be a whole number"),
        ("page=0", "page number must be a whole number"),
        ("page=1.5", "page number must be a whole number"),
        ("page=99999999999999999999", "page number must be a whole number"),
        ("page=%EF%BC%91", "page number must be a whole number"),  # a full-width digit one
        ("per_page=0", "page size must be a whole number"),
        ("per_page=100000", "page size must be a whole number"),
        ("sort=price;drop", "Choose a sort"),
    ],
)
def test_bad_listing_parameters_are_a_clear_400(client, query, message):
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert message in text(response)


def test_a_page_past_the_end_is_404(client, make):
    make.item()
    response = client.get("/?page=500")
    assert response.status_code == 404
    assert "There is no page 500" in text(response)


def test_a_5000_character_search_is_shortened_and_said(client, make):
    make.item(name="Garlic Longganisa")
    response = client.get("/?q=" + "garlic " * 714)
    assert response.status_code == 200
    assert "limited to 100 characters" in text(response)


def test_non_utf8_query_string(client, make):
    make.item(name="Taho")
    assert client.get("/?q=%FF%FE%C3&category=").status_code == 200
    raw = client.get("/", environ_overrides={"QUERY_STRING": "q=\xff\xfe\xc3taho"})
    assert raw.status_code == 400
    assert "can't read" in text(raw)
    path = client.get("/", environ_overrides={"PATH_INFO": "/items/\xff\xfe"})
    assert path.status_code == 404
    assert client.get("/?page=%FF").status_code == 400
    assert client.get("/", environ_overrides={"QUERY_STRING": "page=\xff"}).status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/items/abc%00def",
        "/%00",
        "/?q=%00",
        "/?q=a%00b",
        "/?category=%00",
        "/cart%00",
        "/counter/pos/claim/2%00",
        "/counter/pos/receipts/AR%00",
    ],  # fmt: skip
)
def test_nul_bytes_are_refused(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "can't read" in text(response)


def test_nul_byte_in_a_form_is_refused_and_changes_nothing(client, make):
    item = make.item()
    response = client.post(
        "/cart/add",
        data={"item_id": f"{item.id}\x00", "quantity": "1", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert not session.get("cart")


def test_control_characters_in_a_search_are_refused_but_a_tab_is_a_space(client, make):
    make.item(name="Puto Bumbong")
    for query in ("puto%07bumbong", "puto%1bbumbong", "puto%7fbumbong", "puto%C2%85bumbong"):
        response = client.get(f"/?q={query}")
        assert response.status_code == 400, query
        assert "can't read" in text(response)
    response = client.get("/?q=puto%09bumbong")  # pasted with a tab: a space, as typed
    assert response.status_code == 200
    assert "Puto Bumbong" in text(response)


def test_wrong_methods_are_a_friendly_405(client):
    response = client.get("/cart/add")
    assert response.status_code == 405
    assert "can't be used that way" in text(response)


def test_a_huge_body_is_413(client):
    response = client.post("/cart/add", data={"quantity": "1" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_healthz_when_the_database_is_down(app):
    from shop import create_app
    from tests.conftest import make_config

    broken = create_app(make_config("postgresql+psycopg://127.0.0.1:1/nowhere?connect_timeout=1"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


def test_livez_when_the_database_is_down(app):
    from shop import create_app
    from tests.conftest import make_config

    broken = create_app(make_config("postgresql+psycopg://127.0.0.1:1/nowhere?connect_timeout=1"))
    response = broken.test_client().get("/livez")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "HX-Request" in response.headers["Vary"]


def test_an_unexpected_error_is_a_friendly_500_and_rolls_back(app, client, monkeypatch):
    from shop.catalog import service

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "list_items", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_UNEXPECTED", False)
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in text(response)
    assert "boom" not in text(response)


# --- Redirect targets (point 2 of issue #8) ---------------------------------------------------

CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Each is refused as a target: the shopper lands on the front page, never elsewhere, and the
# Location header carries no line break.
UNSAFE_NEXT = [
    "/%0D%0ASet-Cookie:%20a=b",  # CR/LF: a second header
    "/cart%0A",
    "/%09/evil.example",  # a browser drops the tab and reads //evil.example
    "/%E2%80%A8",  # U+2028, and any other character that isn't printable ASCII
    "/%20cart",
    "//evil.example",
    "/%5Cevil.example",  # /\evil.example
    "https://evil.example/",
    "javascript:alert(1)",
    "cart",
]


def _log_in_to(client, user, next_value):
    return client.post(
        f"/login?next={next_value}",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )


@pytest.mark.parametrize("next_value", UNSAFE_NEXT)
def test_log_in_never_redirects_to_an_unsafe_target(app, make, next_value):
    response = _log_in_to(app.test_client(), make.user(), next_value)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert not any(CONTROL.search(value) for _, value in response.headers.items())


def test_log_in_keeps_a_safe_target(app, make):
    response = _log_in_to(app.test_client(), make.user(), "/cart%3Fx%3D1")
    assert response.headers["Location"] == "/cart?x=1"


@pytest.mark.parametrize("control", ["%00", "%01", "%1B", "%7F", "%C2%85"])
def test_a_control_character_in_next_is_refused_and_logs_no_one_in(app, make, control):
    client = app.test_client()
    response = _log_in_to(client, make.user(), f"/cart{control}")
    assert response.status_code == 400
    assert "can't read" in text(response)
    assert client.get("/account").status_code == 302  # still logged out


@pytest.mark.parametrize("next_value", ["/%0D%0ASet-Cookie:%20a=b", "//evil.example"])
def test_sign_up_never_redirects_to_an_unsafe_target(app, next_value):
    client = app.test_client()
    response = client.post(
        f"/signup?next={next_value}",
        data={
            "name": "Gabriela Silang",
            "email": "gabriela@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/signup"),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("referer", "back"),
    [
        ("http://localhost/items/taho", "/items/taho"),
        ("/items/taho", "/items/taho"),
        ("https://evil.example/items/taho", "/cart"),  # was an open redirect
        ("http://localhost.evil.example/items/taho", "/cart"),
        ("http://localhost//evil.example/items/", "/cart"),
        ("http://localhost/items/\xe2\x80\xa8", "/cart"),  # U+2028's UTF-8, as WSGI sees it
        ("http://localhost/cart/../items/x", "/cart"),
        ("javascript:alert(1)//items/", "/cart"),
    ],
)
def test_the_cart_goes_back_only_to_an_item_page_of_this_shop(client, referer, back):
    response = client.post(
        "/cart/add",
        data={"item_id": "nope", "quantity": "1", "csrf_token": csrf_token(client)},
        environ_overrides={"HTTP_REFERER": referer},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == back


@pytest.mark.parametrize("char", ["\r\n", "\n", "\x00", "\x01", "\x7f"])
def test_a_control_character_in_the_referer_is_refused(client, make, char):
    item = make.item()
    response = client.post(
        "/cart/add",
        data={"item_id": str(item.id), "quantity": "1", "csrf_token": csrf_token(client)},
        environ_overrides={"HTTP_REFERER": f"http://localhost/items/x{char}Set-Cookie: a=b"},
    )
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers
    with client.session_transaction() as session:
        assert not session.get("cart")
