"""Distribution-library conflicts, and what scaling out does to the gain.

The SageMaker Training Compiler is not compatible with SageMaker's distributed training
libraries (SMDDP/SMP) and distributes only data-parallel through its own XLA launcher, so
sharded training (FSDP, DeepSpeed) cannot run under it. torch.compile works with FSDP,
DeepSpeed and SMP v2 but is sensitive to wrapping order and graph breaks. Across nodes a
compiler speeds up compute, not the gradient all-reduce (the Amdahl share is in the profile)."""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    d = ctx["distribution"]
    stc = ctx["compiler_candidate"] == "sagemaker-training-compiler"
    tc = ctx["compiler_candidate"] == "torch.compile"
    share = policy.thresholds.multi_node_compute_fraction
    return [
        Case(~ctx["applies"], None),
        Case(
            stc & d.isin(["smddp", "smp"]),
            Status.FAIL,
            "The SageMaker Training Compiler is not compatible with SageMaker's distributed training "
            "libraries ({distribution}).",
            "Keep {distribution} without a compiler, or upgrade to PyTorch 2.x, where torch.compile works "
            "with {distribution}.",
        ),
        Case(
            stc & d.isin(["fsdp", "deepspeed"]),
            Status.FAIL,
            "The SageMaker Training Compiler distributes only data-parallel through its XLA launcher; "
            "{distribution} sharding does not run under it.",
            "Upgrade to PyTorch 2.x and use torch.compile with {distribution}.",
        ),
        Case(
            stc & (d == "horovod"),
            Status.WARN,
            "The SageMaker Training Compiler distributes through its own XLA launcher, not Horovod.",
            "Use the compiler's own distribution (PyTorch: distribution={{'pytorchxla': {{'enabled': "
            "True}}}}) "
            "and benchmark.",
        ),
        Case(
            tc & d.isin(["fsdp", "deepspeed", "smp"]),
            Status.WARN,
            "torch.compile with {distribution} works but is sensitive to wrapping order and graph breaks.",
            "Compile after wrapping (FSDP: use_orig_params=True) and check graph breaks with "
            "torch._dynamo.explain.",
        ),
        Case(
            ctx["multi_node"],
            Status.PASS,
            "Distribution '{distribution}' works with {compiler_candidate}; across {instance_count:.0f} "
            "instances "
            f"the compiler speeds up compute, not the gradient all-reduce: the speedup is applied to "
            f"{share:.0%} of each step (Amdahl).",
        ),
        Case(True, Status.PASS, "Distribution '{distribution}' works with {compiler_candidate}."),
    ]


RULE = Rule(
    id="distribution_conflict",
    name="Distribution libraries and scale-out",
    factor="Does the job's distribution library work with the compiler, and how much of a step speeds up?",
    reads=("distribution", "compiler_candidate", "instance_count", "multi_node", "applies"),
    thresholds=("thresholds.multi_node_compute_fraction",),
    check=check,
    role="gate",
)
