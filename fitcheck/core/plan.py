"""What to do next: the exact change, the batch size and learning rate, the benchmark plan.

Texts are built once per distinct combination of the values they name (see
:func:`per_distinct`) and broadcast back; only the benchmark command, which names the
workload, is per row.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fitcheck.core.engine import RuleOutput
from fitcheck.core.family import normalise
from fitcheck.core.notation import money
from fitcheck.core.policy import FAIL, UNKNOWN, WARN, Decision
from fitcheck.core.profile import Policy

STC = "sagemaker-training-compiler"
CHANGE = {
    "torch.compile": "model = torch.compile(model)  # after model.to(device), before the training "
    "loop; no estimator change",
    STC: "estimator: compiler_config=TrainingCompilerConfig(), disable_profiler=True, "
    "debugger_hook_config=False",
    "tf-xla": "model.compile(..., jit_compile=True)  # or tf.function(jit_compile=True) on the train step",
}
STC_DISTRIBUTED = ", distribution={'pytorchxla': {'enabled': True}}"
STC_LAUNCHER = (
    ", entry_point='launcher.py' (a launcher that runs python -m torch_xla.distributed.sm_dist "
    "<your script>: up to PyTorch {limit} distributed STC runs only through it)"
)
STC_HF = ", transformers_version='{tv}', pytorch_version='{pv}' (HuggingFace estimator)"
STC_MIGRATION = (
    "Migration note: the SageMaker Training Compiler is frozen (no new releases or container "
    "patches, not in SageMaker Python SDK v3) and cannot run on PyTorch 2; plan the move to "
    "PyTorch 2.x and torch.compile."
)
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
OWN_MODEL = "your_package.module:make_training_step"
BENCH_BACKEND = {"torch.compile": "inductor"}
ROLL_OUT = "Roll out on one run, compare loss curves and wall-clock with the last eager run."
# skip: only what blocks it (fail); benchmark: everything in doubt; enable: the warnings.
RELEVANT = {"skip": (FAIL,), "benchmark": (WARN, UNKNOWN, FAIL), "enable": (WARN, UNKNOWN)}


def per_distinct(
    columns: dict[str, np.ndarray], rows: np.ndarray, func: Callable[..., str | None]
) -> tuple[np.ndarray, np.ndarray]:
    """``func(*values)`` once per distinct combination of the ``columns`` values over ``rows``:
    the texts per row (None elsewhere) and a key (equal keys, equal texts; -1 none)."""
    n = len(next(iter(columns.values())))
    out = np.full(n, None, dtype=object)
    key = np.full(n, -1, dtype=np.int64)
    if not len(rows):
        return out, key
    subs = [np.asarray(v)[rows] for v in columns.values()]
    combo = np.zeros(len(rows), dtype=np.int64)
    for values in subs:
        codes = pd.factorize(values, use_na_sentinel=False)[0]
        combo = pd.factorize(combo * (int(codes.max()) + 1) + codes)[0]
    codes, uniques = pd.factorize(combo)
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(rows) - 1, -1, -1)
    texts = np.array([func(*(v[i] for v in subs)) for i in first], dtype=object)
    out[rows] = texts[codes]
    key[rows] = np.where(pd.isna(texts[codes]), -1, codes)
    return out, key


def batch_and_lr(ctx: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Recommended per-device batch (STC only: the compiler batch from the tested-models
    table) and the linear learning-rate scale that goes with it (bs_new / bs_current)."""
    rec = ctx["tested_compiler_batch"].to_numpy(dtype=float)
    current = ctx["batch_size"].to_numpy(dtype=float)
    current = np.where(np.isnan(current), ctx["tested_native_batch"].to_numpy(dtype=float), current)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.round(rec / current, 3)
    usable = (ctx["compiler_candidate"].to_numpy() == STC) & ctx["applies"].to_numpy(dtype=bool)
    return np.where(usable, rec, np.nan), np.where(usable, scale, np.nan)


