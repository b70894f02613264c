"""The nested per-workload record (JSON, HTML, Markdown) to and from the flat table.

Both directions live here so a saved JSON analysis re-renders exactly as it was.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from fitcheck.core.analysis import INPUT_RENAMES, Analysis
from fitcheck.core.schema import FIELDS

LEVELS = ("low", "mid", "high")
INPUT_FIELDS = tuple(f for f in FIELDS if f not in ("name", "tags"))
SCALARS = (
    "decision",
    "compiler",
    "candidate_compiler",
    "score",
    "main_reason",
    "evidence",
    "evidence_source",
    "compile_overhead_minutes",
    "break_even_minutes",
    "hourly_price_usd",
    "price_source",
    "price_date",
    "price_stale",
    "cost_per_run_usd",
    "cost_per_year_usd",
    "recommended_batch_size",
    "learning_rate_scale",
    "change",
)
RANGES = {
    "expected_speedup": "expected_speedup_{}",
    "savings_per_run_usd": "savings_per_run_usd_{}",
    "savings_per_year_usd": "savings_per_year_usd_{}",
}


def clean(value: Any) -> Any:
    """numpy / pandas scalars to plain JSON values; NaN to None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _typed(name: str, value: Any) -> Any:
    """Inventory fields keep their documented type (whole numbers stay whole)."""
    value = clean(value)
    spec = FIELDS.get(name)
    if value is not None and spec is not None and spec.kind == "int":
        return int(value)
    return value


def to_records(analysis: Analysis) -> list[dict[str, Any]]:
    t = analysis.with_messages()
    rules = analysis.rule_ids
    cols = {c: t[c].tolist() for c in t.columns}
    out = []
    for i in range(len(t)):
        rec: dict[str, Any] = {"name": cols["name"][i]}
        for key in SCALARS:
            rec[key] = clean(cols[key][i])
        if rec["recommended_batch_size"] is not None:
            rec["recommended_batch_size"] = int(rec["recommended_batch_size"])
        for key, pattern in RANGES.items():
            rec[key] = {lv: clean(cols[pattern.format(lv)][i]) for lv in LEVELS}
        rec["findings"] = [
            {
                "rule": r,
                "status": cols[f"status_{r}"][i],
                "message": cols[f"message_{r}"][i],
                "remedy": clean(cols[f"remedy_{r}"][i]),
            }
            for r in rules
            if cols[f"status_{r}"][i] != "n/a"
        ]
        rec["next_steps"] = list(cols["next_steps"][i])
        rec["benchmark_plan"] = (
            None
            if clean(cols["plan_command"][i]) is None
            else {
                "command": cols["plan_command"][i],
                "hours": clean(cols["plan_hours"][i]),
                "cost_usd": clean(cols["plan_cost_usd"][i]),
                "decide_by": cols["plan_decide_by"][i],
            }
        )
        rec["loss_parity_ok"] = (
            None if clean(cols["loss_parity_ok"][i]) is None else bool(cols["loss_parity_ok"][i])
        )
        rec["inputs"] = {k: _typed(k, cols[INPUT_RENAMES.get(k, k)][i]) for k in INPUT_FIELDS}
        rec["tags"] = json.loads(cols["tags"][i] or "{}")
        out.append(rec)
    return out


def from_records(records: list[dict[str, Any]], rule_ids: list[str]) -> pd.DataFrame:
    """Rebuild the flat table from saved records (inverse of :func:`to_records`)."""
    rows = []
    for rec in records:
        row: dict[str, Any] = {"name": rec["name"], **{k: rec.get(k) for k in SCALARS}}
        row.update({INPUT_RENAMES.get(k, k): rec["inputs"].get(k) for k in INPUT_FIELDS})
        for key, pattern in RANGES.items():
            for lv in LEVELS:
                row[pattern.format(lv)] = (rec.get(key) or {}).get(lv)
        plan = rec.get("benchmark_plan") or {}
        row.update(
            {
                "plan_command": plan.get("command"),
                "plan_hours": plan.get("hours"),
                "plan_cost_usd": plan.get("cost_usd"),
                "plan_decide_by": plan.get("decide_by"),
            }
        )
        row["next_steps"] = list(rec.get("next_steps") or [])
        row["loss_parity_ok"] = rec.get("loss_parity_ok")
        row["tags"] = json.dumps(rec.get("tags") or {}, sort_keys=True)
        found = {f["rule"]: f for f in rec.get("findings") or []}
        for r in rule_ids:
            f = found.get(r)
            row[f"status_{r}"] = f["status"] if f else "n/a"
            row[f"message_{r}"] = f["message"] if f else None
            row[f"remedy_{r}"] = f.get("remedy") if f else None
        rows.append(row)
    return pd.DataFrame(rows)
