"""Precision: tensor-core hardware and compilers compound in fp16/bf16, and the GPU must
support the precision (bf16 and tf32 need Ampere: ``bf16_min_compute_capability``)."""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    p = ctx["precision"]
    cc = policy.thresholds.bf16_min_compute_capability
    return [
        Case(~ctx["applies"], None),
        Case(
            ctx["precision_unsupported"],
            Status.FAIL,
            f"{{precision}} needs compute capability >= {cc:g}; {{accelerator}} ({{compute_capability}}) has "
            "fp16 tensor cores only, so this job runs emulated or in fp32.",
            "Train in fp16 first (torch.autocast(dtype=torch.float16) with a GradScaler; Keras "
            "mixed_float16), or move to an Ampere-or-newer instance.",
            fixable=True,
        ),
        Case(
            p.isin(["fp16", "bf16"]),
            Status.PASS,
            "Mixed precision ({precision}): tensor cores and the compiler compound.",
        ),
        Case(
            p == "tf32",
            Status.WARN,
            "TF32: matmuls already use tensor cores; expect about half the mixed-precision gain.",
            "Try bf16 autocast first; it usually gains more than the compiler.",
        ),
        Case(
            p == "fp32",
            Status.FAIL,
            "fp32-only training: compilers give single-digit or negative gains here.",
            "Enable mixed precision first (torch.autocast with {mixed_for_gpu}; fp16 needs a GradScaler; "
            "Keras: a mixed_float16 or mixed_bfloat16 policy): it usually gains more than the compiler.",
            fixable=True,
        ),
        Case(
            True,
            Status.UNKNOWN,
            "Training precision is not known.",
            "Set precision (fp32, fp16, bf16 or tf32).",
        ),
    ]


RULE = Rule(
    id="precision",
    name="Precision",
    factor="Does the job train in a mixed precision its GPU supports?",
    reads=(
        "precision",
        "precision_unsupported",
        "mixed_for_gpu",
        "accelerator",
        "compute_capability",
        "applies",
    ),
    thresholds=("thresholds.bf16_min_compute_capability",),
    check=check,
    role="condition",
)