def exact_change(ctx: pd.DataFrame, decision: np.ndarray, policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """The change to make per workload (None when skipped) and a key: equal keys, equal text."""
    multi = (ctx["instance_count"].to_numpy() > 1) | (ctx["accelerators"].to_numpy(dtype=float) > 1)
    frame = {
        "c": ctx["compiler_candidate"].to_numpy(dtype=object),
        "fw": ctx["framework"].to_numpy(dtype=object),
        "multi": multi,
        "launcher": ctx["stc_launcher"].to_numpy(dtype=bool),
        "hf": (ctx["stc_release"] == "hf").to_numpy(dtype=bool),
        "tv": ctx["stc_transformers"].to_numpy(dtype=object),
        "pv": ctx["fw_release"].to_numpy(dtype=object),
    }
    limit = policy.versions.stc_pytorch_launcher_max

    def text(c: str, fw: str, multi: bool, launcher: bool, hf: bool, tv: str, pv: str) -> str | None:
        base = CHANGE.get(c)
        if base is None or c != STC:
            return base
        if hf:
            base += STC_HF.format(tv=tv, pv=pv)
        if multi and fw == "pytorch":
            base += STC_LAUNCHER.format(limit=limit) if launcher else STC_DISTRIBUTED
        return base

    rows = np.flatnonzero(decision != Decision.SKIP.value)
    return per_distinct(frame, rows, text)


def batch_step(
    ctx: pd.DataFrame, decision: np.ndarray, rec: np.ndarray, scale: np.ndarray, policy: Policy
) -> tuple[np.ndarray, np.ndarray]:
    """The batch-size and learning-rate step and a key.

    STC: the tested-models batch (framework, release, instance, nearest sequence length) with
    the linear learning-rate rescale, and a warm-up caveat above ``lr_rescale_warmup_above``.
    torch.compile and tf-xla: measure it."""
    t = policy.thresholds
    frame = {
        "c": ctx["compiler_candidate"].to_numpy(dtype=object),
        "rec": rec,
        "scale": scale,
        "on": ctx["tested_on"].to_numpy(dtype=object),
        "fw": ctx["framework"].to_numpy(dtype=object),
        "rel": ctx["tested_release"].to_numpy(dtype=object),
        "tseq": ctx["tested_seq_len"].to_numpy(dtype=float),
        "seq": ctx["sequence_length"].to_numpy(dtype=float),
        "norm": ctx["tested_normalised"].to_numpy(dtype=bool),
        "bs": ctx["batch_size"].to_numpy(dtype=float),
    }

    def text(
        c: str,
        rec: float,
        scale: float,
        on: str,
        fw: str,
        rel: str,
        tseq: float,
        seq: float,
        norm: bool,
        bs: float,
    ) -> str | None:
        if c == STC and not math.isnan(rec) and not math.isnan(scale):
            where = f"{on}, {fw} {rel}"
            if not math.isnan(tseq):
                where += f", {tseq:.0f} tokens"
                if not math.isnan(seq) and seq != tseq:
                    where += f": the nearest tested length to the job's {seq:.0f}"
            if norm:
                where += "; published as a global batch, divided by the GPU count"
            step = (
                f"Start at batch size {rec:.0f} per device (the compiler's largest batch in the "
                "tested-models "
                f"table: {where}); scale the learning rate by {scale:.2f} (lr_new = lr x bs_new / bs_old)"
            )
            if scale > t.lr_rescale_warmup_above:
                step += (
                    " with a linear warm-up over the first 5 to 10 % of steps (or the gentler square-root "
                    "rule, "
                    f"x{math.sqrt(scale):.2f}): a x{scale:.1f} rate is never safe cold"
                )
            return step + "; re-validate model quality."
        if c == STC:
            return (
                "The tested-models table has no row for this model, framework release, instance family and "
                "sequence length: keep the current batch on the first compiled run, then raise it while "
                "it fits."
            )
        current = "the current batch" if math.isnan(bs) else f"batch size {bs:.0f}"
        if c == "torch.compile":
            return (
                f"Batch size: measure it. Keep {current} first; 'fitcheck bench --find-max-batch' finds the "
                "largest batch that fits compiled (it may be larger, or smaller); rescale the learning rate "
                f"linearly with the batch, with a warm-up above x{t.lr_rescale_warmup_above:g}."
            )
        if c == "tf-xla":
            return (
                f"Batch size: measure it. Keep {current} first; find the largest batch that fits with "
                "jit_compile=True on the instance; rescale the learning rate linearly with the batch, with a "
                f"warm-up above x{t.lr_rescale_warmup_above:g}."
            )
        return None

    rows = np.flatnonzero((decision != Decision.SKIP.value) & ctx["applies"].to_numpy(dtype=bool))
    return per_distinct(frame, rows, text)


def _bench_model(model: str, kind: str, family: str) -> str:
    """A catalog architecture only when the model id really is that architecture."""
    key = normalise(model)
    if key in BENCH_MODELS:
        return key
    if key.startswith("vit-base-patch16") or key in ("vit-base", "vit_b_16"):
        return "vit-base"
    if family == "diffusion" and ("stable-diffusion-v1-5" in key or key.startswith(("sd-v1-5", "sd15"))):
        return "stable-diffusion-v1-5-unet"
    return OWN_MODEL


def single_gpu_siblings(
    instances: pd.DataFrame, prices: pd.DataFrame, pairs: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, float]]:
    """Per (instance type, region): the cheapest one-GPU instance with the same accelerator that
    has a price in that region, and that price. The instance itself (price NaN: priced as the
    workload is) when no such sibling exists (A100, H100) or none is priced in the region."""
    inst = instances.reset_index(drop=True)
    accelerator = dict(zip(inst["instance_type"].astype(str), inst["accelerator"].astype(str), strict=True))
    one_gpu = set(inst.loc[inst["accelerators"].astype(float) == 1, "instance_type"].astype(str))
    table = prices[prices["instance_type"].astype(str).isin(one_gpu)]
    out: dict[tuple[str, str], tuple[str, float]] = {}
    for itype, region in pairs:
        acc = accelerator.get(itype)
        here = table[table["region"].astype(str) == region]
        here = here[[accelerator.get(str(t)) == acc for t in here["instance_type"]]]
        if acc is None or here.empty:
            out[(itype, region)] = (itype, np.nan)
            continue
        best = here.sort_values(["price_usd_per_hour", "instance_type"], kind="stable").iloc[0]
        out[(itype, region)] = (str(best["instance_type"]), float(best["price_usd_per_hour"]))
    return out


