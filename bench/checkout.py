"""Checkout throughput: cash-on-delivery orders placed per second by concurrent clients, and the
same Python client's /livez and /healthz, so that the ratios compare like with like.

    python bench/checkout.py prepare PLAN.json [--clients 8] [--rows 8]
    python bench/checkout.py run checkout|livez|healthz BASE_URL PLAN.json REPORT.txt [--seconds 3]

`prepare` (against DATABASE_URL, the benchmark's schema) picks the items and branches the
orders use and gives them room for any number of orders: the stock of `--rows` physical, not
frozen items that fit a branch package (and already have more stock than the home page's "only
N left", so its HTML doesn't change), and the shelf_capacity of `--rows` active stores, are
raised to 1,000,000,000. It writes the choice to PLAN.json. Client i orders item i mod rows at
branch i mod rows: with rows = clients (the default) no two clients share a stock row or a
branch row; with --rows 1 they all hit the same two rows.

`run` starts `--clients` threads (from PLAN.json), each with its own keep-alive
`http.client` connection (reopened whenever the server closes it: gunicorn's sync workers close
every connection) and its own cookie jar. Before the clock starts, each one loads /login for a
session cookie and its CSRF token. Then, for `--seconds`:

- `checkout`: each client repeats the whole order loop: POST /cart/add (item_id, quantity 1,
  csrf_token; 303), GET /checkout (200; reads csrf_token and expected_total from the form),
  POST /checkout (a new random idempotency key, COD, its branch; 303 to /orders/CQ-...). The
  303s are not followed. "orders/s" is the number of orders placed, divided by the time from
  the start until the last client finished its last loop: the time of all three requests
  counts, the order is counted once.
- `livez`, `healthz`: each client repeats GET /livez or GET /healthz (200).

It writes REPORT.txt (`rate:`, `errors:` and the rest as `key: value` lines), prints one summary
line, and exits non-zero if any request failed (any other status, or no answer).
"""

import argparse
import html
import http.client
import json
import random
import re
import statistics
import sys
import threading
import time
from urllib.parse import urlencode, urlsplit

STOCK = 1_000_000_000  # items.stock and branches.shelf_capacity are 32-bit integers
LOW_STOCK = 5  # shop.catalog.models.LOW_STOCK: the home page says "only N left" at or below
BOX_MM = 300  # a branch package: 30 x 30 x 30 cm, 10 kg (shop.fulfillment.packing)
BOX_G = 10_000
MAX_PRICE = 2_000_000  # centavos: far below the COD cap of 50,000 pesos, with the shipping fee
TIMEOUT = 30  # seconds per request (gunicorn's worker timeout is 30 s too)
MAX_ERRORS_IN_A_ROW = 20  # a client that keeps failing stops (the run fails anyway)
SHOPPER = {
    "name": "Bench Shopper",
    "phone": "09171234567",
    "email": "bench@example.com",
    "payment": "cod",
}
INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)"')
ORDER_URL = re.compile(r"/orders/CQ-[0-9A-Z]{4}-[0-9A-Z]{4}(?:\?|$)")


# --- prepare ------------------------------------------------------------------------------------


def prepare(plan_path: str, clients: int, rows: int) -> int:
    import os

    import sqlalchemy as sa

    from shop.config import normalize_database_url

    engine = sa.create_engine(normalize_database_url(os.environ["DATABASE_URL"]))
    try:
        with engine.begin() as conn:
            items = conn.execute(
                sa.text(
                    "SELECT id, name FROM items WHERE active AND NOT virtual AND NOT frozen"
                    " AND stock > :low AND price <= :max_price AND weight_g <= :box_g"
                    " AND length_mm <= :box AND width_mm <= :box AND height_mm <= :box"
                    " ORDER BY id LIMIT :rows"
                ),
                {
                    "low": LOW_STOCK,
                    "max_price": MAX_PRICE,
                    "box": BOX_MM,
                    "box_g": BOX_G,
                    "rows": rows,
                },
            ).all()
            # the demo data's stores (the benchmark's extra branches have codes B00001...)
            branches = conn.execute(
                sa.text(
                    "SELECT id, code FROM branches WHERE active AND kind = 'store'"
                    " AND code NOT LIKE 'B%' ORDER BY id LIMIT :rows"
                ),
                {"rows": rows},
            ).all()
            if len(items) < rows or len(branches) < rows:
                raise SystemExit(
                    f"bench: the demo data has only {len(items)} items and {len(branches)} "
                    f"branches fit for the checkout bench, not {rows}; lower BENCH_CHECKOUT_ROWS"
                )
            conn.execute(
                sa.text("UPDATE items SET stock = :n WHERE id = ANY(:ids)"),
                {"n": STOCK, "ids": [row.id for row in items]},
            )
            conn.execute(
                sa.text("UPDATE branches SET shelf_capacity = :n WHERE id = ANY(:ids)"),
                {"n": STOCK, "ids": [row.id for row in branches]},
            )
    finally:
        engine.dispose()
    plan = {
        "clients": clients,
        "items": [row.id for row in items],
        "branches": [row.code for row in branches],
    }
    with open(plan_path, "w") as out:
        json.dump(plan, out)
    print(
        f"  checkout: {clients} clients over {rows} item(s) and {rows} branch(es): client i "
        f"orders item i mod {rows} at branch i mod {rows}; their stock and shelf_capacity "
        f"raised to {STOCK:,}"
    )
    print(f"    items {', '.join(f'{row.id} ({row.name})' for row in items)}")
    print(f"    branches {', '.join(row.code for row in branches)}")
    return 0


