"""Number formatting shared by the human-readable formats."""

from __future__ import annotations

import math
from typing import Any


def money(value: Any) -> str:
    """$1,234,567; a loss is shown as -$1,234 (never clipped to zero)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def money_range(r: dict[str, Any]) -> str:
    return f"{money(r.get('low'))} to {money(r.get('high'))} (mid {money(r.get('mid'))})"


def speedup(r: dict[str, Any]) -> str:
    if r.get("mid") is None:
        return "n/a"
    return f"{r['mid']:.2f}x ({r['low']:.2f}-{r['high']:.2f})"


def minutes(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "never"
    if value >= 120:
        return f"{value / 60:.1f} h"
    return f"{value:.0f} min"


def top_opportunities(records: list[dict[str, Any]], n: int = 3) -> list[str]:
    """One sentence each for the largest expected savings among enable/benchmark workloads."""
    acting = [
        r
        for r in records
        if r["decision"] in ("enable", "benchmark") and (r["savings_per_year_usd"]["mid"] or 0) > 0
    ]
    acting.sort(key=lambda r: r["savings_per_year_usd"]["mid"], reverse=True)
    out = []
    for r in acting[:n]:
        verb = "Enable" if r["decision"] == "enable" else "Benchmark"
        out.append(
            f"{verb} {r['compiler']} on {r['name']} ({r['inputs']['model']} on "
            f"{r['inputs']['instance_count']} x {r['inputs']['instance_type']}): "
            f"{money(r['savings_per_year_usd']['mid'])}/year expected, "
            f"{money(r['savings_per_year_usd']['low'])} to {money(r['savings_per_year_usd']['high'])}."
        )
    return out
