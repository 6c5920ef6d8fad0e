"""SQL statements per page: builds the app with create_app() (DATABASE_URL etc. from the
environment, as bench/run.sh sets them), requests each page once to warm up, then counts the
statements SQLAlchemy sends while the test client requests it once more (the steady state:
per-process caches are warm). The warm-up request's count of the home page, the very first
request of the process, is shown too.

    python bench/queries.py            # the counts
    python bench/queries.py -v         # ... and the statements themselves

Prints `SQL queries per home page: N` (the home page, anonymous) and the same for a few
informational variants, and `SQL queries per branch search: N` (the picker's htmx fragment,
nearest first: BRANCH_SEARCH below). With BENCH_CHECKOUT_PLAN (the plan `bench/checkout.py
prepare` wrote), it also counts one order's requests (POST /cart/add, GET /checkout, POST
/checkout), after one order to warm up: this places two real orders in the benchmark's schema.
With BENCH_COUNTER_PLAN (bench/counter.py prepare's), it counts a prepaid and a COD claim at the
counter, step by step, after one of each to warm up (releasing the last four orders of the
first clerk, which the load runs, taking them from the front, never reach). With
BENCH_PARTNERS_PLAN (bench/partners.py prepare's), the embedded catalog page and the
publisher's dashboard over its 100,000 ledger rows. With BENCH_MERCHANTS_PLAN
(bench/merchants.py prepare's), a shipment created by the API and the read of one.
Exits non-zero if a page doesn't answer as expected.
"""

import json
import os
import re
import sys

import sqlalchemy as sa

from shop import create_app
from shop.config import normalize_database_url
from shop.extensions import db

HTMX = {"HX-Request": "true"}
BRANCH_SEARCH = "/branches/search?near=14.5547,121.0244"  # run.sh measures the same
PAGES = [
    ("home page", "/", {}),
    ("home page, page 2", "/?page=2", {}),
    ("home page, search 'rice'", "/?q=rice", {}),
    ("livez", "/livez", {}),
    ("healthz", "/healthz", {}),
    ("branch search", BRANCH_SEARCH, HTMX),
]


