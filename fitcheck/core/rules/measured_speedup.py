"""Measured speedup: the decision on a benchmark instead of a prior."""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    m = policy.measured
    measured = ctx["evidence"] == "measured"
    low, mid = ctx["speedup_low"], ctx["speedup_mid"]
    parity_bad = ctx["loss_parity_ok"] == 0
    measured_txt = "Measured {speedup_mid:.2f}x ({speedup_low:.2f}-{speedup_high:.2f}, 95 % CI)"
    return [
        Case(~measured, None),
        Case(
            parity_bad,
            Status.FAIL,
            "The compiled loss diverged from eager on the same batches: a quality regression.",
            "Do not enable; report the divergence upstream and re-measure after a fix.",
        ),
        Case(
            mid < m.skip_below_speedup,
            Status.FAIL,
            f"{measured_txt}: under the {m.skip_below_speedup:.2f}x floor.",
            "Leave it off.",
        ),
        Case(
            (mid >= m.enable_min_speedup) & (low > m.enable_min_lower_bound),
            Status.PASS,
            f"{measured_txt}: at or above {m.enable_min_speedup:.2f}x with loss parity.",
        ),
        Case(
            True,
            Status.WARN,
            f"{measured_txt}: the interval is too wide or too close to the thresholds "
            f"({m.skip_below_speedup:.2f}x skip, {m.enable_min_speedup:.2f}x enable) to decide.",
            "Benchmark longer (more blocks, a smaller --target-ci) on the production instance.",
        ),
    ]


RULE = Rule(
    id="measured_speedup",
    name="Measured speedup",
    factor="Does the benchmark clear the enable threshold with loss parity?",
    reads=("evidence", "speedup_low", "speedup_mid", "speedup_high", "loss_parity_ok"),
    thresholds=(
        "measured.enable_min_speedup",
        "measured.skip_below_speedup",
        "measured.enable_min_lower_bound",
    ),
    check=check,
)
