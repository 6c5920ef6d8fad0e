#!/usr/bin/env bash
# CLiQQ Shop benchmark (`make bench`). See bench/README.md for what it measures and how to read it.
#
# Against PostgreSQL (a scratch schema, dropped and recreated each run) and the app under
# gunicorn on 127.0.0.1, it prints, each ratio as the median of BENCH_PAIRS pair ratios with its
# spread (bench/pairs.py: each page measured right between its /livez and /healthz runs):
#   livez: N req/s, then healthz: N req/s          (wrk's baselines, medians of their runs)
#   catalog (home page): N req/s
#   ratio catalog/livez: X.XX (IQR ..., range ..., N pairs)
#   ratio catalog/healthz: X.XX (...)
#   SQL queries per home page: N
#   bytes per home page: HTML N, CSS N, JS N, total N (gzip: ...)
#   branch-search: N req/s                         (5,000 more branches, nearest a point; wrk)
#   ratio branch-search/livez, ratio branch-search/healthz
#   livez (python client), healthz (python client): N req/s
#   checkout: N orders/s                           (COD orders; bench/checkout.py)
#   ratio checkout/livez, ratio checkout/healthz   (over the Python client's baselines)
#   counter, prepaid claim: N claims/s; counter, COD claim: N claims/s   (bench/counter.py)
#   ratio counter-prepaid/livez, ... /healthz; ratio counter-cod/livez, ... /healthz
#   SQL queries per counter claim: prepaid N (...), COD N (...)
#   embedded catalog: N req/s; publisher dashboard: N req/s   (bench/partners.py: an app's
#     frame, and a publisher's dashboard over BENCH_LEDGER_ROWS ledger rows)
#   ratio embed/livez, /healthz; ratio dashboard/livez, /healthz; SQL queries per page
#   POST /api/v1/shipments: N req/s; GET /api/v1/shipments/<n>: N req/s   (bench/merchants.py:
#     a merchant's key; wrk posts a fresh reference per request), their ratios, and each
#     compared with checkout and the catalog page; SQL queries per API request
#   deliveries (1 worker): N/s; deliveries (2 workers): N/s   (`flask shop worker` delivering
#     BENCH_DELIVERIES webhooks to a local receiver), and the claim query's plan
# and fails if any endpoint answers anything but 2xx (3xx for the checkout's posts) or drops
# requests under load, or if any order fails.
#
# Settings (environment):
#   BENCH_DATABASE_URL   default postgresql+psycopg://127.0.0.1:5432/test?options=-csearch_path%3Dbench
#                        (must name a scratch schema in search_path: it is DROPPED each run)
#   BENCH_PAIRS          pairs per ratio, the median reported (default 9, at least 5)
#   BENCH_SECONDS        measured seconds per run (default 3)
#   BENCH_WARMUP_SECONDS warm-up seconds per endpoint (default 3)
#   BENCH_CONNECTIONS    wrk connections (default 16); BENCH_WRK_THREADS wrk threads (default 2)
#   BENCH_WORKER_CLASS, BENCH_WORKERS, BENCH_THREADS   gunicorn (default sync, 2 x cores; below)
#   BENCH_BRANCHES       extra active stores seeded for the branch search (default 5000)
#   BENCH_CHECKOUT_CLIENTS  concurrent checkout clients (default 8)
#   BENCH_CHECKOUT_ROWS  items and branches the orders are spread over (default: one per client;
#                        1 puts every client on the same stock row and branch row)
#   BENCH_COUNTER_CLIENTS   concurrent clerks, each at a store of its own (default 8)
#   BENCH_COUNTER_CLAIMS    prepaid and COD orders prepared per clerk (default 400 of each)
#   BENCH_LEDGER_ROWS    ledger rows of the dashboard's publisher (default 100000)
#   BENCH_DELIVERIES     webhook deliveries seeded for each worker run (default 2000), over
#                        BENCH_DELIVERIES / 5 shipments
#   VENV                 the virtualenv (default: ../.venv next to this script)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
cd "$ROOT"

