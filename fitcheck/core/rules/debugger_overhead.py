"""Debugger overhead: SageMaker Debugger/profiler slows a compiled job."""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    return [
        Case(ctx["compiler_candidate"] == "none", None),
        Case(
            ctx["debugger"],
            Status.WARN,
            "SageMaker Debugger/profiler is on: it adds overhead to every step and hides "
            "the compiler's gain.",
            "Set disable_profiler=True, debugger_hook_config=False on the estimator.",
        ),
        Case(True, Status.PASS, "Debugger/profiler is off."),
    ]


RULE = Rule(
    id="debugger_overhead",
    name="Debugger overhead",
    factor="Is SageMaker Debugger/profiler adding per-step overhead?",
    reads=("debugger", "compiler_candidate"),
    thresholds=(),
    check=check,
)
