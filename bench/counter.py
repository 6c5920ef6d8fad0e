"""Counter throughput (issue #10, point 13): claims released per second at the POS by
concurrent clerks, each claim its whole sequence of requests, next to the same Python client's
/livez and /healthz (bench/checkout.py's), so that the ratios compare like with like.

    python bench/counter.py prepare PLAN.json [--clients 8] [--claims 400]
    python bench/counter.py run prepaid|cod BASE_URL PLAN.json REPORT.txt [--seconds 3]

`prepare` (against DATABASE_URL, the benchmark's schema, with the app's own services): one
clerk login per client, each at a store of its own (the demo's first ones), and for each clerk
`--claims` prepaid and `--claims` cash-on-delivery orders of one package waiting on that
branch's shelf (the package moved to at_branch directly, without the DC's steps: the counter
is what is measured). It writes the logins and each order's code and label to PLAN.json.

`run` starts one thread per clerk, each with its own keep-alive connection and cookie jar.
Before the clock starts each one logs in (GET /login, POST /login) and chooses its terminal and
shift (GET /counter/pos, POST /counter/pos/counter). Then, for `--seconds`, each releases its
orders one after another, the way the screen does with htmx (HX-Request: true):

- `prepaid`: POST /counter/pos/code (303), GET the panel it names (200), POST the label (200,
  "Released"): 3 requests, the clerk's 2 inputs.
- `cod`: the same, then the label's answer is the cash step (200) and POST the cash (200, the
  AR): 4 requests, 3 inputs.

"claims/s" is the number of orders released over the time until the last clerk finished its
last one. A clerk that runs out of prepared orders stops (an error: prepare more with
BENCH_COUNTER_CLAIMS). It writes REPORT.txt like bench/checkout.py and exits non-zero if any
request failed.
"""

import argparse
import json
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit

from checkout import Client, Failed, _ms, hidden_inputs

PASSWORD = "bench-counter-clerk-2026"  # noqa: S105  (the bench's own scratch logins)
HTMX = {"HX-Request": "true"}
AMOUNT_DUE = 45_000  # centavos: a COD order of ₱450
CASH = "500"  # pesos handed over: ₱50 change
MAX_ERRORS_IN_A_ROW = 20
STEPS = {
    "prepaid": ("POST /counter/pos/code", "GET panel", "POST label"),
    "cod": ("POST /counter/pos/code", "GET panel", "POST label", "POST cash"),
}


# --- prepare ------------------------------------------------------------------------------------


def prepare(plan_path: str, clients: int, claims: int) -> int:
    import uuid

    import sqlalchemy as sa

    from shop import clock, create_app
    from shop.auth.models import Role, User
    from shop.auth.service import create_user
    from shop.branches.models import Branch, BranchKind
    from shop.extensions import db
    from shop.fulfillment import service as ecms
    from shop.fulfillment.models import Package, PackageState, PaymentMode
    from shop.transaction import transaction

    app = create_app()
    plan = {"clients": clients, "clerks": []}
    with app.app_context():
        stores = db.session.scalars(
            sa.select(Branch)
            .where(Branch.active, Branch.kind == BranchKind.STORE, ~Branch.code.like("B%"))
            .order_by(Branch.id)
            .limit(clients)
        ).all()
        if len(stores) < clients:
            raise SystemExit(f"bench: only {len(stores)} demo stores for {clients} counter clients")
        deadline = ecms.pickup_deadline(clock.now())
        for i, store in enumerate(stores):
            email = f"bench-clerk-{i}@example.com"
            with transaction():
                if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
                    create_user(email, f"Bench clerk {i}", PASSWORD, Role.CLERK, branch_id=store.id)
                db.session.execute(
                    sa.update(User).where(User.email == email).values(branch_id=store.id)
                )
                store.shelf_capacity = 1_000_000_000
            orders = {"prepaid": [], "cod": []}
            for mode in orders:
                with transaction():
                    for _ in range(claims):
                        made = ecms.create_shipment(
                            reference=f"CQ-BENCH-{uuid.uuid4().hex[:10]}",
                            payment=PaymentMode.PREPAID if mode == "prepaid" else PaymentMode.COD,
                            amount_due=0 if mode == "prepaid" else AMOUNT_DUE,
                            branch_id=store.id,
                            recipient=ecms.Recipient("Bench Shopper", "+639171234567", ""),
                            parcels=[ecms.Parcel(False, 1000, 3000, "1 × Bench item")],
                        )
                        orders[mode].append([made.code.code, made.id])
                    ids = [shipment for _, shipment in orders[mode]]
                    db.session.execute(
                        sa.update(Package)
                        .where(Package.shipment_id.in_(ids))
                        .values(
                            state=PackageState.AT_BRANCH,
                            location_id=store.id,
                            pickup_deadline=deadline,
                        ),
                        execution_options={"synchronize_session": False},
                    )
                    numbers = dict(
                        db.session.execute(
                            sa.select(Package.shipment_id, Package.tracking_number).where(
                                Package.shipment_id.in_(ids)
                            )
                        ).all()
                    )
                orders[mode] = [[code, numbers[shipment]] for code, shipment in orders[mode]]
            plan["clerks"].append({"email": email, "branch": store.code, **orders})
    with open(plan_path, "w") as out:
        json.dump(plan, out)
    print(
        f"  counter: {clients} clerks at {clients} stores, {claims} prepaid and {claims} COD "
        "orders waiting on each one's shelf"
    )
    return 0


