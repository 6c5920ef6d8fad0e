"""Browser tests: Playwright drives Debian's Chromium against a live server started here, on its
own SQLite database migrated and loaded with the demo data. Without /usr/bin/chromium they are
skipped and say so, unless REQUIRE_BROWSER=1 (as in CI), which makes them fail instead."""

import logging
import os
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from shop import create_app
from shop.demo.service import load_demo_data
from shop.extensions import limiter
from shop.serving import RequestHandler
from tests.conftest import make_config

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe.min.js"


def pytest_collection_modifyitems(items):
    # One xdist worker runs every browser test: they share one live server and one browser.
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("browser"))
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, localstripe):
    database = tmp_path_factory.mktemp("live") / "shop.db"
    app = create_app(
        make_config(f"sqlite:///{database}", TESTING=False, STRIPE_API_BASE=localstripe)
    )
    with app.app_context():
        upgrade()
        load_demo_data()
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, live_app, threaded=True, request_handler=RequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    with live_app.app_context():
        from shop.payments.service import register_localstripe_webhook

        register_localstripe_webhook(f"{url}/payments/stripe/webhook")
    yield url
    server.shutdown()


@pytest.fixture(autouse=True)
def _fresh_budgets(request):
    """Every browser test comes from one address to the one live server: each starts with the
    rate limits' budgets (log-ins, counter lookups, the kiosk) untouched by the tests before
    it, so a test never fails for another's scans."""
    if {"live_app", "live_server", "page"} & set(request.fixturenames):
        app = request.getfixturevalue("live_app")
        with app.app_context():
            limiter.reset()


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        message = f"Chromium not found at {CHROMIUM} (make test installs Debian's chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message}: REQUIRE_BROWSER=1, so this fails.", pytrace=False)
        pytest.skip(f"{message}: browser tests skipped.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-gpu",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, localstripe):
    """A phone-sized page (360 × 740) that fails the test if it asks any host but ours (and
    localstripe, standing in for Stripe)."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, bypass_csp=False
    )
    page = context.new_page()
    foreign: list[str] = []

    def note_foreign(request):
        if not request.url.startswith((live_server, localstripe)):
            foreign.append(request.url)

    page.on("request", note_foreign)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not foreign, f"requests to other hosts: {foreign}"
    assert not errors, f"JavaScript errors: {errors}"


def screenshot(page, name: str, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
