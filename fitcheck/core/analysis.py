"""Produce, decide, plan: the whole analysis as one pure function.

``analyze_inventory(inventory, profile, evidence, today)`` returns an :class:`Analysis`,
whose ``table`` is the one record form every output format renders from: one row per
workload, flat columns (see :data:`OUTPUT_COLUMNS` and the README's field reference),
including ``status_<rule>`` and ``remedy_<rule>`` for every rule (``message_<rule>``
columns are rendered on demand by :meth:`Analysis.with_messages`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from fitcheck.core import context as cx
from fitcheck.core.engine import RuleOutput, evaluate
from fitcheck.core.plan import batch_and_lr, batch_step, benchmark_plan, exact_change, next_steps, notes
from fitcheck.core.policy import compiler_for, decide, driving_finding, main_reason, score, unblock
from fitcheck.core.profile import Finance, Policy, Profile
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
    # compile time with the caches filled, in a fresh process (NaN: not measured)
    "compile_seconds_warm",
    # the results file's speedup ceiling (1 / MFU of the baseline step; NaN: none)
    "speedup_ceiling",
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
    ctx: pd.DataFrame, evidence: pd.DataFrame, policy: Policy
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Replace priors with measurements where a result names the workload and its compiler.

    A measurement is of the job as benchmarked, so it stands for the job both as it runs and
    once fixed; a measured compile time is multiplied by the compiler's compilations per run
    when shapes are dynamic. The warm compile time replaces the cold one where the run keeps
    its compile cache and recurs (``warm_compile_allowed``, see the profile's
    ``compile_cache``). A measured interval is never capped by the MFU ceiling (the ceiling
    rule warns when it lies above it). Returns the new context and the results that matched
    nothing.
    """
    unused: list[dict[str, str]] = []
    if evidence.empty:
        return ctx, unused
    ctx = ctx.copy()
    ctx["compile_overhead_basis"] = ctx["compile_overhead_basis"].astype(object)
    pos = pd.Series(np.arange(len(ctx)), index=ctx["name"])
    for ev in evidence.itertuples(index=False):  # one per results file comparison, not per row
        if _seconds(ev.speedup_mid) is None:  # a results file's MFU ceiling alone: no measurement
            continue
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
        measured = (ev.speedup_low, ev.speedup_mid, ev.speedup_high)
        ctx.loc[row, ["speedup_low", "speedup_mid", "speedup_high"]] = measured
        ctx.loc[row, ["speedup_fixed_low", "speedup_fixed_mid", "speedup_fixed_high"]] = measured
        cold, warm = _seconds(ev.compile_seconds), _seconds(getattr(ev, "compile_seconds_warm", None))
        use_warm = warm is not None and bool(ctx.at[row, "warm_compile_allowed"])
        seconds = warm if use_warm else cold
        if seconds is not None:
            once = max(seconds, 0.0) / 60
            ctx.loc[row, "compile_overhead_fixed_minutes"] = once
            ctx.loc[row, "compile_overhead_minutes"] = once * float(ctx.at[row, "dynamic_compilations"])
            ctx.loc[row, "compile_overhead_basis"] = "warm (measured)" if use_warm else "cold (measured)"
        ctx.loc[row, "evidence"] = "measured"
        ctx.loc[row, "measured_source"] = ev.source
        ctx.loc[row, "loss_parity_ok"] = (
            np.nan if ev.loss_parity_ok is None else float(bool(ev.loss_parity_ok))
        )
        ctx.loc[row, "measured_stopped_because"] = ev.stopped_because or ""
    return ctx, unused


