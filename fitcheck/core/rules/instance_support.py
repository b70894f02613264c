"""Instance support: does the hardware run a compiled graph, and was it tested?"""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status, always


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    compiler = ctx["compiler_candidate"]
    return [
        Case(compiler == "none", None),
        Case(
            ctx["accelerator"].isin(["Trainium", "Inferentia"]),
            Status.FAIL,
            "{instance_type} ({accelerator}) always compiles through XLA (Neuron): "
            "there is nothing to turn on.",
        ),
        Case(
            ~ctx["is_gpu"],
            Status.FAIL,
            "{instance_type} has no GPU: CPU-only training is out of scope for a training compiler.",
            "Move the job to a GPU instance first if it is a deep-learning job.",
        ),
        Case(
            (compiler == "sagemaker-training-compiler") & ~ctx["stc_tested"],
            Status.WARN,
            "{instance_type} ({accelerator}) is not among the instance families the "
            "SageMaker Training Compiler was tested on (P3, P3dn, G4dn, P4d, G5).",
            "Benchmark on this instance, or move to a tested family.",
        ),
        Case(
            (compiler == "torch.compile") & (ctx["compute_capability"] < 7.0),
            Status.FAIL,
            "{accelerator} (compute capability {compute_capability}) is older than inductor's "
            "Triton kernels support (7.0).",
            "Use a V100-or-newer instance.",
        ),
        Case(always(ctx), Status.PASS, "{instance_type} ({accelerator}) runs {compiler_candidate}."),
    ]


RULE = Rule(
    id="instance_support",
    name="Instance support",
    factor="Does the instance have a GPU the compiler supports, and was it tested?",
    reads=(
        "instance_type",
        "accelerator",
        "is_gpu",
        "stc_tested",
        "compute_capability",
        "compiler_candidate",
    ),
    thresholds=(),
    check=check,
)
