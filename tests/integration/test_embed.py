"""The embed through HTTP, on both databases: the frame's entry and its token, framing per
app, the app's choice of the catalog and its theme, the frame's own partitioned session (cart,
CSRF, checkout), a partner's links, embed.js's caching, bad input."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.catalog.models import Item
from shop.checkout import views as checkout_views
from shop.embed import service as embed
from shop.extensions import db
from shop.partners.models import App, AppStatus, Click, ClickKind
from tests.conftest import csrf_token, text
from tests.integration.test_checkout import _add, _checkout

PARTNER = "http://localhost:5001"
VISITOR = "visitor0123456789abcdef"


def enter(client, app_row, origin=PARTNER, visitor=VISITOR, item=None) -> str:
    """The frame's prefix (/embed/<key>/<token>) the entry sends a frame to."""
    query = {"visitor": visitor, "origin": origin}
    if item:
        query["item"] = item
    response = client.get(f"/embed/{app_row.key}/", query_string=query)
    assert response.status_code == 303, response.status_code
    match = re.fullmatch(r"(/embed/[^/]+/[^/]+)(/.*)", response.headers["Location"])
    assert match, response.headers["Location"]
    return match[1]


def _clicks(app, **by) -> list[Click]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Click).filter_by(**by).order_by(Click.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _cookie_headers(response, name: str) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]


# --- entering, and framing --------------------------------------------------------------------


def test_the_entry_records_an_embed_click_and_sends_the_frame_to_its_tokened_page(
    app, client, make
):
    partner = make.partner_app()
    response = client.get(
        f"/embed/{partner.key}/", query_string={"visitor": VISITOR, "origin": PARTNER}
    )
    assert response.status_code == 303
    assert response.headers["Cache-Control"] == "no-store"
    prefix, target = re.fullmatch(
        r"(/embed/[^/]+/[^/]+)(/.*)", response.headers["Location"]
    ).groups()
    assert target == "/"
    token = prefix.rsplit("/", 1)[1]
    with app.app_context():
        found = embed.read_token(token, partner.key)
    clicks = _clicks(app, app_id=partner.id)
    assert [c.kind for c in clicks] == [ClickKind.EMBED]
    assert (found.visitor, found.origin, found.click_id) == (VISITOR, PARTNER, clicks[0].id)


def test_an_entry_from_an_origin_not_on_the_list_records_no_click_and_posts_nowhere(
    app, client, make
):
    partner = make.partner_app()
    prefix = enter(client, partner, origin="https://elsewhere.example")
    assert _clicks(app, app_id=partner.id) == []
    page = client.get(prefix + "/")
    assert page.status_code == 200
    assert "data-cliqq-parent" not in text(page)
    # The browser decides on framing: the response still lists only the app's origins.
    assert f"frame-ancestors {PARTNER};" in page.headers["Content-Security-Policy"]


def test_an_entry_may_open_one_item(client, make):
    partner = make.partner_app()
    item = make.item()
    response = client.get(
        f"/embed/{partner.key}/",
        query_string={"visitor": VISITOR, "origin": PARTNER, "item": item.slug},
    )
    assert response.headers["Location"].endswith(f"/items/{item.slug}")
    junk = client.get(f"/embed/{partner.key}/", query_string={"item": "../../admin"})
    assert junk.headers["Location"].endswith("/")


def test_an_embed_page_may_be_framed_by_the_apps_origins_only(client, make):
    partner = make.partner_app(origins=[PARTNER, "https://app.example"])
    make.item()
    page = client.get(enter(client, partner) + "/")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors http://localhost:5001 https://app.example;" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "X-Frame-Options" not in page.headers
    html = text(page)
    assert f'data-cliqq-parent="{PARTNER}"' in html
    assert "embed-frame.js" in html
    assert "Log in" not in html and "Create an account" not in html  # a compact header
    assert 'target="_blank" rel="noopener"' in html


@pytest.mark.parametrize("path", ["/", "/cart", "/checkout", "/login", "/branches"])
def test_the_shops_own_pages_refuse_framing(client, path):
    response = client.get(path)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_card_page_keeps_its_own_policy_with_the_frames_ancestors(client, make):
    """The card page sets a CSP of its own (Stripe.js): framing is decided the same way."""
    partner = make.partner_app()
    item, branch = make.item(stock=5), make.branch()
    prefix = enter(client, partner)
    _add_in_frame(client, prefix, item)
    placed = _checkout_in_frame(client, prefix, branch, payment="online")
    assert placed.status_code == 303 and "/pay" in placed.headers["Location"]
    assert placed.headers["Location"].startswith(prefix + "/orders/")
    pay = client.get(placed.headers["Location"])
    assert pay.status_code == 200
    csp = pay.headers["Content-Security-Policy"]
    assert f"frame-ancestors {PARTNER};" in csp and "frame-src 'self'" in csp
    outside = client.get(placed.headers["Location"].removeprefix(prefix))
    assert "frame-ancestors 'none'" in outside.headers["Content-Security-Policy"]