def benchmark_plan(
    ctx: pd.DataFrame, decision: np.ndarray, policy: Policy, instances: pd.DataFrame, prices: pd.DataFrame
) -> pd.DataFrame:
    """For benchmark rows: where and how to measure, the hours, the cost, what decides.

    SageMaker Training Compiler and TensorFlow: paired SageMaker jobs. PyTorch on one node
    with a model that fits one GPU: a local 'fitcheck bench' on the single-GPU sibling of the
    instance, priced as such in the workload's region. Multi-node, or a model too big for one
    GPU: paired SageMaker jobs on the real cluster shape, for a bounded time."""
    b, m = policy.benchmark, policy.measured
    n = len(ctx)
    rows = np.flatnonzero(decision == Decision.BENCHMARK.value)
    command = np.full(n, None, dtype=object)
    where = np.full(n, None, dtype=object)
    hours = np.full(n, np.nan)
    cost = np.full(n, np.nan)
    remote_rows = np.zeros(n, dtype=bool)
    if len(rows):
        sub = ctx.iloc[rows]
        cand = sub["compiler_candidate"].to_numpy(dtype=object)
        count = sub["instance_count"].to_numpy()
        local = (cand == "torch.compile") & (count == 1) & sub["fits_one_gpu"].to_numpy(dtype=bool)
        names = quoted(sub["name"])
        inst = sub["instance_type"].to_numpy(dtype=object)
        # a few distinct (instance type, region) pairs: the sibling is priced in the job's region
        pair_keys = pd.MultiIndex.from_arrays(
            [sub["instance_type"].astype(str).to_numpy(), sub["region"].astype(str).to_numpy()]
        )
        codes, distinct = pd.factorize(pair_keys)
        siblings = single_gpu_siblings(instances, prices, [(str(a), str(b)) for a, b in distinct])
        sib = np.array([siblings[(str(a), str(b))][0] for a, b in distinct], dtype=object)
        sib_price = np.array([siblings[(str(a), str(b))][1] for a, b in distinct], dtype=float)
        sib_name, sib_cost = sib[codes].astype(object), sib_price[codes]
        precision = sub["precision"].to_numpy(dtype=object)
        ok = np.isin(precision, ("fp16", "bf16")) & ~sub["precision_unsupported"].to_numpy(dtype=bool)
        prec = np.where(ok, precision, sub["mixed_for_gpu"].to_numpy(dtype=object)).astype(object)
        dyn = np.where(
            sub["input_shapes"].to_numpy(dtype=object) == "dynamic", " --dynamic-shapes", ""
        ).astype(object)
        acc = sub["accelerator"].to_numpy(dtype=object).astype(str).astype(object)
        hourly = sub["hourly_usd"].to_numpy(dtype=float)
        sizes = _option("--batch-size", sub["batch_size"]) + _option("--seq-len", sub["sequence_length"])
        model_key = distinct_map(
            sub,
            ["model", "model_kind", "family"],
            lambda m, k, f: shlex.quote(_bench_model(str(m), str(k), str(f))),
        )
        count_txt = count.astype(np.int64).astype(str).astype(object)
        cand_txt = cand.astype(str).astype(object)
        inst_txt = inst.astype(str).astype(object)
        local_cmd = (
            "fitcheck bench --model "
            + model_key
            + " --workload "
            + names
            + sizes
            + " --precision "
            + prec
            + f" --backends eager,{BENCH_BACKEND['torch.compile']} --device cuda --target-ci {b.target_ci:g}"
            + dyn
        )
        remote_cmd = (
            "fitcheck bench --on sagemaker --workload "
            + names
            + " --compiler "
            + cand_txt
            + " --instance-type "
            + inst_txt
            + " --instance-count "
            + count_txt
            + f" --pairs {b.sagemaker_pairs} --role ROLE_ARN --image IMAGE_URI --entry-point train.py"
        )
        own = sib_name == inst_txt
        local_where = np.where(
            own,
            "on one " + sib_name + " (" + acc + "; no single-GPU " + acc + " instance exists)",
            "on one " + sib_name + " (" + acc + "), the single-GPU sibling of " + inst_txt,
        )
        pairs = b.sagemaker_pairs
        remote_where = (
            f"as paired SageMaker jobs, {pairs} pair{'s' if pairs > 1 else ''} (eager, "
            + cand_txt
            + "; launched interleaved) on the real shape, "
            + count_txt
            + " x "
            + inst_txt
            + f", each bounded to {b.sagemaker_max_steps} steps or {b.sagemaker_hours_per_variant:g} h"
        )
        command[rows] = np.where(local, local_cmd, remote_cmd)
        where[rows] = np.where(local, local_where, remote_where)
        # instance-hours: both variants; on SageMaker every pair on every instance of the shape
        remote_hours = 2 * pairs * b.sagemaker_hours_per_variant * count
        hours[rows] = np.where(local, 2 * b.hours_per_variant, remote_hours)
        local_price = np.where(np.isnan(sib_cost) | own, hourly, sib_cost)
        cost[rows] = np.where(local, 2 * b.hours_per_variant * local_price, remote_hours * hourly)
        remote_rows[rows] = ~local
    interval_rule = (
        f"enable at >= {m.enable_min_speedup:.2f}x with loss parity and the interval's "
        f"low end at or above {m.enable_min_lower_bound:.2f}x; leave off when even its high end is under "
        f"{m.skip_below_speedup:.2f}x or on any divergence"
    )
    # pairs of whole runs give a spread, not an interval: analyze keeps the prior, a reviewer decides
    pairs_rule = (
        f"the {b.sagemaker_pairs} pairs give a spread of whole runs, not an interval, so analyze keeps "
        f"the prior: enable on review when every pair is at or above {m.enable_min_speedup:.2f}x "
        f"with loss parity; leave off when none reaches {m.skip_below_speedup:.2f}x or on any divergence"
    )
    decide_by = np.where(remote_rows, pairs_rule, interval_rule).astype(object)
    return pd.DataFrame(
        {
            "plan_command": pd.Series(command, index=ctx.index, dtype=object),
            "plan_where": pd.Series(where, index=ctx.index, dtype=object),
            "plan_hours": hours,
            "plan_cost_usd": cost,
            "plan_decide_by": pd.Series(decide_by, index=ctx.index, dtype=object).where(
                ~np.isnan(cost), None
            ),
        },
        index=ctx.index,
    )


