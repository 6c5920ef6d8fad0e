"""The benchmark's load schedule and its ratios, as pairs of adjacent runs (see bench/README.md).

    python bench/pairs.py schedule PAIRS           # the runs, in order: CLIENT NAME ENDPOINT
    python bench/pairs.py check OUT                # fails if any run had a failed request
    python bench/pairs.py runs OUT PAIRS           # one line per pair: its runs and its ratios
    python bench/pairs.py results OUT PAIRS GROUP  # GROUP: wrk, py, or a page's name (PAGES)
    python bench/pairs.py compare OUT PAIRS PAGE OTHER  # PAGE's cost against OTHER's, by their
                                                        # ratios to /livez

Each measured page runs PAIRS times, each time right between its two baselines, /livez and
/healthz, measured by the same client (wrk for the home page and the branch search; the Python
client of bench/checkout.py for checkout): pair i is `livez, page, healthz` when i is odd and
`healthz, page, livez` when it is even, so that each baseline comes as often before the page as
after it and a steady drift (a test suite starting, a CPU warming up) cancels out. The pages
take turns within each pair number (home, branch-search, checkout, then pair i + 1), so a burst
of background load spoils one pair of each page, not every pair of one.

A pair's ratio is the page's rate over the rate of the baseline run next to it: the two ran
seconds apart, under nearly the same background load, which mostly divides out. A ratio is
reported as the median of its PAIRS pair ratios, with their interquartile range (the middle
half) and range (min-max): a busy moment moves one or two pairs, not the median.

A run's report is OUT/wrk-NAME.txt (wrk --latency) or OUT/py-NAME.txt (bench/checkout.py run).
"""

import re
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

BASELINES = ("livez", "healthz")
SPREAD_WARNING = 0.15  # interquartile range over median: above this, say the machine was busy


@dataclass(frozen=True)
class Page:
    name: str  # in run names: wrk-home-3.txt, wrk-home-livez-3.txt
    client: str  # "wrk" or "py"
    label: str  # its rate's line
    ratio: str  # its ratios' lines: "ratio catalog/livez"
    unit: str


PAGES = (
    Page("home", "wrk", "catalog (home page)", "catalog", "req/s"),
    Page("branch-search", "wrk", "branch-search", "branch-search", "req/s"),
    Page("checkout", "py", "checkout", "checkout", "orders/s"),
    # The counter (bench/counter.py): a claim's whole sequence of requests at the POS.
    Page("counter-prepaid", "py", "counter, prepaid claim", "counter-prepaid", "claims/s"),
    Page("counter-cod", "py", "counter, COD claim", "counter-cod", "claims/s"),
    # The partners (bench/partners.py): the catalog in an app's frame, a publisher's dashboard.
    Page("embed", "wrk", "embedded catalog (in an app's frame)", "embed", "req/s"),
    Page("dashboard", "wrk", "publisher dashboard (100,000 ledger rows)", "dashboard", "req/s"),
    # The merchant API (bench/merchants.py): creating a shipment (a wrk script posting a fresh
    # reference each time), and reading one.
    Page("shipment-create", "wrk", "POST /api/v1/shipments", "shipment-create", "req/s"),
    Page("shipment-read", "wrk", "GET /api/v1/shipments/<n>", "shipment-read", "req/s"),
)
CLIENT_LABEL = {"wrk": "", "py": " (python client)"}


def order(pair: int, page: str) -> tuple[str, str, str]:
    """The endpoints of pair `pair` (from 1) of `page`, in the order they run."""
    first, last = BASELINES if pair % 2 else reversed(BASELINES)
    return first, page, last


def run_name(page: str, endpoint: str, pair: int) -> str:
    return f"{page}-{pair}" if endpoint == page else f"{page}-{endpoint}-{pair}"


def schedule(pairs: int) -> list[tuple[str, str, str]]:
    return [
        (page.client, run_name(page.name, endpoint, pair), endpoint)
        for pair in range(1, pairs + 1)
        for page in PAGES
        for endpoint in order(pair, page.name)
    ]


# --- reading the reports ------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    path: Path
    rate: float
    failures: str | None  # what failed, or None
    p99: str  # "45.6ms"


