"""Duration versus amortisation: the compile prelude must be paid back within one run.

Judged on the job as it runs once its fixable blockers are fixed (static shapes, mixed
precision), so a dynamic-shape job is not punished here a second time. A run shorter than
the rule-of-thumb floor but at least ``break_even_margin`` times its own break-even is a
fixable blocker (cut the prelude), not a verdict; under its break-even it never pays."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    t = policy.thresholds
    floor = t.min_duration_hours * 60
    minutes = ctx["_minutes"].to_numpy(dtype=float)
    be = ctx["break_even_minutes_fixed_mid"].to_numpy(dtype=float)
    return [
        Case(~ctx["applies"], None),
        Case(
            np.isnan(be),
            Status.FAIL,
            "At the expected speedup ({speedup_fixed_mid:.2f}x) the compiled run never breaks even.",
            "Leave it off unless a benchmark shows more than the prior.",
        ),
        Case(
            minutes < be,
            Status.FAIL,
            "A run lasts {_minutes:.0f} min, under the break-even of {break_even_minutes_fixed_mid:.0f} min: "
            "the compile prelude ({compile_overhead_fixed_minutes:.1f} min) is never paid back.",
            "Leave short and debug runs eager.",
        ),
        Case(
            (minutes < floor) & (minutes >= be * t.break_even_margin),
            Status.FAIL,
            f"A run lasts {{_minutes:.0f}} min, under the {floor:.0f}-minute rule of thumb, but at least "
            f"{t.break_even_margin:g}x its own break-even ({{break_even_minutes_fixed_mid:.0f}} min): the "
            "prelude is what to cut.",
            "Cut the compile prelude first (warm the compile cache with "
            "torch.compiler.save_cache_artifacts / load_cache_artifacts, regional compilation) and measure "
            "the real compile time with 'fitcheck bench'.",
            fixable=True,
        ),
        Case(
            minutes < floor,
            Status.FAIL,
            f"A run lasts {{_minutes:.0f}} min, under the {floor:.0f}-minute minimum and within "
            f"{t.break_even_margin:g}x its break-even ({{break_even_minutes_fixed_mid:.0f}} min): the "
            "compile prelude ({compile_overhead_fixed_minutes:.1f} min) is not amortised.",
            "Leave short and debug runs eager.",
        ),
        Case(
            minutes < be * t.break_even_margin,
            Status.WARN,
            f"A run lasts {{_minutes:.0f}} min, less than {t.break_even_margin:g}x the break-even "
            "of {break_even_minutes_fixed_mid:.0f} min: the margin is thin.",
            "Measure the real compile time with 'fitcheck bench'.",
        ),
        Case(
            True,
            Status.PASS,
            "A run lasts {_minutes:.0f} min, well past the break-even of "
            "{break_even_minutes_fixed_mid:.0f} min.",
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
        "break_even_minutes_fixed_mid",
        "compile_overhead_fixed_minutes",
        "speedup_fixed_mid",
        "applies",
    ),
    thresholds=("thresholds.min_duration_hours", "thresholds.break_even_margin"),
    check=check,
    role="condition",
    derive=derive,
)
