"""The results file of ``fitcheck bench``: built with the core's model, written atomically.

The model itself lives in :mod:`fitcheck.core.benchresult` (one model for the local and the
SageMaker producers); reading is :func:`fitcheck.io.evidence.load_bench_results`. Torch-free.
"""

from __future__ import annotations

from pathlib import Path

from fitcheck.core.benchresult import (
    FORMAT_VERSION,
    MIN_INTERVAL_BLOCKS,
    RESULTS_KIND,
    BackendResult,
    BenchResults,
    Ceiling,
    Comparison,
    DynamicResult,
    GpuUtilization,
    Host,
    Interference,
    LossParity,
    SequentialInterval,
    SpeedupInterval,
    StepSummary,
)
from fitcheck.io.atomic import atomic_write_text
from fitcheck.io.evidence import load_bench_results, parse_bench_results

__all__ = [
    "FORMAT_VERSION",
    "MIN_INTERVAL_BLOCKS",
    "RESULTS_KIND",
    "BackendResult",
    "BenchResults",
    "Ceiling",
    "Comparison",
    "DynamicResult",
    "GpuUtilization",
    "Host",
    "Interference",
    "LossParity",
    "SequentialInterval",
    "SpeedupInterval",
    "StepSummary",
    "dump_bench_results",
    "load_bench_results",
    "parse_bench_results",
    "write_bench_results",
]


def dump_bench_results(results: BenchResults) -> str:
    """The JSON text of a results file (the model's field order, two-space indent)."""
    return results.model_dump_json(indent=2) + "\n"


def write_bench_results(results: BenchResults, path: str | Path) -> None:
    """Write ``results`` to ``path`` atomically (an existing file survives a failure)."""
    atomic_write_text(path, dump_bench_results(results))
