"""Model family: a known fit (transformer), a model the compiler team tested, or custom?"""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    family = ctx["family"]
    stc = ctx["compiler_candidate"] == "sagemaker-training-compiler"
    return [
        Case(~ctx["applies"], None),
        Case(
            stc & ctx["model_tested"],
            Status.PASS,
            "{model} is in the SageMaker Training Compiler team's tested-models table for {framework}.",
        ),
        Case(
            stc,
            Status.WARN,
            "{model} is not in the SageMaker Training Compiler team's tested-models table for {framework}.",
            "Benchmark before enabling.",
        ),
        Case(
            family == "transformer",
            Status.PASS,
            "Transformer ({model_kind}, {_how}): the family with the best published compiler gains.",
        ),
        Case(
            family.isin(["cnn", "diffusion"]),
            Status.WARN,
            "{family} ({model_kind}, {_how}): gains are real but smaller and model-specific.",
            "Benchmark before enabling.",
        ),
        Case(
            True,
            Status.UNKNOWN,
            "Custom or unclassified model '{model}': no published evidence either way.",
            "Set model_family if it is a known architecture, and benchmark before enabling.",
        ),
    ]


def derive(ctx: pd.DataFrame, policy: Policy) -> dict[str, object]:
    return {"_how": ctx["family_inferred"].map({True: "inferred from the model id", False: "given"})}


RULE = Rule(
    id="model_family",
    name="Model family",
    factor="Is the model a known fit (transformer), a tested model, or custom?",
    reads=(
        "model",
        "family",
        "model_kind",
        "family_inferred",
        "model_tested",
        "compiler_candidate",
        "applies",
    ),
    thresholds=(),
    check=check,
    role="evidence",
    derive=derive,
)