# --- run ----------------------------------------------------------------------------------------


def log_in(client: Client, email: str, index: int) -> str:
    """Log the clerk in and choose its counter; returns the CSRF token of the session."""
    _, page = client.expect(200, "GET", "/login")
    csrf = hidden_inputs(page).get("csrf_token", "")
    client.expect(302, "POST", "/login", {"csrf_token": csrf, "email": email, "password": PASSWORD})
    _, page = client.expect(200, "GET", "/counter/pos")
    csrf = hidden_inputs(page).get("csrf_token", "")
    client.expect(
        303,
        "POST",
        "/counter/pos/counter",
        {"csrf_token": csrf, "terminal": f"BENCH-{index}", "shift": "1"},
    )
    _, page = client.expect(200, "GET", "/counter/pos")
    return hidden_inputs(page).get("csrf_token", "") or csrf


def release(client: Client, mode: str, csrf: str, code: str, label: str, times: list) -> None:
    """One claim, its whole sequence of requests; appends each request's seconds to `times`."""
    marks = [time.perf_counter()]
    headers, _ = client.expect(303, "POST", "/counter/pos/code", {"csrf_token": csrf, "code": code})
    marks.append(time.perf_counter())
    panel = urlsplit(headers.get("Location", "")).path
    if not panel.startswith("/counter/pos/claim/"):
        raise Failed("POST /counter/pos/code", f"303 to {panel!r}, not to the claim panel")
    client.request_headers = HTMX
    _, data = client.expect(200, "GET", panel)
    marks.append(time.perf_counter())
    form = {"csrf_token": csrf, "label": label, "id_type": "Government-issued ID"}
    _, data = client.expect(200, "POST", panel, form)
    marks.append(time.perf_counter())
    if mode == "cod":
        if b'id="claim-cash"' not in data:
            raise Failed("POST label", "no cash step")
        form = {"csrf_token": csrf, "labels": label, "label": "", "cash_received": CASH,
                "id_type": "Government-issued ID"}  # fmt: skip
        _, data = client.expect(200, "POST", panel, form)
        marks.append(time.perf_counter())
        if b"Acknowledgement Receipt" not in data:
            raise Failed("POST cash", "no AR")
    elif b"Released to" not in data:
        raise Failed("POST label", "not released")
    client.request_headers = {}
    for step, (a, b) in zip(times, zip(marks, marks[1:], strict=False), strict=True):
        step.append(b - a)


class HtmxClient(Client):
    """bench/checkout.py's client, with extra headers for the requests that htmx sends."""

    request_headers: dict = {}

    def request(self, method, path, form=None):
        if not self.request_headers:
            return super().request(method, path, form)
        original = self.conn.request

        def with_headers(m, p, body=None, headers=None):
            return original(m, p, body=body, headers={**(headers or {}), **self.request_headers})

        self.conn.request = with_headers
        try:
            return super().request(method, path, form)
        finally:
            self.conn.request = original


