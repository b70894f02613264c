"""Debugger overhead: SageMaker Debugger/profiler slows every step and hides the gain.

A fixable blocker: the estimator change is two arguments. Under the SageMaker Training
Compiler the change itself turns it off (its documentation asks for that), so it blocks nothing."""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    return [
        Case(~ctx["applies"], None),
        Case(
            ctx["debugger"] & (ctx["compiler_candidate"] == "sagemaker-training-compiler"),
            Status.PASS,
            "SageMaker Debugger/profiler is on; the SageMaker Training Compiler change turns it off "
            "(disable_profiler=True, debugger_hook_config=False).",
        ),
        Case(
            ctx["debugger"],
            Status.FAIL,
            "SageMaker Debugger/profiler is on: it adds overhead to every step and hides the compiler's "
            "gain.",
            "Turn it off first: disable_profiler=True, debugger_hook_config=False on the estimator.",
            fixable=True,
        ),
        Case(True, Status.PASS, "Debugger/profiler is off."),
    ]


RULE = Rule(
    id="debugger_overhead",
    name="Debugger overhead",
    factor="Is SageMaker Debugger/profiler adding per-step overhead?",
    reads=("debugger", "compiler_candidate", "applies"),
    thresholds=(),
    check=check,
    role="condition",
)
