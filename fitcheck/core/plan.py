"""What to do next: the exact change, the batch size and learning-rate rescale, the plan."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitcheck.core.engine import RuleOutput, fill, fill_codes
from fitcheck.core.policy import FAIL, UNKNOWN, WARN, Decision
from fitcheck.core.profile import Policy

CHANGE = {
    "torch.compile": "model = torch.compile(model)  # after model.to(device), before the training "
    "loop; no estimator change",
    "sagemaker-training-compiler": "estimator: compiler_config=TrainingCompilerConfig(), "
    "disable_profiler=True, debugger_hook_config=False",
    "tf-xla": "model.compile(..., jit_compile=True)  # or tf.function(jit_compile=True) on the train step",
}
STC_DISTRIBUTED = ", distribution={'pytorchxla': {'enabled': True}}"
# Models with a built-in architecture in 'fitcheck bench' (others bring module:function).
BENCH_MODELS = (
    "bert-base-uncased",
    "roberta-base",
    "distilbert-base-uncased",
    "gpt2",
    "t5-small",
    "vit-base",
    "resnet50",
    "stable-diffusion-v1-5-unet",
)
BENCH_BACKEND = {
    "torch.compile": "inductor",
    "sagemaker-training-compiler": "xla",
    "torch-xla": "xla",
    "tf-xla": "xla",
}


def batch_and_lr(ctx: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Recommended per-device batch (the compiler batch from the tested-models table) and
    the linear learning-rate scale that goes with it (bs_new / bs_current)."""
    rec = ctx["tested_compiler_batch"].to_numpy(dtype=float)
    current = ctx["batch_size"].to_numpy(dtype=float)
    current = np.where(np.isnan(current), ctx["tested_native_batch"].to_numpy(dtype=float), current)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.round(rec / current, 3)
    usable = ctx["compiler_candidate"].to_numpy() != "none"
    return np.where(usable, rec, np.nan), np.where(usable, scale, np.nan)


