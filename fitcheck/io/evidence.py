"""Read benchmark results files (``fitcheck bench``, local or on SageMaker) into evidence.

Each file is validated once by the results model in :mod:`fitcheck.bench.results`
(torch-free); every comparison with a measured speedup becomes one measurement.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from fitcheck.bench.results import load_bench_results
from fitcheck.core.analysis import EVIDENCE_COLUMNS


def load_measurements(paths: list[Path]) -> list[dict[str, Any]]:
    """Every usable comparison in the results files, with its host and source."""
    out: list[dict[str, Any]] = []
    for path in paths:
        results = load_bench_results(path)
        host = results.host.model_dump(mode="json")
        device = host.get("device_name") or host.get("device") or "?"
        for comp in results.comparisons:
            if comp.speedup is None:  # a failed candidate: nothing measured to use
                continue
            out.append(
                {
                    "workload": results.workload or "",
                    "compiler": comp.compiler,
                    "candidate": comp.candidate,
                    "baseline": comp.baseline,
                    "speedup": comp.speedup.model_dump(),
                    "compile_seconds": comp.compile_seconds,
                    "loss_parity_ok": None if comp.loss_parity is None else comp.loss_parity.ok,
                    "stopped_because": comp.stopped_because,
                    "host": host,
                    "file": str(path),
                    "source": f"{path} ({comp.candidate} vs {comp.baseline}, {device})",
                }
            )
    return out


def evidence_table(measurements: list[dict[str, Any]]) -> pd.DataFrame:
    """The columns the analysis consumes (see ``EVIDENCE_COLUMNS``)."""
    rows = [
        {
            "workload": m["workload"],
            "compiler": m["compiler"],
            "speedup_low": m["speedup"]["low"],
            "speedup_mid": m["speedup"]["mid"],
            "speedup_high": m["speedup"]["high"],
            "compile_seconds": math.nan if m["compile_seconds"] is None else float(m["compile_seconds"]),
            "loss_parity_ok": m["loss_parity_ok"],
            "stopped_because": m["stopped_because"],
            "source": m["source"],
        }
        for m in measurements
    ]
    return pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))
