"""The embed's rules on plain values: the frame token (signed, for one app, expiring by the
shop's clock), the frame's path prefix, frame-ancestors per app, the theme's contrast, the
snippet."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from itsdangerous import SignatureExpired

from shop import clock
from shop.embed import service
from shop.embed.prefix import FRAME, EmbedPrefix, parse_frame_path
from shop.partners.models import App

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def flask_app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="unit-secret", EMBED_TOKEN_MAX_AGE_SECONDS=3600)
    clock.init_app(app)
    with app.app_context():
        clock.current().set(NOW)
        yield app


def test_a_token_carries_the_app_visitor_click_and_origin(flask_app):
    token = service.sign_token("app_a", "visitor-0123456789", 42, "https://partner.example")
    found = service.read_token(token, "app_a")
    assert found == service.FrameToken(
        "app_a", "visitor-0123456789", 42, "https://partner.example", int(NOW.timestamp())
    )
    assert parse_frame_path(f"/embed/app_a/{token}/checkout") == ("app_a", token, "/checkout")


def test_a_token_is_for_its_own_app_only(flask_app):
    token = service.sign_token("app_a", "visitor-0123456789", None, "")
    with pytest.raises(service.BadFrameToken):
        service.read_token(token, "app_b")


@pytest.mark.parametrize("change", ["payload", "signature", "timestamp", "garbage", "empty"])
def test_a_tampered_token_is_refused(flask_app, change):
    token = service.sign_token("app_a", "visitor-0123456789", 1, "https://partner.example")
    payload, stamp, signature = token.rsplit(".", 2)
    tampered = {
        "payload": f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}"
        f".{stamp}.{signature}",
        "signature": f"{payload}.{stamp}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        "timestamp": f"{payload}.{stamp[:-1]}{'A' if stamp[-1] != 'A' else 'B'}.{signature}",
        "garbage": "not.a.token",
        "empty": "",
    }[change]
    with pytest.raises(service.BadFrameToken):
        service.read_token(tampered, "app_a")


def test_another_secret_key_signs_another_token(flask_app):
    token = service.sign_token("app_a", "visitor-0123456789", 1, "")
    flask_app.config["SECRET_KEY"] = "another-secret"
    with pytest.raises(service.BadFrameToken):
        service.read_token(token, "app_a")


def test_a_token_expires_by_the_shops_clock_and_renews_without_a_click(flask_app):
    token = service.sign_token("app_a", "visitor-0123456789", 7, "https://partner.example")
    clock.current().set(NOW + timedelta(seconds=3600))
    assert service.read_token(token, "app_a").click_id == 7  # at its very age: still good
    clock.current().set(NOW + timedelta(seconds=3601))
    with pytest.raises(SignatureExpired) as expired:
        service.read_token(token, "app_a")
    fresh = service.read_token(service.renewed_token(expired.value, "app_a"), "app_a")
    assert (fresh.visitor, fresh.origin, fresh.click_id) == (
        "visitor-0123456789",
        "https://partner.example",
        None,
    )
    with pytest.raises(service.BadFrameToken):
        service.renewed_token(expired.value, "app_b")


@pytest.mark.parametrize(
    "path",
    [
        "/embed/app_a/",  # the entry: no token yet
        "/embed/app_a/go/some-item",  # a partner's link
        "/embed/app_a/theme.css",
        "/embed/app_a",
        "/embed/" + "k" * 33 + "/a.b.c/",  # a key longer than any
        "/embed/app_a/a.b/",  # two parts: not a token
        "/items/embed/app_a/a.b.c/",
        "/embed/app a/a.b.c/",
    ],
)
def test_only_a_tokened_path_is_a_frame(path):
    assert parse_frame_path(path) is None


def test_a_frame_path_without_a_trailing_slash_is_its_front_page():
    assert parse_frame_path("/embed/app_a/x.y.z") == ("app_a", "x.y.z", "/")
    assert parse_frame_path("/embed/app_a/.x.y.z/items/a?b") == ("app_a", ".x.y.z", "/items/a?b")


def test_the_prefix_moves_into_script_name():
    seen = {}

    def inner(environ, start_response):
        seen.update(environ)
        return []

    EmbedPrefix(inner)({"PATH_INFO": "/embed/app_a/x.y.z/cart", "SCRIPT_NAME": "/shop"}, None)
    assert (seen["SCRIPT_NAME"], seen["PATH_INFO"]) == ("/shop/embed/app_a/x.y.z", "/cart")
    assert seen[FRAME].cookie_path == "/shop/embed/app_a/"
    seen.clear()
    EmbedPrefix(inner)({"PATH_INFO": "/embed/app_a/", "SCRIPT_NAME": ""}, None)
    assert seen["PATH_INFO"] == "/embed/app_a/" and FRAME not in seen


def test_frame_ancestors_lists_the_apps_origins_and_nobody_elsewhere():
    app = App(origins=["https://a.example", "http://localhost:5001"])
    assert service.frame_ancestors(app) == "frame-ancestors https://a.example http://localhost:5001"
    assert service.frame_ancestors(None) == "frame-ancestors 'none'"
    assert service.frame_ancestors(App(origins=[])) == "frame-ancestors 'none'"
    # Whatever got into the column, nothing can end the directive or add a source.
    hostile = App(origins=["https://a.example; script-src *", "*", "https://b.example"])
    assert service.frame_ancestors(hostile) == "frame-ancestors https://b.example"


def test_the_directive_replaces_the_one_a_policy_has_or_is_added():
    app = App(origins=["https://a.example"])
    csp = "default-src 'self'; frame-ancestors 'self'; object-src 'none'"
    assert service.with_frame_ancestors(csp, app) == (
        "default-src 'self'; frame-ancestors https://a.example; object-src 'none'"
    )
    assert service.with_frame_ancestors("sandbox", None) == "sandbox; frame-ancestors 'none'"


@pytest.mark.parametrize("colour", ["#00704a", "#ffff00", "#8a2be2", "#ffffff", "#000000"])
def test_the_theme_reads_at_aa_whatever_the_colour(colour):
    css = service.theme_css(colour)
    tokens = dict(
        part.strip().split(": ")
        for part in css.split(":root {")[1].split("}")[0].split(";")
        if part.strip()
    )
    dark, soft, on = tokens["--green-dark"], tokens["--green-soft"], tokens["--on-green"]
    assert tokens["--green"] == colour
    assert service._contrast(dark, "#ffffff") >= 4.5
    assert service._contrast(dark, soft) >= 4.5
    assert service._contrast(on, colour) >= 3  # large bold text on buttons and the header
    assert service.theme_version(colour) != service.theme_version("#123456")


def test_a_bad_colour_gets_the_shops_own():
    assert service.theme_css("red; } body { display: none") == service.theme_css("#00704a")


def test_the_snippet_is_the_div_and_the_script(flask_app):
    app = App(key="app_demo_lakbay")
    flask_app.config["SHOP_URL"] = None
    assert service.embed_snippet(app, shop_url="https://shop.example") == (
        '<div data-cliqq-app="app_demo_lakbay"></div>\n'
        '<script src="https://shop.example/embed.js" async></script>'
    )
    assert 'data-cliqq-item="isla-dried-mangoes"' in service.embed_snippet(
        app, "isla-dried-mangoes", shop_url="https://shop.example"
    )
    assert (
        service.link_url(app, "x", shop_url="https://shop.example")
        == "https://shop.example/embed/app_demo_lakbay/go/x"
    )


@pytest.mark.parametrize(
    ("raw", "kept"),
    [("0123456789abcdef", True), ("a" * 64, True), ("short", False), ("a" * 65, False),
     ("0123456789abcdef<", False), (None, False), ("", False)],
)  # fmt: skip
def test_a_visitor_id_is_kept_only_when_well_formed(raw, kept):
    visitor = service.clean_visitor(raw)
    assert (visitor == raw) is kept
    assert service.VISITOR.fullmatch(visitor)
