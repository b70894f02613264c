"""The options of ``fitcheck bench``, each defined once as a pydantic field (import-light).

A field holds the option's default, bounds and help text; its command-line flag is derived
from the field name (``batch_size`` -> ``--batch-size``). The command is generated from
:class:`BenchOptions` (``fitcheck.bench.cli``) and :func:`fitcheck.bench.config.build_config`
validates the same model. Fields of :class:`RunOptions` pass into the results' ``config``
unchanged; the others are inputs the config holds in resolved form. This module imports no
model catalog, numpy or framework, so the command line starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fitcheck.bench import backends as registry
from fitcheck.errors import InputError, Location, shown

PLACES = ("local", "sagemaker")


def _cli(
    *, flag: str | None = None, short: str | None = None, hint: str | None = None, panel: str | None = None
) -> dict[str, Any]:
    """Command-line metadata of a field: a flag other than the derived one, a short flag, a
    hint added to a range error, the help panel. ``flag=""``: not on the command line."""
    out: dict[str, Any] = {}
    for key, value in (("flag", flag), ("short", short), ("hint", hint), ("panel", panel)):
        if value is not None:
            out[key] = value
    return out


NOT_ON_THE_COMMAND_LINE = _cli(flag="")
SAGEMAKER = "SageMaker (--on sagemaker)"
MEASURE = "Measurement"


def _backends_help() -> str:
    parts = []
    for fw in registry.frameworks():
        default = registry.default_backends(fw)
        others = [n for n in registry.backends_of(fw) if n not in default.split(",")]
        text = f"{default} (default)" + "".join(f", {n}" for n in others)
        parts.append(text if fw == "pytorch" else f"with --framework {fw}: {text}")
    return "Baseline plus candidates: " + "; ".join(parts)


class _Workload(BaseModel):
    """What to measure: options the config holds in resolved form (listed first in the help)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    model: str | None = Field(
        None,
        description="Catalog name (e.g. bert-base-uncased, gpt2-tiny) or package.module:function",
        json_schema_extra=_cli(short="-m"),
    )
    batch_size: int | None = Field(None, gt=0, description="Per-device batch")
    seq_len: int | None = Field(None, description="Sequence length (text)")
    image_size: int | None = Field(None, description="Image size (vision; latent size for UNet)")
    backends: str | None = Field(None, description=_backends_help())