class Worker(threading.Thread):
    def __init__(self, index, mode, host, port, clerk, start, stop_at):
        super().__init__(daemon=True)
        self.index, self.mode, self.clerk = index, mode, clerk
        self.client = HtmxClient(host, port)
        self.orders = iter(clerk[mode])
        self.start_barrier, self.stop_at = start, stop_at
        self.done = 0
        self.latencies: list[float] = []
        self.step_times: list[list[float]] = [[] for _ in STEPS[mode]]
        self.errors: dict[str, int] = {}
        self.first_errors: list[str] = []
        self.finished = 0.0
        self.setup_error: str | None = None

    def _failed(self, exc: Failed) -> None:
        self.errors[exc.step] = self.errors.get(exc.step, 0) + 1
        if len(self.first_errors) < 5:
            self.first_errors.append(str(exc))

    def run(self):
        csrf = ""
        try:
            csrf = log_in(self.client, self.clerk["email"], self.index)
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
            order = next(self.orders, None)
            if order is None:
                self._failed(Failed("orders", "ran out of prepared orders (BENCH_COUNTER_CLAIMS)"))
                break
            began = time.perf_counter()
            try:
                release(self.client, self.mode, csrf, order[0], order[1], self.step_times)
            except Failed as exc:
                self.client.request_headers = {}
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


def run(mode: str, base: str, plan_path: str, report_path: str, seconds: float) -> int:
    with open(plan_path) as f:
        plan = json.load(f)
    # Each run takes orders no earlier run took: a run's claims are gone once released.
    used_path = plan_path + f".{mode}.used"
    try:
        with open(used_path) as f:
            used = json.load(f)
    except FileNotFoundError:
        used = {}
    url = urlsplit(base)
    clerks = plan["clerks"]
    for clerk in clerks:
        clerk[mode] = clerk[mode][used.get(clerk["email"], 0) :]
    stop_at = [float("inf")]
    start = threading.Barrier(len(clerks) + 1)
    workers = [
        Worker(i, mode, url.hostname, url.port or 80, clerk, start, stop_at)
        for i, clerk in enumerate(clerks)
    ]
    for worker in workers:
        worker.start()
    start.wait(timeout=60)
    began = time.monotonic()
    stop_at[0] = began + seconds
    for worker in workers:
        worker.join()
    for worker in workers:  # a failed claim's order is spent too: count every one tried
        tried = worker.done + sum(worker.errors.values())
        used[worker.clerk["email"]] = used.get(worker.clerk["email"], 0) + tried
    with open(used_path, "w") as f:
        json.dump(used, f)
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
    lines = {
        "mode": mode,
        "clients": len(clerks),
        "seconds": f"{elapsed:.2f}",
        "claims": done,
        "rate": f"{rate:.2f}",
        "errors": n_errors,
        "errors by step": ", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "none",
        "latency avg": _ms(statistics.fmean(latencies)) if latencies else "-",
        "latency p50": _ms(latencies[len(latencies) // 2]) if latencies else "-",
        "latency p99": _ms(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))])
        if latencies
        else "-",
        "http requests": done * len(STEPS[mode]),
        "latency avg per step": ", ".join(
            f"{step} {_ms(statistics.fmean(times))}"
            for i, step in enumerate(STEPS[mode])
            if (times := [x for w in workers for x in w.step_times[i]])
        ),
    }
    with open(report_path, "w") as out:
        for key, value in lines.items():
            out.write(f"{key}: {value}\n")
        for worker in workers:
            for message in (
                [worker.setup_error] if worker.setup_error else []
            ) + worker.first_errors:
                out.write(f"error (client {worker.index}): {message}\n")
    if n_errors:
        print(
            f"bench: counter {mode}: {n_errors} failed ({lines['errors by step']})", file=sys.stderr
        )
        for worker in workers:
            for message in worker.first_errors[:2]:
                print(f"bench: counter {mode} client {worker.index}: {message}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("plan")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--claims", type=int, default=400)
    r = sub.add_parser("run")
    r.add_argument("mode", choices=tuple(STEPS))
    r.add_argument("base")
    r.add_argument("plan")
    r.add_argument("report")
    r.add_argument("--seconds", type=float, default=3)
    args = parser.parse_args(argv[1:])
    if args.command == "prepare":
        return prepare(args.plan, args.clients, args.claims)
    return run(args.mode, args.base, args.plan, args.report, args.seconds)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
