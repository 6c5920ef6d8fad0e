"""The embedded shop in a browser: a partner's page on another origin (http://localhost:<port>,
the shop being on 127.0.0.1, another site) pastes the snippet; a shopper buys inside the frame,
cash at the store and then by card, with Chromium blocking third-party cookies as it does in
every Playwright context; the frame reloads mid-checkout and the cart is still there; a page on
an origin not on the app's list gets no shop; the publisher's dashboard shows the click, the
orders and their pending commission.

The control, in the same test: a plain `SameSite=None; Secure` cookie set by the shop's own
origin is NOT sent back inside the frame (while a Partitioned one is, and the plain one is when
the shop is visited itself), so the purchase cannot pass by the browser letting third-party
cookies through. The control's two routes are test-only: a WSGI wrapper around the live app,
put on for this module and taken off after it, never in the shop's code."""

import re
import threading

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from werkzeug.serving import make_server

from shop.auth.models import User
from shop.demo import DEMO_PASSWORD, DEMO_PUBLISHER
from shop.embed.partner_demo import DemoApp, make_partner_demo
from shop.embed.service import embed_snippet, link_url
from shop.extensions import db
from shop.partners.models import App, AppStatus, Click, ClickKind
from tests.e2e.conftest import screenshot
from tests.e2e.test_checkout import _card, _contact

KEY = "app_e2e_embed0000001"
CONTROL = "/__control/"


class CookieControl:
    """`/__control/set` sets a plain and a Partitioned SameSite=None cookie; `/__control/check`
    says which of them came back. Everything else goes to the shop."""

    def __init__(self, shop):
        self.shop = shop

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL):
            return self.shop(environ, start_response)
        cookies = environ.get("HTTP_COOKIE", "")
        if path == CONTROL + "set":
            body = b"<!doctype html><title>set</title><p>set</p>"
            headers = [
                ("Set-Cookie", "control_plain=1; Path=/; SameSite=None; Secure"),
                ("Set-Cookie", "control_chips=1; Path=/; SameSite=None; Secure; Partitioned"),
            ]
        else:
            plain = "yes" if "control_plain=1" in cookies else "no"
            chips = "yes" if "control_chips=1" in cookies else "no"
            body = f"<!doctype html><title>check</title><p id=got>plain={plain} chips={chips}</p>"
            body, headers = body.encode(), []
        start_response(
            "200 OK", [("Content-Type", "text/html"), ("Cache-Control", "no-store"), *headers]
        )
        return [body]


def _serve(wsgi_app):
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def partner(live_app, live_server):
    """The partner's site on http://localhost:<port> (allowed), another on a port the app
    doesn't list (not allowed), and the cookie control on the shop's origin."""
    shop_wsgi = live_app.wsgi_app
    live_app.wsgi_app = CookieControl(shop_wsgi)
    allowed, stranger = _serve(lambda e, s: site(e, s)), _serve(lambda e, s: site(e, s))
    origin = f"http://localhost:{allowed.server_port}"
    with live_app.app_context():
        publisher = db.session.scalar(sa.select(User).where(User.email == DEMO_PUBLISHER))
        app = db.session.scalar(sa.select(App).where(App.key == KEY))
        if app is None:
            app = App(publisher_id=publisher.id, key=KEY, name="Partner e2e", default_rate_bp=500)
            db.session.add(app)
        app.origins, app.status, app.theme_colour = [origin], AppStatus.APPROVED, "#1d4ed8"
        db.session.commit()
        demo = DemoApp(
            "shop",
            app.name,
            KEY,
            embed_snippet(app, shop_url=live_server),
            link_url(app, shop_url=live_server),
        )
    site = make_partner_demo(live_server, [demo])

    @site.get("/control")
    def control():
        return f'<!doctype html><title>control</title><iframe src="{live_server}{CONTROL}set">'

    yield {
        "allowed": origin,
        "stranger": f"http://localhost:{stranger.server_port}",
        "shop": live_server,
    }
    allowed.shutdown()
    stranger.shutdown()
    live_app.wsgi_app = shop_wsgi


