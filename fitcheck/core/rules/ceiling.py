"""MFU ceiling: does the step leave the compiler any room?

A step that already runs at model-FLOPs utilisation u cannot run more than 1/u faster, whatever
the compiler (it would need more than the accelerator's peak). The ceiling comes from a
benchmark's results (``ceiling.speedup_ceiling``, measured on the baseline step) or, without
one, from the inventory's ``mfu`` (measured elsewhere). The context caps the prior at it (see
:func:`fitcheck.core.context.ceiling`); this rule says so and what it means for the decision.
A measured interval is not capped: one above the ceiling is inconsistent evidence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    m = policy.measured
    limit = ctx["speedup_ceiling"]
    measured = ctx["evidence"] == "measured"
    at = "the step already runs at {_mfu_percent:.0f} % MFU ({ceiling_source})"
    return [
        Case(~ctx["applies"] | limit.isna(), None),
        Case(
            measured & (ctx["speedup_mid"] > limit),
            Status.WARN,
            "Measured {speedup_mid:.2f}x is above the {speedup_ceiling:.2f}x ceiling: "
            f"{at}, so no compiler can make it that much faster; the measurement and the MFU "
            "figure disagree.",
            "Check the MFU figure (the accelerator's peak for the job's precision, the step's FLOPs) "
            "and that the benchmark ran the job's model, batch and precision; re-measure before "
            "relying on either.",
        ),
        Case(measured, None),
        Case(
            (limit < m.enable_min_speedup) & ~ctx["precision_changes"],
            Status.FAIL,
            f"No compiler can make this step more than {{speedup_ceiling:.2f}}x faster: {at}. That is "
            f"under the {m.enable_min_speedup:.2f}x a measurement needs to enable, so a benchmark "
            "could not change the answer.",
            "Leave it off: the step already runs near the accelerator's peak. If the MFU figure is "
            "wrong (the peak of another precision, FLOPs miscounted), correct it and re-analyze.",
        ),
        Case(
            ctx["prior_capped"] & (limit < m.enable_min_speedup),
            Status.WARN,
            f"Prior capped at {{speedup_ceiling:.2f}}x: {at}, measured at the job's own precision; "
            "the mixed-precision switch has another peak, so the ceiling after it is not known.",
            "Switch the precision first, then benchmark: the ceiling is re-measured with it.",
        ),
        Case(
            ctx["prior_capped"],
            Status.PASS,
            f"Prior capped at {{speedup_ceiling:.2f}}x: {at}; still at or above the "
            f"{m.enable_min_speedup:.2f}x enable bar.",
        ),
        Case(True, None),  # the ceiling lies above the prior: no effect
    ]


def derive(ctx: pd.DataFrame, policy: Policy) -> dict[str, object]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"_mfu_percent": 100.0 / ctx["speedup_ceiling"].to_numpy(dtype=float)}


RULE = Rule(
    id="ceiling",
    name="MFU ceiling",
    factor="Does the step's model-FLOPs utilisation leave room for the compiler's gain?",
    reads=(
        "speedup_ceiling",
        "ceiling_source",
        "prior_capped",
        "precision_changes",
        "evidence",
        "speedup_mid",
        "applies",
    ),
    thresholds=("measured.enable_min_speedup",),
    check=check,
    role="evidence",
    derive=derive,
)
