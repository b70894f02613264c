"""Measured speedup: the decision on a benchmark instead of a prior.

The decision reads the interval and why the measurement stopped, not the midpoint alone:
skip when even the interval's high end is under the floor (or the loss diverged); enable
when the midpoint clears the bar and the low end clears ``enable_min_lower_bound``;
otherwise measure longer, saying whether the run already hit its time or block limit."""

from __future__ import annotations

import pandas as pd

from fitcheck.core.notation import speedup_range_template
from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    m = policy.measured
    measured = ctx["evidence"] == "measured"
    low, mid, high = ctx["speedup_low"], ctx["speedup_mid"], ctx["speedup_high"]
    parity_bad = ctx["loss_parity_ok"] == 0
    limit = ctx["measured_stopped_because"].isin(["max_seconds", "max_blocks"])
    txt = "Measured " + speedup_range_template("speedup", ", 95 % CI, stopped: {_stop}")
    return [
        Case(~measured, None),
        Case(
            parity_bad,
            Status.FAIL,
            "The compiled loss, or its gradients against an fp64 reference, diverged from eager on the same "
            "batches: a quality regression.",
            "Do not enable; report the divergence upstream and re-measure after a fix.",
        ),
        Case(
            high < m.skip_below_speedup,
            Status.FAIL,
            f"{txt}: even the interval's high end is under the {m.skip_below_speedup:.2f}x floor.",
            "Leave it off.",
        ),
        Case(
            (mid >= m.enable_min_speedup) & (low >= m.enable_min_lower_bound),
            Status.PASS,
            f"{txt}: at or above {m.enable_min_speedup:.2f}x with its low end at or above "
            f"{m.enable_min_lower_bound:.2f}x, with loss parity.",
        ),
        Case(
            limit,
            Status.WARN,
            f"{txt}: the run hit its limit before the interval narrowed enough to decide between "
            f"{m.skip_below_speedup:.2f}x (skip) and {m.enable_min_speedup:.2f}x (enable).",
            "Benchmark longer: raise --max-seconds/--max-blocks, on the production instance.",
        ),
        Case(
            True,
            Status.WARN,
            f"{txt}: the interval is too wide or too close to the thresholds "
            f"({m.skip_below_speedup:.2f}x skip, {m.enable_min_speedup:.2f}x enable) to decide.",
            "Benchmark longer (more blocks, a smaller --target-ci) on the production instance.",
        ),
    ]


def derive(ctx: pd.DataFrame, policy: Policy) -> dict[str, object]:
    stop = ctx["measured_stopped_because"].astype(object)
    return {"_stop": stop.where(stop != "", "not recorded")}


RULE = Rule(
    id="measured_speedup",
    name="Measured speedup",
    factor="Does the benchmark's interval clear the enable threshold with loss parity?",
    reads=(
        "evidence",
        "speedup_low",
        "speedup_mid",
        "speedup_high",
        "loss_parity_ok",
        "measured_stopped_because",
    ),
    thresholds=(
        "measured.enable_min_speedup",
        "measured.skip_below_speedup",
        "measured.enable_min_lower_bound",
    ),
    check=check,
    role="measurement",
    derive=derive,
)
