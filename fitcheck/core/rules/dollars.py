"""Dollars at stake: a percentage means nothing without the absolute spend.

Judged on the savings once the job's fixable blockers are fixed (see ``duration``): this is
what decides whether a fix is worth making at all."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitcheck.core.notation import money_range_template
from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    floor = policy.thresholds.min_annual_savings_usd
    low, mid, high = (ctx[f"savings_per_year_fixed_{k}"] for k in ("low", "mid", "high"))
    spend = "${cost_per_year_usd:,.0f}/year spend"
    return [
        Case(~ctx["applies"], None),
        Case(
            high < floor,
            Status.FAIL,
            f"{spend}; even the optimistic savings{{_fixed}} (${{savings_per_year_fixed_high:,.0f}}/year) "
            "stay "
            f"under the ${floor:,.0f}/year that pays for integration and validation.",
            "Not worth the work at this spend; revisit if the job grows.",
        ),
        Case(
            low >= floor,
            Status.PASS,
            f"{spend}; savings{{_fixed}} {money_range_template('savings_per_year_fixed', '/year')} "
            f"clear ${floor:,.0f}/year even at the low end.",
        ),
        Case(
            mid >= floor,
            Status.WARN,
            f"{spend}; expected savings{{_fixed}} ${{savings_per_year_fixed_mid:,.0f}}/year, but the low end "
            f"(${{savings_per_year_fixed_low:,.0f}}) is under ${floor:,.0f}/year.",
            "Benchmark to narrow the range.",
        ),
        Case(
            True,
            Status.WARN,
            f"{spend}; expected savings{{_fixed}} ${{savings_per_year_fixed_mid:,.0f}}/year are under "
            f"${floor:,.0f}/year; only the optimistic case (${{savings_per_year_fixed_high:,.0f}}) clears "
            "it.",
            "Benchmark only if the run is cheap to measure.",
        ),
    ]


def derive(ctx: pd.DataFrame, policy: Policy) -> dict[str, object]:
    differs = ~np.isclose(
        ctx["savings_per_year_fixed_mid"].to_numpy(dtype=float),
        ctx["savings_per_year_mid"].to_numpy(dtype=float),
    )
    return {"_fixed": np.where(differs, " once the fixes are made", "")}


RULE = Rule(
    id="dollars",
    name="Dollars at stake",
    factor="Do the annual savings clear the floor that pays for the work?",
    reads=(
        "cost_per_year_usd",
        "savings_per_year_fixed_low",
        "savings_per_year_fixed_mid",
        "savings_per_year_fixed_high",
        "savings_per_year_mid",
        "applies",
    ),
    thresholds=("thresholds.min_annual_savings_usd",),
    check=check,
    role="value",
    derive=derive,
)