@pytest.mark.parametrize("status", [AppStatus.PENDING, AppStatus.SUSPENDED])
def test_an_app_that_is_not_live_has_no_shop(client, make, status):
    live = make.partner_app()
    prefix = enter(client, live)
    token = prefix.rsplit("/", 1)[1]
    other = make.partner_app(status=status)
    assert client.get(f"/embed/{other.key}/").status_code == 404
    # A token of the live app under the other's key: refused before anything else.
    assert client.get(f"/embed/{other.key}/{token}/").status_code == 404
    assert client.get(f"/embed/{other.key}/theme.css").status_code == 404
    assert client.get(f"/embed/{other.key}/go").status_code == 404


def test_an_unknown_key_is_a_404_page(client):
    for path in ["/embed/app_nobody/", "/embed/app_nobody/a.b.c/", "/embed/app_nobody/go/x"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "couldn't find" in text(response)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_suspended_apps_open_frame_stops_at_once(app, client, make):
    partner = make.partner_app()
    prefix = enter(client, partner)
    with app.app_context():
        db.session.get(App, partner.id).status = AppStatus.SUSPENDED
        db.session.commit()
    assert client.get(prefix + "/").status_code == 404


@pytest.mark.parametrize("token", ["a.b.c", ".eJx.aaaa.bbbb", "x" * 40 + ".y.z"])
def test_a_bad_token_is_a_clear_400(client, make, token):
    partner = make.partner_app()
    response = client.get(f"/embed/{partner.key}/{token}/")
    assert response.status_code == 400
    assert "isn't valid" in text(response)


def test_a_token_of_another_app_is_refused(client, make):
    one, two = make.partner_app(), make.partner_app()
    token = enter(client, one).rsplit("/", 1)[1]
    assert client.get(f"/embed/{two.key}/{token}/").status_code == 400


def test_an_expired_token_is_renewed_on_a_get_and_refused_on_a_post(app, client, clock, make):
    partner = make.partner_app()
    item = make.item()
    prefix = enter(client, partner)
    clock.advance(seconds=app.config["EMBED_TOKEN_MAX_AGE_SECONDS"] + 1)
    response = client.get(prefix + f"/items/{item.slug}?x=1")
    assert response.status_code == 303
    fresh = response.headers["Location"]
    assert fresh.startswith(f"/embed/{partner.key}/") and fresh.endswith(f"/items/{item.slug}?x=1")
    assert not fresh.startswith(prefix + "/")
    assert client.get(fresh).status_code == 200
    assert len(_clicks(app, app_id=partner.id)) == 1  # renewing is not a new click
    post = client.post(prefix + "/cart/add", data={"item_id": item.id, "quantity": 1})
    assert post.status_code == 400


# --- the catalog and the theme ----------------------------------------------------------------


def test_the_apps_choice_filters_the_listing_and_the_item_pages(client, make):
    shown, hidden = make.category(name="Shown"), make.category(name="Hidden")
    inside = make.item(name="Inside thing", category_id=shown.id)
    outside = make.item(name="Outside thing", category_id=hidden.id)
    picked = make.item(name="Picked thing", category_id=hidden.id)
    partner = make.partner_app(category_ids=[shown.id], item_ids=[picked.id])
    prefix = enter(client, partner)
    listing = text(client.get(prefix + "/"))
    assert "Inside thing" in listing and "Picked thing" in listing
    assert "Outside thing" not in listing
    assert ">Shown<" in listing and ">Hidden<" not in listing  # the filter chips
    assert client.get(prefix + f"/items/{inside.slug}").status_code == 200
    picked_page = text(client.get(prefix + f"/items/{picked.slug}"))
    assert "Picked thing" in picked_page
    assert f"category={hidden.slug}" not in picked_page  # no crumb to a category it hides
    assert f"category={shown.slug}" in text(client.get(prefix + f"/items/{inside.slug}"))
    assert client.get(prefix + f"/items/{outside.slug}").status_code == 404
    assert client.get(prefix + f"/?category={hidden.slug}").status_code == 400
    searched = text(client.get(prefix + "/?q=thing"))
    assert "Outside thing" not in searched and "Inside thing" in searched
    # The shop itself still shows everything.
    assert "Outside thing" in text(client.get("/"))
    assert client.get(f"/items/{outside.slug}").status_code == 200
    # Links inside the frame stay inside it.
    assert f'href="{prefix}/items/{inside.slug}"' in listing


def test_the_whole_catalog_when_the_app_chose_nothing(client, make):
    one, two = make.item(name="First thing"), make.item(name="Second thing")
    partner = make.partner_app()
    listing = text(client.get(enter(client, partner) + "/"))
    assert one.name in listing and two.name in listing


def test_the_embedded_listing_costs_the_same_queries_whatever_the_page_size(
    client, make, count_queries
):
    category = make.category()
    for n in range(30):
        make.item(name=f"Thing {n}", category_id=category.id)
    partner = make.partner_app(category_ids=[category.id])
    prefix = enter(client, partner)
    client.get(prefix + "/")
    counts = []
    for per_page in (1, 10, 30):
        with count_queries() as outside:
            assert client.get(f"/?per_page={per_page}").status_code == 200
        with count_queries() as inside:
            assert client.get(prefix + f"/?per_page={per_page}").status_code == 200
        counts.append((len(outside), len(inside)))
    assert len(set(counts)) == 1, counts
    # The app behind the key (its rates are not read for a page: partners.apps.live_app).
    assert counts[0][1] == counts[0][0] + 1


def test_the_theme_stylesheet_is_the_apps_colour_with_a_validator(client, make):
    partner = make.partner_app(theme_colour="#8a2be2")
    page = text(client.get(enter(client, partner) + "/"))
    href = re.search(r'href="(/embed/[^"]+/theme\.css\?v=[0-9a-f]+)"', page)[1]
    css = client.get(href)
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "--green: #8a2be2" in css.get_data(as_text=True)
    assert "immutable" in css.headers["Cache-Control"]
    bare = client.get(f"/embed/{partner.key}/theme.css")
    assert bare.headers["Cache-Control"] == "no-cache"
    again = client.get(
        f"/embed/{partner.key}/theme.css", headers={"If-None-Match": bare.headers["ETag"]}
    )
    assert again.status_code == 304
    # The shop's own pages load no theme.
    assert "theme.css" not in text(client.get("/"))


# --- the frame's session ----------------------------------------------------------------------


def _add_in_frame(client, prefix, item, quantity=1):
    token = csrf_token(client, prefix + f"/items/{item.slug}")
    return client.post(
        prefix + "/cart/add", data={"item_id": item.id, "quantity": quantity, "csrf_token": token}
    )


def _checkout_in_frame(client, prefix, branch, payment="cod"):
    page = text(client.get(prefix + "/checkout"))
    fields = dict(
        re.findall(r'name="(csrf_token|idempotency_key|expected_total)"[^>]*value="([^"]*)"', page)
    )
    fields |= {
        k: v
        for v, k in re.findall(
            r'value="([^"]*)"[^>]*name="(csrf_token|idempotency_key|expected_total)"', page
        )
    }
    data = fields | {
        "name": "Juan dela Cruz",
        "phone": "0917 123 4567",
        "email": "juan@example.com",
        "payment": payment,
        "branch_code": branch.code,
    }
    return client.post(prefix + "/checkout", data=data)


def test_the_frames_cart_takes_only_what_the_app_offers(client, make):
    shown, hidden = make.category(name="Shown"), make.category(name="Hidden")
    inside = make.item(name="Inside thing", category_id=shown.id)
    picked = make.item(name="Picked thing", category_id=hidden.id)
    outside = make.item(name="Outside thing", category_id=hidden.id)
    partner = make.partner_app(category_ids=[shown.id], item_ids=[picked.id])
    prefix = enter(client, partner)
    assert _add_in_frame(client, prefix, inside).status_code == 303
    assert _add_in_frame(client, prefix, picked).status_code == 303
    # An item the app doesn't offer, posted by its id: not found here, and not in the cart.
    token = csrf_token(client, prefix + f"/items/{inside.slug}")  # its own page is a 404
    refused = client.post(
        prefix + "/cart/add", data={"item_id": outside.id, "quantity": 1, "csrf_token": token}
    )
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/cart")
    cart = text(client.get(prefix + "/cart"))
    assert "Inside thing" in cart and "Picked thing" in cart and "Outside thing" not in cart
    assert "find that item" in cart  # the flash says so (ItemNotFound's message)
    # The shop's own cart offers everything.
    token = csrf_token(client, f"/items/{outside.slug}")
    added = client.post("/cart/add", data={"item_id": outside.id, "csrf_token": token})
    assert added.status_code == 303
    assert "Outside thing" in text(client.get("/cart"))


def test_the_frame_has_its_own_partitioned_session_cookie(app, client, make):
    partner = make.partner_app()
    item = make.item()
    prefix = enter(client, partner)
    response = _add_in_frame(client, prefix, item)
    assert response.status_code in (200, 303)
    name = app.config["EMBED_SESSION_COOKIE_NAME"]
    [cookie] = _cookie_headers(response, name)
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "partitioned"} <= attributes
    assert "SameSite=None" in cookie
    assert f"Path=/embed/{partner.key}/" in cookie
    assert "Domain" not in cookie
    assert _cookie_headers(response, app.config["SESSION_COOKIE_NAME"]) == []
    # The shop's own session sees nothing of the frame's cart, and the other way round.
    assert "cart-badge" in text(client.get("/cart"))
    assert item.name not in text(client.get("/cart"))
    assert item.name in text(client.get(prefix + "/cart"))


