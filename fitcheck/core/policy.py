"""One policy step: findings in, decision, compiler and score out.

Without a measurement (evidence "prior"): any fail -> skip; any warn or unknown ->
benchmark; all pass -> enable. With a measurement (evidence "measured"): any fail ->
skip, else the measured-speedup rule decides (pass -> enable, warn -> benchmark longer);
other warnings then become next steps, not blockers.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from fitcheck.core.engine import RuleOutput
from fitcheck.core.profile import Policy
from fitcheck.core.rules.base import STATUS_CODES, Status

FAIL, WARN, UNKNOWN, PASS = (STATUS_CODES[s] for s in (Status.FAIL, Status.WARN, Status.UNKNOWN, Status.PASS))
# Contribution of a status to the fit score.
STATUS_VALUE = {PASS: 1.0, WARN: 0.5, UNKNOWN: 0.5, FAIL: 0.0}


class Decision(StrEnum):
    ENABLE = "enable"
    BENCHMARK = "benchmark"
    SKIP = "skip"


def decide(outputs: list[RuleOutput], measured: np.ndarray) -> np.ndarray:
    codes = np.stack([o.status for o in outputs], axis=1)
    any_fail = (codes == FAIL).any(axis=1)
    doubtful = ((codes == WARN) | (codes == UNKNOWN)).any(axis=1)
    measured_rule = next(o for o in outputs if o.rule.id == "measured_speedup").status
    prior_decision = np.where(doubtful, Decision.BENCHMARK.value, Decision.ENABLE.value)
    measured_decision = np.where(measured_rule == PASS, Decision.ENABLE.value, Decision.BENCHMARK.value)
    out = np.where(measured, measured_decision, prior_decision)
    return np.where(any_fail, Decision.SKIP.value, out).astype(object)


def score(outputs: list[RuleOutput], policy: Policy) -> np.ndarray:
    """0-100: weighted share of passing factors (warn/unknown count half, n/a not at all)."""
    n = len(outputs[0].status) if outputs else 0
    total = np.zeros(n)
    weight = np.zeros(n)
    for o in outputs:
        w = policy.rule_weights.get(o.rule.id, 1.0)
        applicable = o.status >= 0
        values = np.zeros(n)
        for code, value in STATUS_VALUE.items():
            values[o.status == code] = value
        total += np.where(applicable, w * values, 0.0)
        weight += np.where(applicable, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        result = np.where(weight > 0, 100.0 * total / weight, 0.0)
    return np.round(result).astype(int)


def compiler_for(decision: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """The recommended compiler: the candidate unless the decision is skip."""
    return np.where(decision == Decision.SKIP.value, "none", candidate).astype(object)


def main_reason(outputs: list[RuleOutput], decision: np.ndarray) -> np.ndarray:
    """The message of the first finding that drove the decision (fail for skip, warn/unknown
    for benchmark, the measured or dollars finding for enable)."""
    n = len(decision)
    reason = np.full(n, None, dtype=object)
    wanted = {Decision.SKIP.value: (FAIL,), Decision.BENCHMARK.value: (WARN, UNKNOWN)}
    for d, codes in wanted.items():
        rows = decision == d
        for o in outputs:
            hit = np.flatnonzero(rows & np.isin(o.status, codes) & (reason == None))  # noqa: E711
            reason[hit] = o.messages(hit)
    by_id = {o.rule.id: o for o in outputs}
    for rid in ("measured_speedup", "dollars"):
        o = by_id[rid]
        hit = np.flatnonzero((reason == None) & (o.status == PASS))  # noqa: E711
        reason[hit] = o.messages(hit)
    return reason
