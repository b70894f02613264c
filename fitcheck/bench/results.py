"""The results file of ``fitcheck bench``: pydantic models, reading and writing.

Torch-free: ``fitcheck analyze --bench`` reads these files without importing torch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fitcheck.errors import InputError, Location
from fitcheck.io.atomic import atomic_write_text

RESULTS_KIND: Literal["fitcheck-bench-results"] = "fitcheck-bench-results"

BackendStatus = Literal["ok", "failed", "unavailable"]
# "sagemaker-jobs-completed": a paired SageMaker run (fitcheck bench --on sagemaker).
StopReason = Literal["target_ci", "max_seconds", "max_blocks", "failed", "fixed", "sagemaker-jobs-completed"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class SummaryModel(_Model):
    """Robust summary of raw step times, in seconds."""

    median: float
    p25: float
    p75: float
    mean: float
    stdev: float
    n: int


class SpeedupModel(_Model):
    """Throughput ratio candidate/baseline (> 1: candidate faster) with its interval."""

    low: float = Field(gt=0)
    mid: float = Field(gt=0)
    high: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> SpeedupModel:
        if not self.low <= self.mid <= self.high:
            raise ValueError(f"expected low <= mid <= high, got {[self.low, self.mid, self.high]}")
        return self


class LossParity(_Model):
    """Largest relative loss difference over the same seeded batches, against a tolerance."""

    max_rel_diff: float | None
    tolerance: float
    ok: bool
    steps_compared: int = 0


class BackendResult(_Model):
    """What one backend did: its status and raw measurements."""

    status: BackendStatus
    reason: str | None = None
    compile_seconds: float | None = None
    warmup_seconds: list[float] = Field(default_factory=list)
    block_lead_seconds: list[float] = Field(default_factory=list)
    step_seconds: list[float] = Field(default_factory=list)
    summary: SummaryModel | None = None
    samples_per_second: float | None = None
    peak_memory_bytes: int | None = None
    peak_memory_kind: str | None = None
    compiles: int | None = None
    recompiles: int | None = None
    graph_breaks: int | None = None
    loss: list[float] = Field(default_factory=list)
    blocks: int = 0
    max_batch_size: int | None = None


class DynamicResult(_Model):
    """The same comparison while the sequence length / image size changes every step."""

    speedup: SpeedupModel | None
    recompiles: int | None
    baseline_recompiles: int | None = None
    blocks: int
    steps: int
    sizes: list[int] = Field(default_factory=list)
    baseline_step_seconds: list[float] = Field(default_factory=list)
    candidate_step_seconds: list[float] = Field(default_factory=list)


class Comparison(_Model):
    """One candidate against the baseline."""

    baseline: str
    candidate: str
    compiler: Literal["torch.compile", "torch-xla", "sagemaker-training-compiler"]
    speedup: SpeedupModel | None
    confidence: float = 0.95
    blocks: int = 0
    steps: int = 0
    compile_seconds: float | None = None
    memory_ratio: float | None = None
    loss_parity: LossParity | None = None
    recompiles: int | None = None
    stopped_because: StopReason
    dynamic: DynamicResult | None = None


class GpuUtilization(_Model):
    """GPU utilisation sampled while the baseline ran."""

    mean: float
    p5: float
    p95: float
    n: int
    input_bound: bool
    memory_used_bytes_max: int | None = None


class Host(_Model):
    """Where the benchmark ran."""

    device: str
    device_name: str | None = None
    driver: str | None = None
    cuda: str | None = None
    torch: str | None = None
    torch_xla: str | None = None
    cpu: str | None = None
    cpu_count: int | None = None
    platform: str | None = None


class BenchResults(_Model):
    """The whole results file."""

    kind: Literal["fitcheck-bench-results"] = RESULTS_KIND
    fitcheck_version: str
    created_at: str
    workload: str | None = None
    model: str
    host: Host
    config: dict[str, Any]
    backends: dict[str, BackendResult]
    comparisons: list[Comparison]
    gpu_utilization: GpuUtilization | None = None
    find_max_batch: dict[str, Any] | None = None
    elapsed_seconds: float | None = None


def dump_bench_results(results: BenchResults) -> str:
    """The JSON text of a results file (stable key order, two-space indent)."""
    return json.dumps(results.model_dump(mode="json"), indent=2) + "\n"


def write_bench_results(results: BenchResults, path: str | Path) -> None:
    """Write ``results`` to ``path`` atomically (an existing file survives a failure)."""
    atomic_write_text(path, dump_bench_results(results))


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def load_bench_results(path: str | Path) -> BenchResults:
    """Read and validate a results file.

    Raises :class:`~fitcheck.errors.InputError` naming the file and the field for a file
    that is missing, not JSON, not a bench results file, or has a bad field.
    """
    p = Path(path)
    name = str(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", Location(file=name)) from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read: {err}", Location(file=name)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"not valid JSON: {err.msg}", Location(file=name, line=err.lineno)) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object (a 'fitcheck bench' results file)", Location(file=name))
    kind = data.get("kind")
    if kind != RESULTS_KIND:
        raise InputError(
            f"{kind!r} is not {RESULTS_KIND!r}: not a 'fitcheck bench' results file",
            Location(file=name, field="kind"),
        )
    try:
        return BenchResults.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        field = _field_path(tuple(first["loc"]))
        value = first.get("input")
        shown = "missing" if first["type"] == "missing" else f"{value!r}: {first['msg']}"
        raise InputError(shown, Location(file=name, field=field)) from None