def test_the_cart_survives_a_new_frame_and_the_shops_own_cart_stays_out(client, make):
    partner = make.partner_app()
    mine, theirs = make.item(name="Frame thing"), make.item(name="Shop thing")
    _add(client, theirs)
    _add_in_frame(client, enter(client, partner), mine)
    again = enter(client, partner)  # the partner's page reloaded: a new token
    cart = text(client.get(again + "/cart"))
    assert "Frame thing" in cart and "Shop thing" not in cart


def test_a_form_in_the_frame_needs_its_csrf_token(client, make):
    partner = make.partner_app()
    item = make.item()
    prefix = enter(client, partner)
    client.get(prefix + f"/items/{item.slug}")
    refused = client.post(prefix + "/cart/add", data={"item_id": item.id, "quantity": 1})
    assert refused.status_code == 400
    # The shop's own token is no good in the frame (another session).
    shop_token = csrf_token(client, f"/items/{item.slug}")
    stranger = client.post(
        prefix + "/cart/add", data={"item_id": item.id, "quantity": 1, "csrf_token": shop_token}
    )
    assert stranger.status_code == 400
    assert _add_in_frame(client, prefix, item).status_code in (200, 303)


def test_an_order_placed_in_the_frame_is_the_apps(app, client, make, monkeypatch):
    seen = []
    real = checkout_views.service.place_order

    def spy(*args, **kwargs):
        seen.append(kwargs.get("referral"))
        return real(*args, **kwargs)

    monkeypatch.setattr(checkout_views.service, "place_order", spy)
    partner = make.partner_app()
    item, branch = make.item(stock=5), make.branch()
    prefix = enter(client, partner)
    _add_in_frame(client, prefix, item)
    placed = _checkout_in_frame(client, prefix, branch)
    assert placed.status_code == 303, text(placed)[:400]
    assert placed.headers["Location"].startswith(prefix + "/orders/")
    assert client.get(placed.headers["Location"]).status_code == 200
    assert seen[-1] == embed.Referral(partner.key, VISITOR, "127.0.0.1")
    # On the shop itself, without a partner's link: no app, no visitor.
    _add(client, item)
    assert _checkout(client, branch).status_code == 303
    assert seen[-1] == embed.Referral(None, None, "127.0.0.1")


