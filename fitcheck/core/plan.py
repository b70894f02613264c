"""What to do next: the exact change, the batch size and learning-rate rescale, the plan."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitcheck.core.engine import RuleOutput, fill
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
    "sd-unet",
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


def exact_change(ctx: pd.DataFrame, decision: np.ndarray) -> np.ndarray:
    candidate = ctx["compiler_candidate"].to_numpy()
    out = ctx["compiler_candidate"].map(CHANGE).to_numpy(dtype=object)
    out[pd.isna(out)] = None
    multi = (ctx["instance_count"].to_numpy() > 1) | (ctx["accelerators"].to_numpy(dtype=float) > 1)
    stc_multi = (candidate == "sagemaker-training-compiler") & multi
    out[stc_multi] = out[stc_multi] + STC_DISTRIBUTED
    out[decision == Decision.SKIP.value] = None
    return out


def batch_step(ctx: pd.DataFrame, rec: np.ndarray, scale: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(~np.isnan(rec) & ~np.isnan(scale))
    out = np.full(len(ctx), None, dtype=object)
    if len(rows):
        view = ctx.assign(_rec=rec, _scale=scale)
        out[rows] = fill(
            "Start at batch size {_rec:.0f} per device (the compiler's largest batch in the "
            "tested-models table, {tested_on}); scale the learning rate by {_scale:.2f} "
            "(lr_new = lr x bs_new / bs_old) and re-validate model quality.",
            view,
            rows,
        )
    return out


def benchmark_plan(ctx: pd.DataFrame, decision: np.ndarray, policy: Policy) -> pd.DataFrame:
    """For benchmark rows: the command, hours, cost and the thresholds that will decide."""
    b, m = policy.benchmark, policy.measured
    rows = np.flatnonzero(decision == Decision.BENCHMARK.value)
    command = np.full(len(ctx), None, dtype=object)
    cost = np.full(len(ctx), np.nan)
    if len(rows):
        sub = ctx[["compiler_candidate", "input_shapes", "precision", "model", "name", "hourly_usd"]].iloc[
            rows
        ]
        backend = sub["compiler_candidate"].astype(object).map(BENCH_BACKEND).fillna("inductor")
        dyn = np.where(sub["input_shapes"] == "dynamic", " --dynamic-shapes", "")
        prec = sub["precision"].astype(object).where(sub["precision"].isin(["fp32", "fp16", "bf16"]), "bf16")
        key = sub["model"].astype(str).str.lower().str.replace(r"^.*/", "", regex=True)
        key = key.str.replace(r"^vit-base.*", "vit-base", regex=True)
        key = key.where(~key.str.contains("unet"), "sd-unet")
        bench_model = key.where(key.isin(BENCH_MODELS), "your_package.module:make_training_step")
        view = sub.assign(_backend=backend, _dyn=dyn, _prec=prec, _model=bench_model)
        command[rows] = fill(
            "fitcheck bench --model {_model} --workload {name} --precision {_prec} "
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
            "plan_decide_by": pd.Series(
                np.where(np.isnan(cost), None, np.array(decide_by, dtype=object)),
                index=ctx.index,
                dtype=object,
            ),
        },
        index=ctx.index,
    )


ROLL_OUT = "Roll out on one run, compare loss curves and wall-clock with the last eager run."
# skip: only what blocks it (fail); benchmark: everything in doubt; enable: the warnings.
RELEVANT = {"skip": (FAIL,), "benchmark": (WARN, UNKNOWN, FAIL), "enable": (WARN, UNKNOWN)}


def next_steps(
    outputs: list[RuleOutput], decision: np.ndarray, change: np.ndarray, batch: np.ndarray, plan: pd.DataFrame
) -> list[list[str]]:
    """Ordered, de-duplicated steps per workload: fixes first, then the change or the plan.

    Workloads that share the same remedies, change and batch advice share one list
    (built once); only the benchmark command, which names the workload, is per row.
    """
    n = len(decision)
    parts: list[np.ndarray] = []
    for o in outputs:
        wanted = np.zeros(n, dtype=bool)
        for d, codes in RELEVANT.items():
            wanted |= (decision == d) & np.isin(o.status, codes)
        parts.append(np.where(wanted, o.remedy, None))
    parts.append(np.where(decision == "enable", change, None))
    parts.append(np.where(decision != "skip", batch, None))
    parts.append(decision)
    keys = pd.DataFrame({i: pd.factorize(p, use_na_sentinel=True)[0] for i, p in enumerate(parts)})
    group = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
    first = np.flatnonzero(~keys.duplicated().to_numpy())
    shared: list[list[str]] = []
    for pos in first:
        *remedies, chg, bat, dec = (p[pos] for p in parts)
        row = [r for r in remedies if isinstance(r, str)]
        if isinstance(chg, str):
            row.append(f"Make the change: {chg}")
        if isinstance(bat, str):
            row.append(bat)
        if dec == "enable":
            row.append(ROLL_OUT)
        shared.append(list(dict.fromkeys(row)))
    steps = [shared[g] for g in group]
    cmd = plan["plan_command"].to_numpy()
    cost = plan["plan_cost_usd"].to_numpy()
    for i in np.flatnonzero([isinstance(c, str) for c in cmd]):
        steps[i] = [*steps[i], f"Benchmark: {cmd[i]} (about ${cost[i]:,.0f} of instance time)"]
    return steps
