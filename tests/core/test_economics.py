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
    frame = inventory_frame(workload(hourly_price_usd=20.0, spot=True, spot_discount=0.25))
    row = analyze_inventory(frame, profile, TODAY).table.iloc[0]
    hourly = 20.0 * 0.75
    assert row["hourly_price_usd"] == pytest.approx(hourly)
    assert row["price_source"] == "inventory override (hourly_price_usd)"
    assert row["cost_per_run_usd"] == pytest.approx(6 * 2 * hourly)
    assert row["cost_per_year_usd"] == pytest.approx(6 * 2 * hourly * 5 * 52)
    for lv in ("low", "mid", "high"):
        s = row[f"expected_speedup_{lv}"]
        saved = (6 - (6 / s + 3 / 60)) * 2 * hourly
        assert row[f"savings_per_run_usd_{lv}"] == pytest.approx(saved)
        assert row[f"savings_per_year_usd_{lv}"] == pytest.approx(saved * 5 * 52)
    assert row["break_even_minutes"] == pytest.approx(3 * 1.3 / 0.3)


def test_no_compiler_means_no_savings(profile):
    frame = inventory_frame(workload(framework="jax"))
    row = analyze_inventory(frame, profile, TODAY).table.iloc[0]
    assert row["expected_speedup_mid"] == 1.0
    assert row["savings_per_year_usd_mid"] == 0.0
    assert row["compiler"] == "none"
