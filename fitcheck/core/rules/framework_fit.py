"""Framework fit: is there a deep-learning graph for a compiler to read?"""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status, always


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    fw = ctx["framework"]
    return [
        Case(
            fw == "jax",
            Status.FAIL,
            "JAX already compiles every step through XLA: there is no compiler to turn on.",
        ),
        Case(
            fw.isin(["xgboost", "lightgbm"]),
            Status.FAIL,
            "{framework} trains gradient-boosted trees: no training-graph compiler applies.",
        ),
        Case(
            fw == "sklearn", Status.FAIL, "scikit-learn is classical ML: no training-graph compiler applies."
        ),
        Case(
            fw == "other",
            Status.UNKNOWN,
            "Framework 'other': a compiler needs a PyTorch or TensorFlow graph.",
            "Name the framework (pytorch or tensorflow) if the job uses one.",
        ),
        Case(always(ctx), Status.PASS, "{framework} builds a graph a compiler can read."),
    ]


RULE = Rule(
    id="framework_fit",
    name="Framework fit",
    factor="Is the job a PyTorch or TensorFlow graph (not trees, classical ML, or JAX)?",
    reads=("framework",),
    thresholds=(),
    check=check,
)
