"""Distribution-library conflicts (STC is not compatible with SMDDP/SMP)."""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    d = ctx["distribution"]
    stc = ctx["compiler_candidate"] == "sagemaker-training-compiler"
    tc = ctx["compiler_candidate"] == "torch.compile"
    return [
        Case(ctx["compiler_candidate"] == "none", None),
        Case(
            stc & d.isin(["smddp", "smp"]),
            Status.FAIL,
            "The SageMaker Training Compiler is not compatible with SageMaker's distributed "
            "training libraries ({distribution}).",
            "Keep {distribution}, or switch to distribution={{'pytorchxla': {{'enabled': True}}}} "
            "and benchmark.",
        ),
        Case(
            stc & d.isin(["ddp", "fsdp", "deepspeed", "horovod"]),
            Status.WARN,
            "The SageMaker Training Compiler distributes only through its own pytorchxla "
            "launcher, not {distribution}.",
            "Use distribution={{'pytorchxla': {{'enabled': True}}}} in the estimator.",
        ),
        Case(
            tc & d.isin(["fsdp", "deepspeed"]),
            Status.WARN,
            "torch.compile with {distribution} works but is sensitive to wrapping order and graph breaks.",
            "Compile after wrapping (FSDP: use_orig_params=True) and check graph breaks "
            "with torch._dynamo.explain.",
        ),
        Case(True, Status.PASS, "Distribution '{distribution}' is compatible with {compiler_candidate}."),
    ]


RULE = Rule(
    id="distribution_conflict",
    name="Distribution-library conflicts",
    factor="Does the job's distribution library work with the compiler?",
    reads=("distribution", "compiler_candidate"),
    thresholds=(),
    check=check,
)
