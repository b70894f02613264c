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


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Frozen):
    min_duration_hours: float = Field(gt=0)
    break_even_margin: float = Field(ge=1)
    min_annual_savings_usd: float = Field(ge=0)
    gpu_utilization_min: float = Field(ge=0, le=1)
    stale_price_days: int = Field(ge=1)


class MeasuredPolicy(_Frozen):
    enable_min_speedup: float = Field(gt=0)
    skip_below_speedup: float = Field(gt=0)
    enable_min_lower_bound: float = Field(gt=0)


class BenchmarkPlan(_Frozen):
    hours_per_variant: float = Field(gt=0)
    target_ci: float = Field(gt=0, lt=1)


class PriorMatch(_Frozen):
    family: str | list[str] = "*"
    precision: str | list[str] = "*"
    shapes: str | list[str] = "*"

    @model_validator(mode="after")
    def _known_values(self) -> PriorMatch:
        known = {
            "family": FIELDS["model_family"].allowed,
            "precision": FIELDS["precision"].allowed,
            "shapes": FIELDS["input_shapes"].allowed,
        }
        for key, allowed in known.items():
            values = getattr(self, key)
            for v in [values] if isinstance(values, str) else values:
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
        if not (0 < low <= mid <= high):
            raise ValueError(f"speedup must be 0 < low <= mid <= high, got {list(self.speedup)}")
        return self


class Policy(_Frozen):
    version: int = 1
    thresholds: Thresholds
    measured: MeasuredPolicy
    compile_overhead_minutes: dict[str, float]
    dynamic_shape_compilations: float = Field(ge=1)
    benchmark: BenchmarkPlan
    rule_weights: dict[str, float]
    priors: list[Prior] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        missing = [c for c in COMPILERS if c not in self.compile_overhead_minutes]
        if missing:
            raise ValueError(f"compile_overhead_minutes lacks {', '.join(missing)}")
        unknown = [c for c in self.compile_overhead_minutes if c not in COMPILERS]
        if unknown:
            raise ValueError(f"compile_overhead_minutes: {unknown[0]!r} is not one of {', '.join(COMPILERS)}")
        return self


@dataclass(frozen=True)
class Profile:
    """Everything the engine reads. ``instances`` is indexed by instance_type."""

    name: str
    policy: Policy
    instances: pd.DataFrame  # columns: see profiles/default/instances.csv
    tested_models: pd.DataFrame  # columns: see profiles/default/tested_models.csv
    price_note: str = "bundled dated catalog"
    sources: dict[str, str] = field(default_factory=dict)  # what file each part came from
