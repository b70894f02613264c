"""Bottleneck: a compiler speeds up compute, not a starving data loader."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    util = ctx["gpu_utilization"].to_numpy(dtype=float)
    limit = policy.thresholds.gpu_utilization_min
    known = ~np.isnan(util)
    return [
        Case(ctx["compiler_candidate"] == "none", None),
        Case(
            known & (util < limit),
            Status.FAIL,
            f"GPU utilisation {{_util_pct:.0f}} % is below {limit:.0%}: the job looks input-bound "
            "and a compiler would only make the GPU wait faster.",
            "Fix the input pipeline first (more DataLoader workers, pinned memory, prefetch, "
            "faster storage), then re-analyze.",
        ),
        Case(
            known,
            Status.PASS,
            f"GPU utilisation {{_util_pct:.0f}} % (at or above {limit:.0%}): compute-bound enough "
            "for a compiler to matter.",
        ),
        Case(
            ctx["data_loading"] == "custom",
            Status.UNKNOWN,
            "GPU utilisation not measured and the data loader is custom.",
            "Measure GPU utilisation (SageMaker Debugger's LowGPUUtilization rule or nvidia-smi) "
            "and record gpu_utilization.",
        ),
        Case(
            True,
            Status.UNKNOWN,
            "GPU utilisation not measured.",
            "Record gpu_utilization from a profiler run (CloudWatch GPUUtilization or "
            "'fitcheck bench' on a GPU).",
        ),
    ]


def derive(ctx: pd.DataFrame, policy: Policy) -> dict[str, object]:
    return {"_util_pct": ctx["gpu_utilization"] * 100}


RULE = Rule(
    id="bottleneck",
    name="Bottleneck",
    factor="Is the GPU busy (compute-bound) or waiting for data?",
    reads=("gpu_utilization", "data_loading", "compiler_candidate"),
    thresholds=("thresholds.gpu_utilization_min",),
    check=check,
    derive=derive,
)