class Recorder:
    """The statements SQLAlchemy sends while it is active (`with recorder:`)."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(" ".join(statement.split()))

    def __enter__(self):
        self.statements = []
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)


def count_queries(client, engine, path: str, headers=None) -> tuple[int, int, list[str]]:
    """(statements of the warm-up request, of the measured one, the measured statements)."""
    counts: list[list[str]] = []
    # the warm-up compiles templates, configures mappers, connects and fills caches
    for _ in ("warm-up", "measured"):
        with Recorder(engine) as recorder:
            response = client.get(path, headers=headers or {})
        counts.append(recorder.statements)
        if response.status_code != 200:
            raise SystemExit(f"bench: GET {path} answered {response.status_code}, not 200")
    return len(counts[0]), len(counts[1]), counts[1]


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    if not found:
        raise SystemExit(f"bench: no {name} in the form")
    return found.group(1)


def count_checkout(client, engine, plan: dict) -> list[tuple[str, list[str]]]:
    """The statements of each request of one order loop (as bench/checkout.py runs it), after
    one loop to warm up."""
    login = client.get("/login")
    csrf = _hidden(login.get_data(as_text=True), "csrf_token")
    item, branch = plan["items"][0], plan["branches"][0]
    steps: list[tuple[str, list[str]]] = []
    for _ in ("warm-up", "measured"):
        steps = []
        with Recorder(engine) as recorder:
            added = client.post(
                "/cart/add", data={"item_id": item, "quantity": 1, "csrf_token": csrf}
            )
        steps.append(("POST /cart/add", recorder.statements))
        with Recorder(engine) as recorder:
            page = client.get("/checkout")
        steps.append(("GET /checkout", recorder.statements))
        text = page.get_data(as_text=True)
        form = {
            "csrf_token": _hidden(text, "csrf_token"),
            "idempotency_key": _hidden(text, "idempotency_key"),
            "expected_total": _hidden(text, "expected_total"),
            "name": "Bench Shopper",
            "phone": "09171234567",
            "email": "bench@example.com",
            "payment": "cod",
            "branch_code": branch,
        }
        with Recorder(engine) as recorder:
            placed = client.post("/checkout", data=form)
        steps.append(("POST /checkout", recorder.statements))
        got = (added.status_code, page.status_code, placed.status_code)
        if got != (303, 200, 303) or "/orders/CQ-" not in placed.headers.get("Location", ""):
            raise SystemExit(f"bench: an order (in-process) answered {got}, not (303, 200, 303)")
    return steps


def count_counter(client, engine, plan: dict) -> dict[str, list[tuple[str, list[str]]]]:
    """The statements of each request of a prepaid and of a COD claim (as bench/counter.py
    runs them), after one claim of each to warm up."""
    clerk = plan["clerks"][0]
    login = client.get("/login")
    csrf = _hidden(login.get_data(as_text=True), "csrf_token")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from counter import CASH, PASSWORD

    client.post("/login", data={"csrf_token": csrf, "email": clerk["email"], "password": PASSWORD})
    page = client.get("/counter/pos").get_data(as_text=True)
    csrf = _hidden(page, "csrf_token")
    chosen = client.post(
        "/counter/pos/counter", data={"csrf_token": csrf, "terminal": "Q-1", "shift": "1"}
    )
    if chosen.status_code != 303:
        raise SystemExit(f"bench: the counter's login answered {chosen.status_code}, not 303")
    csrf = _hidden(client.get("/counter/pos").get_data(as_text=True), "csrf_token")
    counted = {}
    for mode in ("prepaid", "cod"):
        for code, label in clerk[mode][-2:]:  # warm-up, then measured
            steps = []
            with Recorder(engine) as recorder:
                opened = client.post("/counter/pos/code", data={"csrf_token": csrf, "code": code})
            steps.append(("POST /counter/pos/code", recorder.statements))
            panel = opened.headers.get("Location", "")
            with Recorder(engine) as recorder:
                shown = client.get(panel, headers=HTMX)
            steps.append(("GET panel", recorder.statements))
            form = {"csrf_token": csrf, "label": label, "id_type": "Government-issued ID"}
            with Recorder(engine) as recorder:
                answer = client.post(panel, data=form, headers=HTMX)
            steps.append(("POST label", recorder.statements))
            if mode == "cod":
                form = {"csrf_token": csrf, "labels": label, "cash_received": CASH,
                        "id_type": "Government-issued ID"}  # fmt: skip
                with Recorder(engine) as recorder:
                    answer = client.post(panel, data=form, headers=HTMX)
                steps.append(("POST cash", recorder.statements))
            got = (opened.status_code, shown.status_code, answer.status_code)
            if got != (303, 200, 200) or "Released to" not in answer.get_data(as_text=True):
                raise SystemExit(f"bench: a {mode} claim (in-process) answered {got}")
        counted[mode] = steps
    return counted


def main(argv: list[str]) -> int:
    verbose = "-v" in argv[1:]
    app = create_app()
    expected = os.environ.get("DATABASE_URL")
    if expected and app.config["SQLALCHEMY_DATABASE_URI"] != normalize_database_url(expected):
        # instance/config.py may override the database: never count against another one
        raise SystemExit("bench: the app is not using the benchmark's DATABASE_URL")
    with app.app_context():
        engine = db.engine
        client = app.test_client()
        for label, path, headers in PAGES:
            first, n, statements = count_queries(client, engine, path, headers)
            if path == "/":
                print(f"SQL queries per home page: {n}")
                print(f"  (informational) the first home page of a fresh process: {first}")
            elif path == BRANCH_SEARCH:
                print(f"SQL queries per branch search: {n}")
            else:
                print(f"  (informational) SQL queries for {label} {path}: {n}")
            if verbose:
                for statement in statements:
                    print(f"      {statement[:300]}")
        plan_path = os.environ.get("BENCH_CHECKOUT_PLAN")
        if plan_path:
            with open(plan_path) as f:
                plan = json.load(f)
            steps = count_checkout(app.test_client(), engine, plan)
            total = sum(len(statements) for _, statements in steps)
            each = ", ".join(f"{step} {len(statements)}" for step, statements in steps)
            print(f"SQL queries per order loop: {total} ({each})")
            if verbose:
                for step, statements in steps:
                    print(f"    {step}:")
                    for statement in statements:
                        print(f"      {statement[:300]}")
        counter_plan = os.environ.get("BENCH_COUNTER_PLAN")
        if counter_plan:
            with open(counter_plan) as f:
                plan = json.load(f)
            # A fresh app context: the requests share its `g`, where Flask-WTF keeps the CSRF
            # token it made for the checkout's session.
            with app.app_context():
                counted = count_counter(app.test_client(), engine, plan)
            said = []
            for mode, steps in counted.items():
                each = ", ".join(f"{step} {len(statements)}" for step, statements in steps)
                said.append(
                    f"{'COD' if mode == 'cod' else mode} {sum(len(x) for _, x in steps)} ({each})"
                )
            print(f"SQL queries per counter claim: {'; '.join(said)}")
            if verbose:
                for mode, steps in counted.items():
                    for step, statements in steps:
                        print(f"    {mode} {step}:")
                        for statement in statements:
                            print(f"      {statement[:300]}")
        partners_plan = os.environ.get("BENCH_PARTNERS_PLAN")
        if partners_plan:
            with open(partners_plan) as f:
                plan = json.load(f)
            with app.app_context():
                counted = count_partners(app.test_client(), engine, plan)
            for label, statements in counted:
                print(f"SQL queries per {label}: {len(statements)}")
                if verbose:
                    for statement in statements:
                        print(f"      {statement[:300]}")
        merchants_plan = os.environ.get("BENCH_MERCHANTS_PLAN")
        if merchants_plan:
            with open(merchants_plan) as f:
                plan = json.load(f)
            with app.app_context():
                counted = count_merchants(app.test_client(), engine, plan)
            each = ", ".join(f"{label} {len(statements)}" for label, statements in counted)
            print(f"SQL queries per API request: {each}")
            if verbose:
                for label, statements in counted:
                    print(f"    {label}:")
                    for statement in statements:
                        print(f"      {statement[:300]}")
        engine.dispose()
    return 0


def count_merchants(client, engine, plan) -> list[tuple[str, list[str]]]:
    """A shipment created by the API as the wrk script posts it (with an Idempotency-Key),
    and the read of one, each on its second request (the first warms up)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from merchants import body_template

    headers = {"Authorization": f"Bearer {plan['key']}", "Content-Type": "application/json"}
    counted = []
    for n in ("warm-up", "measured"):
        reference = f"BENCH-QUERIES-{n}"
        with Recorder(engine) as recorder:
            made = client.post(
                "/api/v1/shipments",
                data=body_template() % (reference, plan["branches"][0]),
                headers=headers | {"Idempotency-Key": reference},
            )
        if made.status_code != 201:
            answer = made.get_data(as_text=True)[:200]
            raise SystemExit(f"bench: POST /api/v1/shipments answered {made.status_code}: {answer}")
    counted.append(("POST /api/v1/shipments", recorder.statements))
    _, _, statements = count_queries(client, engine, plan["read_path"], headers)
    counted.append(("GET /api/v1/shipments/<n>", statements))
    return counted


def count_partners(client, engine, plan) -> list[tuple[str, list[str]]]:
    """The embedded catalog page (anonymous, in its frame) and the publisher's dashboard
    (logged in), each counted on its second request (the dashboard on its first as well)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from partners import PASSWORD

    counted = []
    _, n, statements = count_queries(client, engine, plan["embed_path"], {})
    counted.append(("embedded catalog page", statements))
    csrf = _hidden(client.get("/login").get_data(as_text=True), "csrf_token")
    answer = client.post(
        "/login", data={"csrf_token": csrf, "email": plan["email"], "password": PASSWORD}
    )
    if answer.status_code != 302:
        raise SystemExit(f"bench: the publisher's login (in-process) answered {answer.status_code}")
    # The first request computes the page; the second, its rows unchanged, is the page seen
    # again (shop.partners.dashboard.version), which is what wrk measures after each worker's
    # first request.
    computed, n, statements = count_queries(client, engine, plan["dashboard_path"], {})
    counted.append((f"dashboard page (computed: {computed}; seen again)", statements))
    return counted


if __name__ == "__main__":
    sys.exit(main(sys.argv))
