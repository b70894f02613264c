"""Derive everything the rules read from an inventory table and a profile.

Pure: a table in, a wider table out. Adds the model family (inferred when absent),
the instance facts from the catalog, the candidate compiler, the speedup prior, the
compile overhead and the economics. Measured evidence, when present, replaces the
prior before the economics are computed (see :func:`apply_evidence`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from fitcheck.core import economics as eco
from fitcheck.core.profile import Profile

DL_FRAMEWORKS = ("pytorch", "tensorflow")
GPU_ACCELERATORS_NONE = ("none", "")
XLA_ACCELERATORS = ("Trainium", "Inferentia")

# STC shipped for exactly these framework versions (DOMAIN.md); it is frozen.
STC_PYTORCH_NATIVE = ("1.12.0", "1.13.1")
STC_PYTORCH_HF = ("1.9.0", "1.10.0", "1.10.2", "1.11.0")
STC_TENSORFLOW = ((2, 5), (2, 11))  # 2.5.1 through 2.11.0

FAMILY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("diffusion", r"diffusion|unet|sdxl|\bsd[-_ ]?\d|latent"),
    (
        "transformer",
        r"bert|gpt|t5|bart|llama|mistral|falcon|opt-|bloom|xlm|xlnet|electra|deberta"
        r"|mpnet|minilm|vit|visiontransformer|detr|transformer|whisper|wav2vec|clip"
        r"|albert|roberta|camembert|pegasus|marian|qwen|phi-|gemma|swin",
    ),
    (
        "cnn",
        r"resnet|efficientnet|mobilenet|vgg|inception|densenet|yolo|mask ?r-?cnn|convnext"
        r"|unet-seg|regnet|\bcnn\b|detectron",
    ),
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
    """The same frame with every text column as object dtype (see :func:`text`)."""
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
    string work is done on the distinct values and broadcast back.
    """
    keys = frame[columns]
    codes = keys.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()
    distinct = keys.drop_duplicates().reset_index(drop=True)
    result = as_object(func(distinct))
    out = result.iloc[codes]
    out.index = frame.index
    return out


def infer_family(models: pd.Series, frameworks: pd.Series) -> pd.Series:
    """Model family from the model id; gbdt for tree frameworks; 'other' when unknown."""
    low = models.str.lower()
    out = pd.Series("other", index=models.index, dtype=object)
    for family, pattern in reversed(FAMILY_PATTERNS):
        out = out.mask(low.str.contains(pattern, regex=True), family)
    return out.mask(frameworks.isin(["xgboost", "lightgbm"]), "gbdt")


def _model_facts(d: pd.DataFrame) -> pd.DataFrame:
    given = d["model_family"].astype(str)
    major, minor = parse_version(d["framework_version"])
    return pd.DataFrame(
        {
            "family": given.where(given != "", infer_family(d["model"].astype(str), d["framework"])),
            "family_inferred": given == "",
            "fw_major": major,
            "fw_minor": minor,
        }
    )


