"""Produce, decide, plan: the whole analysis as one pure function.

``analyze_inventory(inventory, profile, evidence, today)`` returns an :class:`Analysis`,
whose ``table`` is the one record form every output format renders from: one row per
workload, flat columns (see :data:`OUTPUT_COLUMNS` and the README's field reference),
including ``status_<rule>`` and ``remedy_<rule>`` for every rule (``message_<rule>``
columns are rendered on demand by :meth:`Analysis.with_messages`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from fitcheck.core import context as cx
from fitcheck.core.engine import RuleOutput, evaluate
from fitcheck.core.plan import batch_and_lr, batch_step, benchmark_plan, exact_change, next_steps
from fitcheck.core.policy import compiler_for, decide, main_reason, score
from fitcheck.core.profile import Profile
from fitcheck.core.rules import RULES
from fitcheck.core.rules.base import STATUS_NAMES
from fitcheck.core.schema import FIELDS

# Inventory fields whose name the output uses for something else.
INPUT_RENAMES = {"hourly_price_usd": "hourly_price_override_usd"}
EVIDENCE_COLUMNS = (
    "workload",
    "compiler",
    "speedup_low",
    "speedup_mid",
    "speedup_high",
    "compile_seconds",
    "loss_parity_ok",
    "stopped_because",
    "source",
)


@dataclass(frozen=True)
class Analysis:
    """The result. ``table`` has one row per workload; finding messages are rendered on
    demand from ``outputs`` (see :meth:`with_messages`), or were loaded with the table."""

    table: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    outputs: tuple[RuleOutput, ...] = field(default=(), repr=False, compare=False)

    @property
    def rule_ids(self) -> list[str]:
        return [c.removeprefix("status_") for c in self.table.columns if c.startswith("status_")]

    def with_messages(self) -> pd.DataFrame:
        """The table with a ``message_<rule>`` column for every rule."""
        if not self.outputs:
            return self.table
        extra = {f"message_{o.rule.id}": o.messages() for o in self.outputs}
        return self.table.assign(**extra)

    def with_meta(self, meta: dict[str, Any]) -> Analysis:
        return Analysis(self.table, meta, self.outputs)


def apply_evidence(
    ctx: pd.DataFrame, evidence: pd.DataFrame, policy_compilations: float
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Replace priors with measurements where a result names the workload and its compiler.

    Returns the new context and the results that matched nothing (to be reported).
    """
    unused: list[dict[str, str]] = []
    if evidence.empty:
        return ctx, unused
    ctx = ctx.copy()
    pos = pd.Series(np.arange(len(ctx)), index=ctx["name"])
    for ev in evidence.itertuples(index=False):
        if ev.workload not in pos.index:
            unused.append(
                {
                    "source": ev.source,
                    "workload": str(ev.workload),
                    "compiler": ev.compiler,
                    "why": "no workload of that name"
                    if ev.workload
                    else "the results name no workload (run fitcheck bench with --workload NAME)",
                }
            )
            continue
        i = int(pos[ev.workload])
        candidate = ctx["compiler_candidate"].iat[i]
        if ev.compiler != candidate:
            unused.append(
                {
                    "source": ev.source,
                    "workload": str(ev.workload),
                    "compiler": ev.compiler,
                    "why": f"measures {ev.compiler}, the workload's compiler is {candidate}",
                }
            )
            continue
        row = ctx.index[i]
        ctx.loc[row, ["speedup_low", "speedup_mid", "speedup_high"]] = (
            ev.speedup_low,
            ev.speedup_mid,
            ev.speedup_high,
        )
        if ev.compile_seconds is not None and not np.isnan(ev.compile_seconds):
            compilations = policy_compilations if ctx.at[row, "input_shapes"] == "dynamic" else 1.0
            ctx.loc[row, "compile_overhead_minutes"] = max(ev.compile_seconds, 0.0) / 60 * compilations
        ctx.loc[row, "evidence"] = "measured"
        ctx.loc[row, "measured_source"] = ev.source
        ctx.loc[row, "loss_parity_ok"] = (
            np.nan if ev.loss_parity_ok is None else float(bool(ev.loss_parity_ok))
        )
        ctx.loc[row, "measured_stopped_because"] = ev.stopped_because or ""
    return ctx, unused