def _wrk(path: Path) -> Run:
    text = path.read_text()
    found = re.search(r"^Requests/sec:\s*([\d.]+)", text, re.M)
    if not found:
        raise SystemExit(f"bench: no Requests/sec in {path}")
    failures = []
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    if non2xx and int(non2xx.group(1)):
        failures.append(f"{non2xx.group(1)} non-2xx responses")
    # bench/merchants.py's wrk script counts the answers itself (3xx too)
    refused = re.search(r"^Failed \(non-2xx\):\s*(\d+)", text, re.M)
    if refused and int(refused.group(1)) and not non2xx:
        failures.append(f"{refused.group(1)} non-2xx responses")
    sockets = re.search(r"Socket errors:\s*(.*)", text)
    if sockets and sum(int(n) for n in re.findall(r"\d+", sockets.group(1))):
        failures.append(f"socket errors: {sockets.group(1).strip()}")  # timeouts, resets
    p99 = re.search(r"^\s+99%\s+([\d.]+\w+)", text, re.M)
    return Run(
        path.stem.removeprefix("wrk-"),
        path,
        float(found.group(1)),
        "; ".join(failures) or None,
        p99.group(1) if p99 else "?",
    )


def _py(path: Path) -> Run:
    fields = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition(": ")
        if sep and key not in fields:
            fields[key] = value
    if "rate" not in fields:
        raise SystemExit(f"bench: no rate in {path}")
    failed = fields.get("errors", "0") != "0"
    return Run(
        path.stem.removeprefix("py-"),
        path,
        float(fields["rate"]),
        f"{fields['errors']} failed requests ({fields.get('errors by step')})" if failed else None,
        fields.get("latency p99", "?"),
    )


def read(out: Path, client: str, name: str) -> Run:
    path = out / f"{client}-{name}.txt"
    if not path.is_file():
        raise SystemExit(f"bench: missing {path}")
    run = _wrk(path) if client == "wrk" else _py(path)
    if run.rate <= 0:
        # A ratio over it would divide by zero: say which run got nothing done, and where.
        raise SystemExit(f"bench: the run {name} ({client}) completed no request: see {path}")
    return run


# --- figures ------------------------------------------------------------------------------------


@dataclass
class Spread:
    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def quartiles(self) -> tuple[float, float]:
        if len(self.values) < 2:
            return self.values[0], self.values[0]
        q1, _, q3 = statistics.quantiles(self.values, n=4, method="inclusive")
        return q1, q3

    @property
    def relative_iqr(self) -> float:
        q1, q3 = self.quartiles
        return (q3 - q1) / self.median if self.median else 0.0

    def describe(self, digits: int = 3) -> str:
        q1, q3 = self.quartiles

        def f(x: float) -> str:
            return f"{x:.{digits}f}"

        return (
            f"IQR {f(q1)}-{f(q3)}, range {f(min(self.values))}-{f(max(self.values))}, "
            f"{len(self.values)} pairs"
        )


def pair_ratios(out: Path, page: Page, baseline: str, pairs: int) -> Spread:
    return Spread(
        [
            read(out, page.client, run_name(page.name, page.name, pair)).rate
            / read(out, page.client, run_name(page.name, baseline, pair)).rate
            for pair in range(1, pairs + 1)
        ]
    )


def _page(name: str) -> Page:
    for page in PAGES:
        if page.name == name:
            return page
    raise SystemExit(f"bench: no page {name!r}")


