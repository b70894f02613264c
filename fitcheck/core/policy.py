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
    # value by status code + 1 (code -1, not applicable, maps to index 0)
    by_code = np.zeros(max(STATUS_VALUE) + 2)
    for code, value in STATUS_VALUE.items():
        by_code[code + 1] = value
    total = np.zeros(n)
    weight = np.zeros(n)
    for o in outputs:
        w = policy.rule_weights.get(o.rule.id, 1.0)
        applicable = o.status >= 0
        total += w * by_code[o.status.astype(np.int64) + 1]
        weight += w * applicable
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
    open_rows = np.ones(n, dtype=bool)
    wanted = {Decision.SKIP.value: (FAIL,), Decision.BENCHMARK.value: (WARN, UNKNOWN)}
    for d, codes in wanted.items():
        rows = decision == d
        for o in outputs:
            hit = np.flatnonzero(rows & open_rows & np.isin(o.status, codes))
            reason[hit] = o.messages(hit)
            open_rows[hit] = False
    by_id = {o.rule.id: o for o in outputs}
    for rid in ("measured_speedup", "dollars"):
        o = by_id[rid]
        hit = np.flatnonzero(open_rows & (o.status == PASS))
        reason[hit] = o.messages(hit)
        open_rows[hit] = False
    return reason
