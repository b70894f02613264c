"""The results document of a paired compiler benchmark: one typed model for every producer.

``fitcheck bench`` (local worker processes) and ``fitcheck bench --on sagemaker`` (a pair of
training jobs) both build a :class:`BenchResults` and write ``model_dump_json``; ``fitcheck
analyze --bench`` reads it back with ``BenchResults.model_validate_json``. Every model here is
frozen and forbids unknown keys, so a trimmed, misspelt or hand-edited file fails with the
path of the bad field instead of being half-read.

Pure pydantic: no torch, no file I/O (reading and writing live in :mod:`fitcheck.io.evidence`
and :mod:`fitcheck.bench.results`).

How to fill a comparison (the contract both producers follow):

- ``speedup`` is the **headline**: the throughput ratio candidate / baseline (> 1: the
  candidate is faster), i.e. total baseline time / total candidate time over the paired blocks,
  with its interval at ``confidence``. It is set only when ``measurement == "interval"``.
- ``measurement`` says what kind of figure the comparison holds:

  * ``"interval"``: at least :data:`MIN_INTERVAL_BLOCKS` paired blocks; ``speedup`` is set.
  * ``"insufficient"``: fewer paired blocks than that; ``speedup`` is null, ``point_estimate``
    holds the ratio for information. ``analyze`` does not use it.
  * ``"single-run"``: one pair of runs (e.g. two SageMaker jobs): no interval, ``speedup``
    null, ``point_estimate`` the ratio of their steady throughputs. ``analyze`` does not use it
    as a measurement.
  * ``"failed"``: the candidate (or the baseline) failed; nothing to compare.
- ``median_speedup`` is a robust diagnostic (trimmed mean of per-block median ratios): it
  ignores slow steps and must never be read as the headline.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RESULTS_KIND: Literal["fitcheck-bench-results"] = "fitcheck-bench-results"
# Version of this document's layout; bumped when a field changes meaning.
FORMAT_VERSION: Literal[2] = 2
# Fewest paired blocks from which a comparison may carry an interval (see docs/bench.md:
# below that a bootstrap interval undercovers badly).
MIN_INTERVAL_BLOCKS = 10

# Bounds that keep a hostile file from costing memory or producing absurd figures.
_MAX_LIST = 2_000_000
_MAX_TEXT = 20_000

Finite = Annotated[float, Field(allow_inf_nan=False)]
Seconds = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)]
Ratio = Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=10**12)]
Text = Annotated[str, Field(max_length=_MAX_TEXT)]

Compiler = Literal["torch.compile", "torch-xla", "tf-xla", "sagemaker-training-compiler"]
BackendStatus = Literal["ok", "failed", "unavailable", "timed_out", "interrupted"]
Measurement = Literal["interval", "insufficient", "single-run", "failed"]
# Why the measurement of a candidate ended:
# target_ci: the headline interval reached the target width; decided_enable / decided_skip:
# the sequential interval cleared a threshold of the profile; max_seconds / max_blocks: a limit;
# interrupted: SIGINT/SIGTERM; failed: the candidate or the baseline failed;
# sagemaker-jobs-completed: both jobs of a SageMaker pair ended.
StopReason = Literal[
    "target_ci",
    "decided_enable",
    "decided_skip",
    "max_seconds",
    "max_blocks",
    "interrupted",
    "failed",
    "fixed",
    "sagemaker-jobs-completed",
]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StepSummary(_Strict):
    """Robust summary of raw step times, in seconds."""

    median: Seconds
    p25: Seconds
    p75: Seconds
    mean: Seconds
    stdev: Seconds
    n: Count


class SpeedupInterval(_Strict):
    """Throughput ratio candidate / baseline (> 1: candidate faster) with its interval."""

    low: Ratio
    mid: Ratio
    high: Ratio

    @model_validator(mode="after")
    def _ordered(self) -> SpeedupInterval:
        if not self.low <= self.mid <= self.high:
            raise ValueError(f"expected low <= mid <= high, got {[self.low, self.mid, self.high]}")
        return self


class SequentialInterval(_Strict):
    """The interval behind decision-aware stopping: valid under a look after every block.

    ``confidence`` is the simultaneous level over all looks (alpha spent across them);
    ``enable_above`` and ``skip_below`` are the profile's thresholds it was compared with.
    """

    method: Text
    confidence: Annotated[float, Field(gt=0, lt=1)]
    low: Ratio
    high: Ratio
    looks: Count
    enable_above: Ratio
    skip_below: Ratio
    decision: Literal["enable", "skip", "undecided"]


class LossParity(_Strict):
    """Largest relative loss difference over the same seeded batches, against a tolerance."""

    max_rel_diff: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None
    tolerance: Positive
    ok: bool
    steps_compared: Count = 0
    method: Text | None = None


class GradientParity(_Strict):
    """One training step of the candidate against an fp64 eager reference (gradients, loss).

    The method of PyTorch's compiler benchmarks (``check_accuracy``, ``torch._dynamo.utils.same``):
    two eager runs must agree first (``eager_runs_agree``), else ``verdict`` is ``no_verdict``;
    then each tensor passes when ``allclose(eager, candidate, tolerance)`` or its RMSE against
    the fp64 reference is at most ``multiplier`` x eager's plus ``tolerance / 10``.
    ``worst_tensor`` is the failing tensor (else any) furthest from that bound, with both RMSEs.
    ``reason`` says why there is no verdict, or what failed.
    """

    verdict: Literal["pass", "fail", "no_verdict"]
    precision: Text
    tolerance: Positive
    method: Text
    reason: Text | None = None
    multiplier: Annotated[float, Field(gt=0, le=1e3, allow_inf_nan=False)] | None = None
    tensors_compared: Count = 0
    tensors_failed: Count = 0
    worst_tensor: Text | None = None
    worst_candidate_rmse: Annotated[float, Field(ge=0, le=1e30, allow_inf_nan=False)] | None = None
    worst_eager_rmse: Annotated[float, Field(ge=0, le=1e30, allow_inf_nan=False)] | None = None
    eager_runs_agree: bool | None = None
    compared: list[Literal["loss", "gradients", "parameters"]] = Field(default_factory=list, max_length=3)
    device: Text | None = None
    reference_device: Text | None = None

    @model_validator(mode="after")
    def _counts(self) -> GradientParity:
        if self.tensors_failed > self.tensors_compared:
            raise ValueError(
                f"tensors_failed ({self.tensors_failed}) exceeds tensors_compared ({self.tensors_compared})"
            )
        if self.verdict == "fail" and self.tensors_failed == 0:
            raise ValueError("verdict 'fail' needs at least one failed tensor")
        if self.verdict == "pass" and self.tensors_failed:
            raise ValueError("verdict 'pass' with failed tensors")
        return self


class DynamicResult(_Strict):
    """The same comparison while the sequence length / image size changes every step.

    Raw step times include the steps that (re)compiled. ``recompiles`` counts the candidate's
    compilations in this phase (dynamo's unique graphs, or XLA's ``CompileTime`` count),
    ``recompile_seconds`` the time those steps took beyond a steady step. ``steady_speedup`` is
    the throughput ratio over the steps where neither side compiled; ``end_to_end_ratio`` is
    total baseline time / total candidate time over the whole phase, recompiles included (the
    figure a job with unpadded inputs actually gets over this many steps).
    ``fell_back_to_eager`` is true when dynamo hit its ``recompile_limit`` and ran frames
    eagerly from then on.
    """

    blocks: Count
    steps: Count
    sizes: list[Count] = Field(max_length=_MAX_LIST)
    baseline_step_seconds: list[Seconds] = Field(max_length=_MAX_LIST)
    candidate_step_seconds: list[Seconds] = Field(max_length=_MAX_LIST)
    candidate_compiled_steps: list[Count] = Field(max_length=_MAX_LIST)
    recompiles: Count | None
    baseline_recompiles: Count | None
    xla_compiles: Count | None
    recompile_seconds: Seconds | None
    steady_speedup: SpeedupInterval | None
    end_to_end_ratio: Ratio | None
    fell_back_to_eager: bool | None
    stopped_because: Literal["completed", "max_seconds", "failed", "interrupted"]


class BackendResult(_Strict):
    """What one backend did: its status and raw measurements.

    Local runs fill the step-level fields; a SageMaker job fills ``samples_per_second`` and the
    job fields (``job_name`` ...) and leaves the step lists empty.
    """

    status: BackendStatus
    reason: Text | None = None
    compile_seconds: Seconds | None = None
    warmup_seconds: list[Seconds] = Field(default_factory=list, max_length=_MAX_LIST)
    block_lead_seconds: list[Seconds] = Field(default_factory=list, max_length=_MAX_LIST)
    step_seconds: list[Seconds] = Field(default_factory=list, max_length=_MAX_LIST)
    steps_per_block: Count | None = None
    summary: StepSummary | None = None
    samples_per_second: Positive | None = None
    peak_memory_bytes: Count | None = None
    peak_memory_kind: Text | None = None
    compiles: Count | None = None
    recompiles: Count | None = None
    graph_breaks: Count | None = None
    skipped_steps: Count | None = None
    threads: Count | None = None
    loss: list[Finite | None] = Field(default_factory=list, max_length=_MAX_LIST)
    blocks: Count = 0
    max_batch_size: Count | None = None
    # a SageMaker job
    training_seconds: Count | None = None
    billable_seconds: Count | None = None
    job_name: Text | None = None
    job_status: Text | None = None
    final_loss: Finite | None = None


class Comparison(_Strict):
    """One candidate against the baseline (see the module docstring for how to fill it)."""

    baseline: Text
    candidate: Text
    compiler: Compiler
    measurement: Measurement
    speedup: SpeedupInterval | None
    speedup_basis: Text
    point_estimate: Ratio | None = None
    median_speedup: SpeedupInterval | None = None
    sequential: SequentialInterval | None = None
    confidence: Annotated[float, Field(gt=0, lt=1)] = 0.95
    blocks: Count = 0
    steps: Count = 0
    compile_seconds: Annotated[float, Field(ge=-1e9, le=1e9, allow_inf_nan=False)] | None = None
    # compile time with the compile caches already filled (FX graph / AOTAutograd cache), in a
    # fresh process: what a recurring job that persists its cache pays; None when not measured
    compile_seconds_warm: Annotated[float, Field(ge=-1e9, le=1e9, allow_inf_nan=False)] | None = None
    memory_ratio: Ratio | None = None
    loss_parity: LossParity | None = None
    gradient_parity: GradientParity | None = None
    recompiles: Count | None = None
    stopped_because: StopReason
    dynamic: DynamicResult | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Comparison:
        if self.measurement == "interval":
            if self.speedup is None:
                raise ValueError("measurement 'interval' needs a speedup interval")
            if self.blocks < MIN_INTERVAL_BLOCKS:
                raise ValueError(
                    f"an interval needs at least {MIN_INTERVAL_BLOCKS} paired blocks, got {self.blocks}"
                )
        elif self.speedup is not None:
            raise ValueError(f"measurement {self.measurement!r} carries no speedup interval (speedup: null)")
        return self


class GpuUtilization(_Strict):
    """GPU utilisation sampled (NVML) while the baseline's timed blocks ran.

    ``gpu_idle_in_loop`` is true when the p95 stays under 70 %: the GPU waited during this
    synthetic loop (host code, launch overhead); it says nothing about the user's data loader.
    """

    mean: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    p5: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    p95: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    n: Count
    gpu_idle_in_loop: bool
    memory_used_bytes_max: Count | None = None
    errors: list[Text] = Field(default_factory=list, max_length=1000)


class Interference(_Strict):
    """What else the machine was doing: threads per worker and the load around the run."""

    threads_per_worker: Count | None = None
    load_before: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] = Field(
        default_factory=list, max_length=3
    )
    load_after: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] = Field(
        default_factory=list, max_length=3
    )
    load_changed: bool | None = None


class Ceiling(_Strict):
    """Model-FLOPs utilisation of the baseline's step and the speedup no compiler can exceed.

    ``flops_per_step`` is counted with ``torch.utils.flop_counter.FlopCounterMode`` over one
    training step (forward and backward); ``achieved_tflops`` uses the baseline's median step
    time. ``mfu`` and ``speedup_ceiling`` (= 1 / mfu) need the accelerator's peak
    (``peak_tflops`` for the run's precision, with ``peak_source``); without one they are null
    and ``note`` says why.
    """

    flops_per_step: Annotated[float, Field(ge=0, le=1e21, allow_inf_nan=False)]
    achieved_tflops: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]
    accelerator: Text | None = None
    peak_tflops: Positive | None = None
    peak_source: Text | None = None
    mfu: Annotated[float, Field(gt=0, le=1e3, allow_inf_nan=False)] | None = None
    speedup_ceiling: Ratio | None = None
    note: Text | None = None


class Host(_Strict):
    """Where the benchmark ran."""

    device: Text
    device_name: Text | None = None
    driver: Text | None = None
    cuda: Text | None = None
    torch: Text | None = None
    torch_xla: Text | None = None
    tensorflow: Text | None = None
    keras: Text | None = None
    transformers: Text | None = None
    diffusers: Text | None = None
    cpu: Text | None = None
    cpu_count: Count | None = None
    platform: Text | None = None
    gpu_count: Count | None = None
    gpu_uuid: Text | None = None
    mig: bool | None = None
    sm_clock_mhz: Count | None = None
    tf32_matmul: bool | None = None
    cudnn_tf32: bool | None = None
    cudnn_benchmark: bool | None = None
    # a SageMaker pair
    instance_type: Text | None = None
    region: Text | None = None


class BenchResults(_Strict):
    """The whole results file (``kind: fitcheck-bench-results``)."""

    kind: Literal["fitcheck-bench-results"]
    format_version: Literal[2]
    fitcheck_version: Text
    created_at: Text
    workload: Text | None
    model: Text
    host: Host
    config: dict[str, Any]
    backends: dict[Text, BackendResult]
    comparisons: list[Comparison] = Field(max_length=1000)
    gpu_utilization: GpuUtilization | None = None
    interference: Interference | None = None
    ceiling: Ceiling | None = None
    find_max_batch: dict[str, Any] | None = None
    elapsed_seconds: Seconds | None = None
    interrupted: bool = False

    @model_validator(mode="after")
    def _backends_known(self) -> BenchResults:
        for i, c in enumerate(self.comparisons):
            for side in (c.baseline, c.candidate):
                if side not in self.backends:
                    raise ValueError(f"comparisons[{i}] names backend {side!r}, which is not in backends")
        return self


def parity_ok(comparison: Comparison) -> bool | None:
    """False when the loss parity or the gradient parity failed, True when a check passed and
    none failed, None when neither gave a verdict."""
    loss = None if comparison.loss_parity is None else comparison.loss_parity.ok
    grad = comparison.gradient_parity
    grad_ok = None if grad is None or grad.verdict == "no_verdict" else grad.verdict == "pass"
    if loss is False or grad_ok is False:
        return False
    if loss is None and grad_ok is None:
        return None
    return True


def usable_as_measurement(comparison: Comparison) -> tuple[bool, str]:
    """Whether ``analyze`` may use this comparison as a measurement, and if not, why."""
    if comparison.measurement == "interval" and comparison.speedup is not None:
        return True, ""
    if comparison.measurement == "insufficient" and comparison.stopped_because == "sagemaker-jobs-completed":
        return False, (
            f"{comparison.blocks} pairs of SageMaker jobs: a spread of whole runs, not an interval, "
            "so not used as a measurement (with torch.compile, 'fitcheck bench --on sagemaker "
            "--method harness' measures an interval inside one job)"
        )
    if comparison.measurement == "insufficient":
        return False, (
            f"insufficient: {comparison.blocks} paired blocks, fewer than the {MIN_INTERVAL_BLOCKS} "
            f"an interval needs (stopped: {comparison.stopped_because}); benchmark longer"
        )
    if comparison.measurement == "single-run":
        return False, "a single pair of runs: no interval, so not used as a measurement"
    return False, f"the candidate or the baseline failed (stopped: {comparison.stopped_because})"
