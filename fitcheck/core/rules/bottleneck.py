"""Bottleneck: a compiler speeds up compute, not a starving data loader.

Under ``gpu_utilization_fail_below`` the job is input-bound (a fixable blocker: fix the
loader first); between that and ``gpu_utilization_min`` it is borderline (warn), so 69 %
and 70 % are neighbours, not opposite verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status

LOADER = (
    "Fix the input pipeline first (more DataLoader workers, pinned memory, prefetch, faster "
    "storage or pre-decoded data), then re-measure GPU utilisation and re-analyze."
)


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    util = ctx["gpu_utilization"].to_numpy(dtype=float)
    t = policy.thresholds
    limit, floor = t.gpu_utilization_min, t.gpu_utilization_fail_below
    known = ~np.isnan(util)
    return [
        Case(~ctx["applies"], None),
        Case(
            known & (util < floor),
            Status.FAIL,
            f"GPU utilisation {{_util_pct:.0f}} % is below {floor:.0%}: the job is input-bound and a "
            "compiler would only make the GPU wait faster.",
            LOADER,
            fixable=True,
        ),
        Case(
            known & (util < limit),
            Status.WARN,
            f"GPU utilisation {{_util_pct:.0f}} % is under {limit:.0%} (SageMaker Debugger's "
            "LowGPUUtilization line): part of each step waits for data, so part of the gain is lost.",
            "Profile the input pipeline (DataLoader workers, prefetch) and measure the real gain with "
            "'fitcheck bench'.",
        ),
        Case(
            known,
            Status.PASS,
            f"GPU utilisation {{_util_pct:.0f}} % (at or above {limit:.0%}): compute-bound enough for a "
            "compiler to matter.",
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
    return {"_util_pct": ctx["gpu_utilization"] * 100}


RULE = Rule(
    id="bottleneck",
    name="Bottleneck",
    factor="Is the GPU busy (compute-bound) or waiting for data?",
    reads=("gpu_utilization", "data_loading", "applies"),
    thresholds=("thresholds.gpu_utilization_min", "thresholds.gpu_utilization_fail_below"),
    check=check,
    role="condition",
    derive=derive,
)