def results(out: Path, pairs: int, group: str, warnings: list[str]) -> list[str]:
    """The figures of GROUP (a client's baselines, or a page); spread warnings go to
    `warnings`."""
    lines: list[str] = []
    if group in CLIENT_LABEL:  # the baselines of one client, over all of its pages' pairs
        pages = [page for page in PAGES if page.client == group]
        for baseline in BASELINES:
            rates = Spread(
                [
                    read(out, group, run_name(page.name, baseline, pair)).rate
                    for page in pages
                    for pair in range(1, pairs + 1)
                ]
            )
            lines.append(
                f"{baseline}{CLIENT_LABEL[group]}: {rates.median:.0f} req/s "
                f"(median of {len(rates.values)} runs, {min(rates.values):.0f}-"
                f"{max(rates.values):.0f})"
            )
        # what the database round trip of /healthz costs, next to /livez: in each pair both ran
        within = Spread(
            [
                read(out, group, run_name(page.name, "healthz", pair)).rate
                / read(out, group, run_name(page.name, "livez", pair)).rate
                for page in pages
                for pair in range(1, pairs + 1)
            ]
        )
        lines.append(
            f"  (informational) healthz/livez{CLIENT_LABEL[group]}: {within.median:.3f} "
            f"({within.describe().replace(' pairs', ' pairs of runs')})"
        )
        return lines
    page = _page(group)
    runs_of_page = [run_name(page.name, page.name, pair) for pair in range(1, pairs + 1)]
    rates = Spread([read(out, page.client, name).rate for name in runs_of_page])
    digits = 1 if page.unit in ("orders/s", "claims/s") else 0
    lines.append(
        f"{page.label}: {rates.median:.{digits}f} {page.unit} (median of {len(rates.values)} runs,"
        f" {min(rates.values):.{digits}f}-{max(rates.values):.{digits}f})"
    )
    for baseline in BASELINES:
        ratios = pair_ratios(out, page, baseline, pairs)
        lines.append(f"ratio {page.ratio}/{baseline}: {ratios.median:.3f} ({ratios.describe()})")
        if ratios.relative_iqr > SPREAD_WARNING:
            warnings.append(
                f"bench: warning: the middle half of the {page.ratio}/{baseline} pair ratios "
                f"spans {100 * ratios.relative_iqr:.0f}% of their median: something else was "
                "using the CPU unevenly; the median is reported, but rerun or raise BENCH_PAIRS "
                f"(now {pairs}) before trusting it"
            )
    return lines


def compare(out: Path, pairs: int, name: str, other: str) -> str:
    """How much one PAGE costs next to OTHER, by the medians of their ratios to their own
    client's /livez (so wrk's pages compare with the Python client's): the cost of a request
    is the inverse of its rate, so PAGE costs other_ratio / page_ratio of OTHER."""
    page, against = _page(name), _page(other)
    mine = pair_ratios(out, page, "livez", pairs).median
    theirs = pair_ratios(out, against, "livez", pairs).median
    return (
        f"{page.ratio} against {against.ratio} (ratios to /livez {mine:.3f} and {theirs:.3f}): "
        f"one {page.ratio} costs {theirs / mine:.2f} of one {against.ratio}"
    )


def runs(out: Path, pairs: int) -> list[str]:
    lines = []
    for page in PAGES:
        for pair in range(1, pairs + 1):
            shown = []
            for endpoint in order(pair, page.name):
                run = read(out, page.client, run_name(page.name, endpoint, pair))
                if endpoint == page.name and page.unit == "orders/s":
                    shown.append(f"{endpoint} {run.rate:.1f} orders/s (p99 {run.p99})")
                else:
                    shown.append(f"{endpoint} {run.rate:.0f} req/s (p99 {run.p99})")
            ratios = ", ".join(
                f"/{baseline} {pair_ratios(out, page, baseline, pairs).values[pair - 1]:.3f}"
                for baseline in BASELINES
            )
            lines.append(f"  {page.name} pair {pair}: {'; '.join(shown)} -> {ratios}")
    return lines


def check(out: Path) -> int:
    """Every run's report, the warm-ups' too: any failed request fails the benchmark."""
    failed = 0
    for path in sorted(out.glob("wrk-*.txt")) + sorted(out.glob("py-*.txt")):
        run = _wrk(path) if path.name.startswith("wrk-") else _py(path)
        if run.failures:
            print(
                f"bench: {run.name}: {run.failures} (see bench/out/{path.name} and "
                "bench/out/gunicorn.log)",
                file=sys.stderr,
            )
            failed = 1
    return failed


def main(argv: list[str]) -> int:
    command, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if command == "schedule" and len(args) == 1:
        for line in schedule(int(args[0])):
            print(*line)
        return 0
    if command == "check" and len(args) == 1:
        return check(Path(args[0]))
    if command == "runs" and len(args) == 2:
        print("\n".join(runs(Path(args[0]), int(args[1]))))
        return 0
    if command == "compare" and len(args) == 4:
        print(compare(Path(args[0]), int(args[1]), args[2], args[3]))
        return 0
    if command == "results" and len(args) == 3:
        warnings: list[str] = []
        print("\n".join(results(Path(args[0]), int(args[1]), args[2], warnings)), flush=True)
        for warning in warnings:
            print(warning, file=sys.stderr)
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
