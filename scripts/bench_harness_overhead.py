"""How much does the ``fitcheck bench`` harness itself cost, and how much does adaptive stopping save?

1. Overhead: the same training step runs in one worker process as a bare timed loop (one clock
   read around N steps) and under the harness (per-step sync and clock, batches built per
   block, one pipe round trip per block), alternately, for several rounds. Printed: the
   harness's per-step time against the bare loop's (target: under 2 %), and the wall time per
   step the harness spends including its messaging.
2. Adaptive stopping: 30 interleaved blocks of eager and a candidate are recorded; a fixed
   30-repeat schedule gives an interval of some half-width; replaying the stopping rules on the
   same blocks shows how many blocks width-based stopping needed to reach that same half-width,
   and after how many blocks decision-aware stopping (the profile's thresholds, 99 % interval
   valid at every look) decided, if it did.

    PYTHONPATH=. .venv/bin/python scripts/bench_harness_overhead.py [--model gpt2-tiny] [--device cpu|cuda]

On CPU it measures the harness's host-side cost (clock reads, batch building, the pipe round
trip per block). What only a GPU can show is said, not guessed: the cost of a CUDA
synchronise per step against CUDA events, NVML sampling, and pinned non-blocking copies.
"""

from __future__ import annotations

import argparse
import statistics
import time

from fitcheck.bench import stats
from fitcheck.bench.config import DECISION_CONFIDENCE, MIN_TRUSTED_BLOCKS, build_config, measured_thresholds
from fitcheck.bench.runner import LEAD_STEPS, BackendState, WorkerPool, run_bench

GPU_ONLY = (
    "needs a GPU (not measured on this device): per-step CUDA synchronise vs CUDA events, "
    "NVML sampling around the timed block, pinned non-blocking host-to-device copies"
)


def measure_overhead(model: str, steps: int, rounds: int, block_steps: int, device: str) -> None:
    cfg = build_config(model=model, backends="eager,inductor", device=device)
    pool = WorkerPool(cfg)
    worker = BackendState("eager")
    pool.start(worker, device, {})

    def bare(start: int) -> float:
        return pool.call(worker, "bare", start=start, count=steps)["seconds"] / steps

    def harness(start: int) -> tuple[float, float]:
        t0 = time.perf_counter()
        samples: list[float] = []
        for k in range(0, steps, block_steps):  # blocks as the runner runs them
            n = min(block_steps, steps - k) + LEAD_STEPS
            sizes = [cfg.size] * n
            out = pool.call(worker, "steps", start=start + k, sizes=sizes, lead=LEAD_STEPS)
            samples.extend(out["seconds"])
        return statistics.fmean(samples), (time.perf_counter() - t0) / steps

    try:
        pool.call(worker, "setup")
        pool.call(worker, "steps", start=0, sizes=[cfg.size] * 5)  # warm-up
        rows = []
        for r in range(rounds):  # the same steps both ways, the order alternating
            start = 10 + r * steps
            if r % 2:
                (rep, wall), b = harness(start), bare(start)
            else:
                b = bare(start)
                rep, wall = harness(start)
            rows.append((b, rep, wall))
    finally:
        pool.stop([worker])
    b = statistics.median(r[0] for r in rows)
    bare_blocks = [[r[0]] for r in rows]
    rep = stats.paired_bootstrap_ratio([[r[1]] for r in rows], bare_blocks)
    wall = stats.paired_bootstrap_ratio([[r[2]] for r in rows], bare_blocks)
    print(f"model {model} on {device}: {rounds} rounds of {steps} steps, blocks of {block_steps} steps")
    print(f"  bare loop: {b * 1e3:.3f} ms/step")
    for label, iv in (("timed step under the harness", rep), ("wall time incl. lead + pipe", wall)):
        print(
            f"  {label}: overhead {100 * (iv.mid - 1):+.2f} % per step"
            f" (95 % interval {100 * (iv.low - 1):+.2f} .. {100 * (iv.high - 1):+.2f} %)"
        )
    if device != "cuda":
        print(f"  {GPU_ONLY}")


def adaptive_vs_fixed(model: str, candidate: str, block_steps: int, max_seconds: float, device: str) -> None:
    enable, skip = measured_thresholds(None)
    cfg = build_config(
        model=model,
        backends=f"eager,{candidate}",
        device=device,
        enable_above=1e6,  # record all 30 blocks: no decision may stop the recording
        skip_below=1e-6,
        block_steps=block_steps,
        min_steps=30 * block_steps,
        max_blocks=30,
        target_ci=1e-9,
        max_seconds=max_seconds,
        warm_compile_cache=True,
    )
    res = run_bench(cfg)
    e = res.backends["eager"].step_seconds
    c = res.backends[candidate].step_seconds
    eb = [e[i : i + block_steps] for i in range(0, len(e), block_steps)]
    cb = [c[i : i + block_steps] for i in range(0, len(c), block_steps)]
    n = min(len(eb), len(cb))
    fixed = stats.paired_bootstrap_ratio(eb[:n], cb[:n])
    need = stats.blocks_needed(
        eb[:n], cb[:n], target_ci=fixed.relative_half_width, min_blocks=MIN_TRUSTED_BLOCKS
    )
    decided = stats.blocks_to_decision(
        eb[:n],
        cb[:n],
        min_blocks=MIN_TRUSTED_BLOCKS,
        alpha=1 - DECISION_CONFIDENCE,
        enable_above=enable,
        skip_below=skip,
    )
    step_e, step_c = sum(e) / len(e), sum(c) / len(c)
    print(f"eager vs {candidate} on {model}: {n} recorded blocks of {block_steps} steps")
    print(
        f"  fixed {n}-repeat schedule: speedup {fixed.mid:.3f} [{fixed.low:.3f}, {fixed.high:.3f}],"
        f" ±{100 * fixed.relative_half_width:.2f} %"
    )
    if need is not None:
        print(
            f"  width-based stopping reached ±{100 * fixed.relative_half_width:.2f} % after {need}"
            f" blocks ({need * block_steps} steps per backend instead of {n * block_steps})"
        )
    if decided is None:
        print(
            f"  decision-aware stopping (skip < {skip:.2f}x, enable >= {enable:.2f}x):"
            f" undecided after {n} blocks"
        )
    else:
        k, verdict = decided
        secs = k * block_steps * (step_e + step_c)
        fixed_secs = n * block_steps * (step_e + step_c)
        print(
            f"  decision-aware stopping decided '{verdict}' after {k} blocks ({100 * k / n:.0f} % of the"
            f" fixed schedule; {secs:.1f} device-seconds instead of {fixed_secs:.1f})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="bert-base-uncased-tiny")
    ap.add_argument("--candidate", default="inductor")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--block-steps", type=int, default=10)
    ap.add_argument("--max-seconds", type=float, default=600.0)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--skip-adaptive", action="store_true")
    args = ap.parse_args()
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: torch sees no CUDA device on this machine")
    measure_overhead(args.model, args.steps, args.rounds, args.block_steps, args.device)
    if not args.skip_adaptive:
        adaptive_vs_fixed(args.model, args.candidate, args.block_steps, args.max_seconds, args.device)


if __name__ == "__main__":
    main()
