"""The rules, listed explicitly in evaluation order (no registration by import)."""

from __future__ import annotations

from fitcheck.core.rules import (
    bottleneck,
    ceiling,
    compiler_availability,
    debugger_overhead,
    distribution_conflict,
    dollars,
    duration,
    framework_fit,
    instance_support,
    measured_speedup,
    model_family,
    precision,
    pricing,
    shape_stability,
)
from fitcheck.core.rules.base import Case, Rule, Status

RULES: tuple[Rule, ...] = (
    framework_fit.RULE,
    compiler_availability.RULE,
    instance_support.RULE,
    model_family.RULE,
    shape_stability.RULE,
    precision.RULE,
    bottleneck.RULE,
    duration.RULE,
    dollars.RULE,
    distribution_conflict.RULE,
    debugger_overhead.RULE,
    pricing.RULE,
    measured_speedup.RULE,
    ceiling.RULE,
)

__all__ = ["RULES", "Case", "Rule", "Status"]
