"""The merchant API under load (issue #12, point 10): creating shipments, reading one, and the
worker's webhook deliveries per second to a local receiver.

    python bench/merchants.py prepare PLAN.json LUA_PATH [--branches 8]
    python bench/merchants.py get KEY PLAN.json       # path_read | authorization
    python bench/merchants.py deliveries --count 2000 --shipments 400 --workers 1 [--venv DIR]
    python bench/merchants.py receiver                 # (internal) answers 200 to every POST

`prepare` (against DATABASE_URL, the benchmark's schema, in-process): a merchant with a secret
key, `--branches` of the benchmark's round-the-clock stores (B00001...) with their
shelf_capacity raised to 1,000,000,000 (every created shipment reserves a slot), and one COD
shipment made through the API (the one `GET /api/v1/shipments/<n>` reads). It writes the
key, the branches and the shipment's path to PLAN.json, and LUA_PATH: the wrk script that
POSTs a valid shipment with a fresh `reference` (and Idempotency-Key) per request: the run's
name (BENCH_WRK_RUN), wrk's thread number and a counter; the branch taken round robin. The
script counts the answers by status and prints them, and the first refusal's body, after
wrk's report; a non-2xx answer fails the benchmark (bench/pairs.py check).

`deliveries`: seeds `--count` pending webhook deliveries to one merchant endpoint at a local
receiver (this script's `receiver`, a ThreadingHTTPServer in a process of its own), as
`--shipments` shipments of count/shipments `shipment.*` events each (published through
notify.webhooks.publish with their ordering keys, so the worker keeps each shipment's order),
then starts `--workers` `flask shop worker` processes and waits until every one is delivered.
It prints deliveries per second between the first and the last delivery (the delivered_at
of the rows: the processes' start-up is not counted) and the claim query's plan. The worker
runs with WEBHOOK_ALLOW_PRIVATE=1 and WEBHOOK_REQUIRE_HTTPS=0, the development settings that
let it call 127.0.0.1 (production refuses loopback).
"""

import argparse
import http.server
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

NAME = "Bench Merchant"
BRANCHES = 8
CAPACITY = 1_000_000_000
PARCEL = {"length_cm": 20, "width_cm": 15.5, "height_cm": 10, "weight_g": 800}
RECIPIENT = {"name": "Juan dela Cruz", "phone": "0917 123 4567", "email": "juan@example.com"}
AMOUNT = 125_000

LUA = """-- POST /api/v1/shipments, a fresh reference per request (bench/merchants.py writes it).
local run = os.getenv("BENCH_WRK_RUN") or "run"
local key = %(key)s
local branches = %(branches)s
local threads = {}
local number = 0
counter = 0
statuses = {}
refused = ""

function setup(thread)
  number = number + 1
  thread:set("tid", number)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local reference = string.format("%%s-%%d-%%d", run, tid, counter)
  local branch = branches[(counter + tid) %% #branches + 1]
  local body = string.format(%(body)s, reference, branch)
  return wrk.format("POST", "/api/v1/shipments", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
    ["Idempotency-Key"] = reference,
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if (status < 200 or status > 299) and refused == "" then
    refused = string.format("%%d %%s", status, string.sub(body or "", 1, 300))
  end
end

function done(summary, latency, requests)
  local total, failed, first = {}, 0, ""
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
      if status < 200 or status > 299 then failed = failed + n end
    end
    if first == "" then first = thread:get("refused") end
  end
  local shown = {}
  for status, n in pairs(total) do table.insert(shown, status .. "=" .. n) end
  table.sort(shown)
  io.write("Answers by status: " .. table.concat(shown, " ") .. "\\n")
  io.write("Failed (non-2xx): " .. failed .. "\\n")
  if first ~= "" then io.write("First refusal: " .. first .. "\\n") end
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for these characters


def body_template() -> str:
    """The POST's JSON with two %s: the reference and the branch code."""
    body = {
        "reference": "@REF@",
        "payment": "cod",
        "amount_due": AMOUNT,
        "branch_code": "@BRANCH@",
        "recipient": RECIPIENT,
        "parcel": PARCEL,
    }
    text = json.dumps(body, separators=(",", ":"))
    return text.replace("%", "%%").replace("@REF@", "%s").replace("@BRANCH@", "%s")


