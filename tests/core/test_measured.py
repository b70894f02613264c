"""analyze --bench: a measurement replaces the prior and the measured policy decides."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fitcheck import api
from fitcheck.cli import app
from tests.bench_files import write_bench_results
from tests.conftest import EXAMPLES, NOW

INVENTORY = EXAMPLES / "workloads.yaml"
WORKLOAD = "llm-sft-weekly"  # a benchmark decision on priors


def _row(tmp_path, speedup, parity_ok=True):
    path = write_bench_results(tmp_path / "r.json", WORKLOAD, speedup, parity_ok)
    result = api.analyze(INVENTORY, bench_paths=[path], now=NOW)
    return result, result.table.set_index("name").loc[WORKLOAD]


def test_prior_decision_is_benchmark():
    row = api.analyze(INVENTORY, now=NOW).table.set_index("name").loc[WORKLOAD]
    assert (row["decision"], row["evidence"]) == ("benchmark", "prior")


def test_a_clear_measured_gain_with_parity_enables(tmp_path):
    result, row = _row(tmp_path, (1.28, 1.35, 1.42))
    assert row["decision"] == "enable" and row["evidence"] == "measured"
    assert (row["expected_speedup_low"], row["expected_speedup_mid"], row["expected_speedup_high"]) == (
        1.28,
        1.35,
        1.42,
    )
    assert row["compile_overhead_minutes"] == pytest.approx(95.0 / 60)  # measured, static shapes
    assert "r.json" in row["evidence_source"] and "inductor vs eager" in row["evidence_source"]
    assert result.meta["evidence"]["measured_workloads"] == 1
    # the money follows the measured speedup, not the prior
    prior = api.analyze(INVENTORY, now=NOW).table.set_index("name").loc[WORKLOAD]
    assert row["savings_per_year_usd_mid"] != prior["savings_per_year_usd_mid"]


def test_a_small_measured_gain_skips(tmp_path):
    _, row = _row(tmp_path, (1.01, 1.04, 1.07))
    assert row["decision"] == "skip"
    assert "under the 1.10x floor" in row["main_reason"]


def test_divergence_skips_even_when_fast(tmp_path):
    _, row = _row(tmp_path, (1.3, 1.4, 1.5), parity_ok=False)
    assert row["decision"] == "skip" and "diverged" in row["main_reason"]


def test_a_wide_interval_means_benchmark_longer(tmp_path):
    _, row = _row(tmp_path, (0.95, 1.15, 1.40))
    assert row["decision"] == "benchmark"


def test_results_that_match_no_workload_are_reported(tmp_path):
    path = write_bench_results(tmp_path / "other.json", "no-such-workload", (1.3, 1.4, 1.5))
    out = CliRunner().invoke(app, ["analyze", str(INVENTORY), "--bench", str(path)])
    assert out.exit_code == 0, out.output
    text = " ".join(out.stdout.split())  # the terminal table wraps long lines
    assert "Unused benchmark result" in text and "no workload of that name" in text
    doc = json.loads(
        CliRunner().invoke(app, ["analyze", str(INVENTORY), "--bench", str(path), "-f", "json"]).stdout
    )
    assert doc["unmatched_bench_results"][0]["workload"] == "no-such-workload"


def test_the_real_example_result_names_no_workload_and_says_so():
    result = api.analyze(INVENTORY, bench_paths=[EXAMPLES / "bench" / "bert-tiny-cpu.json"], now=NOW)
    whys = {u["why"] for u in result.meta["unmatched_bench_results"]}
    assert any("--workload" in w for w in whys)


def test_a_bad_results_file_is_bad_input(tmp_path):
    path = write_bench_results(tmp_path / "r.json", WORKLOAD, (1.2, 1.3, 1.4))
    doc = json.loads(path.read_text())
    doc["comparisons"][0]["speedup"]["low"] = 1.5
    path.write_text(json.dumps(doc))
    out = CliRunner().invoke(app, ["analyze", str(INVENTORY), "--bench", str(path)])
    assert out.exit_code == 2
    assert str(path) in out.stderr and "comparisons[0].speedup" in out.stderr
    assert "Traceback" not in out.output


def test_the_decision_reads_the_interval_and_the_stop_reason(tmp_path):
    # midpoint at the bar but the low end under 1.0: not an enable, measure longer
    _, row = _row(tmp_path, (0.97, 1.22, 1.50))
    assert row["decision"] == "benchmark"
    # the whole interval under the floor: skip, whatever the midpoint alone would say
    _, row = _row(tmp_path, (1.02, 1.06, 1.09))
    assert row["decision"] == "skip" and "high end" in row["main_reason"]
    # the measurement stands for the job once fixed too (no prior left in the money)
    assert row["expected_speedup_mid"] == 1.06
