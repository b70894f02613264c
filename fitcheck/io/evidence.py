"""Read benchmark results files into the evidence table the analysis consumes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from fitcheck.core.analysis import EVIDENCE_COLUMNS
from fitcheck.errors import InputError, Location
from fitcheck.io.yamlfile import read_text


def load_evidence(paths: list[Path]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for path in paths:
        rows.extend(_rows(Path(path)))
    return pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))


def load_measurements(paths: list[Path]) -> list[dict[str, Any]]:
    """Every usable comparison in the results files, with its host, for reports to chart."""
    out = []
    for path in paths:
        for row in _rows(Path(path)):
            out.append(
                {
                    "workload": row["workload"],
                    "compiler": row["compiler"],
                    "candidate": row["candidate"],
                    "baseline": row["baseline"],
                    "speedup": {lv: row[f"speedup_{lv}"] for lv in ("low", "mid", "high")},
                    "host": row["host"],
                    "file": str(path),
                    "source": row["source"],
                }
            )
    return out


def _rows(path: Path) -> list[dict[str, Any]]:
    file = str(path)
    try:
        doc = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise InputError(f"malformed JSON: {err.msg}", Location(file, err.lineno)) from None
    if not isinstance(doc, dict) or doc.get("kind") != "fitcheck-bench-results":
        raise InputError(
            'not a fitcheck bench results file (expected "kind": "fitcheck-bench-results")',
            Location(file, field="kind"),
        )
    workload = doc.get("workload")
    comparisons = doc.get("comparisons")
    if not isinstance(comparisons, list):
        raise InputError("expected a list", Location(file, field="comparisons"))
    rows = []
    for i, comp in enumerate(comparisons):
        where = f"comparisons[{i}]"
        if not isinstance(comp, dict):
            raise InputError("expected an object", Location(file, field=where))
        speed = comp.get("speedup")
        if speed is None:  # a failed candidate: nothing measured to use
            continue
        values = []
        for lv in ("low", "mid", "high"):
            v = speed.get(lv) if isinstance(speed, dict) else None
            if not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
                raise InputError(
                    f"{v!r} is not a positive number", Location(file, field=f"{where}.speedup.{lv}")
                )
            values.append(float(v))
        if not values[0] <= values[1] <= values[2]:
            raise InputError(
                f"expected low <= mid <= high, got {values}", Location(file, field=f"{where}.speedup")
            )
        parity = comp.get("loss_parity") or {}
        compile_s = comp.get("compile_seconds")
        rows.append(
            {
                "workload": workload or "",
                "compiler": comp.get("compiler", ""),
                "speedup_low": values[0],
                "speedup_mid": values[1],
                "speedup_high": values[2],
                "compile_seconds": float(compile_s) if isinstance(compile_s, int | float) else math.nan,
                "loss_parity_ok": parity.get("ok"),
                "stopped_because": comp.get("stopped_because") or "",
                "candidate": str(comp.get("candidate", "?")),
                "baseline": str(comp.get("baseline", "?")),
                "host": doc.get("host") if isinstance(doc.get("host"), dict) else {},
                "source": f"{file} ({comp.get('candidate', '?')} vs {comp.get('baseline', '?')}"
                f", {doc.get('host', {}).get('device_name') or doc.get('host', {}).get('device', '?')})",
            }
        )
    return rows
