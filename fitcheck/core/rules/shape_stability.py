"""Shape stability: a compiled graph is reused only while tensor shapes stay the same.

Per compiler: torch.compile marks a dimension dynamic after its first recompile (about two
compilations and a modest slowdown, a warning); XLA-based compilers (SageMaker Training
Compiler, tf-xla) compile once per distinct shape, a fixable blocker: pad first."""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status

PAD = (
    "Pad to a fixed length (tokenizer padding='max_length', fixed-size crops) or bucket to a few "
    "lengths first, then measure with 'fitcheck bench --dynamic-shapes'."
)


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    shapes = ctx["input_shapes"]
    dynamic = shapes == "dynamic"
    limit = policy.dynamic_shapes["torch.compile"].recompile_limit or "its default"
    return [
        Case(~ctx["applies"], None),
        Case(shapes == "static", Status.PASS, "Input shapes are static: one compiled graph is reused."),
        Case(
            dynamic & (ctx["compiler_candidate"] == "torch.compile"),
            Status.WARN,
            "Input shapes vary step to step: torch.compile recompiles once, then marks the dimension "
            "dynamic (about {dynamic_compilations:.0f} compilations per run and a modest slowdown; past its "
            f"recompile_limit of {limit} it falls back to eager).",
            PAD,
        ),
        Case(
            dynamic,
            Status.FAIL,
            "Input shapes vary step to step: {compiler_candidate} compiles once per distinct shape (assumed "
            "{dynamic_compilations:.0f} x {compile_overhead_fixed_minutes:.0f} min = "
            "{compile_overhead_minutes:.0f} min of compilation per run), which erodes or inverts the gain.",
            PAD,
            fixable=True,
        ),
        Case(
            True,
            Status.UNKNOWN,
            "Whether input shapes are static is not known.",
            "Check the loader: padding='max_length' and fixed crops mean static; set input_shapes.",
        ),
    ]


RULE = Rule(
    id="shape_stability",
    name="Shape stability",
    factor="Does every step see the same tensor shapes, and what does each compiler pay when not?",
    reads=(
        "input_shapes",
        "compiler_candidate",
        "dynamic_compilations",
        "compile_overhead_minutes",
        "compile_overhead_fixed_minutes",
        "applies",
    ),
    thresholds=("dynamic_shapes", "dynamic_shape_compilations"),
    check=check,
    role="condition",
)