# --- a partner's links ------------------------------------------------------------------------


def test_a_partners_link_records_a_link_click_and_lands_on_the_shop(app, client, make, monkeypatch):
    seen = []
    real = checkout_views.service.place_order
    monkeypatch.setattr(
        checkout_views.service,
        "place_order",
        lambda *a, **k: seen.append(k.get("referral")) or real(*a, **k),
    )
    partner = make.partner_app()
    item, branch = make.item(stock=5), make.branch()
    response = client.get(f"/embed/{partner.key}/go/{item.slug}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/items/{item.slug}"
    [cookie] = _cookie_headers(response, embed.VISITOR_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    visitor = cookie.split(";")[0].split("=", 1)[1]
    [click] = _clicks(app, app_id=partner.id)
    assert (click.kind, click.item_id) == (ClickKind.LINK, item.id)
    # The same visitor next time (the cookie is kept, not drawn again).
    again = client.get(f"/embed/{partner.key}/go")
    assert again.headers["Location"] == "/"
    assert _cookie_headers(again, embed.VISITOR_COOKIE)[0].startswith(
        f"{embed.VISITOR_COOKIE}={visitor};"
    )
    # A later order on the shop itself carries the link's visitor (last click, by the ledger).
    _add(client, item)
    assert _checkout(client, branch).status_code == 303
    assert seen[-1] == embed.Referral(None, visitor, "127.0.0.1")


def test_a_link_to_an_unknown_item_is_a_404_and_no_click(app, client, make):
    partner = make.partner_app()
    assert client.get(f"/embed/{partner.key}/go/no-such-item").status_code == 404
    assert client.get(f"/embed/{partner.key}/go/{'a' * 300}").status_code == 404
    assert _clicks(app, app_id=partner.id) == []


# --- embed.js ---------------------------------------------------------------------------------


def test_embed_js_is_cached_briefly_bare_and_for_a_year_versioned(client):
    bare = client.get("/embed.js")
    assert bare.status_code == 200
    assert bare.mimetype == "text/javascript"
    assert bare.headers["Cache-Control"] == "public, max-age=300"
    etag = bare.headers["ETag"]
    assert client.get("/embed.js", headers={"If-None-Match": etag}).status_code == 304
    version = etag.strip('"')
    versioned = client.get(f"/embed.js?v={version}")
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = client.get("/embed.js?v=0000000000")
    assert stale.headers["Cache-Control"] == "public, max-age=300"
    assert "data-cliqq-app" in bare.get_data(as_text=True)
    assert len(bare.get_data()) < 8000  # small


def test_the_snippet_names_the_shops_own_script(app, make):
    partner = make.partner_app()
    with app.test_request_context("/", base_url="https://shop.example"):
        snippet = embed.embed_snippet(partner)
    assert snippet == (
        f'<div data-cliqq-app="{partner.key}"></div>\n'
        '<script src="https://shop.example/embed.js" async></script>'
    )


# --- the demo ---------------------------------------------------------------------------------


def test_the_demo_seeds_two_framable_apps_once(app):
    from shop.demo.service import load_demo_data

    with app.app_context():
        first = load_demo_data()
        again = load_demo_data()
        apps = db.session.scalars(sa.select(App).order_by(App.key)).all()
        limited = next(a for a in apps if a.category_ids)
        items_in = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Item)
            .where(Item.category_id.in_(limited.category_ids))
        )
    assert (first.apps, again.apps) == (2, 0)
    assert {a.status for a in apps} == {AppStatus.APPROVED}
    for row in apps:
        assert row.origins == ["http://localhost:5001", "http://127.0.0.1:5001"]
    assert len({a.theme_colour for a in apps}) == 2
    assert items_in > 0