def analyze_inventory(
    inventory: pd.DataFrame, profile: Profile, today: date, evidence: pd.DataFrame | None = None
) -> Analysis:
    policy = profile.policy
    ctx = cx.build_context(inventory, profile, today)
    ctx = pd.concat([ctx, cx.tested_batch(ctx, profile)], axis=1)
    unused: list[dict[str, str]] = []
    if evidence is not None:
        ctx, unused = apply_evidence(ctx, evidence, policy.dynamic_shape_compilations)
    ctx = cx.compute_economics(ctx)
    outputs = evaluate(ctx, policy)
    measured = (ctx["evidence"] == "measured").to_numpy()
    decision = decide(outputs, measured)
    rec_batch, lr_scale = batch_and_lr(ctx)
    change = exact_change(ctx, decision)
    batch = batch_step(ctx, rec_batch, lr_scale)
    plan = benchmark_plan(ctx, decision, policy)
    steps = next_steps(outputs, decision, change, batch, plan)

    out: dict[str, Any] = {}
    for col in FIELDS:  # every inventory field, as given (model_family: as inferred)
        out[INPUT_RENAMES.get(col, col)] = ctx["family"] if col == "model_family" else ctx[col]
    out["decision"] = decision
    out["compiler"] = compiler_for(decision, ctx["compiler_candidate"].to_numpy())
    out["candidate_compiler"] = ctx["compiler_candidate"]
    out["score"] = score(outputs, policy)
    out["main_reason"] = main_reason(outputs, decision)
    out["evidence"] = ctx["evidence"]
    out["evidence_source"] = ctx["measured_source"].where(ctx["evidence"] == "measured", ctx["prior_why"])
    for k in ("low", "mid", "high"):
        out[f"expected_speedup_{k}"] = ctx[f"speedup_{k}"]
    out["compile_overhead_minutes"] = ctx["compile_overhead_minutes"]
    out["break_even_minutes"] = ctx["break_even_minutes_mid"]
    out["hourly_price_usd"] = ctx["hourly_usd"]
    out["price_source"] = ctx["price_source"]
    out["price_date"] = ctx["price_date"]
    out["price_stale"] = ctx["price_stale"]
    out["cost_per_run_usd"] = ctx["cost_per_run_usd"]
    out["cost_per_year_usd"] = ctx["cost_per_year_usd"]
    for k in ("low", "mid", "high"):
        out[f"savings_per_run_usd_{k}"] = ctx[f"savings_per_run_{k}"]
    for k in ("low", "mid", "high"):
        out[f"savings_per_year_usd_{k}"] = ctx[f"savings_per_year_{k}"]
    out["recommended_batch_size"] = rec_batch
    out["learning_rate_scale"] = lr_scale
    out["change"] = change[0]
    out.update({c: plan[c] for c in plan.columns})
    out["next_steps"] = steps
    out["loss_parity_ok"] = ctx["loss_parity_ok"]
    for o in outputs:
        out[f"status_{o.rule.id}"] = pd.Categorical.from_codes(
            o.status.astype(int) + 1, ["n/a", *STATUS_NAMES]
        )
        out[f"remedy_{o.rule.id}"] = o.remedy
    table = _frame(out, len(ctx))
    meta = {
        "rules": [{"id": r.id, "name": r.name, "factor": r.factor} for r in RULES],
        "unmatched_bench_results": unused,
    }
    return Analysis(table, meta, tuple(outputs))


def _frame(columns: dict[str, Any], n: int) -> pd.DataFrame:
    """Assemble the table; text stays in object columns (no per-column string conversion)."""
    data: dict[str, Any] = {}
    for name, values in columns.items():
        arr = values.to_numpy() if isinstance(values, pd.Series) else values
        if isinstance(arr, np.ndarray) and arr.dtype == object:
            arr = pd.Series(arr, dtype=object)
        elif isinstance(arr, list):
            arr = pd.Series(arr, dtype=object)
        data[name] = arr
    return pd.DataFrame(data, index=pd.RangeIndex(n))


def totals(table: pd.DataFrame) -> dict[str, Any]:
    """Spend and savings per year (low / mid / high) and the count per decision."""
    decision = table["decision"].to_numpy()
    masks = {d: decision == d for d in ("enable", "benchmark", "skip")}
    acting = masks["enable"] | masks["benchmark"]
    spend = table["cost_per_year_usd"].to_numpy()
    return {
        "workloads": int(len(table)),
        "spend_per_year_usd": float(spend.sum()),
        "savings_per_year_usd": {
            k: float(table[f"savings_per_year_usd_{k}"].to_numpy()[acting].sum())
            for k in ("low", "mid", "high")
        },
        "savings_basis": "sum over workloads decided enable or benchmark",
        "decisions": {d: int(m.sum()) for d, m in masks.items()},
        "spend_by_decision_usd": {d: float(spend[m].sum()) for d, m in masks.items()},
    }