@pytest.fixture
def partner_page(browser, partner):
    """A phone-sized page with Chromium's defaults for a Playwright context: third-party
    cookies blocked."""
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def _frame(page, shop):
    """The shop's frame, once it has loaded a page of the storefront."""
    iframe = page.locator("iframe[title='CLiQQ Shop']")
    expect(iframe).to_have_attribute("allow", "payment")
    handle = iframe.element_handle()
    frame = handle.content_frame()
    # The tokened page, not the entry it is redirected from: the entry's query holds the
    # partner's origin (http://...), whose slashes a looser pattern took for the token's, so
    # a test went on while the redirect was still coming and clicked into a page going away.
    frame.wait_for_url(re.compile(re.escape(shop) + r"/embed/" + KEY + r"/[A-Za-z0-9_.-]+/"))
    frame.wait_for_load_state()
    return frame


def _prefix(frame) -> str:
    match = re.match(r"(.*/embed/[^/]+/[^/]+)/", frame.url)
    return match[1]


def _shot(page, name: str):
    """The viewport with the frame's top at the top (see the partner page's screenshots)."""
    page.locator("iframe").evaluate("frame => frame.scrollIntoView()")
    page.wait_for_timeout(200)
    screenshot(page, name, full_page=False)


def _add_to_cart(frame, category: str):
    frame.goto(_prefix(frame) + f"/?category={category}&sort=price-low")
    frame.locator(".card:has(.tag--ok) .card__link").first.click()
    frame.get_by_role("button", name="Add to cart").click()
    expect(frame.locator("#cart-badge")).to_contain_text("1")


def _pick_branch(frame):
    frame.get_by_label("Search by name, city or branch code").fill("Makati")
    first = frame.locator('input[name="branch_code"]:not([disabled])').first
    expect(first).to_be_visible()
    first.check()


