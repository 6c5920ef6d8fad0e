"""bench/pairs.py: the benchmark's schedule of pairs, and the medians and spreads it reports."""

import importlib.util
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "bench" / "pairs.py"
spec = importlib.util.spec_from_file_location("bench_pairs", PATH)
pairs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pairs)


def test_each_page_runs_between_its_baselines_in_alternating_order():
    runs = pairs.schedule(4)
    assert len(runs) == 4 * 9 * 3
    home = [(name, endpoint) for client, name, endpoint in runs if name.startswith("home")]
    assert home[:6] == [
        ("home-livez-1", "livez"),
        ("home-1", "home"),
        ("home-healthz-1", "healthz"),
        ("home-healthz-2", "healthz"),
        ("home-2", "home"),
        ("home-livez-2", "livez"),
    ]
    # the pages take turns: pair 1 of each page before pair 2 of any
    firsts = [name for _, name, endpoint in runs if endpoint not in pairs.BASELINES]
    assert firsts[:10] == [
        "home-1", "branch-search-1", "checkout-1", "counter-prepaid-1", "counter-cod-1",
        "embed-1", "dashboard-1", "shipment-create-1", "shipment-read-1", "home-2",
    ]  # fmt: skip
    # each page by its own client, its baselines by the same one
    assert {client for client, name, _ in runs if name.startswith("checkout")} == {"py"}
    assert {client for client, name, _ in runs if name.startswith("counter")} == {"py"}
    assert {client for client, name, _ in runs if name.startswith("home")} == {"wrk"}
    assert {client for client, name, _ in runs if name.startswith(("embed", "dashboard"))} == {
        "wrk"
    }
    assert {client for client, name, _ in runs if name.startswith("shipment")} == {"wrk"}


def _wrk(out: Path, name: str, rate: float, non2xx: int = 0, sockets: str = "") -> None:
    text = (
        "Running 4s test @ http://127.0.0.1:1/\n"
        "    Latency    10.00ms    2.00ms  30.00ms   90.00%\n"
        "     99%   25.00ms\n"
        + (f"  Non-2xx or 3xx responses: {non2xx}\n" if non2xx else "")
        + (f"  Socket errors: {sockets}\n" if sockets else "")
        + f"Requests/sec: {rate}\n"
    )
    (out / f"wrk-{name}.txt").write_text(text)


def _py(out: Path, name: str, rate: float, errors: int = 0) -> None:
    (out / f"py-{name}.txt").write_text(
        f"mode: x\nrate: {rate}\nerrors: {errors}\nerrors by step: none\nlatency p99: 9.0ms\n"
    )


def _fill(out: Path, n: int, page_rates: list[float], livez: float = 1000, healthz: float = 500):
    for client, name, endpoint in pairs.schedule(n):
        pair = int(name.rsplit("-", 1)[1])
        rate = {"livez": livez, "healthz": healthz}.get(endpoint, page_rates[pair - 1])
        (_wrk if client == "wrk" else _py)(out, name, rate)


def test_a_ratio_is_the_median_of_its_pair_ratios_with_the_spread(tmp_path):
    # pair 3's page run was hit by a burst; the median does not follow it, the range shows it
    _fill(tmp_path, 5, [200, 210, 20, 190, 205])
    lines = pairs.results(tmp_path, 5, "home", warnings := [])
    assert lines[0] == "catalog (home page): 200 req/s (median of 5 runs, 20-210)"
    assert lines[1] == "ratio catalog/livez: 0.200 (IQR 0.190-0.205, range 0.020-0.210, 5 pairs)"
    assert lines[2].startswith("ratio catalog/healthz: 0.400 (IQR 0.380-0.410")
    assert warnings == []


def test_a_pair_ratio_uses_the_baseline_run_of_its_own_pair(tmp_path):
    _fill(tmp_path, 5, [200] * 5)
    _wrk(tmp_path, "home-livez-2", 400)  # a slow moment in pair 2: its page ran slow too
    _wrk(tmp_path, "home-2", 80)
    ratios = pairs.pair_ratios(tmp_path, pairs.PAGES[0], "livez", 5).values
    assert ratios == pytest.approx([0.2, 0.2, 0.2, 0.2, 0.2])


def test_pairs_that_disagree_are_warned_about(tmp_path):
    _fill(tmp_path, 5, [100, 300, 150, 250, 200])
    pairs.results(tmp_path, 5, "home", warnings := [])
    assert any("catalog/livez" in warning for warning in warnings)


def test_any_failed_request_in_any_run_fails_the_check(tmp_path, capsys):
    _fill(tmp_path, 5, [200] * 5)
    assert pairs.check(tmp_path) == 0
    _wrk(tmp_path, "warmup-home", 100, non2xx=3)
    _wrk(tmp_path, "branch-search-4", 100, sockets="connect 0, read 2, write 0, timeout 0")
    _py(tmp_path, "checkout-2", 50, errors=1)
    assert pairs.check(tmp_path) == 1
    said = capsys.readouterr().err
    assert "warmup-home: 3 non-2xx" in said
    assert "branch-search-4: socket errors" in said
    assert "checkout-2: 1 failed requests" in said


def test_a_run_that_completed_nothing_is_a_clear_failure_not_a_crash(tmp_path):
    # A baseline run next to a page slow enough to starve it: no ZeroDivisionError, a message.
    _fill(tmp_path, 5, [200] * 5)
    _wrk(tmp_path, "home-livez-3", 0)
    with pytest.raises(SystemExit, match=r"home-livez-3 \(wrk\) completed no request"):
        pairs.results(tmp_path, 5, "home", [])


def test_a_refusal_counted_by_the_shipment_script_fails_the_check(tmp_path, capsys):
    # bench/merchants.py's wrk script counts every non-2xx answer itself (3xx too, which wrk
    # doesn't count): a failed count fails the check.
    _fill(tmp_path, 5, [200] * 5)
    path = tmp_path / "wrk-shipment-create-2.txt"
    path.write_text(path.read_text() + "Answers by status: 201=90 409=3\nFailed (non-2xx): 3\n")
    assert pairs.check(tmp_path) == 1
    assert "shipment-create-2: 3 non-2xx" in capsys.readouterr().err


def test_compare_says_what_one_page_costs_against_another_by_their_livez_ratios(tmp_path):
    # shipment-create at 0.05 of wrk's /livez, checkout at 0.04 of the Python client's: one
    # shipment costs 0.8 of one checkout.
    rates = {"livez": 1000, "healthz": 500, "shipment-create": 50, "checkout": 40}
    for client, name, endpoint in pairs.schedule(5):
        (_wrk if client == "wrk" else _py)(tmp_path, name, rates.get(endpoint, 100))
    said = pairs.compare(tmp_path, 5, "shipment-create", "checkout")
    assert said.endswith("one shipment-create costs 0.80 of one checkout")
    assert "(ratios to /livez 0.050 and 0.040)" in said
