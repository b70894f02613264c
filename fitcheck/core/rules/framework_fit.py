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
            "Nothing to turn on: keep JAX as it is (profile its XLA compile and step times if steps are "
            "slow).",
        ),
        Case(
            fw.isin(["xgboost", "lightgbm"]),
            Status.FAIL,
            "{framework} trains gradient-boosted trees: no training-graph compiler applies.",
            "Out of scope for graph compilers: tune the tree library instead (histogram method, GPU "
            "training).",
        ),
        Case(
            fw == "sklearn",
            Status.FAIL,
            "scikit-learn is classical ML: no training-graph compiler applies.",
            "Out of scope for graph compilers.",
        ),
        Case(
            fw == "other",
            Status.FAIL,
            "Framework 'other': a training compiler needs a PyTorch or TensorFlow graph.",
            "If the job trains with PyTorch or TensorFlow, set framework (and framework_version) and "
            "re-analyze.",
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
    role="gate",
)
