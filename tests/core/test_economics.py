"""The published formulas, checked against hand-worked numbers."""

from __future__ import annotations

import numpy as np
import pytest

from fitcheck.core import economics as eco
from fitcheck.core.analysis import analyze_inventory
from tests.conftest import TODAY, inventory_frame, workload


def a(*values):
    return np.array(values, dtype=float)


def test_hourly_uses_override_then_spot_discount():
    out = eco.hourly(a(10, 10, 10), a(np.nan, 8, np.nan), np.array([False, False, True]), a(0.5, 0.5, 0.6))
    assert out.tolist() == pytest.approx([10, 8, 4])


def test_break_even_is_overhead_times_s_over_s_minus_one():
    # c = 3 min, s = 1.5 -> 3 * 1.5 / 0.5 = 9 min; s <= 1 never breaks even.
    out = eco.break_even_minutes(a(1.5, 1.0, 0.9), a(3, 3, 3))
    assert out[0] == pytest.approx(9.0)
    assert np.isnan(out[1]) and np.isnan(out[2])


def test_savings_per_run_and_year_by_hand():
    # 6 h run, s = 1.5, 3 min overhead -> compiled 4 h + 0.05 h = 4.05 h; saves 1.95 h
    # x 2 instances x $20.36 = $79.404 per run; x 5 runs x 52 weeks = $20,645.04 per year.
    per_run = eco.savings_per_run(a(6), a(1.5), a(3), a(2), a(20.36))
    assert per_run[0] == pytest.approx(79.404)
    assert eco.per_year(per_run, a(5))[0] == pytest.approx(20645.04)


def test_losses_are_negative_not_clipped():
    per_run = eco.savings_per_run(a(1), a(0.8), a(3), a(1), a(10))
    assert per_run[0] < 0  # compiled 1.25 h + 0.05 h > 1 h


def test_analysis_numbers_follow_the_formulas(profile):
    # one instance: the prior applies to the whole step
    frame = inventory_frame(workload(hourly_price_usd=20.0, spot=True, spot_discount=0.25, instance_count=1))
    row = analyze_inventory(frame, profile, TODAY).table.iloc[0]
    hourly = 20.0 * 0.75
    assert row["hourly_price_usd"] == pytest.approx(hourly)
    assert row["price_source"] == "inventory override (hourly_price_usd)"
    assert row["cost_per_run_usd"] == pytest.approx(6 * 1 * hourly)
    assert row["cost_per_year_usd"] == pytest.approx(6 * 1 * hourly * 5 * 52)
    assert (row["expected_speedup_low"], row["expected_speedup_mid"], row["expected_speedup_high"]) == (
        pytest.approx(1.15),
        pytest.approx(1.35),
        pytest.approx(1.55),
    )
    for lv in ("low", "mid", "high"):
        s = row[f"expected_speedup_{lv}"]
        saved = (6 - (6 / s + 3 / 60)) * 1 * hourly
        assert row[f"savings_per_run_usd_{lv}"] == pytest.approx(saved)
        assert row[f"savings_per_year_usd_{lv}"] == pytest.approx(saved * 5 * 52)
    assert row["break_even_minutes"] == pytest.approx(3 * 1.35 / 0.35)


def test_multi_node_applies_the_speedup_to_the_compute_share_only(profile):
    # Amdahl: s_eff = 1 / ((1 - f) + f / s) with f = multi_node_compute_fraction (0.90)
    rows = analyze_inventory(
        inventory_frame(workload(name="one", instance_count=1), workload(name="two", instance_count=2)),
        profile,
        TODAY,
    ).table.set_index("name")
    f = profile.policy.thresholds.multi_node_compute_fraction
    for lv, s in (("low", 1.15), ("mid", 1.35), ("high", 1.55)):
        assert rows.loc["one", f"expected_speedup_{lv}"] == pytest.approx(s)
        assert rows.loc["two", f"expected_speedup_{lv}"] == pytest.approx(1 / ((1 - f) + f / s))
    assert "all-reduce" in rows.loc["two", "evidence_source"]
    assert "all-reduce" not in rows.loc["one", "evidence_source"]


def test_the_readme_seed_saves_about_34k(profile):
    # README inventory example: BERT, PyTorch 2.1, 8 x ml.g5.48xlarge at $20.36, 6 h, 3 a week
    frame = inventory_frame(
        workload(framework_version="2.1", instance_count=8, runs_per_week=3, hourly_price_usd=20.36)
    )
    row = analyze_inventory(frame, profile, TODAY).table.iloc[0]
    s = 1 / (0.1 + 0.9 / 1.35)
    expected = (6 - (6 / s + 3 / 60)) * 8 * 20.36 * 3 * 52
    print(f"seed savings/year mid: {row['savings_per_year_usd_mid']:,.0f} (hand: {expected:,.0f})")
    assert row["decision"] == "enable"
    assert row["savings_per_year_usd_mid"] == pytest.approx(expected)
    assert 33_000 < expected < 35_500


def test_dynamic_shapes_cost_per_compiler(profile):
    rows = analyze_inventory(
        inventory_frame(
            workload(name="tc", input_shapes="dynamic", instance_count=1),
            workload(name="stc", input_shapes="dynamic", instance_count=1, framework_version="1.13.1"),
            workload(name="tc-static", instance_count=1),
        ),
        profile,
        TODAY,
    ).table.set_index("name")
    # torch.compile: automatic dynamic, 2 compilations and a 5 % slowdown
    assert rows.loc["tc", "compile_overhead_minutes"] == pytest.approx(2 * 3.0)
    assert rows.loc["tc", "expected_speedup_mid"] == pytest.approx(1.35 * 0.95)
    # STC compiles per distinct shape; its decision is benchmark with padding first, so the
    # reported economics are the padded ones (one compilation)
    assert rows.loc["stc", "decision"] == "benchmark"
    assert rows.loc["stc", "compile_overhead_minutes"] == pytest.approx(5.0)
    assert "max_length" in rows.loc["stc", "next_steps"][0]


def test_spot_without_discount_is_priced_on_demand(profile):
    rows = analyze_inventory(
        inventory_frame(workload(name="a", spot=True), workload(name="b", spot_discount=0.5)), profile, TODAY
    ).table.set_index("name")
    catalog = 20.36
    assert rows.loc["a", "hourly_price_usd"] == pytest.approx(catalog)
    assert rows.loc["b", "hourly_price_usd"] == pytest.approx(catalog)
    assert rows.loc["a", "status_pricing"] == "warn" and rows.loc["b", "status_pricing"] == "warn"


def test_no_compiler_means_no_savings(profile):
    frame = inventory_frame(workload(framework="jax"))
    row = analyze_inventory(frame, profile, TODAY).table.iloc[0]
    assert row["expected_speedup_mid"] == 1.0
    assert row["savings_per_year_usd_mid"] == 0.0
    assert row["compiler"] == "none"


def test_priors_depend_on_compiler_and_gpu_generation(profile):
    rows = analyze_inventory(
        inventory_frame(
            workload(name="ampere", instance_count=1),
            workload(name="volta", instance_count=1, instance_type="ml.p3.16xlarge"),
            workload(name="stc", instance_count=1, framework_version="1.13.1"),
            workload(name="tf", instance_count=1, framework="tensorflow", framework_version="2.14"),
        ),
        profile,
        TODAY,
    ).table.set_index("name")
    mids = rows["expected_speedup_mid"].to_dict()
    print("prior mids:", mids)
    assert mids == {"ampere": 1.35, "volta": 1.15, "stc": 1.30, "tf": 1.20}
