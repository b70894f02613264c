"""The profile: every number and table the engine reads, as typed data.

A profile is loaded from a folder (``profiles/default`` is bundled) by
:mod:`fitcheck.io.profiles`; nothing in here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from fitcheck.core.schema import FIELDS

COMPILERS = ("sagemaker-training-compiler", "torch.compile", "torch-xla", "tf-xla", "none")
GPU_GENERATIONS = ("volta", "turing", "ampere", "ada", "hopper", "blackwell")
MAX_SPEEDUP = 100.0  # a prior or threshold beyond 100x is a typo, not a belief


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Thresholds(_Frozen):
    """Every number a rule compares against (one place, shown in every output)."""

    min_duration_hours: float = Field(gt=0, le=1000)
    break_even_margin: float = Field(ge=1, le=100)
    min_annual_savings_usd: float = Field(ge=0, le=1e9)
    gpu_utilization_min: float = Field(ge=0, le=1)
    # under this the job is input-bound (a fixable blocker); between it and
    # gpu_utilization_min it is borderline (warn band), not a cliff
    gpu_utilization_fail_below: float = Field(ge=0, le=1)
    stale_price_days: int = Field(ge=1, le=36500)
    # compute capability: bf16 and tf32 need Ampere (8.0); inductor's Triton kernels need
    # Volta (7.0) and are tuned for Ampere and newer
    bf16_min_compute_capability: float = Field(gt=0, le=20)
    inductor_min_compute_capability: float = Field(gt=0, le=20)
    inductor_tuned_min_compute_capability: float = Field(gt=0, le=20)
    # multi-node: the share of a step the compiler speeds up (the rest is exposed all-reduce)
    multi_node_compute_fraction: float = Field(gt=0, le=1)
    # a learning-rate rescale above this factor comes with a warm-up caveat
    lr_rescale_warmup_above: float = Field(ge=1, le=1000)
    # the nearest tested sequence length is used when within this ratio of the job's
    seq_len_match_ratio: float = Field(ge=1, le=100)
    # mixed-precision Adam training holds about this many bytes per parameter (fp16/bf16
    # weights and gradients, fp32 master weights and two moments): to tell whether a model
    # fits one GPU
    training_bytes_per_param: float = Field(gt=0, le=1000)

    @model_validator(mode="after")
    def _consistent(self) -> Thresholds:
        if self.gpu_utilization_fail_below > self.gpu_utilization_min:
            raise ValueError(
                f"gpu_utilization_fail_below ({self.gpu_utilization_fail_below:g}) must not exceed "
                f"gpu_utilization_min ({self.gpu_utilization_min:g})"
            )
        if self.inductor_min_compute_capability > self.inductor_tuned_min_compute_capability:
            raise ValueError(
                "inductor_min_compute_capability must not exceed inductor_tuned_min_compute_capability"
            )
        return self


class MeasuredPolicy(_Frozen):
    enable_min_speedup: float = Field(gt=0, le=MAX_SPEEDUP)
    skip_below_speedup: float = Field(gt=0, le=MAX_SPEEDUP)
    enable_min_lower_bound: float = Field(gt=0, le=MAX_SPEEDUP)

    @model_validator(mode="after")
    def _consistent(self) -> MeasuredPolicy:
        if self.skip_below_speedup > self.enable_min_speedup:
            raise ValueError(
                f"skip_below_speedup ({self.skip_below_speedup:g}) must not exceed "
                f"enable_min_speedup ({self.enable_min_speedup:g})"
            )
        if self.enable_min_lower_bound > self.enable_min_speedup:
            raise ValueError("enable_min_lower_bound must not exceed enable_min_speedup")
        return self


class BenchmarkPlan(_Frozen):
    hours_per_variant: float = Field(gt=0, le=1000)
    target_ci: float = Field(gt=0, lt=1)
    # paired SageMaker jobs on the real cluster shape run a bounded number of steps
    sagemaker_hours_per_variant: float = Field(gt=0, le=1000)
    sagemaker_max_steps: int = Field(ge=1, le=10_000_000)
    # pairs of jobs per paired benchmark ('fitcheck bench --on sagemaker --pairs')
    sagemaker_pairs: int = Field(default=3, ge=1, le=9)


class DynamicShapes(_Frozen):
    """How a compiler pays for shapes that vary step to step (see policy.yaml)."""

    compilations: float | None = Field(default=None, ge=1, le=10_000)  # None: one per distinct shape
    slowdown: float = Field(gt=0, le=1)
    # torch.compile: recompiles allowed before it falls back to eager (torch._dynamo recompile_limit)
    recompile_limit: int | None = Field(default=None, ge=1, le=10_000)


class CompileCache(_Frozen):
    """Which compile time a run pays (policy.yaml ``compile_cache:``).

    A recurring job that keeps its compile caches between runs (FX graph / AOTAutograd cache,
    ``torch.compiler.save_cache_artifacts``) pays the warm compile time a benchmark measured;
    otherwise, and for priors (no measured warm figure), the cold one. A workload's
    ``compile_cache`` (persisted | cold) overrides ``persisted``."""

    persisted: bool = False
    # a job that runs fewer times a year than this is a one-off: no later run reuses a cache
    min_runs_per_year: float = Field(default=2.0, ge=1, le=1_000_000)


class MultiNode(_Frozen):
    why: str = Field(min_length=1)


class Versions(_Frozen):
    """Framework versions the compilers exist for (DOMAIN: STC shipped releases)."""

    stc_pytorch_native: list[str] = Field(min_length=1)
    # Hugging Face STC releases: PyTorch version -> the transformers version of its container
    stc_pytorch_hf: dict[str, str]
    # distributed STC up to this PyTorch version needs the torch_xla sm_dist launcher
    stc_pytorch_launcher_max: str
    stc_tensorflow_min: str
    stc_tensorflow_max: str
    torch_compile_min: str
    tf_jit_compile_min: str
    # Keras 3 from this TensorFlow version on uses jit_compile="auto" by default
    tf_xla_default_from: str
    # a version given as major.minor means this release (e.g. "1.13" -> "1.13.1")
    minor_aliases: dict[str, dict[str, str]]

    @model_validator(mode="after")
    def _parse(self) -> Versions:
        from packaging.version import InvalidVersion, Version

        texts = [
            *self.stc_pytorch_native,
            *self.stc_pytorch_hf,
            *self.stc_pytorch_hf.values(),
            self.stc_pytorch_launcher_max,
            self.stc_tensorflow_min,
            self.stc_tensorflow_max,
            self.torch_compile_min,
            self.tf_jit_compile_min,
            self.tf_xla_default_from,
            *(v for table in self.minor_aliases.values() for v in (*table, *table.values())),
        ]
        for text in texts:
            try:
                Version(text)
            except InvalidVersion:
                raise ValueError(f"{text!r} is not a version (e.g. 1.13.1)") from None
        if Version(self.stc_tensorflow_min) > Version(self.stc_tensorflow_max):
            raise ValueError("stc_tensorflow_min must not exceed stc_tensorflow_max")
        unknown = [k for k in self.minor_aliases if k not in ("pytorch", "tensorflow")]
        if unknown:
            raise ValueError(f"minor_aliases: {unknown[0]!r} is not one of pytorch, tensorflow")
        return self


class Finance(_Frozen):
    """What acting on a decision costs (policy.yaml ``finance:``): net savings and payback."""

    engineer_day_usd: float = Field(ge=0, le=1e6, allow_inf_nan=False)
    days_per_enable: float = Field(ge=0, le=365, allow_inf_nan=False)
    days_per_benchmark: float = Field(ge=0, le=365, allow_inf_nan=False)
    report_back_days: int = Field(ge=0, le=365)
    savings_plan_discount: float = Field(ge=0, lt=1, allow_inf_nan=False)
    runs_per_week_factors: tuple[float, float] = (0.5, 2.0)
    price_change: float = Field(default=0.2, ge=0, lt=1, allow_inf_nan=False)

    @model_validator(mode="after")
    def _factors(self) -> Finance:
        low, high = self.runs_per_week_factors
        if not (0 < low <= 1 <= high <= 100):
            raise ValueError(
                f"runs_per_week_factors must be 0 < low <= 1 <= high <= 100, got [{low}, {high}]"
            )
        return self


class PriorMatch(_Frozen):
    compiler: str | list[str] = "*"
    family: str | list[str] = "*"
    precision: str | list[str] = "*"
    gpu: str | list[str] = "*"
    shapes: str | list[str] = "*"

    @model_validator(mode="after")
    def _known_values(self) -> PriorMatch:
        known = {
            "compiler": COMPILERS,
            "family": FIELDS["model_family"].allowed,
            "precision": FIELDS["precision"].allowed,
            "gpu": GPU_GENERATIONS,
            "shapes": FIELDS["input_shapes"].allowed,
        }
        for key, allowed in known.items():
            values = getattr(self, key)
            listed = [values] if isinstance(values, str) else values
            if len(set(listed)) != len(listed):
                raise ValueError(f"{key}: a value is listed twice")
            for v in listed:
                if v != "*" and v not in allowed:
                    raise ValueError(f"{key}: {v!r} is not one of *, {', '.join(allowed)}")
        return self

    def values(self, key: str) -> tuple[str, ...] | None:
        """The accepted values for ``key``, or None for 'anything'."""
        v = getattr(self, key)
        vals = (v,) if isinstance(v, str) else tuple(v)
        return None if "*" in vals else vals


class Prior(_Frozen):
    match: PriorMatch
    speedup: tuple[float, float, float]
    why: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Prior:
        low, mid, high = self.speedup
        if not (0 < low <= mid <= high <= MAX_SPEEDUP):
            raise ValueError(
                f"speedup must be 0 < low <= mid <= high <= {MAX_SPEEDUP:g}, got {list(self.speedup)}"
            )
        return self


class Policy(_Frozen):
    version: int = Field(default=1, ge=1, le=1)
    thresholds: Thresholds
    measured: MeasuredPolicy
    versions: Versions
    compile_overhead_minutes: dict[str, float]
    # compilers that compile once per distinct shape (XLA: STC, tf-xla, torch-xla): distinct
    # shapes assumed per run when inputs are not padded
    dynamic_shape_compilations: float = Field(ge=1, le=10_000)
    # per compiler: compilations per run and steady-state slowdown with dynamic shapes
    dynamic_shapes: dict[str, DynamicShapes]
    multi_node: MultiNode
    compile_cache: CompileCache = Field(default_factory=CompileCache)
    benchmark: BenchmarkPlan
    finance: Finance
    rule_weights: dict[str, float]
    priors: list[Prior] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        for name, table in (
            ("compile_overhead_minutes", self.compile_overhead_minutes),
            ("dynamic_shapes", self.dynamic_shapes),
        ):
            unknown = [c for c in table if c not in COMPILERS]
            if unknown:
                raise ValueError(f"{name}: {unknown[0]!r} is not one of {', '.join(COMPILERS)}")
            missing = [c for c in COMPILERS if c not in table]
            if missing:
                raise ValueError(f"{name} lacks {', '.join(missing)}")
        bad = [c for c, v in self.compile_overhead_minutes.items() if not 0 <= v <= 1440]
        if bad:
            raise ValueError(f"compile_overhead_minutes: {bad[0]!r} must be between 0 and 1440 minutes")
        weights = [r for r, w in self.rule_weights.items() if not 0 <= w <= 100]
        if weights:
            raise ValueError(f"rule_weights: {weights[0]!r} must be between 0 and 100")
        if any(p.match.model_dump() == PriorMatch().model_dump() for p in self.priors[:-1]):
            raise ValueError("priors: only the last entry may match everything (match: {})")
        if self.priors[-1].match.model_dump() != PriorMatch().model_dump():
            raise ValueError("priors: the last entry must match everything (match: {})")
        return self


#: the columns of a profile's price table: one row per (instance type, region)
PRICE_TABLE_COLUMNS = (
    "instance_type",
    "region",
    "price_usd_per_hour",
    "price_basis",
    "price_source",
    "price_date",
)


@dataclass(frozen=True)
class Profile:
    """Everything the engine reads. ``instances`` is indexed by instance_type.

    Hardware facts are per instance type; prices are per (instance type, region): the
    catalog's own price is for its ``price_region`` (us-east-1 in the bundled catalog), and
    live prices (``--prices``) add or replace the price of a pair. A workload is priced in
    its own region only: never at another region's rate."""

    name: str
    policy: Policy
    instances: pd.DataFrame  # columns: see profiles/default/instances.csv
    tested_models: pd.DataFrame  # columns: see profiles/default/tested_models.csv
    price_note: str = "bundled dated catalog"
    sources: dict[str, str] = field(default_factory=dict)  # what file each part came from
    # columns PRICE_TABLE_COLUMNS, one row per pair; None: the catalog's own prices
    prices: pd.DataFrame | None = None

    def price_table(self) -> pd.DataFrame:
        """Every known price, one row per (instance type, region), columns
        :data:`PRICE_TABLE_COLUMNS`."""
        if self.prices is not None:
            return self.prices
        inst = self.instances
        return pd.DataFrame(
            {
                "instance_type": inst["instance_type"].to_numpy(dtype=object),
                "region": inst["price_region"].to_numpy(dtype=object),
                "price_usd_per_hour": inst["price_usd_per_hour"].to_numpy(dtype=float),
                "price_basis": inst["price_basis"].to_numpy(dtype=object),
                "price_source": inst["price_source"].to_numpy(dtype=object),
                "price_date": inst["price_date"].to_numpy(dtype=object),
            }
        )
