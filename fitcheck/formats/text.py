"""Number formatting and the finance view's wording, shared by the human-readable formats.

One range notation everywhere, the core's (:mod:`fitcheck.core.notation`, which the rule
messages use too): ``$low to $high`` (with ``expected $mid`` where it matters).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fitcheck.core import notation
from fitcheck.core.analysis import Analysis
from fitcheck.core.document import Head, WorkloadRecord
from fitcheck.core.notation import missing, money, speedup_range, value_range
from fitcheck.core.records import reading_order, records_at

LINE_NAMES = {
    "committed": "Committed (enable)",
    "pending": "Pending (benchmark)",
    "not_pursued": "Not pursued (skip)",
}
SENSITIVITY_NAMES = {
    "speedup": "Speedup range",
    "runs_per_week": "Runs per week",
    "price": "Instance prices",
    "price_basis": "Price basis",
}


def short_money(value: Any) -> str:
    """$1.2M, $35k, $950: for narrow columns."""
    if missing(value):
        return "n/a"
    sign, v = ("-" if value < 0 else ""), abs(value)
    if v >= 999_500:
        return f"{sign}${v / 1e6:,.1f}M"
    if v >= 9_995:
        return f"{sign}${v / 1e3:,.0f}k"
    if v >= 1_000:
        return f"{sign}${v / 1e3:,.1f}k"
    return f"{sign}${v:,.0f}"


def rng(r: Any, fmt: Any = money) -> str:
    """The one range notation: ``$low to $high``."""
    if r is None:
        return "n/a"
    return value_range(_get(r, "low"), _get(r, "high"), fmt)


def money_range(r: Any) -> str:
    """``$low to $high (expected $mid)``."""
    return notation.money_range(_get(r, "low"), _get(r, "mid"), _get(r, "high"))


def _get(r: Any, key: str) -> Any:
    return r.get(key) if isinstance(r, dict) else getattr(r, key)


def speedup(r: Any) -> str:
    """``1.35x (1.15 to 1.55)``."""
    if r is None:
        return "n/a"
    return speedup_range(_get(r, "low"), _get(r, "mid"), _get(r, "high"))


def minutes(value: Any) -> str:
    if missing(value):
        return "never"
    if value >= 120:
        return f"{value / 60:.1f} h"
    return f"{value:.0f} min"


def weeks(value: Any) -> str:
    if missing(value):
        return "never"
    return f"{max(1, math.ceil(value))} wk"


@dataclass(frozen=True)
class View:
    """What a summary view renders: the typed head, the actionable records (largest
    expected net first) and the skip records, each capped, and how many were left out."""

    head: Head
    actionable: list[WorkloadRecord]
    skipped: list[WorkloadRecord]
    more_actionable: int
    more_skipped: int


def view(analysis: Analysis, max_actionable: int | None = None, max_skipped: int | None = None) -> View:
    """Typed records in reading order (only the rows shown are built)."""
    from fitcheck.formats.json_format import head

    acting, rest = reading_order(analysis.table)
    a = acting if max_actionable is None else acting[:max_actionable]
    s = rest if max_skipped is None else rest[:max_skipped]
    return View(
        head=Head.model_validate(head(analysis)),
        actionable=[WorkloadRecord.model_validate(r) for r in records_at(analysis, a)],
        skipped=[WorkloadRecord.model_validate(r) for r in records_at(analysis, s)],
        more_actionable=len(acting) - len(a),
        more_skipped=len(rest) - len(s),
    )


def unblock(r: WorkloadRecord) -> str:
    """What would unblock a skipped workload: the remedy the policy named (``unblock``), else
    the remedy of its first failing check, else why nothing would."""
    if r.unblock:
        return r.unblock
    for f in r.findings:
        if f.status == "fail" and f.remedy:
            return f.remedy
    for f in r.findings:
        if f.status == "fail":
            return f"nothing under this profile: {f.message}"
    return "nothing to unblock: the expected savings do not pay for the work"


def line_cells(line: Any) -> list[str]:
    """Spend, savings range, one-time cost, net range, payback of one finance line."""
    sav, net = line.savings_per_year_usd, line.net_first_year_usd
    return [
        money(line.spend_per_year_usd),
        "none shown" if sav is None else rng(sav),
        money(line.one_time_cost_usd),
        "n/a" if net is None else f"{money(net.mid)} ({rng(net)})",
        "n/a" if line.payback_weeks is None else weeks(line.payback_weeks),
    ]


LINE_HEAD = [
    "Line",
    "Workloads",
    "Spend / year",
    "Savings / year",
    "One-time cost",
    "Net first year (low to high)",
    "Payback",
]


def sensitivity_rows(head: Head) -> list[tuple[str, str, str]]:
    """(factor, low case, high case) with the net first-year savings of each case."""
    return [
        (
            SENSITIVITY_NAMES.get(s.factor, s.factor),
            f"{s.low.case}: {money(s.low.net_first_year_usd)}",
            f"{s.high.case}: {money(s.high.net_first_year_usd)}",
        )
        for s in head.totals.sensitivity
    ]
