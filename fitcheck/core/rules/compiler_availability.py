"""Compiler availability by framework release (the releases are in policy.yaml ``versions``):
torch.compile from PyTorch 2, the SageMaker Training Compiler only on the releases it shipped
for (frozen), XLA through jit_compile on TensorFlow 2, already on by default with Keras 3. A
job that already compiles (compiler on, pytorchxla distribution, Neuron) is kept as it is."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status

STC = "sagemaker-training-compiler"


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    v = policy.versions
    fw = ctx["framework"]
    compiler = ctx["compiler_candidate"]
    known = ctx["version_known"].to_numpy(dtype=bool)
    hf = ", ".join(f"{p} with transformers {t}" for p, t in v.stc_pytorch_hf.items())
    releases = f"{', '.join(v.stc_pytorch_native)}; Hugging Face {hf}"
    return [
        Case(compiler == "none", None),
        Case(
            ctx["compiler_enabled"],
            Status.FAIL,
            "A compiler is already on for this job: keep it (no savings are counted for it).",
            "Keep it on; measure it against eager with 'fitcheck bench' to confirm it still pays.",
        ),
        Case(
            compiler == "torch-xla",
            Status.FAIL,
            "Training on {accelerator} always goes through XLA (Neuron): already compiled.",
            "Nothing to turn on: keep it.",
        ),
        Case(
            (fw == "pytorch") & (ctx["distribution"] == "pytorchxla"),
            Status.FAIL,
            "PyTorch {framework_version} with distribution 'pytorchxla' already compiles through XLA: "
            "keep it.",
            "Keep it; for the migration, XLA:CUDA is gone from torch-xla 2.8 and later and STC is frozen, "
            "so plan the move to PyTorch 2.x, torch.compile and DDP.",
        ),
        Case(
            ctx["tf_xla_default"],
            Status.FAIL,
            f"TensorFlow {{fw_release}} (Keras 3, >= {v.tf_xla_default_from}) already uses XLA by default "
            "(jit_compile='auto'): verify, don't enable.",
            "Verify it compiles (model.jit_compile, XLA compile logs); set jit_compile=True only where "
            "'auto' leaves a model eager.",
        ),
        Case(
            (fw == "pytorch") & ~known,
            Status.UNKNOWN,
            f"PyTorch version not given: torch.compile needs PyTorch >= {v.torch_compile_min}.",
            "Add framework_version to the inventory.",
        ),
        Case(
            (compiler == STC) & (fw == "pytorch"),
            Status.PASS,
            "PyTorch {fw_release} is a SageMaker Training Compiler release ({stc_release}): it runs "
            "today; STC itself is frozen (no new releases or patches), a migration note, not a doubt.",
        ),
        Case(
            (fw == "pytorch") & (ctx["stc_transformers"] != "") & ~ctx["torch_compile_ok"],
            Status.FAIL,
            "PyTorch {fw_release}'s SageMaker Training Compiler exists only in the Hugging Face container "
            "with transformers {stc_transformers}; this job (transformers '{transformers_version}', "
            "{family}) is not on that release, and 1.x has no torch.compile.",
            f"Upgrade to PyTorch >= {v.torch_compile_min} first (then torch.compile is one line), or move "
            "to the Hugging Face STC container with its transformers version.",
        ),
        Case(
            (fw == "pytorch") & ~ctx["torch_compile_ok"],
            Status.FAIL,
            f"PyTorch {{framework_version}} has neither torch.compile (needs >= {v.torch_compile_min}) nor "
            f"a SageMaker Training Compiler release ({releases}).",
            f"Upgrade to PyTorch >= {v.torch_compile_min} first; then torch.compile is one line.",
        ),
        Case(
            fw == "pytorch",
            Status.PASS,
            "PyTorch {fw_release} has torch.compile (inductor); current torch-xla has no XLA:CUDA, so "
            "torch.compile is the GPU path.",
        ),
        Case(
            (fw == "tensorflow") & ~known,
            Status.UNKNOWN,
            "TensorFlow version not given.",
            "Add framework_version to the inventory.",
        ),
        Case(
            (fw == "tensorflow") & ~ctx["tf_jit_ok"],
            Status.FAIL,
            f"TensorFlow {{framework_version}} has no jit_compile (TensorFlow >= {v.tf_jit_compile_min}; "
            "1.x had only tf.xla.experimental).",
            f"Upgrade to TensorFlow >= {v.tf_jit_compile_min} first.",
        ),
        Case(
            compiler == STC,
            Status.PASS,
            "TensorFlow {fw_release} is a SageMaker Training Compiler release and {model} was tested on "
            "this instance family; STC is frozen (a migration note: jit_compile=True is the native path).",
        ),
        Case(
            fw == "tensorflow",
            Status.PASS,
            "TensorFlow {fw_release} has XLA through jit_compile=True.",
        ),
        Case(
            np.ones(len(ctx), dtype=bool),
            Status.UNKNOWN,
            "No compiler known for {framework} {framework_version}.",
        ),
    ]


RULE = Rule(
    id="compiler_availability",
    name="Compiler availability",
    factor="Which compiler exists for this framework release, and is the job compiled already?",
    reads=(
        "framework",
        "framework_version",
        "fw_release",
        "version_known",
        "torch_compile_ok",
        "stc_release",
        "stc_transformers",
        "transformers_version",
        "tf_jit_ok",
        "tf_xla_default",
        "distribution",
        "compiler_candidate",
        "compiler_enabled",
        "accelerator",
    ),
    thresholds=("versions",),
    check=check,
    role="gate",
)