# --- the client ---------------------------------------------------------------------------------


class Failed(Exception):
    """A request answered something other than expected (or not at all)."""

    def __init__(self, step: str, detail: str):
        super().__init__(f"{step}: {detail}")
        self.step = step


class Client:
    """One shopper: a connection to the server (reopened when it closes) and a cookie jar that
    ignores the Secure flag (production sets it; the benchmark talks plain HTTP)."""

    def __init__(self, host: str, port: int):
        self.conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        self.host = f"{host}:{port}"
        self.cookies: dict[str, str] = {}
        # Each shopper comes from an address of its own, as real ones do (the server trusts one
        # proxy, PROXY_FIX_X_FOR=1 in bench/run.sh): otherwise every order of every run would
        # count against one address's unpaid holds, a load no real address carries.
        self.address = (
            f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        )

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {
            "Host": self.host,
            "Accept-Encoding": "identity",
            "X-Forwarded-For": self.address,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            raise Failed(f"{method} {path}", f"no answer ({type(exc).__name__}: {exc})") from None
        if response.will_close:
            self.conn.close()
        for header in response.headers.get_all("Set-Cookie") or ():
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            gone = re.search(r"max-age=0\b|expires=thu, 01 jan 1970", attributes, re.I)
            if gone or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, response.headers, data

    def expect(self, status: int, method: str, path: str, form: dict | None = None):
        got, headers, data = self.request(method, path, form)
        if got != status:
            raise Failed(f"{method} {path}", f"{got}, not {status}: {_snippet(data)}")
        return headers, data

    def close(self) -> None:
        self.conn.close()


def _snippet(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    found = re.search(r'class="(?:notice|field__error)[^"]*"[^>]*>(.*?)<', text, re.S)
    text = found.group(1) if found else re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))
    return html.unescape(text).strip()[:200]


def hidden_inputs(page: bytes) -> dict[str, str]:
    """name -> value of every <input type="hidden"> (the first of each name)."""
    found: dict[str, str] = {}
    for tag in INPUT.findall(page.decode("utf-8", "replace")):
        attrs = {k.lower(): html.unescape(v) for k, v in ATTRIBUTE.findall(tag)}
        if attrs.get("type", "").lower() == "hidden" and "name" in attrs:
            found.setdefault(attrs["name"], attrs.get("value", ""))
    return found


STEPS = ("POST /cart/add", "GET /checkout", "POST /checkout")


def place_order(client: Client, csrf: str, item_id: int, branch: str, times: list) -> str:
    """One whole order loop; returns the new CSRF token (the same, unless the session changed).
    Appends each request's seconds to `times` (a list per step)."""
    began = time.perf_counter()
    client.expect(303, "POST", "/cart/add", {"item_id": item_id, "quantity": 1, "csrf_token": csrf})
    added = time.perf_counter()
    _, page = client.expect(200, "GET", "/checkout")
    shown = time.perf_counter()
    form = hidden_inputs(page)
    if not all(form.get(name) for name in ("csrf_token", "expected_total", "idempotency_key")):
        raise Failed("GET /checkout", "no csrf_token, expected_total or idempotency_key")
    headers, data = client.expect(
        303,
        "POST",
        "/checkout",
        {
            "csrf_token": form["csrf_token"],
            "idempotency_key": form["idempotency_key"],  # the server's, bound to the session
            "expected_total": form["expected_total"],
            **SHOPPER,
            "branch_code": branch,
        },
    )
    location = headers.get("Location", "")
    if not ORDER_URL.search(location):
        raise Failed("POST /checkout", f"303 to {location!r}, not to /orders/CQ-...")
    placed = time.perf_counter()
    for step, seconds in zip(times, (added - began, shown - added, placed - shown), strict=True):
        step.append(seconds)
    return form["csrf_token"]


# --- run ----------------------------------------------------------------------------------------


