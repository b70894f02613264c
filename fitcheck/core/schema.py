"""The inventory schema: one training workload, as a team describes it.

This is the documented, stable input interface (see README, "Inventory format").
The pydantic model validates YAML entries one by one (with line numbers); the same
field table drives the column-wise validation of CSV/Parquet inventories, so both
paths accept exactly the same values.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

Framework = Literal["pytorch", "tensorflow", "jax", "xgboost", "lightgbm", "sklearn", "other"]
ModelFamily = Literal["transformer", "cnn", "diffusion", "gbdt", "other"]
Precision = Literal["fp32", "fp16", "bf16", "tf32", "unknown"]
InputShapes = Literal["static", "dynamic", "unknown"]
Distribution = Literal["none", "ddp", "fsdp", "deepspeed", "horovod", "smddp", "smp", "pytorchxla"]
DataLoading = Literal["standard", "custom", "unknown"]
# Whether the compile caches survive from one run to the next (persisted), start empty every
# run (cold), or are not known (unknown: the profile's compile_cache.persisted decides).
CompileCache = Literal["persisted", "cold", "unknown"]

# Bounds that keep every figure finite: a run lasts at most a (leap) year, a job runs at
# most once a minute, on at most 10,000 instances at most $1,000 an instance-hour. The
# product (instance-hours a year) has its own bound, checked on the whole table.
MAX_DURATION_HOURS = 8784.0
MAX_RUNS_PER_WEEK = 10080.0
MAX_INSTANCE_COUNT = 10_000
MAX_HOURLY_PRICE_USD = 1000.0
MAX_INSTANCE_HOURS_PER_YEAR = 100_000_000.0  # duration x count x runs per week x 52
MAX_TAGS = 50  # AWS's own limits: 50 tags, keys of 128 and values of 256 characters
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
NO_CONTROL = r"^[^\x00-\x1f\x7f-\x9f]*$"  # printable text: no newline, tab, NUL, escape


def _version_as_text(value: Any) -> Any:
    # YAML reads 2.1 as a float; a version is text.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _tags_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            if isinstance(v, dict | list | tuple | set):
                raise ValueError(f"tag {str(k)!r} has a nested value; tag values are text")
            out[str(k)] = "" if v is None else str(v)
        return out
    return value


def _tags_bounded(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_TAGS:
        raise ValueError(f"{len(value)} tags; at most {MAX_TAGS} allowed")
    for k, v in value.items():
        if not k.strip() or len(k) > MAX_TAG_KEY:
            raise ValueError(f"tag key {k[:40]!r} must have 1 to {MAX_TAG_KEY} characters")
        if len(v) > MAX_TAG_VALUE:
            raise ValueError(f"tag {k[:40]!r} has a value over {MAX_TAG_VALUE} characters")
        if not (k + v).isprintable():
            raise ValueError(f"tag {k[:40]!r} contains a control character")
    return value


Text = Annotated[str, Field(pattern=NO_CONTROL)]
Version = Annotated[str, BeforeValidator(_version_as_text), Field(max_length=64, pattern=NO_CONTROL)]
Tags = Annotated[dict[str, str], BeforeValidator(_tags_as_text), AfterValidator(_tags_bounded)]


class Workload(BaseModel):
    """One recurring training job."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)

    name: Text = Field(min_length=1, max_length=200, description="Unique name of the workload")
    framework: Framework
    framework_version: Version | None = Field(default=None, description='e.g. "2.1"')
    transformers_version: Version | None = Field(
        default=None, description='Hugging Face transformers version, e.g. "4.17.0"'
    )
    model: Text = Field(min_length=1, max_length=300, description="Model id or short description")
    model_family: ModelFamily | None = Field(default=None, description="Inferred from the model when absent")
    instance_type: Text = Field(
        min_length=1, max_length=64, description="SageMaker instance type, e.g. ml.g5.2xlarge"
    )
    instance_count: int = Field(default=1, ge=1, le=MAX_INSTANCE_COUNT)
    duration_hours: float = Field(gt=0, le=MAX_DURATION_HOURS, description="Wall-clock hours of one run")
    runs_per_week: float = Field(gt=0, le=MAX_RUNS_PER_WEEK, description="Runs per week; monthly = 12/52")
    precision: Precision = "unknown"
    input_shapes: InputShapes = "unknown"
    batch_size: int | None = Field(default=None, ge=1, le=10_000_000, description="Per-device batch size")
    sequence_length: int | None = Field(default=None, ge=1, le=100_000_000)
    distribution: Distribution = "none"
    gpu_utilization: float | None = Field(default=None, ge=0, le=1)
    gpu_utilization_p5: float | None = Field(default=None, ge=0, le=1, description="5th percentile, 0..1")
    gpu_utilization_p95: float | None = Field(default=None, ge=0, le=1, description="95th percentile, 0..1")
    mfu: float | None = Field(
        default=None, gt=0, le=1, description="Model-FLOPs utilisation of the step, measured elsewhere, 0..1"
    )
    data_loading: DataLoading = "unknown"
    debugger: bool = False
    spot: bool = False
    spot_discount: float | None = Field(default=None, ge=0, lt=1)
    hourly_price_usd: float | None = Field(default=None, gt=0, le=MAX_HOURLY_PRICE_USD)
    tags: Tags = Field(default_factory=dict)
    region: Text = Field(default="us-east-1", min_length=1, max_length=32)
    compiler_enabled: bool = Field(default=False, description="A compiler is already on")
    compile_cache: CompileCache = Field(
        default="unknown", description="persisted | cold | unknown (the profile's compile_cache decides)"
    )


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
    if get_origin(base) is Annotated:
        base = get_args(base)[0]
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


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def value_adapter(name: str) -> TypeAdapter[Any]:
    """The validator of field ``name`` for a list of values (a column's distinct values):
    the model's own type, bounds and validators, so a table column and a YAML entry are
    checked by the same rules."""
    if name not in _ADAPTERS:
        info = Workload.model_fields[name]
        item: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        _ADAPTERS[name] = TypeAdapter(
            list[item], config=ConfigDict(str_strip_whitespace=True, allow_inf_nan=False)
        )
    return _ADAPTERS[name]
