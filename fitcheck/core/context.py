"""Derive everything the rules read from an inventory table and a profile.

Pure: a table in, a wider table out. Adds the model family (inferred when absent, by
:mod:`fitcheck.core.family`), the framework release and which compilers exist for it, the
instance facts from the catalog (GPU generation, compute capability), the candidate
compiler, the speedup prior per compiler and GPU generation, the dynamic-shape cost per
compiler, the multi-node (Amdahl) correction and the economics, twice: as the job runs
today ("as is") and once its fixable blockers are fixed (dynamic shapes padded, mixed
precision the GPU supports). Measured evidence, when present, replaces the prior before
the economics are computed (see :func:`fitcheck.core.analysis.apply_evidence`).

Work on text is done once per distinct value (model ids, versions, instance types) and
broadcast back; everything per row is a numpy array operation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
from packaging.version import InvalidVersion, Version

from fitcheck.core import economics as eco
from fitcheck.core.family import classify, model_params_billion, normalise
from fitcheck.core.profile import Policy, Profile

DL_FRAMEWORKS = ("pytorch", "tensorflow")
GPU_ACCELERATORS_NONE = ("none", "")
XLA_ACCELERATORS = ("Trainium", "Inferentia")
STC = "sagemaker-training-compiler"
LEVELS = ("low", "mid", "high")
# GPU generation by compute capability (lower bound of each).
GENERATIONS: tuple[tuple[float, str], ...] = (
    (10.0, "blackwell"),
    (9.0, "hopper"),
    (8.9, "ada"),
    (8.0, "ampere"),
    (7.5, "turing"),
    (7.0, "volta"),
)

CATEGORICAL = (
    "framework",
    "framework_version",
    "precision",
    "input_shapes",
    "distribution",
    "data_loading",
    "instance_type",
    "region",
    "model_family",
)


def categorical(column: pd.Series | np.ndarray) -> pd.Series:
    """A categorical column whose categories are plain Python strings (object dtype), so
    comparisons work on codes and ``to_numpy()`` is a cheap take.

    (pandas >= 3 would otherwise hold text in its arrow-backed string type and convert it
    on every ``to_numpy()``; on a million rows those round trips cost more than the rules.)"""
    index = column.index if isinstance(column, pd.Series) else None
    values = column.to_numpy(dtype=object) if isinstance(column, pd.Series) else column
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    cats = pd.Index(np.asarray(uniques, dtype=object), dtype=object)
    return pd.Series(pd.Categorical.from_codes(codes, categories=cats), index=index)


def as_object(frame: pd.DataFrame) -> pd.DataFrame:
    """The same frame with every text column as object dtype (see :func:`categorical`)."""
    conv = {
        c: object
        for c in frame.columns
        if pd.api.types.is_string_dtype(frame[c].dtype)
        and not isinstance(frame[c].dtype, pd.CategoricalDtype)
    }
    return frame.astype(conv) if conv else frame


def on_distinct(
    frame: pd.DataFrame, columns: list[str], func: Callable[[pd.DataFrame], pd.DataFrame]
) -> pd.DataFrame:
    """Run a row-wise pure ``func`` once per distinct combination of ``columns``.

    Job histories repeat the same models, versions and instance types many times; the
    string work is done on the distinct values and broadcast back: text results come back
    as categoricals built from the distinct codes (no per-row text work)."""
    codes = distinct_codes(frame, columns)
    first = first_of_each(codes)
    distinct = frame[columns].iloc[first].reset_index(drop=True)
    result = as_object(func(distinct))
    out: dict[str, object] = {}
    for col in result.columns:
        values = result[col].to_numpy()
        if values.dtype == object:
            vcodes, uniques = pd.factorize(values, use_na_sentinel=True)
            cats = pd.Index(np.asarray(uniques, dtype=object), dtype=object)
            out[col] = pd.Categorical.from_codes(vcodes[codes], categories=cats)
        else:
            out[col] = values[codes]
    return pd.DataFrame(out, index=frame.index)


def distinct_codes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One integer per row, equal for rows with equal values in ``columns`` (0..k-1)."""
    combo = np.zeros(len(frame), dtype=np.int64)
    for col in columns:
        values = frame[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy().astype(np.int64) + 1
            k = len(values.cat.categories) + 1
        else:
            codes, uniques = pd.factorize(values.to_numpy(), use_na_sentinel=True)
            codes = codes.astype(np.int64) + 1
            k = len(uniques) + 1
        combo = pd.factorize(combo * k + codes)[0].astype(np.int64)
    return combo


def first_of_each(codes: np.ndarray) -> np.ndarray:
    """Row position of the first occurrence of each code 0..k-1."""
    k = int(codes.max()) + 1 if len(codes) else 0
    first = np.empty(k, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return first


def infer_families(models: pd.Series, frameworks: pd.Series) -> pd.Series:
    """Model family per row (token-based, see :mod:`fitcheck.core.family`)."""
    return pd.Series(
        [classify(str(m), str(f))[0] for m, f in zip(models, frameworks, strict=True)],
        index=models.index,
        dtype=object,
    )


# --- versions ---------------------------------------------------------------------------------


def release(text: str, framework: str, policy: Policy) -> Version | None:
    """The framework release a version text means: '1.13' -> 1.13.1 (an STC release),
    '2.1.0+cu121' -> 2.1.0, 'v2.3' -> 2.3; None when absent or unreadable."""
    text = str(text or "").strip().lower().removeprefix("v")
    if not text:
        return None
    aliases = policy.versions.minor_aliases.get(framework, {})
    if text in aliases:
        text = aliases[text]
    try:
        return Version(Version(text).base_version)
    except InvalidVersion:
        return None


def _same_minor(a: str, b: str) -> bool:
    try:
        va, vb = Version(a), Version(b)
    except InvalidVersion:
        return False
    return va.release[:2] == vb.release[:2]


def _version_facts(d: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Per distinct (framework, version, transformers version, model): which compilers exist."""
    v = profile.policy.versions
    native = {Version(x) for x in v.stc_pytorch_native}
    hf = {Version(k): t for k, t in v.stc_pytorch_hf.items()}
    tested = _tested_model_keys(profile)
    rows = []
    for fw, text, tv, model, given in zip(
        d["framework"].astype(str),
        d["framework_version"].astype(str),
        d["transformers_version"].astype(object),
        d["model"].astype(str),
        d["model_family"].astype(str),
        strict=True,
    ):
        rel = release(text, fw, profile.policy)
        family, kind = classify(model, fw)
        family = given if given else family
        tv = "" if tv is None or (isinstance(tv, float) and np.isnan(tv)) else str(tv).strip()
        stc = ""
        need_tf = ""
        if fw == "pytorch" and rel is not None:
            if rel in native:
                stc = "native"
            elif rel in hf:
                need_tf = hf[rel]
                if (tv and _same_minor(tv, need_tf)) or (not tv and family == "transformer"):
                    stc = "hf"
        elif fw == "tensorflow" and rel is not None:
            if Version(v.stc_tensorflow_min) <= rel <= Version(v.stc_tensorflow_max):
                stc = "tf"
        key = (fw, normalise(model))
        rows.append(
            {
                "family": family,
                "family_inferred": not given,
                "model_kind": kind,
                "params_billion": model_params_billion(model),
                "fw_release": "" if rel is None else str(rel),
                "version_known": rel is not None,
                "fw_major": np.nan if rel is None else float(rel.major),
                "fw_minor": np.nan if rel is None else float(rel.minor),
                "torch_compile_ok": fw == "pytorch"
                and rel is not None
                and rel >= Version(v.torch_compile_min),
                "stc_release": stc,
                "stc_transformers": need_tf,
                "stc_launcher": stc != ""
                and fw == "pytorch"
                and rel is not None
                and rel <= Version(v.stc_pytorch_launcher_max),
                "tf_jit_ok": fw == "tensorflow" and rel is not None and rel >= Version(v.tf_jit_compile_min),
                "tf_xla_default": fw == "tensorflow"
                and rel is not None
                and rel >= Version(v.tf_xla_default_from),
                "model_tested": key in tested,
            }
        )
    return pd.DataFrame(rows, index=d.index)


def _tested_model_keys(profile: Profile) -> set[tuple[str, str]]:
    t = profile.tested_models
    return set(zip(t["framework"].astype(str), normalise_model_id(t["model"]), strict=True))


# --- the context -----------------------------------------------------------------------------


def candidate_compiler(ctx: pd.DataFrame) -> np.ndarray:
    """The compiler a workload would turn on, before any decision.

    PyTorch: torch.compile from 2.0 (and when the version is not given); a SageMaker
    Training Compiler release (native 1.12.0/1.13.1, or a Hugging Face 1.9.0/1.10.2/1.11.0
    container with its transformers version) gets STC; any other 1.x keeps torch.compile as
    the compiler an upgrade brings (the availability rule says "upgrade first").
    TensorFlow: STC on its releases for a model its team tested on a tested instance family,
    else XLA through jit_compile. Trainium: torch-xla (Neuron, always on).
    """
    fw = ctx["framework"].to_numpy()
    xla_hw = ctx["accelerator"].isin(XLA_ACCELERATORS).to_numpy()
    stc = ctx["stc_release"].to_numpy()
    dl = np.isin(fw, DL_FRAMEWORKS)
    tf_stc = (stc == "tf") & ctx["model_tested"].to_numpy(dtype=bool) & ctx["stc_tested"].to_numpy(dtype=bool)
    return np.select(
        [
            xla_hw & dl,
            (fw == "pytorch") & np.isin(stc, ("native", "hf")),
            fw == "pytorch",
            (fw == "tensorflow") & tf_stc,
            fw == "tensorflow",
        ],
        ["torch-xla", STC, "torch.compile", STC, "tf-xla"],
        default="none",
    ).astype(object)


def gpu_generation(cc: np.ndarray) -> np.ndarray:
    out = np.full(len(cc), "", dtype=object)
    for bound, name in reversed(GENERATIONS):
        out[cc >= bound] = name
    return out


def match_priors(
    ctx: pd.DataFrame, profile: Profile, precision: pd.Series, shapes: pd.Series
) -> pd.DataFrame:
    """First matching prior per row: speedup low/mid/high and its index (categorical inputs:
    each key is matched on its few categories, then taken per row)."""
    n = len(ctx)
    low, mid, high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    index = np.full(n, -1)
    open_rows = np.ones(n, dtype=bool)
    columns = {
        "compiler": ctx["compiler_candidate"],
        "family": ctx["family"],
        "precision": precision,
        "gpu": ctx["gpu_generation"],
        "shapes": shapes,
    }
    coded = {}
    for key, col in columns.items():
        col = col if isinstance(col.dtype, pd.CategoricalDtype) else categorical(col)
        coded[key] = (col.cat.codes.to_numpy(), np.asarray(col.cat.categories, dtype=object))
    for i, prior in enumerate(profile.policy.priors):
        hit = open_rows.copy()
        for key, (codes, cats) in coded.items():
            accepted = prior.match.values(key)
            if accepted is not None:  # a lookup table on the codes (code -1, missing, never matches)
                table = np.append(np.isin(cats, accepted), False)
                hit &= table[codes]
        low[hit], mid[hit], high[hit] = prior.speedup
        index[hit] = i
        open_rows &= ~hit
    if open_rows.any():
        raise ValueError("the profile's priors must end with a catch-all entry (match: {})")
    return pd.DataFrame({"low": low, "mid": mid, "high": high, "index": index}, index=ctx.index)


def _recode(column: pd.Series, values: np.ndarray) -> pd.Series:
    """``values`` (a per-row choice among a few texts, aligned with ``column``) as a categorical."""
    return categorical(pd.Series(values, index=column.index, dtype=object))


def amdahl(speedup: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """Whole-step speedup when only ``fraction`` of the step speeds up by ``speedup``."""
    return 1.0 / ((1.0 - fraction) + fraction / speedup)


def build_context(
    inventory: pd.DataFrame, profile: Profile, today: date, bench_ceilings: np.ndarray | None = None
) -> pd.DataFrame:
    """The table every rule reads. Instance types must all be in the catalog.

    ``bench_ceilings``: per row, the speedup ceiling (1 / MFU) a benchmark of the workload
    measured (NaN where none); it wins over the inventory's ``mfu`` (see :func:`ceiling`)."""
    policy = profile.policy
    t = policy.thresholds
    ctx = as_object(inventory.copy(deep=False))
    if "transformers_version" not in ctx:
        ctx["transformers_version"] = None
    ctx["transformers_version"] = ctx["transformers_version"].where(ctx["transformers_version"].notna(), "")
    # Few distinct values, a million rows: categorical columns compare and match in C.
    for col in (*CATEGORICAL, "transformers_version"):
        ctx[col] = categorical(ctx[col])
    facts = on_distinct(
        ctx,
        ["model", "framework", "model_family", "framework_version", "transformers_version"],
        lambda d: _version_facts(d, profile),
    )
    for col in ("family_inferred", "version_known", "torch_compile_ok", "stc_launcher", "tf_jit_ok"):
        facts[col] = facts[col].to_numpy(dtype=bool)
    for col in ("tf_xla_default", "model_tested"):
        facts[col] = facts[col].to_numpy(dtype=bool)
    for col in ("params_billion", "fw_major", "fw_minor"):
        facts[col] = facts[col].to_numpy(dtype=float)
    ctx = pd.concat([ctx, facts], axis=1)
    catalog = _catalog_facts(profile, today)
    for col, values in lookup(ctx["instance_type"], catalog).items():
        ctx[col] = values
    # prices per (instance type, region): a workload is priced in its own region only
    for col, values in lookup_pairs(ctx["instance_type"], ctx["region"], price_facts(profile, today)).items():
        ctx[col] = values
    ctx["price_stale"] = ctx["price_age_days"].to_numpy(dtype=float) > t.stale_price_days
    lacking = unpriced(ctx["catalog_price_usd"].to_numpy(dtype=float), ctx["hourly_price_usd"])
    if lacking.any():  # the loader's check names the workload; a direct caller gets this
        pos = int(lacking.nonzero()[0][0])
        raise ValueError(
            f"no price for {ctx['instance_type'].iloc[pos]} in {ctx['region'].iloc[pos]} "
            f"({int(lacking.sum())} workloads without a price in their region and no hourly_price_usd)"
        )
    ctx["is_gpu"] = ~ctx["accelerator"].isin(GPU_ACCELERATORS_NONE + XLA_ACCELERATORS)
    cc = ctx["compute_capability"].to_numpy(dtype=float)
    ctx["compiler_candidate"] = categorical(candidate_compiler(ctx))
    candidate = ctx["compiler_candidate"].to_numpy(dtype=object)
    fw = ctx["framework"].to_numpy(dtype=object)

    # Already compiled: nothing to turn on, nothing to save (the rules say keep or verify).
    # PyTorch with distribution 'pytorchxla' runs through XLA already (STC's own launcher on
    # 1.x, torch-xla on 2.x): compiled.
    xla_dist = (fw == "pytorch") & (ctx["distribution"] == "pytorchxla").to_numpy()
    already = (
        ctx["compiler_enabled"].to_numpy(dtype=bool)
        | xla_dist
        | ctx["tf_xla_default"].to_numpy()
        | (candidate == "torch-xla")
    )
    ctx["already_compiled"] = already
    # Something to turn on: a compiler, not already on, and a GPU to run it on.
    ctx["applies"] = (candidate != "none") & ~already & ctx["is_gpu"].to_numpy(dtype=bool)

    # Memory: does the model (when its id names a size) fit one GPU for training?
    per_gpu = ctx["accelerator_memory_gb_total"].to_numpy(dtype=float) / np.maximum(
        ctx["accelerators"].to_numpy(dtype=float), 1.0
    )
    need = ctx["params_billion"].to_numpy(dtype=float) * t.training_bytes_per_param
    ctx["training_memory_gb"] = need
    ctx["fits_one_gpu"] = ~(need > per_gpu)  # NaN (size unknown) counts as fitting

    _pricing(ctx)
    ctx["hourly_usd"] = eco.hourly(
        ctx["catalog_price_usd"].to_numpy(),
        ctx["hourly_price_usd"].to_numpy(dtype=float),
        ctx["spot"].to_numpy(),
        ctx["spot_discount"].to_numpy(dtype=float),
    )
    ctx["cost_per_run_usd"] = eco.cost_per_run(
        ctx["duration_hours"].to_numpy(), ctx["instance_count"].to_numpy(), ctx["hourly_usd"].to_numpy()
    )
    ctx["cost_per_year_usd"] = eco.per_year(
        ctx["cost_per_run_usd"].to_numpy(), ctx["runs_per_week"].to_numpy()
    )

    # Precision and shapes once the fixable blockers are fixed.
    precision = ctx["precision"].to_numpy(dtype=object)
    low_cc = cc < t.bf16_min_compute_capability
    ctx["precision_unsupported"] = np.isin(precision, ("bf16", "tf32")) & low_cc
    mixed_for_gpu = ctx["mixed_for_gpu"].to_numpy(dtype=object)
    fixed_precision = np.where(
        (precision == "fp32") | ctx["precision_unsupported"].to_numpy(), mixed_for_gpu, precision
    )
    shapes = ctx["input_shapes"].to_numpy(dtype=object)
    fixed_cat = _recode(ctx["precision"], fixed_precision)
    static = pd.Series(
        pd.Categorical.from_codes(np.zeros(len(ctx), dtype=np.int8), ["static"]), index=ctx.index
    )
    as_is = match_priors(ctx, profile, ctx["precision"], ctx["input_shapes"])
    fixed = match_priors(ctx, profile, fixed_cat, static)

    # The MFU ceiling: no compiler makes a step at MFU u more than 1/u faster. It caps the
    # prior (the compute part's speedup, before the dynamic-shape slowdown and the multi-node
    # correction); once fixed only where the fix keeps the precision (a new precision has
    # another peak, so the measured MFU says nothing about it).
    limit, source = ceiling(ctx, bench_ceilings)
    ctx["speedup_ceiling"] = limit
    ctx["ceiling_source"] = categorical(source)
    has_limit = ~np.isnan(limit) & ctx["applies"].to_numpy()
    ctx["precision_changes"] = fixed_precision != precision
    fixed_limited = has_limit & ~ctx["precision_changes"].to_numpy()
    ctx["prior_capped"] = (has_limit & (as_is["high"].to_numpy() > limit)) | (
        fixed_limited & (fixed["high"].to_numpy() > limit)
    )
    for level in LEVELS:
        raw = as_is[level].to_numpy()
        as_is[level] = np.where(has_limit, np.fmin(raw, limit), raw)
        raw = fixed[level].to_numpy()
        fixed[level] = np.where(fixed_limited, np.fmin(raw, limit), raw)

    # Dynamic shapes per compiler: compilations per run and a steady-state slowdown.
    dyn = (shapes == "dynamic") & ctx["applies"].to_numpy()
    comp_map = {
        c: (d.compilations if d.compilations is not None else policy.dynamic_shape_compilations)
        for c, d in policy.dynamic_shapes.items()
    }
    slow_map = {c: d.slowdown for c, d in policy.dynamic_shapes.items()}
    ctx["dynamic_compilations"] = np.where(
        dyn, ctx["compiler_candidate"].map(comp_map).to_numpy(dtype=float), 1.0
    )
    slowdown = np.where(dyn, ctx["compiler_candidate"].map(slow_map).to_numpy(dtype=float), 1.0)
    overhead = ctx["compiler_candidate"].map(policy.compile_overhead_minutes).to_numpy(dtype=float)
    overhead = np.where(ctx["applies"].to_numpy(), overhead, 0.0)  # nothing turned on, nothing compiled
    ctx["compile_overhead_fixed_minutes"] = overhead
    ctx["compile_overhead_minutes"] = overhead * ctx["dynamic_compilations"].to_numpy()
    # Which compile time a run pays: the warm one needs a cache kept between runs (the
    # workload's compile_cache, else the profile's switch), a recurring job and a measured
    # warm figure (see analysis.apply_evidence); priors are cold figures.
    cache = ctx["compile_cache"].to_numpy(dtype=object)
    kept = np.where(cache == "unknown", policy.compile_cache.persisted, cache == "persisted")
    recurring = ctx["runs_per_week"].to_numpy(dtype=float) * 52 >= policy.compile_cache.min_runs_per_year
    ctx["warm_compile_allowed"] = kept.astype(bool) & recurring
    ctx["compile_overhead_basis"] = categorical(
        np.where(ctx["applies"].to_numpy(), "cold (prior)", "none").astype(object)
    )

    # Multi-node: the compiler speeds up compute, not the exposed all-reduce (Amdahl).
    multi = ctx["instance_count"].to_numpy() > 1
    ctx["multi_node"] = multi
    fraction = np.where(multi, t.multi_node_compute_fraction, 1.0)
    nothing = ~ctx["applies"].to_numpy()
    for level in LEVELS:
        ctx[f"prior_{level}"] = as_is[level].to_numpy()
        s = amdahl(as_is[level].to_numpy() * slowdown, fraction)
        ctx[f"speedup_{level}"] = np.where(nothing, 1.0, s)
        sf = amdahl(fixed[level].to_numpy(), fraction)
        ctx[f"speedup_fixed_{level}"] = np.where(nothing, 1.0, sf)
    ctx["prior_index"] = as_is["index"].to_numpy()
    ctx["prior_why"] = _with_cap(
        _prior_why(ctx, profile, as_is["index"].to_numpy(), dyn, multi, nothing), ctx, profile
    )
    n = len(ctx)
    ctx["evidence"] = pd.Series(np.full(n, "prior", dtype=object), index=ctx.index, dtype=object)
    ctx["measured_source"] = pd.Series(np.full(n, "", dtype=object), index=ctx.index, dtype=object)
    ctx["loss_parity_ok"] = np.nan
    ctx["measured_stopped_because"] = ctx["measured_source"].copy()
    return ctx


def _pricing(ctx: pd.DataFrame) -> None:
    """Price source and date: an inventory override replaces the catalog's."""
    override = ctx["hourly_price_usd"].to_numpy(dtype=float)
    has_override = ~np.isnan(override)
    if has_override.any():
        for col, value in (
            ("price_source", "inventory override (hourly_price_usd)"),
            ("price_date", ""),
            ("price_age_days", np.nan),
            ("price_stale", False),
        ):
            column = ctx[col].astype(object) if isinstance(value, str) else ctx[col]
            ctx[col] = column.where(~has_override, value)
    spot = ctx["spot"].to_numpy(dtype=bool)
    discount = ctx["spot_discount"].to_numpy(dtype=float)
    ctx["spot_state"] = categorical(
        np.select(
            [spot & np.isnan(discount), spot, ~np.isnan(discount) & (discount > 0)],
            ["spot-no-discount", "spot", "discount-no-spot"],
            default="on-demand",
        ).astype(object)
    )
    ctx["base_hourly_usd"] = np.where(has_override, override, ctx["catalog_price_usd"].to_numpy(dtype=float))


def ceiling(ctx: pd.DataFrame, bench_ceilings: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the speedup ceiling (NaN: none) and where it came from.

    A benchmark's ``ceiling.speedup_ceiling`` (the baseline step's 1 / MFU, measured on the
    workload's own model) wins over the inventory's ``mfu`` (measured elsewhere: 1 / mfu). A
    benchmark ceiling under 1 (an MFU over 100 %: a wrong peak figure) is not a ceiling."""
    mfu = ctx["mfu"].to_numpy(dtype=float) if "mfu" in ctx else np.full(len(ctx), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        from_mfu = 1.0 / mfu
    bench = np.full(len(ctx), np.nan) if bench_ceilings is None else np.asarray(bench_ceilings, dtype=float)
    bench = np.where(bench >= 1.0, bench, np.nan)
    use_bench = ~np.isnan(bench)
    limit = np.where(use_bench, bench, from_mfu)
    source = np.select(
        [use_bench, ~np.isnan(from_mfu)], ["benchmark results", "inventory mfu"], default=""
    ).astype(object)
    return limit, source


def _with_cap(why: pd.Series, ctx: pd.DataFrame, profile: Profile) -> pd.Series:
    """The justification, plus the cap where the MFU ceiling lowered the prior (texts built
    once per distinct justification, ceiling, source and node count)."""
    capped = ctx["prior_capped"].to_numpy(dtype=bool)
    if not capped.any():
        return why
    rows = np.flatnonzero(capped)
    keys = pd.DataFrame(
        {
            "why": why.to_numpy(dtype=object)[rows],
            "limit": ctx["speedup_ceiling"].to_numpy(dtype=float)[rows],
            "source": ctx["ceiling_source"].to_numpy(dtype=object)[rows],
            "multi": ctx["multi_node"].to_numpy(dtype=bool)[rows],
        }
    )
    codes = distinct_codes(keys, list(keys.columns))
    share = profile.policy.thresholds.multi_node_compute_fraction
    texts = []
    for w, c, src, m in keys.iloc[first_of_each(codes)].itertuples(index=False, name=None):
        note = (
            f" Capped at {c:.2f}x: the step already runs at {100 / c:.0f} % MFU ({src}), and no "
            "compiler makes a step at MFU u more than 1/u faster."
        )
        if m:
            note += (
                f" The cap bounds the compute share ({share:.0%}); the all-reduce correction applies on top."
            )
        texts.append(f"{w}{note}")
    out = why.to_numpy(dtype=object).copy()
    out[rows] = np.asarray(texts, dtype=object)[codes]
    return categorical(pd.Series(out, index=why.index, dtype=object))


def _prior_why(
    ctx: pd.DataFrame,
    profile: Profile,
    index: np.ndarray,
    dyn: np.ndarray,
    multi: np.ndarray,
    nothing: np.ndarray,
) -> pd.Series:
    """The justification of each row's speedup: the prior's, plus the dynamic-shape and
    multi-node corrections where they apply. Built per distinct combination."""
    policy = profile.policy
    texts = [p.why for p in policy.priors]
    cand = ctx["compiler_candidate"].to_numpy(dtype=object)
    cand_codes, cand_names = pd.factorize(cand, use_na_sentinel=False)
    combo = (((index + 1) * 2 + dyn) * 2 + multi) * 2 + nothing
    combo = combo * max(len(cand_names), 1) + cand_codes
    codes, uniques = pd.factorize(combo)
    k = max(len(cand_names), 1)
    out = []
    for u in uniques:
        c = cand_names[u % k]
        rest = u // k
        none, rest = bool(rest % 2), rest // 2
        m, rest = bool(rest % 2), rest // 2
        d, rest = bool(rest % 2), rest // 2
        i = int(rest - 1)
        if none:
            out.append("No compiler to turn on: nothing changes.")
            continue
        text = texts[i]
        if d:
            ds = policy.dynamic_shapes[c]
            how = (
                f"{ds.compilations:g} compilations per run (automatic dynamic) and a "
                f"{1 - ds.slowdown:.0%} slowdown"
                if ds.compilations is not None
                else "one compilation per distinct shape (assumed "
                f"{policy.dynamic_shape_compilations:g} per run)"
            )
            text += f" Dynamic shapes on {c}: {how}."
        if m:
            text += (
                f" {policy.multi_node.why} (compute share "
                f"{policy.thresholds.multi_node_compute_fraction:.0%}, all-reduce not sped up)"
            )
        out.append(text)
    text_codes, texts = pd.factorize(np.asarray(out, dtype=object))
    cats = pd.Index(np.asarray(texts, dtype=object), dtype=object)
    return pd.Series(pd.Categorical.from_codes(text_codes[codes], categories=cats), index=ctx.index)


def _catalog_facts(profile: Profile, today: date) -> pd.DataFrame:
    """Per instance type: the hardware (prices are per region: :func:`price_facts`)."""
    inst = as_object(profile.instances)
    cc = pd.to_numeric(inst["compute_capability"], errors="coerce").to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "accelerator": inst["accelerator"],
            "accelerators": inst["accelerators"].astype(float),
            "accelerator_memory_gb_total": inst["accelerator_memory_gb_total"].astype(float),
            "compute_capability": pd.to_numeric(inst["compute_capability"], errors="coerce"),
            "stc_tested": inst["stc_tested"].astype(bool),
            "smddp_supported": inst["smddp_supported"].astype(bool),
            "gpu_generation": gpu_generation(cc),
            "mixed_for_gpu": np.where(
                cc < profile.policy.thresholds.bf16_min_compute_capability, "fp16", "bf16"
            ),
        },
        index=inst.index,
    )


def price_facts(profile: Profile, today: date) -> pd.DataFrame:
    """Per (instance type, region): the price, its basis (naming the region), source, date
    and age in days. Indexed by the pair."""
    prices = as_object(profile.price_table())
    region = prices["region"].astype(str)
    basis = prices["price_basis"].fillna("").astype(str)
    named = np.array([r in b for b, r in zip(basis, region, strict=True)], dtype=bool)
    # the region is always visible where the price is: appended when the basis omits it
    basis = basis.where(named, (basis + " (" + region + ")").str.removeprefix(" "))
    dates = pd.to_datetime(prices["price_date"], errors="coerce")
    age = (pd.Timestamp(today) - dates).dt.days.to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "price_region": region.to_numpy(dtype=object),
            "price_basis": basis.to_numpy(dtype=object),
            "price_source": prices["price_source"].to_numpy(dtype=object),
            "price_date": prices["price_date"].to_numpy(dtype=object),
            "catalog_price_usd": prices["price_usd_per_hour"].to_numpy(dtype=float),
            "price_age_days": age,
        },
        index=pd.MultiIndex.from_arrays(
            [prices["instance_type"].astype(str), region], names=["instance_type", "region"]
        ),
    )


def lookup_pairs(first: pd.Series, second: pd.Series, table: pd.DataFrame) -> dict[str, pd.Series]:
    """Join a small table indexed by a pair on two categorical key columns: the pair's code
    is computed from the two columns' codes, the table reindexed on the few pairs of
    categories, then taken per row (no per-row Python). A pair the table lacks gives NaN
    (text: None)."""
    first = first if isinstance(first.dtype, pd.CategoricalDtype) else categorical(first)
    second = second if isinstance(second.dtype, pd.CategoricalDtype) else categorical(second)
    a = first.cat.codes.to_numpy().astype(np.int64)
    b = second.cat.codes.to_numpy().astype(np.int64)
    k = len(second.cat.categories)
    pairs = pd.MultiIndex.from_product([first.cat.categories, second.cat.categories])
    small = as_object(table.reindex(pairs))
    codes = np.where((a < 0) | (b < 0), len(small), a * k + b)  # a missing key: the NaN row
    out: dict[str, pd.Series] = {}
    for col in small.columns:
        values = small[col].to_numpy()
        if values.dtype == object:  # text: codes of the few distinct values, taken per row
            vcodes, uniques = pd.factorize(values, use_na_sentinel=True)
            cats = pd.Index(np.asarray(uniques, dtype=object), dtype=object)
            taken = np.append(vcodes, -1)[codes]  # a missing pair: no text
            out[col] = pd.Series(pd.Categorical.from_codes(taken, categories=cats), index=first.index)
        else:  # numbers (a missing pair: NaN)
            out[col] = pd.Series(np.append(values.astype(float), np.nan)[codes], index=first.index)
    return out


def has_price(types: pd.Series, regions: pd.Series, profile: Profile) -> np.ndarray:
    """Per row: whether the profile has a price for its (instance type, region) pair. The
    few distinct values are looked up, then taken per row by their codes."""
    tcodes, tnames = pd.factorize(types, use_na_sentinel=True)
    rcodes, rnames = pd.factorize(regions, use_na_sentinel=True)
    table = profile.price_table()
    priced = set(zip(table["instance_type"].astype(str), table["region"].astype(str), strict=True))
    small = np.zeros((len(tnames) + 1, len(rnames) + 1), dtype=bool)  # last row/column: missing
    for i, t in enumerate(tnames):
        for j, r in enumerate(rnames):
            small[i, j] = (str(t), str(r)) in priced
    return small[tcodes, rcodes]  # code -1 (missing) indexes the all-False last row/column


def unpriced(catalog_price: np.ndarray, override: pd.Series | np.ndarray) -> np.ndarray:
    """Rows with neither a price in their region nor an ``hourly_price_usd`` override."""
    given = np.asarray(override, dtype=float)
    return np.isnan(np.asarray(catalog_price, dtype=float)) & np.isnan(given)


def lookup(keys: pd.Series, table: pd.DataFrame) -> dict[str, pd.Series]:
    """Join a small table on a categorical key column: one small reindex, then takes."""
    codes = keys.cat.codes.to_numpy()
    small = as_object(table.reindex(keys.cat.categories))
    out: dict[str, pd.Series] = {}
    for col in small.columns:
        values = small[col].to_numpy()
        taken = values[codes]
        if values.dtype == object:
            out[col] = categorical(pd.Series(taken, index=keys.index, dtype=object))
        else:
            out[col] = pd.Series(taken, index=keys.index)
    return out


def compute_economics(ctx: pd.DataFrame) -> pd.DataFrame:
    """Savings and break-even for low / mid / high speedups (after any evidence), as the job
    runs today and once its fixable blockers are fixed (``*_fixed_*``)."""
    d = ctx["duration_hours"].to_numpy()
    n = ctx["instance_count"].to_numpy()
    h = ctx["hourly_usd"].to_numpy()
    r = ctx["runs_per_week"].to_numpy()
    out = ctx.copy(deep=False)
    for suffix, overhead in (("", "compile_overhead_minutes"), ("_fixed", "compile_overhead_fixed_minutes")):
        c = ctx[overhead].to_numpy(dtype=float)
        for level in LEVELS:
            s = out[f"speedup{suffix}_{level}"].to_numpy(dtype=float)
            per_run = eco.savings_per_run(d, s, c, n, h)
            out[f"savings_per_run{suffix}_{level}"] = per_run
            out[f"savings_per_year{suffix}_{level}"] = eco.per_year(per_run, r)
            out[f"break_even_minutes{suffix}_{level}"] = eco.break_even_minutes(s, c)
    out["compiled_hours_mid"] = eco.compiled_hours(
        d, out["speedup_mid"].to_numpy(), ctx["compile_overhead_minutes"].to_numpy(dtype=float)
    )
    return out


def use_fixed_economics(ctx: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """For ``rows`` (a fix comes first), report the economics once the fix is made."""
    if not rows.any():
        return ctx
    out = ctx.copy(deep=False)
    pairs = [("compile_overhead_minutes", "compile_overhead_fixed_minutes")]
    for level in LEVELS:
        for stem in ("speedup", "savings_per_run", "savings_per_year", "break_even_minutes"):
            pairs.append((f"{stem}_{level}", f"{stem}_fixed_{level}"))
    for target, source in pairs:
        out[target] = np.where(rows, out[source].to_numpy(dtype=float), out[target].to_numpy(dtype=float))
    return out


# --- tested models ---------------------------------------------------------------------------


def normalise_model_id(models: pd.Series) -> pd.Series:
    """Lower-case model ids without a hub organisation ('facebook/bart-base' -> 'bart-base')."""
    return pd.Series([normalise(m) for m in models.astype(str)], index=models.index, dtype=object)


def per_gpu_tested(profile: Profile) -> pd.DataFrame:
    """The tested-models table with per-GPU batches.

    The published note says per GPU, but a few multi-GPU rows are global batches: the
    TensorFlow 2.10.0 vision rows on ml.g5.48xlarge (8 GPUs) are exactly 8x the
    ml.g5.2xlarge rows (ResNet152 1536/1792 vs 192/224). A multi-GPU row whose batches are
    at least three quarters of the GPU count times the single-GPU row of the same model,
    framework version, instance family and sequence length is read as global and divided by the GPU count (for
    ResNet50 that reads 2048 as 256 per GPU, where 2048 images on one 24 GB A10G would not
    fit)."""
    t = profile.tested_models.copy().reset_index(drop=True)
    t["key_model"] = normalise_model_id(t["model"])
    t["instance_family"] = t["instance_type"].astype(str).str.split(".").str[1]
    gpus = profile.instances["accelerators"].astype(float)
    t["gpus"] = t["instance_type"].map(gpus).fillna(1.0).to_numpy(dtype=float)
    keys = ["framework", "framework_version", "key_model", "instance_family", "sequence_length"]
    single = t[t["gpus"] == 1].drop_duplicates(keys)[[*keys, "batch_size_native", "batch_size_compiler"]]
    ref = t[keys].merge(single, how="left", on=keys, suffixes=("", "_1"))
    n = t["gpus"].to_numpy()
    ratios = []
    for col in ("batch_size_native", "batch_size_compiler"):
        with np.errstate(invalid="ignore", divide="ignore"):
            r = t[col].to_numpy(dtype=float) / ref[col].to_numpy(dtype=float)
        ratios.append(np.where(np.isfinite(r), r, np.inf))
    least = np.minimum(*ratios)
    glob = (n > 1) & np.isfinite(least) & (least >= 0.75 * n)
    for col in ("batch_size_native", "batch_size_compiler"):
        values = t[col].to_numpy(dtype=float)
        t[col] = np.where(glob, np.floor(values / n), values)
    t["batch_normalised"] = glob
    return t


def tested_batch(ctx: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Largest batch the STC team fitted natively and compiled, for this framework, release,
    model, instance and sequence length; only where the candidate compiler is STC.

    The exact instance type first, else the same instance family (the same GPU); the
    nearest tested sequence length within ``seq_len_match_ratio`` of the job's."""
    n = len(ctx)
    out = pd.DataFrame(
        {
            "tested_native_batch": np.full(n, np.nan),
            "tested_compiler_batch": np.full(n, np.nan),
            "tested_on": pd.Series(np.full(n, "", dtype=object), index=ctx.index, dtype=object),
            "tested_seq_len": np.full(n, np.nan),
            "tested_release": pd.Series(np.full(n, "", dtype=object), index=ctx.index, dtype=object),
            "tested_normalised": np.zeros(n, dtype=bool),
        },
        index=ctx.index,
    )
    stc = (ctx["compiler_candidate"] == STC).to_numpy()
    if not stc.any():
        return out
    table = per_gpu_tested(profile)
    table = table[table["batch_size_compiler"].notna()]
    fields = [
        "instance_type",
        "instance_family",
        "sequence_length",
        "batch_size_native",
        "batch_size_compiler",
        "framework_version",
        "batch_normalised",
    ]
    groups: dict[tuple[str, str, str], list[tuple]] = {}
    for key, g in table.groupby(["framework", "framework_version", "key_model"], sort=False):
        groups[key] = list(g[fields].itertuples(index=False, name=None))  # a 235-row table
    cols = ["framework", "fw_release", "model", "instance_type", "sequence_length"]
    found = on_distinct(ctx.loc[stc, cols], cols, lambda d: _tested_batch(d, groups, profile.policy))
    for col in out.columns:
        values = out[col].to_numpy().copy()
        values[stc] = found[col].to_numpy(dtype=values.dtype)
        out[col] = pd.Series(values, index=ctx.index, dtype=values.dtype)
    return out


def _tested_batch(
    d: pd.DataFrame, groups: dict[tuple[str, str, str], list[tuple]], policy: Policy
) -> pd.DataFrame:
    limit = float(np.log(policy.thresholds.seq_len_match_ratio))
    rows = []
    for fw, rel, model, inst, seq in zip(
        d["framework"].astype(str),
        d["fw_release"].astype(str),
        d["model"].astype(str),
        d["instance_type"].astype(str),
        d["sequence_length"].to_numpy(dtype=float),
        strict=True,
    ):
        out = {
            "tested_native_batch": np.nan,
            "tested_compiler_batch": np.nan,
            "tested_on": "",
            "tested_seq_len": np.nan,
            "tested_release": "",
            "tested_normalised": False,
        }
        rows.append(out)
        family = inst.split(".")[1] if "." in inst else inst
        cands = [r for r in groups.get((fw, rel, normalise(model)), []) if r[0] == inst or r[1] == family]
        if not cands:
            continue
        with_len = [r for r in cands if not np.isnan(r[2])]
        if not np.isnan(seq) and with_len:
            dist = {r: abs(float(np.log(r[2])) - float(np.log(seq))) for r in with_len}
            best_dist = min(dist.values())
            if best_dist > limit:
                continue
            cands = [r for r in with_len if dist[r] == best_dist]
        exact = [r for r in cands if r[0] == inst]
        best = (exact or cands)[0]
        out.update(
            tested_native_batch=float(best[3]),
            tested_compiler_batch=float(best[4]),
            tested_on=str(best[0]),
            tested_seq_len=float(best[2]),
            tested_release=str(best[5]),
            tested_normalised=bool(best[6]),
        )
    return pd.DataFrame(rows, index=d.index)