_SAFE = r"^[A-Za-z0-9_@%+=:,./-]+$"


def quoted(values: pd.Series) -> np.ndarray:
    """Shell-quoted text (shlex.quote), computed only for the values that need it."""
    text = values.astype(object).astype(str)
    safe = text.str.match(_SAFE).fillna(False).to_numpy(dtype=bool)
    out = text.to_numpy(dtype=object).copy()
    out[~safe] = [shlex.quote(v) for v in out[~safe]]
    return out


def distinct_map(frame: pd.DataFrame, columns: list[str], func: Callable[..., str]) -> np.ndarray:
    """``func`` of each row's ``columns`` values, computed once per distinct combination."""
    sub = frame[columns]
    codes = sub.groupby(columns, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    firsts = sub.drop_duplicates().to_numpy(dtype=object)
    texts = np.array([func(*row) for row in firsts], dtype=object)
    return texts[codes]


def _option(flag: str, values: pd.Series) -> np.ndarray:
    """' --flag N' where the inventory gives N, else ''."""
    known = values.notna().to_numpy()
    out = np.full(len(values), "", dtype=object)
    out[known] = [f" {flag} {v:.0f}" for v in values.to_numpy()[known]]
    return out


def next_steps(
    outputs: Sequence[RuleOutput],
    decision: np.ndarray,
    change: tuple[np.ndarray, np.ndarray],
    batch: tuple[np.ndarray, np.ndarray],
    plan: pd.DataFrame,
    notes: tuple[np.ndarray, np.ndarray],
) -> list[list[str]]:
    """Ordered, de-duplicated steps per workload: the fixes first, then the other remedies,
    the change or the plan, the batch and learning rate, notes (e.g. a migration), roll-out.

    Workloads with the same remedies, change and batch advice share one list, built once
    from integer keys; only the benchmark command, which names the workload, is per row.
    """
    n = len(decision)
    decision_code = np.select([decision == "enable", decision == "benchmark"], [0, 1], 2)
    by_decision = {d: decision_code == i for i, d in enumerate(("enable", "benchmark", "skip"))}
    columns: list[np.ndarray] = []  # per rule: remedy key x 2 + (fixable), -1 when not wanted
    for o in outputs:
        wanted = np.zeros(n, dtype=bool)
        for d, codes in RELEVANT.items():
            wanted |= by_decision[d] & np.isin(o.status, codes)
        columns.append(np.where(wanted & (o.remedy_key >= 0), o.remedy_key * 2 + o.fixable, -1))
    change_text, change_key = change
    batch_text, batch_key = batch
    note_text, note_key = notes
    extra = [
        np.where(decision_code == 0, change_key, -1),
        np.where(decision_code != 2, batch_key, -1),
        np.where(decision_code != 2, note_key, -1),
        decision_code,
    ]
    combo = np.zeros(n, dtype=np.int64)
    for col in [*columns, *extra]:
        combo = pd.factorize(combo * (int(col.max()) + 2) + (col + 1))[0]
    group, distinct = pd.factorize(combo)
    first = np.empty(len(distinct), dtype=np.int64)
    first[group[::-1]] = np.arange(n - 1, -1, -1)
    shared: list[list[Any]] = []
    for pos in first:
        keyed = [(o.remedy[pos], key[pos]) for o, key in zip(outputs, columns, strict=True) if key[pos] >= 0]
        row = [text for text, k in keyed if k % 2] + [text for text, k in keyed if not k % 2]
        if decision_code[pos] == 0 and change_key[pos] >= 0:
            row.append(f"Make the change: {change_text[pos]}")
        if decision_code[pos] != 2 and batch_key[pos] >= 0:
            row.append(batch_text[pos])
        if decision_code[pos] != 2 and note_key[pos] >= 0:
            row.append(note_text[pos])
        if decision_code[pos] == 0:
            row.append(ROLL_OUT)
        shared.append(list(dict.fromkeys(row)))
    steps = [shared[g] for g in group]
    cmd = plan["plan_command"].to_numpy()
    where = plan["plan_where"].to_numpy()
    cost = plan["plan_cost_usd"].to_numpy()
    for i in np.flatnonzero(~np.isnan(cost)):
        steps[i] = [*steps[i], f"Benchmark {where[i]}: {cmd[i]} (about {money(cost[i])} of instance time)"]
    return steps


def notes(ctx: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Notes that go with a decision: the STC migration note."""
    stc = (ctx["compiler_candidate"].to_numpy(dtype=object) == STC) & ctx["applies"].to_numpy(dtype=bool)
    out = np.full(len(stc), None, dtype=object)
    out[stc] = STC_MIGRATION
    return out, np.where(stc, 0, -1).astype(np.int64)
