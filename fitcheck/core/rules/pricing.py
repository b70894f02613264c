"""Pricing: which price per instance-hour the money rests on (spot, on demand, override).

Advisory: it never changes the decision, it says which price was used. ``spot: true``
without ``spot_discount`` is priced on demand (the discount is not known); a
``spot_discount`` without ``spot: true`` is ignored."""

from __future__ import annotations

import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import Case, Rule, Status

SPOT_REMEDY = (
    "Set spot_discount (the managed-spot saving: 1 - billable seconds / training seconds, "
    "'fitcheck import sagemaker' computes it) to price the job as it is billed."
)


def check(ctx: pd.DataFrame, policy: Policy) -> list[Case]:
    state = ctx["spot_state"]
    return [
        Case(
            state == "spot-no-discount",
            Status.WARN,
            "spot: true but no spot_discount: priced on-demand at ${hourly_usd:,.2f}/h ({price_source}); "
            "spend and savings are overstated by the unknown spot discount.",
            SPOT_REMEDY,
        ),
        Case(
            state == "discount-no-spot",
            Status.WARN,
            "spot_discount {spot_discount:.0%} is ignored: spot is false, so the job is priced on-demand at "
            "${hourly_usd:,.2f}/h ({price_source}).",
            "Set spot: true if the job runs on managed spot capacity, or drop spot_discount.",
        ),
        Case(
            state == "spot",
            Status.PASS,
            "Managed spot: ${base_hourly_usd:,.2f}/h x (1 - {spot_discount:.0%}) = ${hourly_usd:,.2f}/h "
            "({price_source}).",
        ),
        Case(True, Status.PASS, "On-demand ${hourly_usd:,.2f}/h ({price_source})."),
    ]


RULE = Rule(
    id="pricing",
    name="Pricing basis",
    factor="Which price per instance-hour does the money rest on?",
    reads=("spot_state", "spot_discount", "hourly_usd", "base_hourly_usd", "price_source"),
    thresholds=(),
    check=check,
    role="advisory",
)
