"""Run the rules over the context table: findings per rule, per workload.

The engine only resolves each rule's cases (first match wins) and fills in the
message templates; what a rule says is entirely the rule's own business.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fitcheck.core.profile import Policy
from fitcheck.core.rules import RULES
from fitcheck.core.rules.base import STATUS_CODES, Case, Rule, Status


@dataclass(frozen=True)
class RuleOutput:
    """One rule's verdict for every row: status code (-1 = not applicable), the case that
    matched, the remedy text. Messages are rendered on demand (:meth:`messages`): a
    million-row CSV needs only the one message that drove each decision."""

    rule: Rule
    status: np.ndarray  # int8 codes, see STATUS_CODES
    remedy: np.ndarray  # object (str or None)
    remedy_key: np.ndarray  # int64: equal keys <=> equal remedy text (-1: none)
    case_index: np.ndarray  # int16: index into ``cases`` of the matching case
    cases: tuple[Case, ...]
    fixable: np.ndarray  # bool: the matching case is a fixable fail (see Case.fixable)
    ctx: pd.DataFrame  # the columns of the context (with derived ones) its messages name

    def messages(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Message texts for ``rows`` (all rows when None); None where not applicable."""
        rows = np.arange(len(self.status)) if rows is None else np.asarray(rows)
        out = np.full(len(rows), None, dtype=object)
        which = self.case_index[rows]
        for i, case in enumerate(self.cases):
            if case.status is None:
                continue
            sel = np.flatnonzero(which == i)
            if len(sel):
                out[sel] = fill(case.message, self.ctx, rows[sel])
        return out


def evaluate(ctx: pd.DataFrame, policy: Policy, rules: tuple[Rule, ...] = RULES) -> list[RuleOutput]:
    return [run_rule(rule, ctx, policy) for rule in rules]


def run_rule(rule: Rule, ctx: pd.DataFrame, policy: Policy) -> RuleOutput:
    n = len(ctx)
    if rule.derive is not None:
        ctx = ctx.assign(**rule.derive(ctx, policy))
    cases = tuple(rule.check(ctx, policy))
    status = np.full(n, -2, dtype=np.int8)  # -2: not yet decided
    case_index = np.full(n, -1, dtype=np.int16)
    remedy = np.full(n, None, dtype=object)
    remedy_key = np.full(n, -1, dtype=np.int64)
    offset = 0
    open_rows = np.ones(n, dtype=bool)
    for i, case in enumerate(cases):
        hit = open_rows & _mask(case, n)
        if not hit.any():
            continue
        idx = np.flatnonzero(hit)
        status[idx] = STATUS_CODES[case.status]
        case_index[idx] = i
        if case.status is not None and case.remedy:
            texts, codes = fill_codes(case.remedy, ctx, idx)
            remedy[idx] = texts[codes]
            remedy_key[idx] = offset + codes
            offset += len(texts)
        open_rows &= ~hit
    if open_rows.any():
        raise ValueError(f"rule {rule.id}: no case covers row {int(np.flatnonzero(open_rows)[0])}")
    fixable_case = np.array([c.fixable and c.status is not None for c in cases] + [False])
    fixable = fixable_case[case_index] & (status == STATUS_CODES[Status.FAIL])
    return RuleOutput(
        rule, status, remedy, remedy_key, case_index, cases, fixable, _message_columns(ctx, cases)
    )


def _message_columns(ctx: pd.DataFrame, cases: tuple[Case, ...]) -> pd.DataFrame:
    """The columns of ``ctx`` the cases' messages name: all a rule output keeps, so the wide
    context table (a hundred columns a row) is freed once the analysis is built."""
    names = {
        field
        for case in cases
        if case.status is not None
        for _, field, _, _ in _FORMATTER.parse(case.message)
        if field
    }
    return ctx[[c for c in ctx.columns if c in names]]


def _mask(case: Case, n: int) -> np.ndarray:
    when = case.when
    if isinstance(when, bool | np.bool_):
        return np.full(n, bool(when))
    arr = np.asarray(when)
    if arr.dtype != bool:
        arr = arr.astype(bool)
    return arr


_FORMATTER = string.Formatter()


def _fixed_digits(spec: str) -> int | None:
    """Decimal places a fixed-point spec such as ',.0f' or '.2f' shows, else None."""
    if spec.endswith("f") and "." in spec:
        tail = spec.rsplit(".", 1)[1][:-1]
        return int(tail) if tail.isdigit() else None
    return None


def fill(template: str, ctx: pd.DataFrame, idx: np.ndarray) -> np.ndarray:
    """Format ``template`` (``str.format`` syntax) for rows ``idx`` of ``ctx``."""
    texts, codes = fill_codes(template, ctx, idx)
    return texts[codes]


def fill_codes(template: str, ctx: pd.DataFrame, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Format ``template`` for rows ``idx``: the distinct texts and, per row, which one.

    Vectorised: each placeholder formats only the distinct values of its column, and a
    text is built once per distinct combination of values, so a million rows cost a few
    array passes, not a million ``str.format`` calls. Equal codes mean equal texts.
    """
    pieces = list(_FORMATTER.parse(template))
    n = len(idx)
    if not any(f for _, f, _, _ in pieces):
        return np.array([template.format()], dtype=object), np.zeros(n, dtype=np.int64)
    parts: list[tuple[str, Any, Any]] = []  # literal, distinct texts (or None), codes (or None)
    combo = np.zeros(n, dtype=np.int64)
    for literal, field, spec, conversion in pieces:
        if not field:
            parts.append((literal, None, None))
            continue
        values = ctx[field].to_numpy()[idx]
        digits = _fixed_digits(spec or "")
        if digits is not None and values.dtype.kind == "f":
            values = np.round(values, digits)  # what the spec shows: fewer distinct values
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        convert = repr if conversion == "r" else (lambda v: v)
        texts = np.array([format(convert(u), spec or "") for u in uniques], dtype=object)
        parts.append((literal, texts, codes))
        combo = pd.factorize(combo * len(texts) + codes)[0]
    combo_codes, distinct = pd.factorize(combo)
    first = np.empty(len(distinct), dtype=np.int64)
    first[combo_codes[::-1]] = np.arange(n - 1, -1, -1)
    out = np.full(len(first), "", dtype=object)
    for literal, texts, codes in parts:
        if literal:
            out = out + literal
        if texts is not None and codes is not None:
            out = out + texts[codes[first]]
    return out, combo_codes.astype(np.int64)
