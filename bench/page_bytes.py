"""Bytes of the home page: the HTML, and the CSS and JS it references, raw and gzip-compressed.

    python bench/page_bytes.py http://127.0.0.1:PORT/

Fetches the page from the running server, reads every <link rel="stylesheet" href> and
<script src> in it, fetches those from the same server and prints each one, then the line
`bytes per home page: HTML N, CSS N, JS N, total N (gzip: HTML N, CSS N, JS N, total N)`.
"gzip" is Python's gzip at level 6 (what nginx and most CDNs use by default), computed here,
whatever the server itself sends. Only same-origin assets are fetched; others are listed and
skipped. Exits non-zero if the page or an asset doesn't answer 200.
"""

import gzip
import sys
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

TIMEOUT = 10  # seconds per request; the server is on 127.0.0.1


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.css: list[str] = []
        self.js: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = (attrs.get("rel") or "").lower().split()
        if tag == "link" and "stylesheet" in rel and attrs.get("href"):
            self.css.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.js.append(attrs["src"])


def fetch(url: str) -> tuple[bytes, dict]:
    # Ask for identity encoding: the raw size is what we want, and we gzip it ourselves.
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            if response.status != 200:
                raise SystemExit(f"bench: GET {url} answered {response.status}, not 200")
            if response.url != url:  # urllib follows redirects; wrk would count a 3xx as fine
                raise SystemExit(f"bench: GET {url} redirected to {response.url}")
            return response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"bench: GET {url} answered {exc.code}, not 200") from None
    except OSError as exc:
        raise SystemExit(f"bench: GET {url} failed: {exc}") from None


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def server_gzips(url: str) -> str:
    """What the server sends when the client accepts gzip (informational)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return response.headers.get("Content-Encoding") or "none"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: page_bytes.py http://127.0.0.1:PORT/", file=sys.stderr)
        return 2
    page_url = argv[1]
    origin = urlsplit(page_url)[:2]
    html, headers = fetch(page_url)
    if "html" not in headers.get("Content-Type", ""):
        raise SystemExit(f"bench: {page_url} is not HTML ({headers.get('Content-Type')})")
    parser = Assets()
    parser.feed(html.decode("utf-8", errors="replace"))

    totals = {"HTML": [len(html), gz(html)], "CSS": [0, 0], "JS": [0, 0]}
    print(f"  HTML  {page_url}: {len(html):,} B raw, {gz(html):,} B gzip")
    for kind, refs in (("CSS", parser.css), ("JS", parser.js)):
        for ref in refs:
            url = urljoin(page_url, ref)
            if urlsplit(url)[:2] != origin:
                print(f"  {kind:<4}  {url}: other origin, not counted")
                continue
            data, asset_headers = fetch(url)
            totals[kind][0] += len(data)
            totals[kind][1] += gz(data)
            cache = asset_headers.get("Cache-Control", "no Cache-Control")
            print(f"  {kind:<4}  {ref}: {len(data):,} B raw, {gz(data):,} B gzip ({cache})")
    print(
        f"  (informational) server's own Content-Encoding for gzip clients: HTML "
        f"{server_gzips(page_url)}"
    )

    raw = sum(v[0] for v in totals.values())
    packed = sum(v[1] for v in totals.values())
    print(
        "bytes per home page: "
        + ", ".join(f"{k} {v[0]}" for k, v in totals.items())
        + f", total {raw} (gzip: "
        + ", ".join(f"{k} {v[1]}" for k, v in totals.items())
        + f", total {packed})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