class RunOptions(BaseModel):
    """Options the results' ``config`` block records as given."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    workload: str | None = Field(None, description="Inventory workload these results stand for")
    precision: str = Field("fp32", description="fp32, fp16 or bf16")
    framework: str = Field(
        "pytorch", description="pytorch (default) or tensorflow (Keras, jit_compile off vs on)"
    )
    device: str = Field("auto", description="auto, cuda or cpu")
    min_steps: int = Field(20, gt=0, description="Fewest steady steps", json_schema_extra=_cli(panel=MEASURE))
    max_seconds: float = Field(
        120.0,
        gt=0,
        description="Time budget of the steady measurement",
        json_schema_extra=_cli(panel=MEASURE),
    )
    target_ci: float = Field(
        0.03,
        gt=0,
        lt=1,
        description="Stop when the 95 % interval is within ± this",
        json_schema_extra=_cli(hint="0.03 = ±3 %", panel=MEASURE),
    )
    confidence: float = Field(
        0.95,
        ge=0.5,
        lt=1,
        description="Confidence of the headline interval",
        json_schema_extra=NOT_ON_THE_COMMAND_LINE,
    )
    dynamic_shapes: bool = Field(False, description="Also measure with a size that varies per step")
    find_max_batch: bool = Field(False, description="Search the largest batch per backend (GPU)")
    warmup_steps: int = Field(
        3, ge=2, description="Compile/warm-up steps", json_schema_extra=_cli(panel=MEASURE)
    )
    block_steps: int = Field(5, gt=0, description="Steps per block", json_schema_extra=_cli(panel=MEASURE))
    max_blocks: int = Field(
        200, ge=2, description="Most blocks per backend", json_schema_extra=_cli(panel=MEASURE)
    )
    seed: int = Field(0, description="Seed of weights and batches")
    learning_rate: float = Field(
        1e-4, gt=0, description="AdamW learning rate", json_schema_extra=NOT_ON_THE_COMMAND_LINE
    )
    parity_steps: int = Field(
        20, gt=0, description="Steps whose losses are compared", json_schema_extra=NOT_ON_THE_COMMAND_LINE
    )
    profile: Path | None = Field(
        None, description="Profile whose measured thresholds decide when to stop (default: bundled)"
    )
    warmup_timeout: float = Field(
        1800.0,
        gt=0,
        description="Seconds a worker may take to build and compile",
        json_schema_extra=_cli(panel=MEASURE),
    )
    block_timeout: float = Field(
        600.0,
        gt=0,
        description="Seconds one block may take before its worker is stopped",
        json_schema_extra=_cli(panel=MEASURE),
    )
    threads: int | None = Field(
        None, ge=1, le=4096, description="Threads per worker (default: equal shares of the cores)"
    )
    mode: str = Field("default", description="torch.compile mode: default, reduce-overhead, max-autotune")
    gpu: int | None = Field(
        None,
        ge=0,
        le=1024,
        description="Which visible CUDA device (index into CUDA_VISIBLE_DEVICES)",
        json_schema_extra=_cli(hint="a device index: 0, 1, ..."),
    )
    warm_compile: bool = Field(
        False,
        description="Also time inductor's compile from its filled cache in a fresh process (recurring jobs)",
        json_schema_extra=_cli(flag="--measure-warm-compile"),
    )
    compile_scope: str = Field(
        "model",
        description="model: torch.compile(model); step: the whole step (forward, backward, optimizer)",
    )
    grad_parity: bool = Field(
        True,
        description="Once, after the timed steps: each candidate's gradients and updated parameters "
        "against an fp64 eager reference (PyTorch)",
        json_schema_extra=_cli(flag="--grad-parity/--no-grad-parity"),
    )


class BenchOptions(RunOptions, _Workload):
    """Every option of ``fitcheck bench``: the run's own and the inputs resolved into the config."""

    loss_tolerance: float | None = Field(
        None, gt=0, description="Relative loss difference allowed (default by precision)"
    )
    warm_compile_cache: bool = Field(
        False, description="Let inductor reuse its on-disk cache (compile time then understates a fresh run)"
    )
    enable_above: float | None = Field(
        None,
        gt=0,
        description="Enable threshold (default: the profile's)",
        json_schema_extra=NOT_ON_THE_COMMAND_LINE,
    )
    skip_below: float | None = Field(
        None,
        gt=0,
        description="Skip threshold (default: the profile's)",
        json_schema_extra=NOT_ON_THE_COMMAND_LINE,
    )
    output: Path = Field(
        Path("bench-results.json"), description="Results JSON file", json_schema_extra=_cli(short="-o")
    )
    quiet: bool = Field(False, description="No progress display", json_schema_extra=_cli(short="-q"))
    on: str = Field("local", description="Where to run: local or sagemaker")
    role: str | None = Field(
        None, description="SageMaker execution role ARN", json_schema_extra=_cli(panel=SAGEMAKER)
    )
    image: str | None = Field(None, description="Training image URI", json_schema_extra=_cli(panel=SAGEMAKER))
    entry_point: str | None = Field(
        None,
        description="Your training script (--method pairs; the harness ships its own)",
        json_schema_extra=_cli(panel=SAGEMAKER),
    )
    source_dir: Path | None = Field(
        None, description="Folder of the training code (SageMaker)", json_schema_extra=_cli(panel=SAGEMAKER)
    )
    instance_type: str | None = Field(
        None, description="e.g. ml.g5.2xlarge (SageMaker)", json_schema_extra=_cli(panel=SAGEMAKER)
    )
    instance_count: int | None = Field(
        None, ge=1, description="Instances (SageMaker)", json_schema_extra=_cli(panel=SAGEMAKER)
    )
    compiler: str | None = Field(
        None,
        description="sagemaker-training-compiler, torch.compile or tf-xla (SageMaker)",
        json_schema_extra=_cli(panel=SAGEMAKER),
    )
    region: str | None = Field(None, description="AWS region", json_schema_extra=_cli(panel=SAGEMAKER))
    inventory: Path | None = Field(
        None, description="Inventory to look the workload up in", json_schema_extra=_cli(panel=SAGEMAKER)
    )
    method: str | None = Field(
        None,
        description=(
            "harness: one job runs fitcheck's benchmark of --model (torch.compile, an interval); "
            "pairs: eager and compiled jobs of your --entry-point. Default: harness without "
            "--entry-point, pairs with it"
        ),
        json_schema_extra=_cli(panel=SAGEMAKER),
    )
    pairs: int = Field(
        3,
        ge=1,
        le=9,
        description="Pairs of jobs (--method pairs), start order interleaved; one pair is one measurement",
        json_schema_extra=_cli(
            panel=SAGEMAKER, hint="ten or more: use --method harness, whose blocks give an interval"
        ),
    )
    like: str | None = Field(
        None,
        description=(
            "Past training job whose channels, hyperparameters, VPC, environment and KMS keys "
            "both jobs of each pair clone (--method pairs)"
        ),
        json_schema_extra=_cli(panel=SAGEMAKER),
    )
    dry_run: bool = Field(
        False, description="SageMaker: print the jobs, start nothing", json_schema_extra=_cli(panel=SAGEMAKER)
    )
    no_wait: bool = Field(
        False, description="SageMaker: start the jobs and return", json_schema_extra=_cli(panel=SAGEMAKER)
    )