def test_the_demo_partner_page_shows_the_snippet_and_embeds_it():
    from shop.embed.partner_demo import DemoApp, make_partner_demo

    snippet = (
        '<div data-cliqq-app="app_demo_x"></div>\n'
        '<script src="http://127.0.0.1:5000/embed.js" async></script>'
    )
    site = make_partner_demo(
        "http://127.0.0.1:5000",
        [
            DemoApp(
                "x", "Demo X", "app_demo_x", snippet, "http://127.0.0.1:5000/embed/app_demo_x/go"
            )
        ],
    )
    page = site.test_client().get("/")
    body = page.get_data(as_text=True)
    assert snippet in body  # embedded
    assert "&lt;div data-cliqq-app=&#34;app_demo_x&#34;&gt;" in body  # and shown
    assert "frame-src http://127.0.0.1:5000" in page.headers["Content-Security-Policy"]
    assert site.test_client().get("/nope").status_code == 404


def test_link_rate_limit_is_a_setting(app):
    assert app.config["EMBED_LINK_RATE_LIMIT"]
    assert timedelta(seconds=app.config["EMBED_TOKEN_MAX_AGE_SECONDS"]) >= timedelta(hours=1)


@pytest.mark.parametrize(
    ("method", "rest", "body"),
    [
        ("GET", "/items/%00", None),
        ("GET", "/items/x%01y", None),
        ("GET", "/%FF%FE", None),
        ("GET", "/?page=%EF%BC%91", None),
        ("GET", "/nowhere/at/all", None),
        ("POST", "/cart/add", {"item_id": "9" * 30, "quantity": "-1"}),
        ("POST", "/checkout", {"payment": ["cod", "online"]}),
        ("PUT", "/cart", None),
    ],
)
def test_bad_input_inside_a_frame_is_a_4xx(client, make, method, rest, body):
    """Frame paths are not rules of the URL map (the battery of test_every_route doesn't see
    them): the same guards hold behind the prefix."""
    partner = make.partner_app()
    prefix = enter(client, partner)
    response = client.open(prefix + rest, method=method, data=body)
    assert 400 <= response.status_code < 500, (rest, response.status_code)
    # Refused by the input guard before the frame is checked, a response refuses framing too
    # (the frame shows the browser's own error): nothing hostile is ever framed.
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]