class Worker(threading.Thread):
    def __init__(self, index, mode, host, port, plan, start, stop_at):
        super().__init__(daemon=True)
        self.index, self.mode = index, mode
        self.client = Client(host, port)
        self.item = plan["items"][index % len(plan["items"])]
        self.branch = plan["branches"][index % len(plan["branches"])]
        self.start_barrier, self.stop_at = start, stop_at
        self.done = 0
        self.latencies: list[float] = []
        self.step_times: list[list[float]] = [[] for _ in STEPS]
        self.errors: dict[str, int] = {}
        self.first_errors: list[str] = []
        self.finished = 0.0
        self.setup_error: str | None = None

    def _failed(self, exc: Failed) -> None:
        self.errors[exc.step] = self.errors.get(exc.step, 0) + 1
        if len(self.first_errors) < 5:
            self.first_errors.append(str(exc))

    def messages(self) -> list[str]:
        return ([self.setup_error] if self.setup_error else []) + self.first_errors

    def run(self):
        csrf = ""
        try:
            if self.mode == "checkout":
                _, page = self.client.expect(200, "GET", "/login")
                csrf = hidden_inputs(page).get("csrf_token", "")
                if not csrf:
                    raise Failed("GET /login", "no csrf_token in the form")
        except Failed as exc:
            self.setup_error = str(exc)
        try:
            self.start_barrier.wait()
        except threading.BrokenBarrierError:
            return
        if self.setup_error:
            return
        in_a_row = 0
        while time.monotonic() < self.stop_at[0]:
            began = time.perf_counter()
            try:
                if self.mode == "checkout":
                    csrf = place_order(self.client, csrf, self.item, self.branch, self.step_times)
                else:
                    self.client.expect(200, "GET", f"/{self.mode}")
            except Failed as exc:
                self._failed(exc)
                in_a_row += 1
                if in_a_row >= MAX_ERRORS_IN_A_ROW:
                    break
                continue
            in_a_row = 0
            self.latencies.append(time.perf_counter() - began)
            self.done += 1
        self.finished = time.monotonic()
        self.client.close()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}ms"


def run(mode: str, base: str, plan_path: str, report_path: str, seconds: float) -> int:
    with open(plan_path) as f:
        plan = json.load(f)
    clients = plan["clients"]
    url = urlsplit(base)
    stop_at = [float("inf")]
    start = threading.Barrier(clients + 1)
    workers = [
        Worker(i, mode, url.hostname, url.port or 80, plan, start, stop_at) for i in range(clients)
    ]
    for worker in workers:
        worker.start()
    start.wait(timeout=60)  # every client has its session and token: the clock starts
    began = time.monotonic()
    stop_at[0] = began + seconds
    for worker in workers:
        worker.join()
    elapsed = max([w.finished for w in workers if w.finished] or [time.monotonic()]) - began
    done = sum(w.done for w in workers)
    latencies = sorted(x for w in workers for x in w.latencies)
    errors: dict[str, int] = {}
    for worker in workers:
        for step, n in worker.errors.items():
            errors[step] = errors.get(step, 0) + n
        if worker.setup_error:
            errors["setup"] = errors.get("setup", 0) + 1
    n_errors = sum(errors.values())
    rate = done / elapsed if elapsed > 0 else 0.0
    unit = "orders" if mode == "checkout" else "requests"
    lines = {
        "mode": mode,
        "clients": clients,
        "seconds": f"{elapsed:.2f}",
        unit: done,
        "rate": f"{rate:.2f}",
        "errors": n_errors,
        "errors by step": ", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "none",
        "latency avg": _ms(statistics.fmean(latencies)) if latencies else "-",
        "latency p50": _ms(latencies[len(latencies) // 2]) if latencies else "-",
        "latency p99": _ms(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))])
        if latencies
        else "-",
    }
    if mode == "checkout":
        lines["http requests"] = done * 3
        lines["latency avg per step"] = ", ".join(
            f"{step} {_ms(statistics.fmean(times))}"
            for i, step in enumerate(STEPS)
            if (times := [x for w in workers for x in w.step_times[i]])
        )
        lines["per client"] = " ".join(str(w.done) for w in workers)
    with open(report_path, "w") as out:
        for key, value in lines.items():
            out.write(f"{key}: {value}\n")
        for worker in workers:
            for message in worker.messages():
                out.write(f"error (client {worker.index}): {message}\n")
    if n_errors:
        shown = [f"client {w.index}: {m}" for w in workers for m in w.messages()]
        for message in shown[:5]:
            print(f"bench: {mode} {message}", file=sys.stderr)
        print(
            f"bench: {mode}: {n_errors} failed request(s) ({lines['errors by step']})",
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("plan")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--rows", type=int, default=None)
    r = sub.add_parser("run")
    r.add_argument("mode", choices=("checkout", "livez", "healthz"))
    r.add_argument("base")
    r.add_argument("plan")
    r.add_argument("report")
    r.add_argument("--seconds", type=float, default=3)
    args = parser.parse_args(argv[1:])
    if args.command == "prepare":
        rows = args.rows or args.clients
        if not 1 <= rows <= args.clients:
            parser.error("--rows must be from 1 to --clients")
        return prepare(args.plan, args.clients, rows)
    return run(args.mode, args.base, args.plan, args.report, args.seconds)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
