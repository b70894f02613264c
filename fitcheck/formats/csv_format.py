"""CSV: one row per workload, flat columns, for spreadsheets and job-history pipelines.

Rendered straight from the analysis table (no per-row objects), so a million-row
inventory stays fast. Per-rule columns carry the status; the messages are in JSON/HTML.
Each row names its line of the finance view (``line``: committed, pending, not_pursued);
with ``--group-by TAG`` a ``tag_<TAG>`` column carries the tag's value. Text cells that a
spreadsheet would evaluate (starting with ``= + - @``, tab or CR) get a leading ``'``;
numbers stay numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from fitcheck.core.analysis import Analysis

# The inventory fields repeated here are the ones the money depends on (the region: the price's
# region); every other input is in the inventory itself (join on name) and in the JSON output.
INPUTS = (
    "model",
    "model_family",
    "instance_type",
    "region",
    "instance_count",
    "duration_hours",
    "runs_per_week",
)
RESULTS = (
    "decision",
    "compiler",
    "candidate_compiler",
    "score",
    "evidence",
    "main_reason",
    "unblock",
    "expected_speedup_low",
    "expected_speedup_mid",
    "expected_speedup_high",
    "compile_overhead_minutes",
    "compile_overhead_basis",
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
    "one_time_cost_usd",
    "net_first_year_usd_low",
    "net_first_year_usd_mid",
    "net_first_year_usd_high",
    "payback_weeks",
    "loss_parity_ok",
)
LINE = {"enable": "committed", "benchmark": "pending", "skip": "not_pursued"}
TEXT = ("change", "plan_where", "plan_command")


def flat(analysis: Analysis, start: int = 0, stop: int | None = None) -> pd.DataFrame:
    """The CSV columns of rows ``start:stop``: name, the money inputs, the results, one
    status column per rule, the change, where the benchmark runs, its command and the next
    steps joined with ' | '."""
    t = analysis.table
    if start or stop is not None:
        t = t.iloc[start:stop].reset_index(drop=True)
    statuses = [c for c in t.columns if c.startswith("status_")]
    out = t[["name", *INPUTS, *[c for c in RESULTS if c in t.columns], *statuses, *TEXT]].copy()
    out.insert(out.columns.get_loc("decision"), "line", t["decision"].map(LINE).to_numpy(dtype=object))
    group = analysis.meta.get("rollup") or []
    if group:
        tag = group[0]["tag"]
        cache: dict[str, object] = {}
        values = [
            cache[k] if k in cache else cache.setdefault(k, json.loads(k or "{}").get(tag))
            for k in t["tags"].astype(object).tolist()
        ]
        out.insert(1, f"tag_{tag}", pd.Series(values, dtype=object))
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


def _neutralised(column: Any) -> Any:
    """Text cells a spreadsheet would run as a formula get a leading apostrophe."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return column
    risky = pc.fill_null(pc.match_substring_regex(column, r"^[=+\-@\t\r]"), False)
    if not pc.any(risky).as_py():
        return column
    quote, empty = pa.scalar("'", type=column.type), pa.scalar("", type=column.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, column, empty), column)


CHUNK = 25_000  # rows rendered at a time: the output never exists whole in memory


class CsvFormatter:
    suffix = ".csv"
    suffixes = (".csv",)
    chunk = CHUNK

    def stream(self, analysis: Analysis) -> Iterator[str]:
        """The CSV a chunk of rows at a time (the header with the first); every chunk is
        written by the same rules, so the text is the same whatever the chunk size."""
        n = len(analysis.table)
        for start in range(0, max(n, 1), self.chunk):
            yield self._chunk(flat(analysis, start, min(start + self.chunk, n)), header=start == 0)

    def render(self, analysis: Analysis) -> str:
        return "".join(self.stream(analysis))

    @staticmethod
    def _chunk(frame: pd.DataFrame, header: bool) -> str:
        # pyarrow's multi-threaded CSV writer: several times faster than DataFrame.to_csv.
        import pyarrow as pa
        import pyarrow.csv as pacsv

        table = pa.Table.from_pandas(frame, preserve_index=False)
        for i, field in enumerate(table.schema):  # categorical statuses: cast in C++, not per value
            if pa.types.is_dictionary(field.type):
                table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
            table = table.set_column(i, field.name, _neutralised(table.column(i)))
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=header, quoting_style="needed"))
        return sink.getvalue().to_pybytes().decode("utf-8")