def test_a_partner_page_embeds_the_shop_and_a_shopper_buys_inside_it(
    partner_page, partner, live_app
):
    page, shop = partner_page, partner["shop"]

    # The control: a plain third-party cookie is not sent inside the frame; a partitioned one
    # is; the plain one is when the shop is visited itself (so the cookie is a valid one).
    page.goto(partner["allowed"] + "/control")
    control = page.frame_locator("iframe").locator("p")
    expect(control).to_have_text("set")
    inner = page.locator("iframe").element_handle().content_frame()
    inner.goto(shop + CONTROL + "check")
    expect(inner.locator("#got")).to_have_text("plain=no chips=yes")
    top = page.context.new_page()
    top.goto(shop + CONTROL + "set")
    top.goto(shop + CONTROL + "check")
    expect(top.locator("#got")).to_have_text("plain=yes chips=yes")
    top.close()

    # The partner's page: the snippet shown, the shop in its frame, sized to its content.
    page.goto(partner["allowed"] + "/")
    expect(page.locator("pre code")).to_contain_text(f'data-cliqq-app="{KEY}"')
    frame = _frame(page, shop)
    expect(frame.get_by_role("heading", name="Shop everything")).to_be_visible()
    expect(frame.get_by_role("link", name="Log in")).to_have_count(0)
    iframe = page.locator("iframe[title='CLiQQ Shop']")
    page.wait_for_function("() => parseInt(document.querySelector('iframe').style.height) > 1000")
    height = iframe.bounding_box()["height"]
    content = frame.evaluate("document.documentElement.getBoundingClientRect().height")
    assert abs(height - content) <= 2, (height, content)
    # Chromium paints a cross-site frame only where the viewport is: screenshots of the
    # viewport, at the top and at the snippet.
    screenshot(page, "embed-partner-360", full_page=False)
    page.locator("pre").scroll_into_view_if_needed()
    screenshot(page, "embed-partner-snippet-360", full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 1280, "height": 900})
    page.evaluate("window.scrollTo(0, 0)")
    # Wider, the grid has more columns: the frame shrinks to its shorter content.
    page.wait_for_function(
        "h => parseInt(document.querySelector('iframe').style.height) < h", arg=height
    )
    screenshot(page, "embed-partner-1280", full_page=False)
    page.set_viewport_size({"width": 360, "height": 740})
    with live_app.app_context():
        app_id = db.session.scalar(sa.select(App.id).where(App.key == KEY))
        kinds = db.session.scalars(sa.select(Click.kind).where(Click.app_id == app_id)).all()
    assert ClickKind.EMBED in kinds

    # Cash at the store, inside the frame; the frame reloads mid-checkout, cart intact.
    _add_to_cart(frame, "home-kitchen")
    frame.goto(_prefix(frame) + "/checkout")
    _contact(frame)
    frame.evaluate("location.reload()")
    frame.wait_for_load_state()
    expect(frame.get_by_test_id("packages")).to_have_text("1 package")
    # The partner's page reloaded too: a new token, the same partitioned session.
    page.reload()
    frame = _frame(page, shop)
    frame.goto(_prefix(frame) + "/checkout")
    expect(frame.get_by_test_id("packages")).to_have_text("1 package")
    # Its branch list comes in after the page (htmx) and moves what is below it: let it land
    # before clicking a radio there, or the click can land where the radio was.
    frame.wait_for_load_state("networkidle")
    _contact(frame)
    frame.get_by_label("Pay at the store (cash on pickup)").check()
    _pick_branch(frame)
    frame.get_by_role("button", name=re.compile("Place order")).click()
    expect(frame.get_by_test_id("order-status")).to_have_text(re.compile(r"^To pay at pickup: ₱"))
    assert "/embed/" + KEY + "/" in frame.url
    _shot(page, "embed-order-cod-360")

    # Then by card, through localstripe's Stripe.js, inside the frame.
    _add_to_cart(frame, "snacks-drinks")
    frame.goto(_prefix(frame) + "/checkout")
    _contact(frame)
    frame.get_by_label("Pay online (card)").check()
    _pick_branch(frame)
    frame.get_by_role("button", name=re.compile("Place order")).click()
    expect(frame.get_by_role("heading", name=re.compile(r"Pay ₱"))).to_be_visible()
    _card(frame, "4242424242424242")
    _shot(page, "embed-pay-360")
    frame.get_by_role("button", name=re.compile(r"^Pay ₱")).click()
    expect(frame.get_by_test_id("order-status")).to_have_text("Paid", timeout=15000)
    assert "/embed/" + KEY + "/" in frame.url
    _shot(page, "embed-order-paid-360")

    # The publisher's dashboard (the shop itself, first party): the click, the two orders
    # placed in the frame and their pending commission.
    board = page.context.new_page()
    board.goto(shop + "/login")
    board.get_by_label("Email").fill(DEMO_PUBLISHER)
    board.get_by_label("Password").fill(DEMO_PASSWORD)
    board.get_by_role("button", name="Log in").click()
    board.wait_for_load_state()
    board.goto(shop + f"/partners/apps/{app_id}/dashboard?preset=7")
    stats = board.locator(".board__stats .stat")
    expect(stats.nth(1)).to_contain_text("orders")
    expect(stats.nth(1).locator(".stat__n")).to_have_text("2")
    assert int(stats.nth(0).locator(".stat__n").inner_text().replace(",", "")) >= 1
    pending = board.locator(".board__commission tr", has_text="Pending").locator("td").last
    expect(pending).to_have_text(re.compile(r"^₱[1-9][\d,]*\.\d\d$"))
    screenshot(board, "embed-publisher-dashboard-360")
    board.close()


def test_an_origin_not_on_the_apps_list_cannot_frame_it(partner_page, partner):
    page = partner_page
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))
    page.goto(partner["stranger"] + "/")
    iframe = page.locator("iframe[title='CLiQQ Shop']")
    expect(iframe).to_be_attached()
    page.wait_for_timeout(1500)
    frame = iframe.element_handle().content_frame()
    # Chromium refuses the response (frame-ancestors) and shows its own error page.
    expect(frame.get_by_role("heading", name="Shop everything")).to_have_count(0)
    assert any("frame-ancestors" in text for text in blocked), blocked
    # The same page on the allowed origin gets the shop (so the refusal is the origin's).
    page.goto(partner["allowed"] + "/")
    frame = _frame(page, partner["shop"])
    expect(frame.get_by_role("heading", name="Shop everything")).to_be_visible()
