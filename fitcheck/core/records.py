"""The nested per-workload record (:class:`~fitcheck.core.document.WorkloadRecord`) to and
from the flat table.

Both directions live here so a saved JSON analysis re-renders exactly as it was. Records
are produced in chunks (:func:`record_chunks`) so a million-row analysis never holds every
record at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
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
    "unblock",
    "evidence",
    "evidence_source",
    "compile_overhead_minutes",
    "compile_overhead_basis",
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
CHUNK = 5_000


def to_records(analysis: Analysis) -> list[dict[str, Any]]:
    """Every record at once (small analyses; large ones use :func:`record_chunks`)."""
    return [r for chunk in record_chunks(analysis) for r in chunk]


def record_chunks(analysis: Analysis, size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    """The records, ``size`` rows at a time, in table order."""
    rules = analysis.rule_ids
    for start in range(0, len(analysis.table), size):
        rows = np.arange(start, min(start + size, len(analysis.table)))
        yield _records(_rows(analysis, rows), rules)


def _rows(analysis: Analysis, rows: np.ndarray) -> pd.DataFrame:
    """The table's rows at ``rows`` with their finding messages (rendered for those rows only:
    a million workloads' messages never exist at once)."""
    t = analysis.table.iloc[rows]
    if not analysis.outputs:
        return t
    return t.assign(**{f"message_{o.rule.id}": o.messages(rows) for o in analysis.outputs})


def _plain_column(column: pd.Series, kind: str | None = None) -> list[Any]:
    """A column as plain JSON values, NaN / NA as None, in one pass per column."""
    if column.dtype.kind == "f":
        values = column.to_numpy(dtype=float)
        out = values.tolist()
        missing = np.flatnonzero(np.isnan(values))
        for k in missing.tolist():
            out[k] = None
        if kind == "int":
            return [None if v is None else int(v) for v in out]
        return out
    if column.dtype.kind in "biu":
        return column.tolist()
    values = column.astype(object)
    return values.where(values.notna(), None).tolist()


def _records(t: pd.DataFrame, rules: list[str]) -> list[dict[str, Any]]:
    kinds = {INPUT_RENAMES.get(k, k): FIELDS[k].kind for k in INPUT_FIELDS}
    kinds["recommended_batch_size"] = "int"
    cols = {c: _plain_column(t[c], kinds.get(c)) for c in t.columns}
    has_net = "one_time_cost_usd" in cols
    scalars = [(k, cols[k]) for k in SCALARS]
    ranges = [(k, [cols[pattern.format(lv)] for lv in LEVELS]) for k, pattern in RANGES.items()]
    inputs = [(k, cols[INPUT_RENAMES.get(k, k)]) for k in INPUT_FIELDS]
    findings = [(r, cols[f"status_{r}"], cols[f"message_{r}"], cols[f"remedy_{r}"]) for r in rules]
    tags_cache: dict[str, dict[str, Any]] = {}
    out = []
    for i in range(len(t)):
        rec: dict[str, Any] = {"name": cols["name"][i]}
        for key, col in scalars:
            rec[key] = col[i]
        for key, (lo, mid, hi) in ranges:
            rec[key] = {"low": lo[i], "mid": mid[i], "high": hi[i]}
        if has_net:
            rec["one_time_cost_usd"] = cols["one_time_cost_usd"][i]
            mid = cols["net_first_year_usd_mid"][i]
            rec["net_first_year_usd"] = (
                None
                if mid is None
                else {
                    "low": cols["net_first_year_usd_low"][i],
                    "mid": mid,
                    "high": cols["net_first_year_usd_high"][i],
                }
            )
            rec["payback_weeks"] = cols["payback_weeks"][i]
        rec["findings"] = [
            {"rule": r, "status": st[i], "message": msg[i], "remedy": rem[i]}
            for r, st, msg, rem in findings
            if st[i] != "n/a"
        ]
        rec["next_steps"] = list(cols["next_steps"][i] or ())
        command = cols["plan_command"][i]
        rec["benchmark_plan"] = (
            None
            if command is None
            else {
                "command": command,
                "where": cols["plan_where"][i],
                "hours": cols["plan_hours"][i],
                "cost_usd": cols["plan_cost_usd"][i],
                "decide_by": cols["plan_decide_by"][i],
            }
        )
        parity = cols["loss_parity_ok"][i]
        rec["loss_parity_ok"] = None if parity is None else bool(parity)
        rec["inputs"] = {k: col[i] for k, col in inputs}
        raw = cols["tags"][i] or "{}"
        tags = tags_cache.get(raw)
        if tags is None:
            tags = tags_cache.setdefault(raw, json.loads(raw))
        rec["tags"] = dict(tags)
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
                "plan_where": plan.get("where"),
                "plan_hours": plan.get("hours"),
                "plan_cost_usd": plan.get("cost_usd"),
                "plan_decide_by": plan.get("decide_by"),
            }
        )
        row["one_time_cost_usd"] = rec.get("one_time_cost_usd")
        net = rec.get("net_first_year_usd") or {}
        for lv in LEVELS:
            row[f"net_first_year_usd_{lv}"] = net.get(lv)
        row["payback_weeks"] = rec.get("payback_weeks")
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
    frame = pd.DataFrame(rows)
    for col in frame.columns:  # all-null money columns stay numeric (NaN), as analysed
        if col.endswith("_usd") or "_usd_" in col or col in ("payback_weeks", "break_even_minutes"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame


def records_at(analysis: Analysis, positions: Sequence[int] | np.ndarray) -> list[dict[str, Any]]:
    """The records of the rows at ``positions`` (in that order)."""
    return _records(_rows(analysis, np.asarray(positions, dtype=np.int64)), analysis.rule_ids)


def reading_order(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Row positions as a reader wants them: the actionable rows (enable, benchmark) by
    expected net first-year savings, largest first; then the skip rows by spend."""
    decision = table["decision"].to_numpy()
    skip = decision == "skip"
    key = "net_first_year_usd_mid" if "net_first_year_usd_mid" in table else "savings_per_year_usd_mid"
    net = np.nan_to_num(table[key].to_numpy(dtype=float), nan=-np.inf)
    spend = np.nan_to_num(table["cost_per_year_usd"].to_numpy(dtype=float))
    acting = np.flatnonzero(~skip)
    acting = acting[np.argsort(-net[acting], kind="stable")]
    rest = np.flatnonzero(skip)
    rest = rest[np.argsort(-spend[rest], kind="stable")]
    return acting, rest