def _seconds(value: Any) -> float | None:
    """A measured number of seconds, or None (missing or NaN)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def bench_ceilings(names: pd.Series, evidence: pd.DataFrame | None) -> np.ndarray | None:
    """Per workload: the lowest speedup ceiling a results file naming it measured (NaN: none),
    whatever compiler the file compared (the ceiling is the baseline step's)."""
    if evidence is None or evidence.empty or "speedup_ceiling" not in evidence:
        return None
    values = pd.to_numeric(evidence["speedup_ceiling"], errors="coerce")
    known = evidence.loc[values.notna(), "workload"].astype(object)
    if known.empty:
        return None
    lowest = values[values.notna()].groupby(known.to_numpy()).min()
    return names.astype(object).map(lowest).to_numpy(dtype=float)


def analyze_inventory(
    inventory: pd.DataFrame, profile: Profile, today: date, evidence: pd.DataFrame | None = None
) -> Analysis:
    policy = profile.policy
    ctx = cx.build_context(inventory, profile, today, bench_ceilings(inventory["name"], evidence))
    ctx = pd.concat([ctx, cx.tested_batch(ctx, profile)], axis=1)
    unused: list[dict[str, str]] = []
    if evidence is not None:
        ctx, unused = apply_evidence(ctx, evidence, policy)
    ctx = cx.compute_economics(ctx)
    outputs = evaluate(ctx, policy)
    measured = (ctx["evidence"] == "measured").to_numpy()
    worth = (
        ctx["savings_per_year_fixed_mid"].to_numpy(dtype=float) >= policy.thresholds.min_annual_savings_usd
    )
    decision = decide(outputs, measured, worth)
    which, fix_first = driving_finding(outputs, decision)
    # A benchmark with a fix first is planned, and priced, for the job once fixed.
    ctx = cx.use_fixed_economics(ctx, fix_first & (decision == "benchmark") & ~measured)
    rec_batch, lr_scale = batch_and_lr(ctx)
    change = exact_change(ctx, decision, policy)
    batch = batch_step(ctx, decision, rec_batch, lr_scale, policy)
    plan = benchmark_plan(ctx, decision, policy, profile.instances, profile.price_table())
    steps = next_steps(outputs, decision, change, batch, plan, notes(ctx))

    out: dict[str, Any] = {}
    for col in FIELDS:  # every inventory field, as given (model_family: as inferred)
        out[INPUT_RENAMES.get(col, col)] = ctx["family"] if col == "model_family" else ctx[col]
    out["decision"] = decision
    out["compiler"] = compiler_for(decision, ctx["compiler_candidate"].to_numpy())
    out["candidate_compiler"] = ctx["compiler_candidate"]
    out["score"] = score(outputs, policy)
    out["main_reason"] = main_reason(outputs, which)
    out["unblock"] = unblock(outputs, which, decision)
    out["evidence"] = ctx["evidence"]
    out["evidence_source"] = ctx["measured_source"].where(ctx["evidence"] == "measured", ctx["prior_why"])
    for k in ("low", "mid", "high"):
        out[f"expected_speedup_{k}"] = ctx[f"speedup_{k}"]
    out["compile_overhead_minutes"] = ctx["compile_overhead_minutes"]
    out["compile_overhead_basis"] = ctx["compile_overhead_basis"]
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
    """Assemble the table; text stays in object columns (no per-column string conversion).
    A text column of a few values holds one string object per value, not one per row."""
    data: dict[str, Any] = {}
    for name, values in columns.items():
        arr = values.to_numpy() if isinstance(values, pd.Series) else values
        if isinstance(arr, np.ndarray) and (arr.dtype.kind == "U" or (arr.dtype == object and _repeats(arr))):
            seen: dict[Any, Any] = {}
            shared = np.empty(len(arr), dtype=object)
            shared[:] = [seen.setdefault(v, v) for v in arr.tolist()]
            arr = shared
        if isinstance(arr, np.ndarray) and arr.dtype == object:
            arr = pd.Series(arr, dtype=object, copy=False)
        elif isinstance(arr, list):
            arr = pd.Series(arr, dtype=object)
        data[name] = arr
    # no copy: the columns are not consolidated into wide blocks (a second copy of the table)
    return pd.DataFrame(data, index=pd.RangeIndex(n), copy=False)


def _repeats(arr: np.ndarray, sample: int = 2000) -> bool:
    """Whether equal texts in ``arr`` are separate objects (a million copies of 'enable'):
    judged on a sample, by distinct objects against distinct values."""
    head = arr[:sample].tolist()
    try:
        return len({id(v) for v in head}) > 2 * len(set(head))
    except TypeError:  # unhashable values (lists of next steps) stay as they are
        return False


LEVELS = ("low", "mid", "high")
#: the three lines of the finance view, never mixed, and the decision behind each
LINES = {"committed": "enable", "pending": "benchmark", "not_pursued": "skip"}
NET_COLUMNS = ("one_time_cost_usd", *(f"net_first_year_usd_{k}" for k in LEVELS), "payback_weeks")
FINANCE_FORMULAS = (
    ("one-time cost (enable)", "days_per_enable x engineer_day_usd"),
    (
        "one-time cost (benchmark)",
        "(days_per_benchmark + days_per_enable) x engineer_day_usd + benchmark compute",
    ),
    (
        "net first-year savings",
        "savings_per_year x (1 - delay_days / 365) - one-time cost; delay = report_back_days for a "
        "benchmark, 0 for enable",
    ),
    ("payback", "delay_days / 7 + one-time cost / (expected savings_per_year / 52) weeks"),
)


def _money(value: float) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def net_columns(table: pd.DataFrame, finance: Finance) -> dict[str, np.ndarray]:
    """Per workload: one-time cost, net first-year savings (low / mid / high) and payback.

    Skip rows cost nothing and have no net or payback (NaN): they are not pursued.
    """
    decision = table["decision"].to_numpy()
    enable, bench = decision == "enable", decision == "benchmark"
    acting = enable | bench
    rate = finance.engineer_day_usd
    plan = np.nan_to_num(pd.to_numeric(table["plan_cost_usd"], errors="coerce").to_numpy(dtype=float))
    one_time = np.where(
        enable,
        finance.days_per_enable * rate,
        np.where(bench, (finance.days_per_benchmark + finance.days_per_enable) * rate + plan, 0.0),
    )
    delay = np.where(bench, finance.report_back_days, 0) / 365
    out: dict[str, np.ndarray] = {"one_time_cost_usd": one_time}
    for k in LEVELS:
        s = table[f"savings_per_year_usd_{k}"].to_numpy(dtype=float)
        out[f"net_first_year_usd_{k}"] = np.where(acting, s * (1 - delay) - one_time, np.nan)
    mid = table["savings_per_year_usd_mid"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        payback = delay * 52 + one_time / (mid / 52)
    out["payback_weeks"] = np.where(acting & (mid > 0), payback, np.nan)
    return out


def _payback(one_time: float, committed: float, pending: float, delay_weeks: float) -> float | None:
    """Weeks until the savings cover the one-time cost: committed savings run from week 0,
    pending savings from the report-back week (both per week, expected)."""
    if one_time <= 0:
        return 0.0
    if committed > 0 and committed * delay_weeks >= one_time:
        return one_time / committed
    rate = committed + pending
    if rate <= 0:
        return None
    return delay_weeks + (one_time - max(committed, 0.0) * delay_weeks) / rate


def _lines(table: pd.DataFrame, net: dict[str, np.ndarray], finance: Finance) -> dict[str, Any]:
    decision = table["decision"].to_numpy()
    spend = table["cost_per_year_usd"].to_numpy(dtype=float)
    out: dict[str, Any] = {}
    for line, dec in LINES.items():
        m = decision == dec
        row: dict[str, Any] = {"workloads": int(m.sum()), "spend_per_year_usd": float(spend[m].sum())}
        if dec == "skip":
            row.update(
                savings_per_year_usd=None, one_time_cost_usd=0.0, net_first_year_usd=None, payback_weeks=None
            )
        else:
            sav = {
                k: float(table[f"savings_per_year_usd_{k}"].to_numpy(dtype=float)[m].sum()) for k in LEVELS
            }
            one = float(net["one_time_cost_usd"][m].sum())
            delay = finance.report_back_days / 7 if dec == "benchmark" else 0.0
            row.update(
                savings_per_year_usd=sav,
                one_time_cost_usd=one,
                net_first_year_usd={k: float(net[f"net_first_year_usd_{k}"][m].sum()) for k in LEVELS},
                payback_weeks=None  # an empty line pays nothing back: no figure, not "at once"
                if not m.any()
                else _payback(one, 0.0, sav["mid"] / 52, delay)
                if dec == "benchmark"
                else _payback(one, sav["mid"] / 52, 0.0, 0.0),
            )
        out[line] = row
    return out


def _sensitivity(table: pd.DataFrame, net: dict[str, np.ndarray], finance: Finance) -> list[dict[str, Any]]:
    """How the expected net first-year savings (committed + pending) move with each input."""
    decision = table["decision"].to_numpy()
    acting = (decision == "enable") | (decision == "benchmark")
    delay = np.where(decision == "benchmark", finance.report_back_days, 0)[acting] / 365
    gross = table["savings_per_year_usd_mid"].to_numpy(dtype=float)[acting] * (1 - delay)
    one_time = float(net["one_time_cost_usd"][acting].sum())
    base = float(gross.sum()) - one_time

    def scaled(f: float) -> float:
        return float((gross * f).sum()) - one_time

    lo_runs, hi_runs = finance.runs_per_week_factors
    d, pc = finance.savings_plan_discount, finance.price_change
    rows = [
        (
            "speedup",
            "low end of every speedup range",
            float(net["net_first_year_usd_low"][acting].sum()),
            "high end of every speedup range",
            float(net["net_first_year_usd_high"][acting].sum()),
        ),
        ("runs_per_week", f"runs per week x {lo_runs:g}", scaled(lo_runs), f"x {hi_runs:g}", scaled(hi_runs)),
        ("price", f"instance prices -{pc:.0%}", scaled(1 - pc), f"+{pc:.0%}", scaled(1 + pc)),
        ("price_basis", f"{d:.0%} Savings Plan discount", scaled(1 - d), "on-demand (as computed)", base),
    ]
    return [
        {
            "factor": f,
            "base_usd": base,
            "low": {"case": lc, "net_first_year_usd": lv},
            "high": {"case": hc, "net_first_year_usd": hv},
        }
        for f, lc, lv, hc, hv in rows
    ]


def _confidence(table: pd.DataFrame, lines: dict[str, Any]) -> dict[str, Any]:
    decision = table["decision"].to_numpy()
    acting = (decision == "enable") | (decision == "benchmark")
    mid = np.clip(table["savings_per_year_usd_mid"].to_numpy(dtype=float)[acting], 0, None)
    measured = (table["evidence"].to_numpy() == "measured")[acting]
    total = float(mid.sum())
    share = float(mid[measured].sum()) / total if total > 0 else 0.0
    committed = lines["committed"]["savings_per_year_usd"]["mid"]
    pending = lines["pending"]["savings_per_year_usd"]["mid"]
    unproven = pending / (committed + pending) if committed + pending > 0 else 0.0
    sentence = (
        f"{share:.0%} of the expected savings rest on measured speedups and {1 - share:.0%} on assumed "
        f"priors; {unproven:.0%} is pending, unproven until its benchmarks report back."
        if total > 0
        else "No expected savings: nothing to be sure of."
    )
    return {"measured_share": share, "pending_share": unproven, "sentence": sentence}


def _request(lines: dict[str, Any], finance: Finance, today: date | None) -> str:
    n, m = lines["committed"]["workloads"], lines["pending"]["workloads"]
    if n + m == 0:
        return "Nothing to approve: no workload is worth enabling or benchmarking under this profile."
    days = n * finance.days_per_enable + m * finance.days_per_benchmark
    compute = (
        lines["pending"]["one_time_cost_usd"]
        - m * (finance.days_per_benchmark + finance.days_per_enable) * finance.engineer_day_usd
    )
    net = {
        k: lines["committed"]["net_first_year_usd"][k] + lines["pending"]["net_first_year_usd"][k]
        for k in LEVELS
    }
    one = lines["committed"]["one_time_cost_usd"] + lines["pending"]["one_time_cost_usd"]
    pay = _payback(
        one,
        lines["committed"]["savings_per_year_usd"]["mid"] / 52,
        lines["pending"]["savings_per_year_usd"]["mid"] / 52,
        finance.report_back_days / 7,
    )
    payback = "no payback in sight" if pay is None else f"payback in {max(1, math.ceil(pay))} weeks"
    when = (today + timedelta(days=finance.report_back_days)).isoformat() if today else "the next review"
    return (
        f"Approve {n} change{'s' if n != 1 else ''} and {m} benchmark{'s' if m != 1 else ''}: about "
        f"{days:g} engineer-days and {_money(max(compute, 0.0))} of benchmark compute; expected net "
        f"savings in the first year {_money(net['mid'])} ({_money(net['low'])} to {_money(net['high'])}), "
        f"{payback}; report back by {when}."
    )


def totals(table: pd.DataFrame, finance: Finance, today: date | None = None) -> dict[str, Any]:
    """The finance view of the whole table: committed / pending / not pursued, never mixed,
    net of one-time costs; the decision requested; sensitivity and confidence. Also the
    plain counts and sums (spend, savings range over enable + benchmark, decisions)."""
    decision = table["decision"].to_numpy()
    masks = {d: decision == d for d in ("enable", "benchmark", "skip")}
    spend = table["cost_per_year_usd"].to_numpy(dtype=float)
    net = net_columns(table, finance)
    lines = _lines(table, net, finance)
    return {
        "workloads": int(len(table)),
        "spend_per_year_usd": sum(lines[k]["spend_per_year_usd"] for k in LINES),
        "savings_per_year_usd": {
            k: lines["committed"]["savings_per_year_usd"][k] + lines["pending"]["savings_per_year_usd"][k]
            for k in LEVELS
        },
        "savings_basis": "sum over workloads decided enable (committed) or benchmark (pending)",
        "decisions": {d: int(m.sum()) for d, m in masks.items()},
        "spend_by_decision_usd": {d: float(spend[m].sum()) for d, m in masks.items()},
        **lines,
        "decision_requested": _request(lines, finance, today),
        "sensitivity": _sensitivity(table, net, finance),
        "confidence": _confidence(table, lines),
    }


def rollup(table: pd.DataFrame, finance: Finance, tag: str) -> list[dict[str, Any]]:
    """The three lines per value of one tag (e.g. team), largest expected net first;
    workloads without the tag are grouped under None."""
    parsed: dict[str, str | None] = {}
    values = []
    for raw in table["tags"].astype(object).tolist():
        key = raw or "{}"
        if key not in parsed:
            tags = json.loads(key) if isinstance(key, str) else dict(key)
            parsed[key] = None if tags.get(tag) is None else str(tags[tag])
        values.append(parsed[key])
    groups = pd.Series(values, dtype=object)
    net = net_columns(table, finance)
    out = []
    for value in dict.fromkeys(values):
        m = (groups == value).to_numpy() if value is not None else groups.isna().to_numpy()
        sub = table.loc[m]
        lines = _lines(sub, {k: v[m] for k, v in net.items()}, finance)
        out.append({"tag": tag, "value": value, "workloads": int(m.sum()), **lines})
    out.sort(
        key=lambda g: (
            -(g["committed"]["net_first_year_usd"]["mid"] + g["pending"]["net_first_year_usd"]["mid"])
        )
    )
    return out
