"""CSV: one row per workload, flat columns, for spreadsheets and job-history pipelines.

Rendered straight from the analysis table (no per-row objects), so a million-row
inventory stays fast. Per-rule columns carry the status; the messages are in JSON/HTML.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitcheck.core.analysis import Analysis

# The inventory fields repeated here are the ones the money depends on; every other input
# is in the inventory itself (join on name) and in the JSON output.
INPUTS = ("model", "model_family", "instance_type", "instance_count", "duration_hours", "runs_per_week")
RESULTS = (
    "decision",
    "compiler",
    "candidate_compiler",
    "score",
    "evidence",
    "main_reason",
    "expected_speedup_low",
    "expected_speedup_mid",
    "expected_speedup_high",
    "compile_overhead_minutes",
    "break_even_minutes",
    "hourly_price_usd",
    "price_source",
    "price_date",
    "price_stale",
    "cost_per_run_usd",
    "cost_per_year_usd",
    "savings_per_run_usd_low",
    "savings_per_run_usd_mid",
    "savings_per_run_usd_high",
    "savings_per_year_usd_low",
    "savings_per_year_usd_mid",
    "savings_per_year_usd_high",
    "recommended_batch_size",
    "learning_rate_scale",
    "plan_cost_usd",
    "loss_parity_ok",
)
TEXT = ("change", "plan_command")


def flat(analysis: Analysis) -> pd.DataFrame:
    """The CSV columns: name, the money inputs, the results, one status column per rule,
    the change, the benchmark command and the next steps joined with ' | '."""
    t = analysis.table
    statuses = [c for c in t.columns if c.startswith("status_")]
    out = t[["name", *INPUTS, *RESULTS, *statuses, *TEXT]].copy()
    measured = (t["evidence"] == "measured").to_numpy()
    out.insert(
        out.columns.get_loc("main_reason"),
        "measured_source",
        np.where(measured, t["evidence_source"].to_numpy(dtype=object), None),
    )
    joined: dict[int, str] = {}  # workloads with the same advice share one list: join it once
    out["next_steps"] = pd.Series(
        [joined.get(id(s)) or joined.setdefault(id(s), " | ".join(s)) for s in t["next_steps"]], dtype=object
    )
    for col in out.columns:  # cents for money, four places for ratios and minutes
        if out[col].dtype.kind == "f":
            out[col] = out[col].round(2 if col.endswith("_usd") or "_usd_" in col else 4)
    return out


class CsvFormatter:
    suffix = ".csv"

    def render(self, analysis: Analysis) -> str:
        # pyarrow's multi-threaded CSV writer: several times faster than DataFrame.to_csv.
        import pyarrow as pa
        import pyarrow.csv as pacsv

        frame = flat(analysis)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        for i, field in enumerate(table.schema):  # categorical statuses: cast in C++, not per value
            if pa.types.is_dictionary(field.type):
                table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
        return sink.getvalue().to_pybytes().decode("utf-8")
