"""Benchmark results files for tests of the analysis and the report.

Built with the core's results model (so they are valid by construction) from figures a test
chooses: these test how fitcheck *uses* a measurement. Real measurements are made, and
checked, in tests/bench.
"""

from __future__ import annotations

from pathlib import Path


def write_bench_results(
    path: Path,
    workload: str,
    speedup: tuple[float, float, float],
    parity_ok: bool = True,
    *,
    blocks: int = 30,
    stopped_because: str = "target_ci",
    compile_seconds: float = 95.0,
    compile_seconds_warm: float | None = None,
    ceiling: float | None = None,
) -> Path:
    """A results file as 'fitcheck bench' writes it, built with its own pydantic model.

    ``blocks`` under 10 makes the comparison "insufficient" (no interval; the point estimate
    is the speedup's mid). ``compile_seconds_warm`` adds the warm compile time; ``ceiling``
    a speedup ceiling (1 / MFU) measured on an A100.
    """
    from fitcheck.core.benchresult import MIN_INTERVAL_BLOCKS, BenchResults

    enough = blocks >= MIN_INTERVAL_BLOCKS
    interval = dict(zip(("low", "mid", "high"), speedup, strict=True))
    results = BenchResults.model_validate(
        {
            "kind": "fitcheck-bench-results",
            "format_version": 2,
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
                    "measurement": "interval" if enough else "insufficient",
                    "speedup": interval if enough else None,
                    "speedup_basis": "throughput ratio (test figures)",
                    "point_estimate": speedup[1],
                    "blocks": blocks,
                    "steps": blocks * 5,
                    "compile_seconds": compile_seconds,
                    "compile_seconds_warm": compile_seconds_warm,
                    "stopped_because": stopped_because,
                    "loss_parity": {"max_rel_diff": 0.001, "tolerance": 0.01, "ok": parity_ok},
                }
            ],
            "ceiling": None
            if ceiling is None
            else {
                "flops_per_step": 1.0e15,
                "achieved_tflops": 250.0,
                "accelerator": "A100",
                "peak_tflops": 312.0,
                "peak_source": "test",
                "mfu": 1 / ceiling,
                "speedup_ceiling": ceiling,
            },
        }
    )
    path.write_text(results.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path