die() { echo "bench: $*" >&2; exit 1; }

VENV=${VENV:-$ROOT/.venv}
case $VENV in /*) ;; *) VENV=$ROOT/$VENV ;; esac  # make passes VENV relative to the repo
PY=$VENV/bin/python
[ -x "$PY" ] || die "no virtualenv at $VENV (run \`make install\` or set VENV)"
[ -x "$VENV/bin/gunicorn" ] || die "gunicorn is not installed in $VENV"
WRK=$(command -v wrk || true)
[ -n "$WRK" ] || die "wrk is not installed (Debian/Ubuntu: apt-get install -y wrk)"

number() {  # number NAME VALUE: a positive whole number, or die
  [[ $2 =~ ^[1-9][0-9]{0,5}$ ]] || die "$1 must be a positive whole number, not '$2'"
  echo "$2"
}
# Many short pairs rather than a few long rounds: a busy machine (tests, a browser) can halve a
# run, and the best of each endpoint taken separately made the ratio a lottery (catalog/healthz
# 0.27 to 0.40 in four runs of one morning). A pair's two runs share their background load, and
# the median of 9 pairs ignores up to 4 that a burst spoils. 9 pairs x 3 pages x 3 runs x 3 s:
# about 4.5 minutes of load, 5.5 in all on the 2-core dev box.
PAIRS=$(number BENCH_PAIRS "${BENCH_PAIRS:-9}")
[ "$PAIRS" -ge 5 ] || die "BENCH_PAIRS must be at least 5: the median of fewer pairs is not steady"
[ -z "${BENCH_ROUNDS:-}" ] || die "BENCH_ROUNDS is gone: set BENCH_PAIRS (see bench/README.md)"
DURATION=$(number BENCH_SECONDS "${BENCH_SECONDS:-3}")
WARMUP=$(number BENCH_WARMUP_SECONDS "${BENCH_WARMUP_SECONDS:-3}")
CONNECTIONS=$(number BENCH_CONNECTIONS "${BENCH_CONNECTIONS:-16}")
WRK_THREADS=$(number BENCH_WRK_THREADS "${BENCH_WRK_THREADS:-2}")
[ "$WRK_THREADS" -le "$CONNECTIONS" ] || die "BENCH_WRK_THREADS must not exceed BENCH_CONNECTIONS"
BRANCHES=$(number BENCH_BRANCHES "${BENCH_BRANCHES:-5000}")
[ "$BRANCHES" -le 99999 ] || die "BENCH_BRANCHES must be at most 99999"
CHECKOUT_CLIENTS=$(number BENCH_CHECKOUT_CLIENTS "${BENCH_CHECKOUT_CLIENTS:-8}")
CHECKOUT_ROWS=$(number BENCH_CHECKOUT_ROWS "${BENCH_CHECKOUT_ROWS:-$CHECKOUT_CLIENTS}")
[ "$CHECKOUT_ROWS" -le "$CHECKOUT_CLIENTS" ] || die "BENCH_CHECKOUT_ROWS must not exceed BENCH_CHECKOUT_CLIENTS"
COUNTER_CLIENTS=$(number BENCH_COUNTER_CLIENTS "${BENCH_COUNTER_CLIENTS:-8}")
COUNTER_CLAIMS=$(number BENCH_COUNTER_CLAIMS "${BENCH_COUNTER_CLAIMS:-400}")
LEDGER_ROWS=$(number BENCH_LEDGER_ROWS "${BENCH_LEDGER_ROWS:-100000}")
DELIVERIES=$(number BENCH_DELIVERIES "${BENCH_DELIVERIES:-2000}")
[ "$DELIVERIES" -ge 10 ] || die "BENCH_DELIVERIES must be at least 10"
# The branch search: the picker's htmx fragment, nearest first to a point in Makati (the same
# path as bench/queries.py's BRANCH_SEARCH).
BRANCH_SEARCH='/branches/search?near=14.5547,121.0244'
CORES=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)

# Gunicorn: sync workers, 2 x cores (4 on the 2-core dev box). Why not gthread: the app is
# CPU-bound (a PostgreSQL round trip on 127.0.0.1 is ~0.1 ms of a ~4 ms home page), so threads
# have little waiting to overlap and mostly contend for the GIL; and a gthread worker keeps every
# keep-alive connection it accepted, so wrk's 16 connections split unevenly across processes (1/15
# observed), which makes runs less repeatable. Interleaved A/B runs on the dev box (6 x 3 s each,
# same background load; healthz / home req/s, median): sync 4 ~1,660 / ~535, steady across runs;
# gthread 2x4 ~1,720 / ~405 with half of its runs at about half speed; gthread 4x2 ~1,650 / ~540
# with one such run. Same best case, so the steadier one: sync. The new TCP
# connection per request that sync costs (no keep-alive) is cheap on loopback and both endpoints
# pay it. Compare with BENCH_WORKER_CLASS=gthread [BENCH_WORKERS=2 BENCH_THREADS=4] bench/run.sh.
WORKER_CLASS=${BENCH_WORKER_CLASS:-sync}
case $WORKER_CLASS in
  sync) WORKERS=$(number BENCH_WORKERS "${BENCH_WORKERS:-$((2 * CORES))}"); THREADS=1 ;;
  gthread)
    WORKERS=$(number BENCH_WORKERS "${BENCH_WORKERS:-$CORES}")
    THREADS=$(number BENCH_THREADS "${BENCH_THREADS:-4}")
    ;;
  *) die "BENCH_WORKER_CLASS must be sync or gthread, not '$WORKER_CLASS'" ;;
esac

OUT=$HERE/out  # gitignored
mkdir -p "$OUT"
rm -f "$OUT"/gunicorn.log "$OUT"/setup.log "$OUT"/wrk-*.txt "$OUT"/py-*.txt "$OUT"/checkout-plan.json \
  "$OUT"/explain-branch-search.txt "$OUT"/counter-plan.json* "$OUT"/partners-plan.json \
  "$OUT"/merchants-plan.json "$OUT"/shipment-create.lua "$OUT"/deliveries-*.txt
PLAN=$OUT/checkout-plan.json
COUNTER_PLAN=$OUT/counter-plan.json
PARTNERS_PLAN=$OUT/partners-plan.json
MERCHANTS_PLAN=$OUT/merchants-plan.json
SHIPMENT_LUA=$OUT/shipment-create.lua

# The app's settings, for every step below (migrate, seed, the server, the query count).
export DATABASE_URL=${BENCH_DATABASE_URL:-postgresql+psycopg://127.0.0.1:5432/test?options=-csearch_path%3Dbench}
export SHOP_ENV=production
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_hex(32))')
export SECRET_KEY
# Production refuses to start without it; no payment happens here, so any value will do.
export STRIPE_WEBHOOK_SECRET=${STRIPE_WEBHOOK_SECRET:-whsec_bench_$SECRET_KEY}
export RATELIMIT_STORAGE_URI=memory://
# The bench's few shoppers place thousands of cash-on-delivery orders from one address, each
# an unpaid hold: lift the bounds on holds and order placements (the checks still run).
export UNPAID_ORDERS_PER_SESSION=1000000 UNPAID_UNITS_PER_SESSION=1000000
export UNPAID_ORDERS_PER_ADDRESS=1000000 UNPAID_UNITS_PER_ADDRESS=1000000
export CHECKOUT_RATE_LIMIT="1000000 per minute"
# A few clerks release hundreds of orders a minute each (a real counter: a few), and log in
# again for every run.
export POS_LOOKUPS_PER_CLERK="1000000 per minute" POS_LOOKUPS_PER_ADDRESS="1000000 per minute"
export LOGIN_RATE_LIMIT="1000000 per minute"
# One merchant key makes thousands of shipments a minute (a real one: API_RATE_LIMIT's 120).
export API_RATE_LIMIT="1000000 per minute"
# The checkout client sends each shopper's own address in X-Forwarded-For (bench/checkout.py).
export PROXY_FIX_X_FOR=1
export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}  # bench/*.py import shop (not necessarily installed)
unset FLASK_APP FLASK_DEBUG

GUNICORN_PID=
WRK_PID=
cleanup() {
  local status=$?
  if [ -n "$WRK_PID" ]; then  # wrk, or the Python load client
    kill -TERM "$WRK_PID" 2>/dev/null || true
    wait "$WRK_PID" 2>/dev/null || true
  fi
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$GUNICORN_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$GUNICORN_PID" 2>/dev/null || true
    wait "$GUNICORN_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    echo "bench: FAILED (exit $status); logs in $OUT/" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { echo "==> $*"; }
quietly() {  # run a setup command, its output to setup.log; show it on failure
  "$@" >>"$OUT/setup.log" 2>&1 || { tail -n 40 "$OUT/setup.log" >&2; die "failed: $*"; }
}

# How busy the machine was before the benchmark added its own load: other load slows the pages
# more than the baselines (bench/README.md, "What pairs cannot cancel").
BACKGROUND_LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
echo "CLiQQ Shop benchmark: $(date -u '+%Y-%m-%d %H:%M:%SZ'), $CORES cores, $(uname -sr)," \
  "load average $BACKGROUND_LOAD before it started"
echo "  commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(
  git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"

step "database: a fresh schema"
SCHEMA=$("$PY" "$HERE/db.py" reset "$DATABASE_URL")
echo "  schema '$SCHEMA' dropped and recreated"
quietly "$VENV/bin/flask" --app shop:create_app db upgrade
# Production refuses to create the demo logins; the anonymous home page doesn't read them.
quietly "$VENV/bin/flask" --app shop:create_app shop seed --no-users
grep -h '^Demo data' "$OUT/setup.log" | sed 's/^/  /' || true
# For the branch search: many more stores than the demo's 80 (one INSERT ... SELECT, then
# ANALYZE). The home page doesn't read branches; checkout's page lists the first 8 of them.
"$PY" "$HERE/branch_search.py" seed "$BRANCHES" || die "could not seed the extra branches"
# For the checkout: stock and shelf room for any number of orders (bench/checkout.py prepare).
"$PY" "$HERE/checkout.py" prepare "$PLAN" --clients "$CHECKOUT_CLIENTS" --rows "$CHECKOUT_ROWS" \
  || die "could not prepare the checkout's items and branches"
# For the counter: clerk logins and orders waiting on their shelves (bench/counter.py prepare).
"$PY" "$HERE/counter.py" prepare "$COUNTER_PLAN" --clients "$COUNTER_CLIENTS" \
  --claims "$COUNTER_CLAIMS" || die "could not prepare the counter's clerks and orders"
# For the partners: a publisher's app with BENCH_LEDGER_ROWS ledger rows (bench/partners.py).
"$PY" "$HERE/partners.py" prepare "$PARTNERS_PLAN" --rows "$LEDGER_ROWS" \
  || die "could not prepare the partners' app and ledger"
EMBED_PATH=$("$PY" "$HERE/partners.py" path embed "$PARTNERS_PLAN")
DASHBOARD_PATH=$("$PY" "$HERE/partners.py" path dashboard "$PARTNERS_PLAN")
# For the merchant API: a merchant's key, room at 8 stores, one shipment to read, wrk's script.
"$PY" "$HERE/merchants.py" prepare "$MERCHANTS_PLAN" "$SHIPMENT_LUA" \
  || die "could not prepare the merchant API's key and stores"
SHIPMENT_PATH=$("$PY" "$HERE/merchants.py" get read_path "$MERCHANTS_PLAN")
MERCHANT_AUTH=$("$PY" "$HERE/merchants.py" get authorization "$MERCHANTS_PLAN")

step "server: gunicorn $WORKER_CLASS, $WORKERS workers x $THREADS threads"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
"$VENV/bin/gunicorn" --chdir "$ROOT" --bind "127.0.0.1:$PORT" \
  --worker-class "$WORKER_CLASS" --workers "$WORKERS" --threads "$THREADS" \
  --timeout 30 --graceful-timeout 5 --log-level info --error-logfile "$OUT/gunicorn.log" \
  'shop:create_app()' >>"$OUT/gunicorn.log" 2>&1 &
GUNICORN_PID=$!

healthy() {
  "$PY" - "$BASE/healthz" <<'EOF' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
}
for i in $(seq 1 60); do  # 30 s at most
  healthy && break
  kill -0 "$GUNICORN_PID" 2>/dev/null || { tail -n 40 "$OUT/gunicorn.log" >&2; die "gunicorn exited"; }
  [ "$i" -lt 60 ] || { tail -n 40 "$OUT/gunicorn.log" >&2; die "/healthz did not answer in 30 s"; }
  sleep 0.5
done
echo "  $BASE (pid $GUNICORN_PID, log bench/out/gunicorn.log)"
# The publisher's session for the dashboard's runs (wrk sends it as a header).
PUBLISHER_COOKIE=$("$PY" "$HERE/partners.py" cookie "$BASE" "$PARTNERS_PLAN") \
  || die "could not log the publisher in"

step "page weight (home page and the CSS/JS it references)"
BYTES=$("$PY" "$HERE/page_bytes.py" "$BASE/") || die "could not fetch the home page or its assets"
grep -v '^bytes per home page:' <<<"$BYTES" || true

step "SQL statements per request (test client, same database)"
QUERIES=$(BENCH_CHECKOUT_PLAN=$PLAN BENCH_COUNTER_PLAN=$COUNTER_PLAN BENCH_PARTNERS_PLAN=$PARTNERS_PLAN \
  BENCH_MERCHANTS_PLAN=$MERCHANTS_PLAN "$PY" "$HERE/queries.py") \
  || die "could not count the queries"
grep -v '^SQL queries per home page:\|^SQL queries per branch search:\|^SQL queries per order loop:\|^SQL queries per counter claim:\|^SQL queries per embedded catalog page:\|^SQL queries per dashboard page\|^SQL queries per API request' \
  <<<"$QUERIES" || true

step "branch search: its statements' plans (EXPLAIN ANALYZE, in-process, same database)"
EXPLAIN=$("$PY" "$HERE/branch_search.py" explain "$BRANCH_SEARCH" "$OUT/explain-branch-search.txt") \
  || die "could not explain the branch search's queries"
grep -v '^branch-search nearest query uses' <<<"$EXPLAIN" | sed "s|$OUT/|bench/out/|" || true

wrk_run() {  # wrk_run NAME PATH SECONDS [WRK ARGS...]: wrk's report in out/wrk-NAME.txt
  # in the background and waited for, so that a TERM stops the run at once (see cleanup)
  "$WRK" -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${3}s" --timeout 10s --latency "${@:4}" "$BASE$2" \
    >"$OUT/wrk-$1.txt" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID" || { cat "$OUT/wrk-$1.txt" >&2; die "wrk failed on $2"; }
  WRK_PID=
}
py_run() {  # py_run NAME MODE SECONDS: the Python client (bench/checkout.py), out/py-NAME.txt
  local status=0
  "$PY" "$HERE/checkout.py" run "$2" "$BASE" "$PLAN" "$OUT/py-$1.txt" --seconds "$3" &
  WRK_PID=$!
  wait "$WRK_PID" || status=$?
  WRK_PID=
  [ -s "$OUT/py-$1.txt" ] || die "the Python client failed on $2 (exit $status)"
  # failed requests are counted in the report and fail the run after the results
}
counter_run() {  # counter_run NAME MODE SECONDS: the clerks (bench/counter.py), out/py-NAME.txt
  local status=0
  "$PY" "$HERE/counter.py" run "$2" "$BASE" "$COUNTER_PLAN" "$OUT/py-$1.txt" --seconds "$3" &
  WRK_PID=$!
  wait "$WRK_PID" || status=$?
  WRK_PID=
  [ -s "$OUT/py-$1.txt" ] || die "the counter client failed on $2 (exit $status)"
}
measure() {  # measure CLIENT NAME ENDPOINT SECONDS: one run of one endpoint
  case $1:$3 in
    wrk:livez) wrk_run "$2" /livez "$4" ;;
    wrk:healthz) wrk_run "$2" /healthz "$4" ;;
    wrk:home) wrk_run "$2" / "$4" ;;
    wrk:branch-search) wrk_run "$2" "$BRANCH_SEARCH" "$4" -H 'HX-Request: true' ;;
    wrk:embed) wrk_run "$2" "$EMBED_PATH" "$4" ;;
    wrk:dashboard) wrk_run "$2" "$DASHBOARD_PATH" "$4" -H "Cookie: $PUBLISHER_COOKIE" ;;
    wrk:shipment-create)  # the run's name makes the script's references unique to the run
      export BENCH_WRK_RUN=$2
      wrk_run "$2" /api/v1/shipments "$4" -s "$SHIPMENT_LUA" ;;
    wrk:shipment-read) wrk_run "$2" "$SHIPMENT_PATH" "$4" -H "Authorization: $MERCHANT_AUTH" ;;
    py:livez | py:healthz | py:checkout) py_run "$2" "$3" "$4" ;;
    py:counter-prepaid | py:counter-cod) counter_run "$2" "${3#counter-}" "$4" ;;
    *) die "no way to measure $3 with $1" ;;
  esac
}

# The pairs (bench/pairs.py schedule): each page right between its two baselines, /livez and
# /healthz, by the same client, their order alternating from pair to pair, the pages taking turns.
RUNS=$("$PY" "$HERE/pairs.py" schedule "$PAIRS") || die "could not plan the runs"
step "load: $PAIRS pairs of each page with its baselines (/livez and /healthz, one on each side," \
  "their order alternating), ${DURATION}s per run, $(wc -l <<<"$RUNS") runs after a ${WARMUP}s" \
  "warm-up of each endpoint: wrk -t$WRK_THREADS -c$CONNECTIONS for home and branch-search, the" \
  "Python client with $CHECKOUT_CLIENTS clients for checkout"
for endpoint in livez healthz home branch-search embed dashboard shipment-create shipment-read; do
  measure wrk "warmup-$endpoint" "$endpoint" "$WARMUP"
done
for endpoint in livez healthz checkout counter-prepaid counter-cod; do
  measure py "warmup-$endpoint" "$endpoint" "$WARMUP"
done
while read -r client name endpoint; do
  measure "$client" "$name" "$endpoint" "$DURATION"
done <<<"$RUNS"

"$PY" "$HERE/pairs.py" runs "$OUT" "$PAIRS" || die "could not read the runs' reports"

# The worker's webhook deliveries, after the HTTP load (nothing else runs meanwhile): one
# worker, then two, each on BENCH_DELIVERIES fresh deliveries to a local receiver.
step "webhook deliveries: $DELIVERIES to a local receiver, by 1 then 2 \`flask shop worker\` processes"
for workers in 1 2; do
  "$PY" "$HERE/merchants.py" deliveries --count "$DELIVERIES" --shipments $((DELIVERIES / 5)) \
    --workers "$workers" --venv "$VENV" >"$OUT/deliveries-$workers.txt" 2>&1 \
    || { cat "$OUT/deliveries-$workers.txt" >&2; die "the webhook deliveries with $workers worker(s) failed"; }
  head -n 1 "$OUT/deliveries-$workers.txt" | sed 's/^/  /'
done
failed=0
"$PY" "$HERE/pairs.py" check "$OUT" || failed=1  # non-2xx, socket errors, failed orders
if grep -q 'WORKER TIMEOUT\|Traceback' "$OUT/gunicorn.log"; then
  echo "bench: warning: errors in bench/out/gunicorn.log:" >&2
  grep -m 5 'WORKER TIMEOUT\|Traceback\|Error' "$OUT/gunicorn.log" >&2 || true
fi
results() { "$PY" "$HERE/pairs.py" results "$OUT" "$PAIRS" "$1" || die "could not compute the $1 figures"; }

echo
echo "== results: each ratio is the median of $PAIRS pair ratios (a page's run over the baseline" \
  "run next to it); the spread: interquartile range and min-max of those pair ratios =="
echo "machine: $CORES cores, load average $BACKGROUND_LOAD (1, 5, 15 min) before the benchmark"
if awk -v busy="${BACKGROUND_LOAD%% *}" -v cores="$CORES" 'BEGIN { exit !(busy + 0 > cores) }'; then
  echo "bench: warning: other processes kept more than $CORES cores busy before the benchmark" \
    "began: under such load the pages slow down more than the baselines, so the ratios come out" \
    "low; compare them only with runs on a quiet machine or under a similar load" >&2
fi
results wrk
results home
grep '^SQL queries per home page:' <<<"$QUERIES"
grep '^bytes per home page:' <<<"$BYTES"
echo "aim: ratio catalog/healthz >= 0.35, queries <= 4"
echo
results branch-search
echo "  (GET $BRANCH_SEARCH with HX-Request: true: the picker's fragment, the 20 nearest of the" \
  "demo's stores and $BRANCHES more)"
grep '^SQL queries per branch search:' <<<"$QUERIES"
grep '^branch-search nearest query uses' <<<"$EXPLAIN"
echo "aim: ratio branch-search/healthz >= 0.30"
echo
results py
results checkout
echo "  (timed: each order's whole loop, POST /cart/add + GET /checkout + POST /checkout, one" \
  "order counted per POST /checkout; $CHECKOUT_CLIENTS clients; COD, over $CHECKOUT_ROWS" \
  "item(s) and $CHECKOUT_ROWS branch(es))"
grep '^SQL queries per order loop:' <<<"$QUERIES"
echo "aim: ratio checkout/healthz >= 0.10"
echo
results counter-prepaid
results counter-cod
echo "  (timed: each claim's whole sequence at the POS with htmx, POST /counter/pos/code + GET" \
  "its panel + POST the label (+ POST the cash for COD); $COUNTER_CLIENTS clerks, one store each)"
grep '^SQL queries per counter claim:' <<<"$QUERIES"
echo "aim: every counter step no more statements than a checkout step; see docs/decisions.md"
echo
results embed
echo "  (GET $EMBED_PATH: the catalog inside an app's frame, its theme and frame token)"
grep '^SQL queries per embedded catalog page:' <<<"$QUERIES"
results dashboard
echo "  (GET $DASHBOARD_PATH, logged in: $LEDGER_ROWS ledger rows, as many clicks, 90 days;"
echo "   the rows do not change under wrk, so after each worker's first request it is the page seen again)"
grep '^SQL queries per dashboard page' <<<"$QUERIES"
echo "aim: ratio embed/healthz near catalog/healthz; ratio dashboard/healthz >= half of catalog/healthz"
echo
results shipment-create
echo "  (POST /api/v1/shipments by wrk's script: a COD shipment, a fresh reference and"
echo "   Idempotency-Key each time, over 8 stores; one merchant key)"
"$PY" "$HERE/pairs.py" compare "$OUT" "$PAIRS" shipment-create checkout
results shipment-read
echo "  (GET $SHIPMENT_PATH with the merchant's key: the shipment and its events)"
"$PY" "$HERE/pairs.py" compare "$OUT" "$PAIRS" shipment-read home
grep '^SQL queries per API request' <<<"$QUERIES"
echo "aim: a shipment created costs no more than a checkout, one read no more than a catalog page"
echo
for workers in 1 2; do
  grep -v '^    ' "$OUT/deliveries-$workers.txt" | { [ "$workers" = 1 ] && cat || head -n 2; }
done
echo "  (the claim's plan with $DELIVERIES due: bench/out/deliveries-1.txt)"

[ "$failed" -eq 0 ] || die "errors under load (above)"
