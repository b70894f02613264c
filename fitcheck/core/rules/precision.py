"""Precision: tensor-core hardware and compilers compound in fp16/bf16."""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    p = ctx["precision"]
    return [
        Case(ctx["compiler_candidate"] == "none", None),
        Case(
            p.isin(["fp16", "bf16"]),
            Status.PASS,
            "Mixed precision ({precision}): tensor cores and the compiler compound.",
        ),
        Case(
            p == "tf32",
            Status.WARN,
            "TF32: matmuls already use tensor cores; expect about half the mixed-precision gain.",
            "Try bf16/fp16 autocast first; it usually gains more than the compiler.",
        ),
        Case(
            p == "fp32",
            Status.WARN,
            "fp32-only training: compilers give single-digit or negative gains here.",
            "Enable mixed precision (torch.autocast with bf16, or fp16 with a GradScaler) first.",
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
    factor="Does the job train in mixed precision?",
    reads=("precision", "compiler_candidate"),
    thresholds=(),
    check=check,
)
