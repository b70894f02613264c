"""Shape stability: a compiled graph is reused only while tensor shapes stay the same."""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    shapes = ctx["input_shapes"]
    n = policy.dynamic_shape_compilations
    return [
        Case(ctx["compiler_candidate"] == "none", None),
        Case(shapes == "static", Status.PASS, "Input shapes are static: one compiled graph is reused."),
        Case(
            shapes == "dynamic",
            Status.WARN,
            f"Input shapes vary step to step: every new shape recompiles (assumed {n:g} "
            "compilations per run), which erodes or inverts the gain.",
            "Pad to a fixed length (tokenizer padding='max_length', fixed-size crops), "
            "then measure with 'fitcheck bench --dynamic-shapes'.",
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
    factor="Does every step see the same tensor shapes?",
    reads=("input_shapes", "compiler_candidate"),
    thresholds=("dynamic_shape_compilations",),
    check=check,
)
