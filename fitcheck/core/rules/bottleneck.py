"""Bottleneck: a compiler speeds up compute, not a starving data loader.

Under ``gpu_utilization_fail_below`` the job is input-bound (a fixable blocker: fix the
loader first); between that and ``gpu_utilization_min`` it is borderline (warn), so 69 %
and 70 % are neighbours, not opposite verdicts.

With the spread over the runs (``gpu_utilization_p5`` / ``_p95``, as ``fitcheck import
sagemaker`` writes from CloudWatch), a busy mean with a low 5th percentile is read as what it
is: periodic stalls (evaluation, checkpoints, loader hiccups) that a compiler leaves as they are,
said in the finding, not a verdict on the mean."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status

LOADER = (
    "Fix the input pipeline first (more DataLoader workers, pinned memory, prefetch, faster "
    "storage or pre-decoded data), then re-measure GPU utilisation and re-analyze."
)


def _column(ctx: pd.DataFrame, name: str) -> np.ndarray:
    if name not in ctx:
        return np.full(len(ctx), np.nan)
    return pd.to_numeric(ctx[name], errors="coerce").to_numpy(dtype=float)


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    util = ctx["gpu_utilization"].to_numpy(dtype=float)
    p5 = _column(ctx, "gpu_utilization_p5")
    t = policy.thresholds
    limit, floor = t.gpu_utilization_min, t.gpu_utilization_fail_below
    known = ~np.isnan(util)
    with np.errstate(invalid="ignore"):
        stalls = known & (util >= limit) & (p5 < floor)
    return [
        Case(~ctx["applies"], None),
        Case(
            known & (util < floor),
            Status.FAIL,
            f"GPU utilisation {{_util_pct:.0f}} %{{_util_spread}} is below {floor:.0%}: the job is "
            "input-bound and a compiler would only make the GPU wait faster.",
            LOADER,
            fixable=True,
        ),
        Case(
            known & (util < limit),
            Status.WARN,
            f"GPU utilisation {{_util_pct:.0f}} %{{_util_spread}} is under {limit:.0%} (SageMaker Debugger's "
            "LowGPUUtilization line): part of each step waits for data, so part of the gain is lost.",
            "Profile the input pipeline (DataLoader workers, prefetch) and measure the real gain with "
            "'fitcheck bench'.",
        ),
        Case(
            stalls,
            Status.PASS,
            f"GPU utilisation {{_util_pct:.0f}} % (at or above {limit:.0%}), but its 5th percentile is "
            f"{{_p5_pct:.0f}} %: periodic stalls (evaluation, checkpoints, loader hiccups) that a "
            "compiler leaves as they are; the gain applies to the busy time only.",
        ),
        Case(
            known,
            Status.PASS,
            f"GPU utilisation {{_util_pct:.0f}} %{{_util_spread}} (at or above {limit:.0%}): "
            "compute-bound enough for a compiler to matter.",
        ),
        Case(
            ctx["data_loading"] == "custom",
            Status.UNKNOWN,
            "GPU utilisation not measured and the data loader is custom.",
            "Measure GPU utilisation (CloudWatch GPUUtilization for the training job, or nvidia-smi) "
            "and record gpu_utilization.",
        ),
        Case(
            True,
            Status.UNKNOWN,
            "GPU utilisation not measured.",
            "Record gpu_utilization from a profiler run (CloudWatch GPUUtilization or 'fitcheck bench' "
            "on a GPU).",
        ),
    ]


def derive(ctx: pd.DataFrame, policy: Policy) -> dict[str, object]:
    p5, p95 = _column(ctx, "gpu_utilization_p5"), _column(ctx, "gpu_utilization_p95")
    spread = np.full(len(ctx), "", dtype=object)
    both = ~np.isnan(p5) & ~np.isnan(p95)
    if both.any():
        spread[both] = [
            f" (p5 {a:.0f} %, p95 {b:.0f} %)" for a, b in zip(p5[both] * 100, p95[both] * 100, strict=True)
        ]
    return {
        "_util_pct": ctx["gpu_utilization"] * 100,
        "_p5_pct": pd.Series(p5 * 100, index=ctx.index),
        "_util_spread": pd.Series(spread, index=ctx.index, dtype=object),
    }


RULE = Rule(
    id="bottleneck",
    name="Bottleneck",
    factor="Is the GPU busy (compute-bound) or waiting for data?",
    reads=("gpu_utilization", "gpu_utilization_p5", "gpu_utilization_p95", "data_loading", "applies"),
    thresholds=("thresholds.gpu_utilization_min", "thresholds.gpu_utilization_fail_below"),
    check=check,
    role="condition",
    derive=derive,
)
