"""The MFU ceiling caps a prior; recurring jobs that keep their compile cache pay the warm compile.

Expert cases first, with the figures an engineer can check by hand:

- no compiler makes a step at MFU u more than 1/u faster, so a prior is capped at 1/u (on the
  compute share, before the multi-node correction); a benchmark's own ceiling wins over the
  inventory's ``mfu``; a measured interval is never capped, and one above the ceiling is a
  warning (inconsistent evidence);
- with the profile's ``compile_cache.persisted`` (or the workload's ``compile_cache``), a job
  that recurs pays the warm compile time a benchmark measured; a one-off job, or the switch
  off, pays the cold one; priors are cold figures.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fitcheck import api
from fitcheck.cli import app
from fitcheck.core import context as cx
from fitcheck.core.analysis import EVIDENCE_COLUMNS, analyze_inventory
from fitcheck.core.profile import CompileCache
from fitcheck.io.profiles import default_profile_dir
from tests.bench_files import write_bench_results
from tests.conftest import EXAMPLES, NOW, TODAY, inventory_frame

# BERT on A100s: 4 x ml.p4d.24xlarge, 14 h twice a week, bf16, static, busy GPUs: enable on priors.
BERT_A100: dict[str, Any] = {
    "name": "bert-a100",
    "framework": "pytorch",
    "framework_version": "2.4",
    "model": "bert-large-uncased",
    "instance_type": "ml.p4d.24xlarge",
    "instance_count": 4,
    "duration_hours": 14,
    "runs_per_week": 2,
    "precision": "bf16",
    "input_shapes": "static",
    "distribution": "ddp",
    "gpu_utilization": 0.93,
    "data_loading": "standard",
}
ONE_NODE = {"instance_count": 1, "distribution": "none"}
PRIOR = (1.15, 1.35, 1.55)  # torch.compile, transformer, bf16, Ampere (policy.yaml)
SHARE = 0.90  # multi_node_compute_fraction
LEVELS = ("low", "mid", "high")


def amdahl(s: float, f: float = SHARE) -> float:
    return 1.0 / ((1.0 - f) + f / s)


def _analyze(profile, *workloads, evidence: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    ev = None if evidence is None else pd.DataFrame(evidence, columns=list(EVIDENCE_COLUMNS))
    frame = inventory_frame(*workloads)
    return analyze_inventory(frame, profile, TODAY, ev).with_messages().set_index("name")


def _speedups(row: pd.Series) -> tuple[float, float, float]:
    return tuple(float(row[f"expected_speedup_{k}"]) for k in LEVELS)  # type: ignore[return-value]


def _measured(workload: str, speedup=(1.28, 1.35, 1.42), **extra: Any) -> dict[str, Any]:
    low, mid, high = speedup
    return {
        "workload": workload,
        "compiler": "torch.compile",
        "speedup_low": low,
        "speedup_mid": mid,
        "speedup_high": high,
        "compile_seconds": 400.0,
        "loss_parity_ok": True,
        "stopped_because": "target_ci",
        "source": "results.json",
        **extra,
    }


# --- the MFU ceiling ---------------------------------------------------------------------------


def test_bert_on_a100_at_85_percent_mfu_moves_from_enable_to_skip(profile):
    """At 85 % MFU no compiler can reach the 1.20x a measurement needs to enable: a benchmark
    could not change the answer, so it is not worth its GPU hours."""
    table = _analyze(profile, BERT_A100, {**BERT_A100, "name": "at-85", "mfu": 0.85})
    free, capped = table.loc["bert-a100"], table.loc["at-85"]
    assert free["decision"] == "enable" and free["status_ceiling"] == "n/a"
    assert _speedups(free) == pytest.approx(tuple(amdahl(s) for s in PRIOR))
    # capped at 1/0.85 = 1.1765x on the compute share, then the all-reduce correction
    cap = 1 / 0.85
    expected = (amdahl(1.15), amdahl(cap), amdahl(cap))
    print("capped whole-step speedups", [round(x, 4) for x in _speedups(capped)], "expected", expected)
    assert _speedups(capped) == pytest.approx(expected, abs=1e-12)
    assert capped["expected_speedup_mid"] == pytest.approx(1 / (0.1 + 0.9 * 0.85))  # 1.1561
    assert capped["decision"] == "skip" and capped["status_ceiling"] == "fail"
    assert capped["main_reason"] == (
        "No compiler can make this step more than 1.18x faster: the step already runs at 85 % MFU "
        "(inventory mfu). That is under the 1.20x a measurement needs to enable, so a benchmark "
        "could not change the answer."
    )
    assert "Capped at 1.18x: the step already runs at 85 % MFU (inventory mfu)" in capped["evidence_source"]
    assert "The cap bounds the compute share (90%)" in capped["evidence_source"]
    assert capped["savings_per_year_usd_mid"] < free["savings_per_year_usd_mid"]


def test_one_node_is_capped_at_exactly_one_over_mfu(profile):
    row = _analyze(profile, {**BERT_A100, **ONE_NODE, "mfu": 0.89}).iloc[0]
    # 1/0.89 = 1.1236x lies under the prior's low end (1.15x): all three are capped
    assert _speedups(row) == pytest.approx((1 / 0.89, 1 / 0.89, 1 / 0.89), abs=1e-12)
    assert "Capped at 1.12x: the step already runs at 89 % MFU" in row["evidence_source"]
    assert "compute share" not in row["evidence_source"]


def test_30_percent_mfu_changes_nothing(profile):
    table = _analyze(profile, BERT_A100, {**BERT_A100, "name": "at-30", "mfu": 0.3})
    free, low = table.loc["bert-a100"], table.loc["at-30"]
    differ = [c for c in table.columns if c != "mfu" and not _same(free[c], low[c])]
    assert differ == []
    assert low["mfu"] == 0.3 and np.isnan(free["mfu"])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return bool(a == b) if not isinstance(a, list) else a == b


def test_95_percent_mfu_leaves_nothing_to_measure(profile):
    row = _analyze(profile, {**BERT_A100, "mfu": 0.95}).iloc[0]
    assert row["decision"] == "skip" and row["status_ceiling"] == "fail"
    assert (
        "more than 1.05x faster" in row["main_reason"] and "1.20x a measurement needs" in row["main_reason"]
    )
    assert row["unblock"].startswith("Leave it off: the step already runs near the accelerator's peak.")


def test_the_bench_ceiling_wins_over_the_inventory_mfu(profile):
    frame = inventory_frame({**BERT_A100, **ONE_NODE, "mfu": 0.5})
    ctx = cx.build_context(frame, profile, TODAY, bench_ceilings=np.array([1 / 0.89]))
    assert ctx["speedup_ceiling"].iloc[0] == pytest.approx(1 / 0.89)
    assert ctx["ceiling_source"].iloc[0] == "benchmark results"
    assert ctx["speedup_mid"].iloc[0] == pytest.approx(1 / 0.89)
    assert (
        "Capped at 1.12x: the step already runs at 89 % MFU (benchmark results)" in ctx["prior_why"].iloc[0]
    )
    alone = cx.build_context(frame, profile, TODAY)
    assert alone["speedup_ceiling"].iloc[0] == 2.0 and alone["ceiling_source"].iloc[0] == "inventory mfu"
    assert alone["speedup_mid"].iloc[0] == 1.35  # 2.0x lies above the prior: no cap
    # a bench 'ceiling' under 1 (an MFU over 100 %: a wrong peak) is no ceiling
    wrong = cx.build_context(frame, profile, TODAY, bench_ceilings=np.array([0.8]))
    assert wrong["speedup_ceiling"].iloc[0] == 2.0


def test_two_results_files_the_lower_ceiling_holds():
    from fitcheck.core.analysis import bench_ceilings

    evidence = pd.DataFrame(
        [
            {"workload": "a", "speedup_ceiling": 1.5},
            {"workload": "a", "speedup_ceiling": 1.2},
            {"workload": "b", "speedup_ceiling": np.nan},
        ],
        columns=list(EVIDENCE_COLUMNS),
    )
    got = bench_ceilings(pd.Series(["a", "b", "c"]), evidence)
    assert got is not None and got[0] == 1.2 and np.isnan(got[1:]).all()
    assert bench_ceilings(pd.Series(["a"]), None) is None


def test_a_fix_that_changes_precision_is_not_capped(profile):
    """fp32 at 95 % MFU: the fp32 step is near its peak, bf16 has another one."""
    row = _analyze(profile, {**BERT_A100, **ONE_NODE, "precision": "fp32", "mfu": 0.95}).iloc[0]
    ctx = cx.build_context(
        inventory_frame({**BERT_A100, **ONE_NODE, "precision": "fp32", "mfu": 0.95}), profile, TODAY
    )
    assert ctx["speedup_high"].iloc[0] == pytest.approx(1 / 0.95)  # as is: fp32 prior 1.10 capped
    assert ctx["speedup_fixed_mid"].iloc[0] == 1.35  # once in bf16: the bf16 prior, not capped
    assert row["status_ceiling"] == "warn" and row["decision"] == "benchmark"


def test_a_measured_interval_is_not_capped_but_warned(profile):
    table = _analyze(
        profile,
        {**BERT_A100, "mfu": 0.85},
        {**BERT_A100, "name": "bench-ceiling", "mfu": 0.5},
        {**BERT_A100, "name": "consistent", "mfu": 0.5},
        evidence=[
            _measured("bert-a100"),
            _measured("bench-ceiling", speedup_ceiling=1.25),
            _measured("consistent"),
        ],
    )
    row = table.loc["bert-a100"]
    assert _speedups(row) == (1.28, 1.35, 1.42)  # the measurement as measured
    assert row["status_ceiling"] == "warn" and row["decision"] == "enable"
    assert row["message_ceiling"].startswith("Measured 1.35x is above the 1.18x ceiling")
    bench = table.loc["bench-ceiling"]
    assert bench["status_ceiling"] == "warn"
    assert (
        "above the 1.25x ceiling: the step already runs at 80 % MFU (benchmark results)"
        in (bench["message_ceiling"])
    )
    assert table.loc["consistent", "status_ceiling"] == "n/a"


# --- warm compile --------------------------------------------------------------------------------


def _with_cache(profile, persisted: bool):
    policy = profile.policy.model_copy(update={"compile_cache": CompileCache(persisted=persisted)})
    return dataclasses.replace(profile, policy=policy)


DAILY = {**BERT_A100, **ONE_NODE, "name": "daily", "runs_per_week": 7}
ONE_OFF = {**DAILY, "name": "one-off", "runs_per_week": 1 / 52}  # once a year


@pytest.mark.parametrize(
    ("persisted", "workload", "minutes", "basis"),
    [
        (True, DAILY, 40 / 60, "warm (measured)"),
        (False, DAILY, 400 / 60, "cold (measured)"),
        (True, ONE_OFF, 400 / 60, "cold (measured)"),
        (False, {**DAILY, "compile_cache": "persisted"}, 40 / 60, "warm (measured)"),
        (True, {**DAILY, "compile_cache": "cold"}, 400 / 60, "cold (measured)"),
        (True, {**DAILY, "input_shapes": "dynamic"}, 2 * 40 / 60, "warm (measured)"),  # 2 compilations
    ],
    ids=["daily-switch-on", "daily-switch-off", "one-off", "workload-persisted", "workload-cold", "dynamic"],
)
def test_warm_compile_for_recurring_jobs_that_keep_the_cache(profile, persisted, workload, minutes, basis):
    prof = _with_cache(profile, persisted)
    name = workload["name"]
    row = _analyze(prof, workload, evidence=[_measured(name, compile_seconds_warm=40.0)]).loc[name]
    print(name, persisted, workload.get("compile_cache"), "->", row["compile_overhead_minutes"], basis)
    assert row["compile_overhead_minutes"] == pytest.approx(minutes, abs=1e-12)
    assert row["compile_overhead_basis"] == basis
    # the money uses that figure: savings per run = (d - (d / s + c / 60)) x n x hourly
    d, s, h = 14.0, 1.35, float(row["hourly_price_usd"])
    assert row["savings_per_run_usd_mid"] == pytest.approx((d - (d / s + minutes / 60)) * h)


def test_no_warm_figure_means_cold_and_priors_are_cold(profile):
    prof = _with_cache(profile, True)
    table = _analyze(
        prof,
        DAILY,
        {**DAILY, "name": "prior"},
        {**DAILY, "name": "cpu", "instance_type": "ml.m5.4xlarge"},
        evidence=[_measured("daily")],  # no compile_seconds_warm
    )
    assert table.loc["daily", "compile_overhead_minutes"] == pytest.approx(400 / 60)
    assert table.loc["daily", "compile_overhead_basis"] == "cold (measured)"
    assert table.loc["prior", "compile_overhead_minutes"] == 3.0  # the profile's torch.compile figure
    assert table.loc["prior", "compile_overhead_basis"] == "cold (prior)"
    assert table.loc["cpu", "compile_overhead_basis"] == "none"


# --- end to end: results file, YAML / CSV / Parquet inventories, outputs ----------------------


def _results_file(path: Path, workload: str, *, warm: float, ceiling: float, blocks: int = 30) -> Path:
    """A measured 1.35x [1.28, 1.42] with compile 400 s cold, ``warm`` s warm, and a ceiling."""
    return write_bench_results(
        path,
        workload,
        (1.28, 1.35, 1.42),
        blocks=blocks,
        compile_seconds=400.0,
        compile_seconds_warm=warm,
        ceiling=ceiling,
    )


def test_end_to_end_from_a_results_file(tmp_path):
    inventory = tmp_path / "w.yaml"
    inventory.write_text(
        "version: 1\nworkloads:\n"
        "  - {name: daily, framework: pytorch, framework_version: '2.4', model: bert-large-uncased,\n"
        "     instance_type: ml.p4d.24xlarge, duration_hours: 14, runs_per_week: 7, precision: bf16,\n"
        "     input_shapes: static, gpu_utilization: 0.93, data_loading: standard,\n"
        "     mfu: 0.5, compile_cache: persisted}\n"
    )
    bench = _results_file(tmp_path / "r.json", "daily", warm=40.0, ceiling=1.25)
    result = api.analyze(inventory, bench_paths=[bench], now=NOW)
    row = result.table.iloc[0]
    assert row["compile_overhead_minutes"] == pytest.approx(40 / 60)
    assert row["compile_overhead_basis"] == "warm (measured)"
    assert _speedups(row) == (1.28, 1.35, 1.42)
    assert row["status_ceiling"] == "warn"  # 1.35x measured above the bench's 1.25x ceiling
    measurement = result.meta["evidence"]["measurements"][0]
    assert measurement["compile_seconds_warm"] == 40.0 and measurement["speedup_ceiling"] == 1.25
    doc = json.loads(api.render(result, "json"))
    record = doc["workloads"][0]
    assert record["compile_overhead_basis"] == "warm (measured)"
    assert record["inputs"]["mfu"] == 0.5 and record["inputs"]["compile_cache"] == "persisted"
    assert doc["profile"]["compile_cache"] == {"persisted": False, "min_runs_per_year": 2.0}
    csv_text = api.render(result, "csv")
    header, first = list(csv.reader(io.StringIO(csv_text)))[:2]
    assert first[header.index("compile_overhead_basis")] == "warm (measured)"
    # the saved JSON re-renders through the same record model
    saved = tmp_path / "a.json"
    saved.write_text(api.render(result, "json"))
    out = CliRunner().invoke(app, ["report", str(saved), "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert next(csv.reader(io.StringIO(out.output))) == header


def test_a_benchmark_too_short_for_an_interval_still_caps_the_prior(tmp_path):
    """The results file has no usable interval (5 blocks), but it measured the baseline step at
    89 % MFU: the prior is capped at 1/0.89 = 1.12x, and the comparison is listed as unusable."""
    inventory = tmp_path / "w.yaml"
    inventory.write_text(
        "version: 1\nworkloads:\n"
        "  - {name: short, framework: pytorch, framework_version: '2.4', model: bert-large-uncased,\n"
        "     instance_type: ml.p4d.24xlarge, duration_hours: 14, runs_per_week: 5, precision: bf16,\n"
        "     input_shapes: static, gpu_utilization: 0.93, data_loading: standard, mfu: 0.5}\n"
    )
    bench = _results_file(tmp_path / "r.json", "short", warm=40.0, ceiling=1 / 0.89, blocks=5)
    result = api.analyze(inventory, bench_paths=[bench], now=NOW)
    row = result.table.iloc[0]
    assert row["evidence"] == "prior"
    assert _speedups(row) == pytest.approx((1 / 0.89,) * 3, abs=1e-12)
    assert "Capped at 1.12x: the step already runs at 89 % MFU (benchmark results)" in row["evidence_source"]
    assert row["compile_overhead_basis"] == "cold (prior)" and row["compile_overhead_minutes"] == 3.0
    assert row["decision"] == "skip" and row["status_ceiling"] == "fail"
    unmatched = result.meta["unmatched_bench_results"]
    assert len(unmatched) == 1 and unmatched[0]["why"].startswith("insufficient: 5 paired blocks")
    assert result.meta["evidence"]["measurements"] == []


def _table_inventory(tmp_path: Path, suffix: str, extra: dict[str, Any]) -> Path:
    row = {**{k: v for k, v in DAILY.items()}, **extra}
    frame = pd.DataFrame([row])
    path = tmp_path / f"w{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_table_inventories_accept_the_new_columns(tmp_path, suffix):
    path = _table_inventory(tmp_path, suffix, {"mfu": 0.85, "compile_cache": "cold"})
    row = api.analyze(path, now=NOW).table.iloc[0]
    assert row["mfu"] == 0.85 and row["compile_cache"] == "cold"
    assert row["expected_speedup_mid"] == pytest.approx(1 / 0.85)


@pytest.mark.parametrize(
    ("suffix", "extra", "words"),
    [
        (".csv", {"mfu": 0.0}, ["row 1", "mfu", "0", "> 0", "<= 1"]),
        (".csv", {"mfu": 1.5}, ["row 1", "mfu", "1.5", "<= 1"]),
        (".parquet", {"mfu": 1.5}, ["row 1", "mfu", "1.5", "<= 1"]),
        (".csv", {"compile_cache": "warm"}, ["row 1", "compile_cache", "'warm'", "persisted, cold, unknown"]),
    ],
)
def test_bad_new_columns_are_one_clear_line(tmp_path, suffix, extra, words):
    path = _table_inventory(tmp_path, suffix, extra)
    out = CliRunner().invoke(app, ["analyze", str(path)])
    assert out.exit_code == 2, out.output
    assert "Traceback" not in out.output and len(out.output.strip().splitlines()) == 1
    for w in words:
        assert w in out.output, (w, out.output)


def test_bad_mfu_in_yaml_names_the_line(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(
        "version: 1\nworkloads:\n  - name: a\n    framework: pytorch\n    model: bert-base-uncased\n"
        "    instance_type: ml.g5.2xlarge\n    duration_hours: 2\n    runs_per_week: 1\n    mfu: 1.2\n"
    )
    out = CliRunner().invoke(app, ["analyze", str(path)])
    assert out.exit_code == 2 and ":9:" in out.output and "mfu" in out.output, out.output


@pytest.mark.parametrize(
    ("new", "words"),
    [
        ("  min_runs_per_year: 0", ["compile_cache.min_runs_per_year", "greater than or equal to 1"]),
        ("  persisted: maybe", ["compile_cache.persisted"]),
        ("  min_runs_per_year: 2\n  warm: 1", ["compile_cache.warm"]),
    ],
)
def test_a_bad_compile_cache_policy_is_one_clear_line(tmp_path, new, words):
    target = tmp_path / "p"
    shutil.copytree(default_profile_dir(), target)
    policy = target / "policy.yaml"
    text = policy.read_text()
    old = "  persisted: false" if "persisted" in new else "  min_runs_per_year: 2"
    assert old in text
    policy.write_text(text.replace(old, new, 1))
    out = CliRunner().invoke(app, ["analyze", str(EXAMPLES / "workloads.yaml"), "--profile", str(target)])
    assert out.exit_code == 2, out.output
    assert "policy.yaml" in out.output and "Traceback" not in out.output
    for w in words:
        assert w in out.output, (w, out.output)
