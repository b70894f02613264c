"""The finance view: three lines that add up, net of one-time costs, payback, the
decision requested, sensitivity, confidence and rollups, checked against figures worked
out by hand on a small table."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from fitcheck.core.analysis import _payback, net_columns, rollup, totals
from fitcheck.core.profile import Finance

FIN = Finance(
    engineer_day_usd=1000,
    days_per_enable=2,
    days_per_benchmark=1,
    report_back_days=73,  # a fifth of a year
    savings_plan_discount=0.25,
    runs_per_week_factors=(0.5, 2.0),
    price_change=0.2,
)


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["a", "b", "c", "d"],
            "decision": ["enable", "benchmark", "skip", "enable"],
            "cost_per_year_usd": [100_000.0, 50_000.0, 30_000.0, 20_000.0],
            "savings_per_year_usd_low": [10_000.0, 2_000.0, 500.0, 1_000.0],
            "savings_per_year_usd_mid": [20_000.0, 10_000.0, 1_000.0, 5_200.0],
            "savings_per_year_usd_high": [30_000.0, 15_000.0, 2_000.0, 8_000.0],
            "plan_cost_usd": [np.nan, 500.0, np.nan, np.nan],
            "evidence": ["measured", "prior", "prior", "prior"],
            "tags": [
                json.dumps({"team": "nlp"}),
                json.dumps({"team": "vision"}),
                json.dumps({"team": "nlp"}),
                "{}",
            ],
        }
    )


def test_net_per_workload_by_hand() -> None:
    net = net_columns(_table(), FIN)
    # enable: 2 days x $1,000; benchmark: (1 + 2) days x $1,000 + $500 compute; skip: nothing
    assert list(net["one_time_cost_usd"]) == [2000.0, 3500.0, 0.0, 2000.0]
    # benchmark savings start after 73 days: 80 % of the year
    assert net["net_first_year_usd_mid"][0] == pytest.approx(18_000)
    assert net["net_first_year_usd_mid"][1] == pytest.approx(10_000 * 0.8 - 3_500)
    assert net["net_first_year_usd_low"][1] == pytest.approx(2_000 * 0.8 - 3_500)  # a loss stays a loss
    assert np.isnan(net["net_first_year_usd_mid"][2]) and np.isnan(net["payback_weeks"][2])
    assert net["payback_weeks"][0] == pytest.approx(2000 / (20_000 / 52))
    assert net["payback_weeks"][1] == pytest.approx(73 / 365 * 52 + 3500 / (10_000 / 52))
    assert net["payback_weeks"][3] == pytest.approx(20.0)  # $2,000 at $100 a week


def test_three_lines_add_up_and_never_mix() -> None:
    t = totals(_table(), FIN, date(2026, 1, 1))
    c, p, n = t["committed"], t["pending"], t["not_pursued"]
    assert (c["workloads"], p["workloads"], n["workloads"]) == (2, 1, 1)
    assert c["spend_per_year_usd"] + p["spend_per_year_usd"] + n["spend_per_year_usd"] == 200_000
    assert t["spend_per_year_usd"] == 200_000
    assert c["savings_per_year_usd"] == {"low": 11_000, "mid": 25_200, "high": 38_000}
    assert p["savings_per_year_usd"] == {"low": 2_000, "mid": 10_000, "high": 15_000}
    assert n["savings_per_year_usd"] is None and n["net_first_year_usd"] is None  # skip savings not counted
    assert c["one_time_cost_usd"] == 4000 and p["one_time_cost_usd"] == 3500 and n["one_time_cost_usd"] == 0
    assert c["net_first_year_usd"]["mid"] == pytest.approx(25_200 - 4_000)
    assert p["net_first_year_usd"]["mid"] == pytest.approx(8_000 - 3_500)
    assert c["payback_weeks"] == pytest.approx(4000 / (25_200 / 52))
    assert p["payback_weeks"] == pytest.approx(73 / 7 + 3500 / (10_000 / 52))
    assert t["savings_per_year_usd"]["mid"] == 35_200  # enable + benchmark only


def test_the_decision_requested_sentence() -> None:
    t = totals(_table(), FIN, date(2026, 1, 1))
    # combined payback: $7,500 one-time; committed $484.6/week from week 0 has paid $5,054 by
    # the report-back (week 10.43); the rest at $484.6 + $192.3 a week: 3.61 more weeks
    c, p, d = 25_200 / 52, 10_000 / 52, 73 / 7
    weeks = d + (7500 - c * d) / (c + p)
    assert 14 < weeks < 14.1
    net_mid = 25_200 - 4_000 + 8_000 - 3_500
    assert t["decision_requested"] == (
        "Approve 2 changes and 1 benchmark: about 5 engineer-days and $500 of benchmark compute; "
        f"expected net savings in the first year ${net_mid:,} ($5,100 to $42,500), payback in "
        f"{int(np.ceil(weeks))} weeks; report back by 2026-03-15."
    )
    nothing = _table().assign(decision="skip")
    assert totals(nothing, FIN)["decision_requested"].startswith("Nothing to approve")


def test_payback_with_a_late_start() -> None:
    assert _payback(0.0, 0.0, 0.0, 4.0) == 0.0
    assert _payback(1000.0, 100.0, 0.0, 0.0) == pytest.approx(10.0)
    # committed $10/week pays $40 by week 4; the rest ($960) at $110/week from then
    assert _payback(1000.0, 10.0, 100.0, 4.0) == pytest.approx(4 + 960 / 110)
    assert _payback(1000.0, 0.0, 0.0, 4.0) is None
    assert _payback(1000.0, -5.0, 0.0, 4.0) is None


def test_sensitivity_moves_as_the_formulas_say() -> None:
    t = totals(_table(), FIN)
    gross = 25_200 + 10_000 * 0.8
    one_time = 7_500
    base = gross - one_time
    s = {row["factor"]: row for row in t["sensitivity"]}
    assert s["speedup"]["base_usd"] == pytest.approx(base)
    assert s["speedup"]["low"]["net_first_year_usd"] == pytest.approx(11_000 + 2_000 * 0.8 - one_time)
    assert s["runs_per_week"]["low"]["net_first_year_usd"] == pytest.approx(gross * 0.5 - one_time)
    assert s["runs_per_week"]["high"]["net_first_year_usd"] == pytest.approx(gross * 2 - one_time)
    assert s["price"]["high"]["net_first_year_usd"] == pytest.approx(gross * 1.2 - one_time)
    assert s["price_basis"]["low"]["net_first_year_usd"] == pytest.approx(gross * 0.75 - one_time)
    for row in t["sensitivity"]:
        assert (
            row["low"]["net_first_year_usd"]
            <= row["base_usd"] + 1e-6
            <= row["high"]["net_first_year_usd"] + 2e-6
        )


def test_confidence_is_the_measured_share() -> None:
    c = totals(_table(), FIN)["confidence"]
    assert c["measured_share"] == pytest.approx(20_000 / 35_200)
    assert c["pending_share"] == pytest.approx(10_000 / 35_200)
    assert c["sentence"].startswith(
        "57% of the expected savings rest on measured speedups and 43% on assumed"
    )


def test_rollup_by_tag_adds_up_to_the_totals() -> None:
    table = _table()
    groups = rollup(table, FIN, "team")
    assert [g["value"] for g in groups] == ["nlp", "vision", None]  # largest expected net first
    t = totals(table, FIN)
    for line in ("committed", "pending", "not_pursued"):
        assert sum(g[line]["spend_per_year_usd"] for g in groups) == t[line]["spend_per_year_usd"]
        assert sum(g[line]["workloads"] for g in groups) == t[line]["workloads"]
        assert sum(g[line]["one_time_cost_usd"] for g in groups) == t[line]["one_time_cost_usd"]
    nlp = groups[0]
    assert nlp["committed"]["net_first_year_usd"]["mid"] == pytest.approx(18_000)
    assert nlp["not_pursued"]["spend_per_year_usd"] == 30_000