def prepare(plan_path: str, lua_path: str, branches: int) -> int:
    import sqlalchemy as sa

    from shop import create_app
    from shop.extensions import db
    from shop.merchants import service as merchants

    app = create_app()
    with app.app_context():
        codes = db.session.scalars(
            sa.text(
                "SELECT code FROM branches WHERE active AND kind = 'store' AND code LIKE 'B%'"
                " ORDER BY code LIMIT :n"
            ),
            {"n": branches},
        ).all()
        if len(codes) < branches:
            raise SystemExit(f"bench: only {len(codes)} bench branches (B...), not {branches}")
        db.session.execute(
            sa.text("UPDATE branches SET shelf_capacity = :n WHERE code = ANY(:codes)"),
            {"n": CAPACITY, "codes": list(codes)},
        )
        db.session.commit()
        change, key = merchants.create_with_key(NAME, "bench-merchant@example.com")
        merchant_id, secret = change.merchant.id, key.secret
        made = app.test_client().post(
            "/api/v1/shipments",
            data=body_template() % ("BENCH-READ-1", codes[0]),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        )
        if made.status_code != 201:
            raise SystemExit(f"bench: POST /api/v1/shipments answered {made.status_code}: "
                             f"{made.get_data(as_text=True)[:300]}")  # fmt: skip
        number = made.get_json()["tracking_number"]
    plan = {
        "merchant_id": merchant_id,
        "key": secret,
        "branches": list(codes),
        "read_path": f"/api/v1/shipments/{number}",
    }
    with open(plan_path, "w") as out:
        json.dump(plan, out)
    script = LUA % {
        "key": _lua_string(secret),
        "branches": "{" + ", ".join(_lua_string(code) for code in codes) + "}",
        "body": _lua_string(body_template()),
    }
    Path(lua_path).write_text(script)
    print(
        f"  merchants: {NAME} and its key; shipments created at {len(codes)} stores "
        f"({codes[0]}...{codes[-1]}, shelf_capacity raised to {CAPACITY:,}); one shipment "
        f"to read, {number}"
    )
    return 0


