"""The inventory schema: one training workload, as a team describes it.

This is the documented, stable input interface (see README, "Inventory format").
The pydantic model validates YAML entries one by one (with line numbers); the same
field table drives the column-wise validation of CSV/Parquet inventories, so both
paths accept exactly the same values.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator

Framework = Literal["pytorch", "tensorflow", "jax", "xgboost", "lightgbm", "sklearn", "other"]
ModelFamily = Literal["transformer", "cnn", "diffusion", "gbdt", "other"]
Precision = Literal["fp32", "fp16", "bf16", "tf32", "unknown"]
InputShapes = Literal["static", "dynamic", "unknown"]
Distribution = Literal["none", "ddp", "fsdp", "deepspeed", "horovod", "smddp", "smp", "pytorchxla"]
DataLoading = Literal["standard", "custom", "unknown"]


class Workload(BaseModel):
    """One recurring training job."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1, description="Unique name of the workload")
    framework: Framework
    framework_version: str | None = Field(default=None, description='e.g. "2.1"')
    model: str = Field(min_length=1, description="Model id or short description")
    model_family: ModelFamily | None = Field(default=None, description="Inferred from the model when absent")
    instance_type: str = Field(min_length=1, description="SageMaker instance type, e.g. ml.g5.2xlarge")
    instance_count: int = Field(default=1, ge=1)
    duration_hours: float = Field(gt=0, description="Wall-clock hours of one run")
    runs_per_week: float = Field(gt=0, description="Runs per week; 0.25 = monthly")
    precision: Precision = "unknown"
    input_shapes: InputShapes = "unknown"
    batch_size: int | None = Field(default=None, ge=1, description="Per-device batch size")
    sequence_length: int | None = Field(default=None, ge=1)
    distribution: Distribution = "none"
    gpu_utilization: float | None = Field(default=None, ge=0, le=1)
    data_loading: DataLoading = "unknown"
    debugger: bool = False
    spot: bool = False
    spot_discount: float | None = Field(default=None, ge=0, lt=1)
    hourly_price_usd: float | None = Field(default=None, gt=0)
    tags: dict[str, str] = Field(default_factory=dict)
    region: str = "us-east-1"
    compiler_enabled: bool = Field(default=False, description="A compiler is already on")

    @field_validator("framework_version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # YAML reads 2.1 as a float; a version is text.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): "" if v is None else str(v) for k, v in value.items()}
        return value


@dataclass(frozen=True)
class FieldSpec:
    """What one inventory field accepts, read off the pydantic model."""

    name: str
    kind: Literal["str", "int", "float", "bool", "enum", "tags"]
    required: bool
    default: Any
    allowed: tuple[str, ...] = ()
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    def range_text(self) -> str:
        parts = []
        if self.gt is not None:
            parts.append(f"> {self.gt:g}")
        if self.ge is not None:
            parts.append(f">= {self.ge:g}")
        if self.lt is not None:
            parts.append(f"< {self.lt:g}")
        if self.le is not None:
            parts.append(f"<= {self.le:g}")
        return " and ".join(parts)


def _spec(name: str) -> FieldSpec:
    info = Workload.model_fields[name]
    ann = info.annotation
    base = ann
    if get_origin(ann) in (Union, UnionType):
        base = next(a for a in get_args(ann) if a is not type(None))
    allowed: tuple[str, ...] = ()
    if get_origin(base) is Literal:
        kind = "enum"
        allowed = tuple(get_args(base))
    elif base is bool:
        kind = "bool"
    elif base is int:
        kind = "int"
    elif base is float:
        kind = "float"
    elif base is str:
        kind = "str"
    elif get_origin(base) is dict:
        kind = "tags"
    else:  # pragma: no cover - a new field type must be taught here
        raise TypeError(f"unsupported inventory field type for {name}: {ann}")
    bounds: dict[str, float] = {}
    for meta in info.metadata:
        for key in ("gt", "ge", "lt", "le"):
            if getattr(meta, key, None) is not None:
                bounds[key] = getattr(meta, key)
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    return FieldSpec(name, kind, info.is_required(), default, allowed, **bounds)  # type: ignore[arg-type]


FIELDS: dict[str, FieldSpec] = {name: _spec(name) for name in Workload.model_fields}
REQUIRED: tuple[str, ...] = tuple(n for n, s in FIELDS.items() if s.required)
