"""Compiler availability by framework version (STC frozen; torch.compile from 2.0; XLA:CUDA gone)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    fw = ctx["framework"]
    compiler = ctx["compiler_candidate"]
    major = ctx["fw_major"]
    minor = ctx["fw_minor"]
    no_version = np.isnan(major)
    tf_stc = (fw == "tensorflow") & (major == 2) & (minor >= 5) & (minor <= 11)
    return [
        Case(compiler == "none", None),
        Case(
            ctx["compiler_enabled"],
            Status.FAIL,
            "A compiler is already on for this job: there is nothing to turn on.",
            "Measure it against eager with 'fitcheck bench' to confirm it still pays.",
        ),
        Case(
            compiler == "torch-xla",
            Status.FAIL,
            "Training on {accelerator} always goes through XLA (torch-neuronx): already compiled.",
        ),
        Case(
            compiler == "sagemaker-training-compiler",
            Status.WARN,
            "PyTorch {framework_version} is a SageMaker Training Compiler version, but STC is "
            "frozen: no new releases, no container patches, not in SageMaker Python SDK v3.",
            "Prefer upgrading to PyTorch 2.x and torch.compile; use STC only for this legacy job.",
        ),
        Case(
            (fw == "pytorch") & no_version,
            Status.UNKNOWN,
            "PyTorch version not given: torch.compile needs PyTorch >= 2.0.",
            "Add framework_version to the inventory.",
        ),
        Case(
            (fw == "pytorch") & (major < 2),
            Status.WARN,
            "PyTorch {framework_version} has neither torch.compile (needs >= 2.0) nor a "
            "SageMaker Training Compiler release (1.12.0, 1.13.1; Hugging Face 1.9-1.11).",
            "Upgrade to PyTorch 2.x first; then torch.compile is one line.",
        ),
        Case(
            fw == "pytorch",
            Status.PASS,
            "PyTorch {framework_version} has torch.compile (inductor); current torch-xla has "
            "no XLA:CUDA, so torch.compile is the GPU path.",
        ),
        Case(
            (fw == "tensorflow") & no_version,
            Status.UNKNOWN,
            "TensorFlow version not given.",
            "Add framework_version to the inventory.",
        ),
        Case(
            tf_stc,
            Status.PASS,
            "TensorFlow {framework_version} has XLA (jit_compile=True); the frozen SageMaker "
            "Training Compiler also covered 2.5.1-2.11.0 but gets no patches.",
        ),
        Case(
            fw == "tensorflow",
            Status.PASS,
            "TensorFlow {framework_version} has XLA through jit_compile=True.",
        ),
        Case(True, Status.UNKNOWN, "No compiler known for {framework} {framework_version}."),
    ]


RULE = Rule(
    id="compiler_availability",
    name="Compiler availability",
    factor="Which compiler exists for this framework version, and is it maintained?",
    reads=(
        "framework",
        "framework_version",
        "fw_major",
        "fw_minor",
        "compiler_candidate",
        "compiler_enabled",
        "accelerator",
    ),
    thresholds=(),
    check=check,
)