def exact_change(ctx: pd.DataFrame, decision: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The change to make per workload (None when skipped) and a key: equal keys, equal text."""
    candidate = ctx["compiler_candidate"]
    out = candidate.map(CHANGE).to_numpy(dtype=object)
    out[pd.isna(out)] = None
    multi = (ctx["instance_count"].to_numpy() > 1) | (ctx["accelerators"].to_numpy(dtype=float) > 1)
    stc_multi = (candidate == "sagemaker-training-compiler").to_numpy() & multi
    out[stc_multi] = out[stc_multi] + STC_DISTRIBUTED
    skip = decision == Decision.SKIP.value
    out[skip] = None
    key = pd.factorize(candidate.to_numpy(dtype=object))[0] * 2 + stc_multi
    key[skip | pd.isna(out)] = -1
    return out, key.astype(np.int64)


def batch_step(ctx: pd.DataFrame, rec: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The batch-size and learning-rate step (None where the model was not tested) and a key."""
    rows = np.flatnonzero(~np.isnan(rec) & ~np.isnan(scale))
    out = np.full(len(ctx), None, dtype=object)
    key = np.full(len(ctx), -1, dtype=np.int64)
    if len(rows):
        view = ctx.assign(_rec=rec, _scale=scale)
        texts, codes = fill_codes(
            "Start at batch size {_rec:.0f} per device (the compiler's largest batch in the "
            "tested-models table, {tested_on}); scale the learning rate by {_scale:.2f} "
            "(lr_new = lr x bs_new / bs_old) and re-validate model quality.",
            view,
            rows,
        )
        out[rows] = texts[codes]
        key[rows] = codes
    return out, key


def benchmark_plan(ctx: pd.DataFrame, decision: np.ndarray, policy: Policy) -> pd.DataFrame:
    """For benchmark rows: the command, hours, cost and the thresholds that will decide."""
    b, m = policy.benchmark, policy.measured
    rows = np.flatnonzero(decision == Decision.BENCHMARK.value)
    command = np.full(len(ctx), None, dtype=object)
    cost = np.full(len(ctx), np.nan)
    if len(rows):
        wanted = [
            "compiler_candidate",
            "input_shapes",
            "precision",
            "model",
            "name",
            "hourly_usd",
            "batch_size",
            "sequence_length",
        ]
        sub = ctx[wanted].iloc[rows]
        backend = sub["compiler_candidate"].astype(object).map(BENCH_BACKEND).fillna("inductor")
        dyn = np.where(sub["input_shapes"] == "dynamic", " --dynamic-shapes", "")
        prec = sub["precision"].astype(object).where(sub["precision"].isin(["fp32", "fp16", "bf16"]), "bf16")
        key = sub["model"].astype(str).str.lower().str.replace(r"^.*/", "", regex=True)
        key = key.str.replace(r"^vit-base.*", "vit-base", regex=True)
        key = key.where(~key.str.contains("unet"), "stable-diffusion-v1-5-unet")
        bench_model = key.where(key.isin(BENCH_MODELS), "your_package.module:make_training_step")
        sizes = _option("--batch-size", sub["batch_size"]) + _option("--seq-len", sub["sequence_length"])
        view = sub.assign(_backend=backend, _dyn=dyn, _prec=prec, _model=bench_model, _sizes=sizes)
        command[rows] = fill(
            "fitcheck bench --model {_model} --workload {name}{_sizes} --precision {_prec} "
            f"--backends eager,{{_backend}} --target-ci {b.target_ci:g}{{_dyn}}",
            view,
            np.arange(len(rows)),
        )
        cost[rows] = 2 * b.hours_per_variant * sub["hourly_usd"].to_numpy()
    decide_by = (
        f"enable at >= {m.enable_min_speedup:.2f}x with loss parity and the interval's "
        f"low end above {m.enable_min_lower_bound:.2f}x; leave off under "
        f"{m.skip_below_speedup:.2f}x or on any divergence"
    )
    return pd.DataFrame(
        {
            "plan_command": pd.Series(command, index=ctx.index, dtype=object),
            "plan_hours": np.where(np.isnan(cost), np.nan, 2 * b.hours_per_variant),
            "plan_cost_usd": cost,
            "plan_decide_by": pd.Series(decide_by, index=ctx.index, dtype=object).where(
                ~np.isnan(cost), None
            ),
        },
        index=ctx.index,
    )


ROLL_OUT = "Roll out on one run, compare loss curves and wall-clock with the last eager run."
# skip: only what blocks it (fail); benchmark: everything in doubt; enable: the warnings.
RELEVANT = {"skip": (FAIL,), "benchmark": (WARN, UNKNOWN, FAIL), "enable": (WARN, UNKNOWN)}


def _option(flag: str, values: pd.Series) -> np.ndarray:
    """' --flag N' where the inventory gives N, else ''."""
    known = values.notna().to_numpy()
    out = np.full(len(values), "", dtype=object)
    out[known] = [f" {flag} {v:.0f}" for v in values.to_numpy()[known]]
    return out


def next_steps(
    outputs: list[RuleOutput],
    decision: np.ndarray,
    change: tuple[np.ndarray, np.ndarray],
    batch: tuple[np.ndarray, np.ndarray],
    plan: pd.DataFrame,
) -> list[list[str]]:
    """Ordered, de-duplicated steps per workload: fixes first, then the change or the plan.

    Workloads with the same remedies, change and batch advice share one list, built once
    from integer keys; only the benchmark command, which names the workload, is per row.
    """
    n = len(decision)
    decision_code = np.select([decision == "enable", decision == "benchmark"], [0, 1], 2)
    columns: list[np.ndarray] = []
    by_decision = {d: decision_code == i for i, d in enumerate(("enable", "benchmark", "skip"))}
    for o in outputs:
        wanted = np.zeros(n, dtype=bool)
        for d, codes in RELEVANT.items():
            wanted |= by_decision[d] & np.isin(o.status, codes)
        columns.append(np.where(wanted, o.remedy_key, -1))
    change_text, change_key = change
    batch_text, batch_key = batch
    columns.append(np.where(decision_code == 0, change_key, -1))
    columns.append(np.where(decision_code != 2, batch_key, -1))
    columns.append(decision_code)
    combo = np.zeros(n, dtype=np.int64)
    for col in columns:
        combo = pd.factorize(combo * (int(col.max()) + 2) + (col + 1))[0]
    group, distinct = pd.factorize(combo)
    first = np.empty(len(distinct), dtype=np.int64)
    first[group[::-1]] = np.arange(n - 1, -1, -1)
    shared: list[list[str]] = []
    for pos in first:
        row = [o.remedy[pos] for o, key in zip(outputs, columns, strict=False) if key[pos] >= 0]
        if decision_code[pos] == 0 and change_key[pos] >= 0:
            row.append(f"Make the change: {change_text[pos]}")
        if decision_code[pos] != 2 and batch_key[pos] >= 0:
            row.append(batch_text[pos])
        if decision_code[pos] == 0:
            row.append(ROLL_OUT)
        shared.append(list(dict.fromkeys(row)))
    steps = [shared[g] for g in group]
    cmd = plan["plan_command"].to_numpy()
    cost = plan["plan_cost_usd"].to_numpy()
    for i in np.flatnonzero(~np.isnan(cost)):
        steps[i] = [*steps[i], f"Benchmark: {cmd[i]} (about ${cost[i]:,.0f} of instance time)"]
    return steps
