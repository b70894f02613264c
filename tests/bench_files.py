"""Benchmark results files for tests of the analysis and the report.

Built with the results model of ``fitcheck bench`` (so they are valid by construction)
from figures a test chooses: these test how fitcheck *uses* a measurement. Real
measurements are made, and checked, in tests/bench.
"""

from __future__ import annotations

from pathlib import Path


def write_bench_results(
    path: Path, workload: str, speedup: tuple[float, float, float], parity_ok: bool = True
) -> Path:
    """A results file as 'fitcheck bench' writes it, built with its own pydantic model."""
    from fitcheck.bench.results import BenchResults, dump_bench_results

    results = BenchResults.model_validate(
        {
            "fitcheck_version": "0.1.0",
            "created_at": "2026-11-20T10:00:00+00:00",
            "workload": workload,
            "model": "gpt2",
            "host": {
                "device": "cuda",
                "device_name": "NVIDIA A100-SXM4-40GB",
                "driver": "550.54",
                "cuda": "12.8",
                "torch": "2.9.0",
                "platform": "Linux-6.1-x86_64",
            },
            "config": {"precision": "bf16", "batch_size": 4},
            "backends": {
                "eager": {"status": "ok", "step_seconds": [0.50, 0.51, 0.49]},
                "inductor": {"status": "ok", "compile_seconds": 95.0, "step_seconds": [0.40, 0.41, 0.405]},
            },
            "comparisons": [
                {
                    "baseline": "eager",
                    "candidate": "inductor",
                    "compiler": "torch.compile",
                    "speedup": dict(zip(("low", "mid", "high"), speedup, strict=True)),
                    "compile_seconds": 95.0,
                    "stopped_because": "target_ci",
                    "loss_parity": {"max_rel_diff": 0.001, "tolerance": 0.01, "ok": parity_ok},
                }
            ],
        }
    )
    path.write_text(dump_bench_results(results), encoding="utf-8")
    return path
