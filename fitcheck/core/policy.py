"""One policy step: findings in, decision, compiler and score out.

The policy knows rules only by their role (see :mod:`fitcheck.core.rules.base`), never by id.

Without a measurement (evidence "prior"):

- any fail that is not fixable (a gate, a job too short or too small) -> **skip**;
- a fixable fail (input-bound, dynamic shapes under XLA, fp32 or a precision the GPU lacks,
  Debugger on, a run under the floor but past its break-even) -> **benchmark** with the fix
  as the first step when the job is worth it once fixed (expected savings at or above the
  floor), else **skip** with the fix as the remedy;
- otherwise any warn or unknown (advisory findings aside) -> **benchmark**; all pass -> **enable**.

With a measurement (evidence "measured"): a non-fixable fail -> skip; otherwise the
measurement rule decides (pass -> enable, fail -> skip, warn -> benchmark longer); a fixable
fail still open caps an enable at benchmark (fix, then confirm).
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


def _by_role(outputs: list[RuleOutput], role: str) -> list[RuleOutput]:
    return [o for o in outputs if o.rule.role == role]


def blockers(outputs: list[RuleOutput]) -> tuple[np.ndarray, np.ndarray]:
    """Per row: any fail no fix removes (hard), any fixable fail."""
    n = len(outputs[0].status) if outputs else 0
    hard, fixable = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for o in outputs:
        if o.rule.role == "advisory":
            continue
        fail = o.status == FAIL
        hard |= fail & ~o.fixable
        fixable |= fail & o.fixable
    return hard, fixable


def decide(outputs: list[RuleOutput], measured: np.ndarray, worth_fixing: np.ndarray) -> np.ndarray:
    """The decision per row (see the module docstring)."""
    n = len(measured)
    hard, fixable = blockers(outputs)
    doubtful = np.zeros(n, dtype=bool)
    for o in outputs:
        if o.rule.role in ("advisory", "measurement"):
            continue
        doubtful |= (o.status == WARN) | (o.status == UNKNOWN)
    prior = np.where(doubtful, Decision.BENCHMARK.value, Decision.ENABLE.value)
    prior = np.where(fixable, np.where(worth_fixing, Decision.BENCHMARK.value, Decision.SKIP.value), prior)
    meas = np.full(n, Decision.BENCHMARK.value, dtype=object)
    for o in _by_role(outputs, "measurement"):
        meas = np.where(o.status == PASS, Decision.ENABLE.value, meas)
        meas = np.where(o.status == FAIL, Decision.SKIP.value, meas)
    meas = np.where(fixable & (meas == Decision.ENABLE.value), Decision.BENCHMARK.value, meas)
    out = np.where(measured, meas, prior)
    return np.where(hard, Decision.SKIP.value, out).astype(object)


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


def driving_finding(outputs: list[RuleOutput], decision: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: which rule (index into ``outputs``, -1 none) drove the decision, and whether
    the row has a fix to make first.

    Skip: the first fail no fix removes, else the first fixable fail. Benchmark: the first
    fixable fail (the fix comes first), else the first warn/unknown. Enable: the measurement
    or the value finding that passed.
    """
    n = len(decision)
    which = np.full(n, -1, dtype=np.int64)
    open_rows = np.ones(n, dtype=bool)
    hard, fixable = blockers(outputs)
    skip, bench = decision == Decision.SKIP.value, decision == Decision.BENCHMARK.value
    relevant = [(i, o) for i, o in enumerate(outputs) if o.rule.role != "advisory"]
    passes: list[tuple[np.ndarray, object]] = [
        (skip, lambda o: (o.status == FAIL) & ~o.fixable),
        (skip, lambda o: (o.status == FAIL) & o.fixable),
        (bench, lambda o: (o.status == FAIL) & o.fixable),
        (bench, lambda o: o.status == FAIL),
        (bench, lambda o: (o.status == WARN) | (o.status == UNKNOWN)),
    ]
    for rows, test in passes:
        for i, o in relevant:
            hit = rows & open_rows & test(o)  # type: ignore[operator]
            which[hit] = i
            open_rows &= ~hit
    for role in ("measurement", "value"):
        for i, o in enumerate(outputs):
            if o.rule.role == role:
                hit = open_rows & (o.status == PASS)
                which[hit] = i
                open_rows &= ~hit
    return which, fixable & ~hard


def main_reason(outputs: list[RuleOutput], which: np.ndarray) -> np.ndarray:
    """The message of the finding that drove the decision."""
    reason = np.full(len(which), None, dtype=object)
    for i, o in enumerate(outputs):
        rows = np.flatnonzero(which == i)
        if len(rows):
            reason[rows] = o.messages(rows)
    return reason


def unblock(outputs: list[RuleOutput], which: np.ndarray, decision: np.ndarray) -> np.ndarray:
    """For skip rows: the remedy that would unblock them (the driving finding's, else the
    first fail's with a remedy); None for the other decisions."""
    out = np.full(len(which), None, dtype=object)
    skip = decision == Decision.SKIP.value
    have = np.zeros(len(which), dtype=bool)
    for i, o in enumerate(outputs):
        rows = skip & (which == i) & (o.remedy_key >= 0)
        out[rows] = o.remedy[rows]
        have |= rows
    for o in outputs:
        rows = skip & ~have & (o.status == FAIL) & (o.remedy_key >= 0)
        out[rows] = o.remedy[rows]
        have |= rows
    return out
