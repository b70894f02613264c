"""Instance support: does the hardware run a compiled graph, and was the compiler tested on it?"""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status, always


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    t = policy.thresholds
    compiler = ctx["compiler_candidate"]
    cc = ctx["compute_capability"]
    return [
        Case(compiler == "none", None),
        Case(
            ctx["accelerator"].isin(["Trainium", "Inferentia"]),
            Status.FAIL,
            "{instance_type} ({accelerator}) always compiles through XLA (Neuron): there is nothing to "
            "turn on.",
            "Nothing to turn on: keep it.",
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
            "{instance_type} ({accelerator}) is not among the instance families the SageMaker Training "
            "Compiler was tested on (P3, P3dn, G4dn, P4d, G5): not enabled without a measurement.",
            "Benchmark on this instance, move to a tested family, or upgrade to PyTorch 2.x and "
            "torch.compile.",
        ),
        Case(
            (compiler == "torch.compile") & (cc < t.inductor_min_compute_capability),
            Status.FAIL,
            "{accelerator} (compute capability {compute_capability}) is older than inductor's Triton "
            f"kernels support ({t.inductor_min_compute_capability:g}).",
            "Use a V100-or-newer instance.",
        ),
        Case(
            (compiler == "torch.compile") & (cc < t.inductor_tuned_min_compute_capability),
            Status.WARN,
            "{accelerator} ({gpu_generation}, compute capability {compute_capability}): inductor's published "
            f"gains are on compute capability >= {t.inductor_tuned_min_compute_capability:g} (Ampere and "
            "newer); on this GPU they are smaller and less documented.",
            "Measure on this GPU with 'fitcheck bench' before enabling.",
        ),
        Case(always(ctx), Status.PASS, "{instance_type} ({accelerator}) runs {compiler_candidate}."),
    ]


RULE = Rule(
    id="instance_support",
    name="Instance support",
    factor="Does the instance have a GPU the compiler supports, and was it tested there?",
    reads=(
        "instance_type",
        "accelerator",
        "is_gpu",
        "stc_tested",
        "compute_capability",
        "gpu_generation",
        "compiler_candidate",
    ),
    thresholds=(
        "thresholds.inductor_min_compute_capability",
        "thresholds.inductor_tuned_min_compute_capability",
    ),
    check=check,
    role="gate",
)