def flag_of(name: str, options: type[BaseModel] = BenchOptions) -> str:
    """The command-line flag of option ``name`` (``batch_size`` -> ``--batch-size``); for an
    option not on the command line, its field name."""
    extra = options.model_fields[name].json_schema_extra
    flag = extra.get("flag") if isinstance(extra, dict) else None
    if flag == "":
        return name
    return str(flag) if flag else "--" + name.replace("_", "-")


def _bounds(name: str, options: type[BaseModel]) -> str:
    """What a field's bounds allow, in words: ``between 1 and 4096``, ``greater than 0``."""
    lower: tuple[str, object] | None = None
    upper: tuple[str, object] | None = None
    for m in options.model_fields[name].metadata:
        if isinstance(m, annotated_types.Gt):
            lower = ("greater than", m.gt)
        elif isinstance(m, annotated_types.Ge):
            lower = ("at least", m.ge)
        elif isinstance(m, annotated_types.Lt):
            upper = ("less than", m.lt)
        elif isinstance(m, annotated_types.Le):
            upper = ("at most", m.le)
    if lower and upper:
        return f"between {lower[1]} and {upper[1]}"
    words, bound = lower or upper or ("valid", "")
    return f"{words} {bound}".strip()


def input_error(err: ValidationError, options: type[BaseModel] = BenchOptions) -> InputError:
    """A pydantic error as the project's one-line InputError naming the ``--flag``."""
    first = err.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    value = first.get("input")
    if name not in options.model_fields:
        options_list = ", ".join(options.model_fields)
        return InputError(f"is not an option; the options are {options_list}", Location(field=name))
    extra = options.model_fields[name].json_schema_extra
    hint = extra.get("hint") if isinstance(extra, dict) else None
    if first["type"] in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        text = f"{shown(value)} must be {_bounds(name, options)}"
        return InputError(text + (f" ({hint})" if hint else ""), Location(field=flag_of(name, options)))
    return InputError(f"{shown(value)} is not valid: {first['msg']}", Location(field=flag_of(name, options)))


def parse_options(values: dict[str, Any], options: type[BaseModel] = BenchOptions) -> Any:
    """Validate ``values`` into ``options`` (InputError naming the flag on bad input)."""
    try:
        return options(**values)
    except ValidationError as err:
        raise input_error(err, options) from None
