"""Duration versus amortisation: the compile prelude must be paid back within one run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    t = policy.thresholds
    minutes = ctx["_minutes"].to_numpy(dtype=float)
    be = ctx["break_even_minutes_mid"].to_numpy(dtype=float)
    return [
        Case(ctx["compiler_candidate"] == "none", None),
        Case(
            minutes < t.min_duration_hours * 60,
            Status.FAIL,
            f"A run lasts {{_minutes:.0f}} min, under the {t.min_duration_hours * 60:.0f}-minute "
            "minimum: the compile prelude ({compile_overhead_minutes:.1f} min) is not amortised.",
            "Leave short and debug runs eager.",
        ),
        Case(
            np.isnan(be),
            Status.FAIL,
            "At the expected speedup ({speedup_mid:.2f}x) the compiled run never breaks even.",
        ),
        Case(
            minutes < be,
            Status.FAIL,
            "A run lasts {_minutes:.0f} min, under the break-even of {break_even_minutes_mid:.0f} min.",
        ),
        Case(
            minutes < be * t.break_even_margin,
            Status.WARN,
            f"A run lasts {{_minutes:.0f}} min, less than {t.break_even_margin:g}x the break-even "
            "of {break_even_minutes_mid:.0f} min: the margin is thin.",
            "Measure the real compile time with 'fitcheck bench'.",
        ),
        Case(
            True,
            Status.PASS,
            "A run lasts {_minutes:.0f} min, well past the break-even of {break_even_minutes_mid:.0f} min.",
        ),
    ]


def derive(ctx: pd.DataFrame, policy: Policy) -> dict[str, object]:
    return {"_minutes": ctx["duration_hours"] * 60}


RULE = Rule(
    id="duration",
    name="Duration vs amortisation",
    factor="Is one run long enough to pay back the compile overhead?",
    reads=(
        "duration_hours",
        "break_even_minutes_mid",
        "compile_overhead_minutes",
        "speedup_mid",
        "compiler_candidate",
    ),
    thresholds=("thresholds.min_duration_hours", "thresholds.break_even_margin"),
    check=check,
    derive=derive,
)