# --- The worker's deliveries -------------------------------------------------------------------


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802  (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def receiver() -> int:
    """Answer 200 to every POST on 127.0.0.1 (a free port, printed on the first line)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    print(server.server_address[1], flush=True)
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
    server.serve_forever()
    return 0


def _seed(app, url: str, count: int, shipments: int) -> tuple[int, int, int]:
    """One merchant endpoint at `url` and `count` pending deliveries to it: `shipments`
    shipments' events in turn (each shipment's in order), published as merchants.events does.
    Returns (the merchant's id, the endpoint's id, how many other messages were set aside)."""
    import sqlalchemy as sa

    from shop import clock
    from shop.extensions import db
    from shop.merchants import events
    from shop.merchants import service as merchants
    from shop.notify import webhooks
    from shop.notify.models import CLAIMABLE, OutboxMessage
    from shop.transaction import transaction

    with app.app_context():
        # The runs before left messages of their own (the orders' mails, which no SMTP server
        # here takes): not due while this measures, so the worker sends only the webhooks.
        with transaction():
            aside = db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.status.in_(CLAIMABLE))
                .values(next_attempt_at=clock.now() + timedelta(days=1))
            ).rowcount
        change, _ = merchants.create_with_key(
            f"Bench Receiver {time.time_ns()}", "bench-receiver@example.com"
        )
        merchant_id = change.merchant.id
        endpoint = webhooks.create_endpoint(events.OWNER_TYPE, merchant_id, url, "bench")
        endpoint_id = endpoint.id
        per = max(1, count // shipments)
        published = 0
        for step in range(per):
            with transaction():
                for n in range(shipments):
                    if published == count:
                        break
                    number = f"7{merchant_id % 1000:03d}{n:08d}"
                    webhooks.publish(
                        events.OWNER_TYPE,
                        merchant_id,
                        events.EVENT_TYPES[step % len(events.EVENT_TYPES)],
                        {"tracking_number": number, "status": "bench", "step": step},
                        ordering_key=f"shipment:{number}",
                    )
                    published += 1
        db.session.remove()
    return merchant_id, endpoint_id, aside


def _claim_plan(app) -> str:
    """EXPLAIN ANALYZE of the worker's claim, as it runs now (rolled back)."""
    import sqlalchemy as sa

    from shop import clock
    from shop.extensions import db
    from shop.notify import service as notify
    from shop.notify.models import CLAIMABLE

    outbox = notify.OUTBOX
    with app.app_context():
        now = clock.now()
        query = (
            sa.select(outbox.c.id)
            .where(
                outbox.c.status.in_(CLAIMABLE),
                outbox.c.next_attempt_at <= now,
                notify._in_turn(),  # noqa: SLF001  (the claim's own condition, measured)
                outbox.c.kind.in_(list(notify.CHANNELS)),
            )
            .order_by(outbox.c.next_attempt_at, outbox.c.created_at, outbox.c.id)
            .limit(app.config["OUTBOX_BATCH"])
            .with_for_update(skip_locked=True)
        )
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        rows = db.session.execute(sa.text(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}")).all()
        db.session.rollback()
    return "\n".join(row[0] for row in rows)


def deliveries(count: int, shipments: int, workers: int, venv: str) -> int:
    import sqlalchemy as sa

    from shop import create_app
    from shop.extensions import db
    from shop.notify.models import OutboxMessage, OutboxStatus

    env = os.environ | {"WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_REQUIRE_HTTPS": "0"}
    os.environ.update(WEBHOOK_ALLOW_PRIVATE="1", WEBHOOK_REQUIRE_HTTPS="0")
    app = create_app()
    answering = subprocess.Popen(
        [sys.executable, __file__, "receiver"], stdout=subprocess.PIPE, text=True
    )
    processes = []
    try:
        port = int(answering.stdout.readline())
        url = f"http://127.0.0.1:{port}/hooks"
        merchant_id, endpoint_id, aside = _seed(app, url, count, shipments)
        plan = _claim_plan(app)

        def delivered() -> tuple[int, object, object, int]:
            with app.app_context():
                row = db.session.execute(
                    sa.select(
                        sa.func.count(),
                        sa.func.min(OutboxMessage.delivered_at),
                        sa.func.max(OutboxMessage.delivered_at),
                        sa.func.count().filter(OutboxMessage.status != OutboxStatus.DELIVERED),
                    ).where(OutboxMessage.payload["endpoint_id"].as_integer() == endpoint_id)
                ).one()
                db.session.remove()
                return row

        flask = str(Path(venv) / "bin" / "flask")
        started = time.monotonic()
        for n in range(workers):
            processes.append(
                subprocess.Popen(
                    [
                        flask,
                        "--app",
                        "shop:create_app",
                        "shop",
                        "worker",
                        "--every",
                        "0.2",
                        "--name",
                        f"bench-{n}",
                    ],  # fmt: skip
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        while True:
            total, first, last, left = delivered()
            if left == 0:
                break
            if time.monotonic() - started > 600:
                raise SystemExit(f"bench: {left} of {total} deliveries not done after 600 s")
            if any(p.poll() is not None for p in processes):
                raise SystemExit("bench: a worker exited before the deliveries were done")
            time.sleep(0.2)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        answering.terminate()
        answering.wait(5)
    seconds = (last - first).total_seconds()
    rate = (total - 1) / seconds if seconds > 0 else float("inf")
    print(f"deliveries ({workers} worker{'s' if workers > 1 else ''}): {rate:.0f}/s")
    print(
        f"  ({total} webhook deliveries to one endpoint at a local receiver, {shipments} "
        f"shipments' events in their order, delivered in {seconds:.1f} s from the first to "
        f"the last; {aside} other pending messages, the load runs' order mails, set aside)"
    )
    uses = "ix_outbox_messages_due" in plan and "ix_outbox_messages_ordering" in plan
    print(f"claim query uses ix_outbox_messages_due and ix_outbox_messages_ordering: "
          f"{'yes' if uses else 'no'}")  # fmt: skip
    for line in plan.splitlines():
        print(f"    {line}")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prepare_parser = commands.add_parser("prepare")
    prepare_parser.add_argument("plan")
    prepare_parser.add_argument("lua")
    prepare_parser.add_argument("--branches", type=int, default=BRANCHES)
    get_parser = commands.add_parser("get")
    get_parser.add_argument("what", choices=("read_path", "authorization"))
    get_parser.add_argument("plan")
    deliveries_parser = commands.add_parser("deliveries")
    deliveries_parser.add_argument("--count", type=int, default=2000)
    deliveries_parser.add_argument("--shipments", type=int, default=400)
    deliveries_parser.add_argument("--workers", type=int, default=1)
    deliveries_parser.add_argument("--venv", default=str(Path(sys.executable).parents[1]))
    commands.add_parser("receiver")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        return prepare(args.plan, args.lua, args.branches)
    if args.command == "get":
        with open(args.plan) as source:
            plan = json.load(source)
        print(plan["read_path"] if args.what == "read_path" else f"Bearer {plan['key']}")
        return 0
    if args.command == "deliveries":
        return deliveries(args.count, args.shipments, args.workers, args.venv)
    return receiver()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
