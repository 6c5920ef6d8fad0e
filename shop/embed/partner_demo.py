"""The demo partner page (`flask shop partner-demo`, started by `make run` on port 5001): a
stand-in for a publisher's own site, on another origin than the shop, that embeds the shop with
a demo app's snippet and shows the snippet, so a newcomer sees the embed working and a
publisher sees what to paste. A separate little WSGI app: it shares nothing with the shop but
the snippet's text."""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, abort, render_template

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DemoApp:
    slug: str  # the demo page's own path: / for the first, /<slug> for the others
    name: str
    key: str
    snippet: str
    link: str  # a partner's item-less link (a `link` click, then the shop itself)


def make_partner_demo(shop_url: str, apps: list[DemoApp]) -> Flask:
    """The partner site: one page per demo app, each embedding the shop at `shop_url`."""
    site = Flask(
        "partner_demo",
        template_folder=str(ROOT / "templates"),
        static_folder=None,
    )
    shop = "{0.scheme}://{0.netloc}".format(urlsplit(shop_url))

    def show(index: int):
        if not 0 <= index < len(apps):
            abort(404)
        return render_template(
            "partner_demo/index.html", app=apps[index], apps=apps, shop_url=shop_url
        )

    @site.get("/")
    def index():
        return show(0)

    @site.get("/<slug>")
    def other(slug: str):
        found = next((i for i, app in enumerate(apps) if app.slug == slug), -1)
        return show(found)

    @site.post("/webhooks")
    def webhooks():
        # The demo merchant's webhook endpoint (shop.demo.service.seed_merchants): a receiver
        # that takes every event, so `make run`'s delivery log shows answers.
        return "", 204

    @site.after_request
    def headers(response):
        # A partner's own policy: its scripts and the shop's embed.js, the shop in a frame.
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' {shop}; frame-src {shop}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'"
        )
        return response

    return site
