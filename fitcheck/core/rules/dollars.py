"""Dollars at stake: a percentage means nothing without the absolute spend."""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    floor = policy.thresholds.min_annual_savings_usd
    low, mid, high = (ctx[f"savings_per_year_{k}"] for k in ("low", "mid", "high"))
    spend = "${cost_per_year_usd:,.0f}/year spend"
    return [
        Case(ctx["compiler_candidate"] == "none", None),
        Case(
            high < floor,
            Status.FAIL,
            f"{spend}; even the optimistic savings (${{savings_per_year_high:,.0f}}/year) stay "
            f"under the ${floor:,.0f}/year that pays for integration and validation.",
            "Not worth the work at this spend; revisit if the job grows.",
        ),
        Case(
            low >= floor,
            Status.PASS,
            f"{spend}; savings ${{savings_per_year_low:,.0f}}-${{savings_per_year_high:,.0f}}/year "
            f"clear ${floor:,.0f}/year even at the low end.",
        ),
        Case(
            mid >= floor,
            Status.WARN,
            f"{spend}; expected savings ${{savings_per_year_mid:,.0f}}/year, but the low end "
            f"(${{savings_per_year_low:,.0f}}) is under ${floor:,.0f}/year.",
            "Benchmark to narrow the range.",
        ),
        Case(
            True,
            Status.WARN,
            f"{spend}; expected savings ${{savings_per_year_mid:,.0f}}/year are under "
            f"${floor:,.0f}/year; only the optimistic case (${{savings_per_year_high:,.0f}}) clears it.",
            "Benchmark only if the run is cheap to measure.",
        ),
    ]


RULE = Rule(
    id="dollars",
    name="Dollars at stake",
    factor="Do the annual savings clear the floor that pays for the work?",
    reads=(
        "cost_per_year_usd",
        "savings_per_year_low",
        "savings_per_year_mid",
        "savings_per_year_high",
        "compiler_candidate",
    ),
    thresholds=("thresholds.min_annual_savings_usd",),
    check=check,
)