def parse_version(versions: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(major, minor) as floats; NaN when absent or unreadable."""
    parts = versions.astype(str).str.extract(r"^\s*v?(\d+)(?:\.(\d+))?")
    major = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
    minor = pd.to_numeric(parts[1], errors="coerce").fillna(0).to_numpy(dtype=float)
    return major, np.where(np.isnan(major), np.nan, minor)


def candidate_compiler(ctx: pd.DataFrame) -> np.ndarray:
    """The compiler a workload would turn on, before any decision."""
    fw = ctx["framework"].to_numpy()
    version = ctx["framework_version"].astype(str).str.strip()
    xla_hw = ctx["accelerator"].isin(XLA_ACCELERATORS).to_numpy()
    stc_torch = version.isin(STC_PYTORCH_NATIVE + STC_PYTORCH_HF).to_numpy()
    return np.select(
        [
            xla_hw & np.isin(fw, DL_FRAMEWORKS),
            (fw == "pytorch") & stc_torch,
            fw == "pytorch",
            fw == "tensorflow",
        ],
        ["torch-xla", "sagemaker-training-compiler", "torch.compile", "tf-xla"],
        default="none",
    ).astype(object)


def match_priors(ctx: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """First matching prior per row: speedup low/mid/high and the justification."""
    n = len(ctx)
    low, mid, high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    why = np.full(n, "", dtype=object)
    index = np.full(n, -1)
    open_rows = np.ones(n, dtype=bool)
    columns = {"family": "family", "precision": "precision", "shapes": "input_shapes"}
    for i, prior in enumerate(profile.policy.priors):
        hit = open_rows.copy()
        for key, col in columns.items():
            accepted = prior.match.values(key)
            if accepted is not None:
                hit &= ctx[col].isin(accepted).to_numpy()
        low[hit], mid[hit], high[hit] = prior.speedup
        why[hit] = prior.why
        index[hit] = i
        open_rows &= ~hit
    if open_rows.any():
        raise ValueError("the profile's priors must end with a catch-all entry (match: {})")
    out = pd.DataFrame(
        {"prior_low": low, "prior_mid": mid, "prior_high": high, "prior_index": index}, index=ctx.index
    )
    out["prior_why"] = categorical(why).set_axis(ctx.index)
    return out


def build_context(inventory: pd.DataFrame, profile: Profile, today: date) -> pd.DataFrame:
    """The table every rule reads. Instance types must all be in the catalog."""
    ctx = as_object(inventory.copy())
    # Few distinct values, a million rows: categorical columns compare and match in C.
    for col in CATEGORICAL:
        ctx[col] = categorical(ctx[col])
    ctx[["family", "family_inferred", "fw_major", "fw_minor"]] = on_distinct(
        ctx, ["model", "framework", "model_family", "framework_version"], _model_facts
    )
    catalog = _catalog_facts(profile, today)
    for col, values in lookup(ctx["instance_type"], catalog).items():
        ctx[col] = values
    ctx["is_gpu"] = ~ctx["accelerator"].isin(GPU_ACCELERATORS_NONE + XLA_ACCELERATORS)
    ctx["compiler_candidate"] = categorical(candidate_compiler(ctx))

    override = ctx["hourly_price_usd"].to_numpy(dtype=float)
    has_override = ~np.isnan(override)
    if has_override.any():  # an override replaces the catalog price, its source and its date
        for col, value in (
            ("price_source", "inventory override (hourly_price_usd)"),
            ("price_date", ""),
            ("price_age_days", np.nan),
            ("price_stale", False),
        ):
            column = ctx[col].astype(object) if isinstance(value, str) else ctx[col]
            ctx[col] = column.where(~has_override, value)
    ctx["hourly_usd"] = eco.hourly(
        ctx["catalog_price_usd"].to_numpy(),
        override,
        ctx["spot"].to_numpy(),
        ctx["spot_discount"].to_numpy(dtype=float),
    )
    ctx["cost_per_run_usd"] = eco.cost_per_run(
        ctx["duration_hours"].to_numpy(), ctx["instance_count"].to_numpy(), ctx["hourly_usd"].to_numpy()
    )
    ctx["cost_per_year_usd"] = eco.per_year(
        ctx["cost_per_run_usd"].to_numpy(), ctx["runs_per_week"].to_numpy()
    )
    ctx = pd.concat([ctx, match_priors(ctx, profile)], axis=1)
    overhead = ctx["compiler_candidate"].map(profile.policy.compile_overhead_minutes)
    compilations = np.where(
        (ctx["input_shapes"] == "dynamic").to_numpy(), profile.policy.dynamic_shape_compilations, 1.0
    )
    ctx["compile_overhead_minutes"] = overhead.to_numpy(dtype=float) * compilations
    nothing_to_enable = (ctx["compiler_candidate"] == "none").to_numpy()
    for level in ("low", "mid", "high"):
        # No compiler to turn on: nothing changes, so the speedup is exactly 1.
        ctx[f"speedup_{level}"] = np.where(nothing_to_enable, 1.0, ctx[f"prior_{level}"])
    ctx["prior_why"] = (
        ctx["prior_why"].astype(object).where(~nothing_to_enable, "No compiler applies: nothing changes.")
    )
    n = len(ctx)
    ctx["evidence"] = pd.Series(np.full(n, "prior", dtype=object), index=ctx.index, dtype=object)
    ctx["measured_source"] = pd.Series(np.full(n, "", dtype=object), index=ctx.index, dtype=object)
    ctx["loss_parity_ok"] = np.nan
    ctx["measured_stopped_because"] = ctx["measured_source"].copy()
    return ctx


def _catalog_facts(profile: Profile, today: date) -> pd.DataFrame:
    """Per instance type: hardware, price, price source and how old that price is."""
    inst = as_object(profile.instances)
    dates = pd.to_datetime(inst["price_date"], errors="coerce")
    age = (pd.Timestamp(today) - dates).dt.days.to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "accelerator": inst["accelerator"],
            "accelerators": inst["accelerators"].astype(float),
            "compute_capability": pd.to_numeric(inst["compute_capability"], errors="coerce"),
            "stc_tested": inst["stc_tested"].astype(bool),
            "smddp_supported": inst["smddp_supported"].astype(bool),
            "price_basis": inst["price_basis"],
            "price_source": inst["price_source"],
            "price_date": inst["price_date"],
            "catalog_price_usd": inst["price_usd_per_hour"].astype(float),
            "price_age_days": age,
            "price_stale": age > profile.policy.thresholds.stale_price_days,
        },
        index=inst.index,
    )


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
    """Savings and break-even for low / mid / high speedups (after any evidence)."""
    d = ctx["duration_hours"].to_numpy()
    n = ctx["instance_count"].to_numpy()
    h = ctx["hourly_usd"].to_numpy()
    r = ctx["runs_per_week"].to_numpy()
    c = ctx["compile_overhead_minutes"].to_numpy()
    out = ctx.copy()
    for level in ("low", "mid", "high"):
        s = out[f"speedup_{level}"].to_numpy(dtype=float)
        per_run = eco.savings_per_run(d, s, c, n, h)
        out[f"savings_per_run_{level}"] = per_run
        out[f"savings_per_year_{level}"] = eco.per_year(per_run, r)
        out[f"break_even_minutes_{level}"] = eco.break_even_minutes(s, c)
    out["compiled_hours_mid"] = eco.compiled_hours(d, out["speedup_mid"].to_numpy(), c)
    return out


_ID = re.compile(r"^[a-z0-9_./-]+/")


def normalise_model_id(models: pd.Series) -> pd.Series:
    """Lower-case model ids without a hub organisation ('facebook/bart-base' -> 'bart-base')."""
    return models.astype(str).str.strip().str.lower().str.replace(_ID, "", regex=True)


def tested_batch(ctx: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Largest batch the STC team fitted natively and compiled, for this model and instance family.

    Exact instance type first, else any instance of the same family (e.g. g5).
    """
    return on_distinct(ctx, ["model", "instance_type"], lambda d: _tested_batch(d, profile))


def _tested_batch(ctx: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    tested = profile.tested_models.copy()
    tested["key_model"] = normalise_model_id(tested["model"])
    tested["family"] = tested["instance_type"].str.split(".").str[1]
    tested = tested.dropna(subset=["batch_size_native", "batch_size_compiler"])
    keys = pd.DataFrame(
        {
            "key_model": normalise_model_id(ctx["model"]).to_numpy(),
            "instance_type": ctx["instance_type"].to_numpy(),
            "family": ctx["instance_type"].astype(str).str.split(".").str[1].to_numpy(),
        }
    )
    cols = ["batch_size_native", "batch_size_compiler", "instance_type"]
    exact = tested.drop_duplicates(["key_model", "instance_type"])
    fam = tested.drop_duplicates(["key_model", "family"])
    a = keys.merge(
        exact[["key_model", "instance_type", *cols[:2]]], how="left", on=["key_model", "instance_type"]
    )
    b = keys.merge(
        fam[["key_model", "family", *cols]].rename(columns={"instance_type": "tested_on"}),
        how="left",
        on=["key_model", "family"],
    )
    native = a["batch_size_native"].fillna(b["batch_size_native"]).to_numpy(dtype=float)
    compiled = a["batch_size_compiler"].fillna(b["batch_size_compiler"]).to_numpy(dtype=float)
    tested_on = np.where(a["batch_size_native"].notna(), keys["instance_type"], b["tested_on"])
    in_table = keys["key_model"].isin(tested["key_model"]).to_numpy()
    return pd.DataFrame(
        {
            "tested_native_batch": native,
            "tested_compiler_batch": compiled,
            "tested_on": tested_on,
            "model_tested": in_table,
        },
        index=ctx.index,
    )
