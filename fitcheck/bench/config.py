"""Options of one benchmark run, validated into a frozen config (torch-free)."""

from __future__ import annotations

import importlib.util
from dataclasses import asdict, dataclass
from typing import Any

from fitcheck.bench.catalog import CATALOG, ModelSpec, catalog_names, is_user_model
from fitcheck.bench.tf_models import TF_CATALOG, TfModelSpec
from fitcheck.core.benchresult import MIN_INTERVAL_BLOCKS
from fitcheck.errors import InputError, Location, closest, one_of

BASELINE = "eager"
CANDIDATES = ("inductor", "xla", "openxla")
BACKENDS = (BASELINE, *CANDIDATES)
# TensorFlow: the same Keras model with jit_compile off (baseline) and on (XLA).
TF_BASELINE = "tf-eager"
TF_CANDIDATES = ("tf-xla",)
FRAMEWORKS = ("pytorch", "tensorflow")
BACKENDS_OF = {"pytorch": BACKENDS, "tensorflow": (TF_BASELINE, *TF_CANDIDATES)}
DEFAULT_BACKENDS = {"pytorch": "eager,inductor", "tensorflow": "tf-eager,tf-xla"}
PRECISIONS = ("fp32", "fp16", "bf16")
DEVICES = ("auto", "cuda", "cpu")

# No interval from fewer paired blocks than this (a bootstrap interval over 2 blocks covered
# the truth 46 % of the time in simulation); below it a comparison is "insufficient".
MIN_TRUSTED_BLOCKS = MIN_INTERVAL_BLOCKS
# Decision-aware stopping: simultaneous confidence of the sequential interval.
DECISION_CONFIDENCE = 0.99
MODES = ("default", "reduce-overhead", "max-autotune")
SCOPES = ("model", "step")

# Relative loss tolerance for the parity check, per precision.
DEFAULT_LOSS_TOLERANCE = {"fp32": 1e-2, "fp16": 5e-2, "bf16": 5e-2}


@dataclass(frozen=True)
class BenchConfig:
    """Everything a run uses; written as ``config`` into the results file."""

    model: str
    workload: str | None
    batch_size: int
    size_kind: str | None  # seq_len | image_size | None (user model without a size)
    size: int | None
    precision: str
    backends: tuple[str, ...]  # baseline first
    device: str  # auto | cuda | cpu as asked; the resolved device goes to host.device
    min_steps: int
    max_seconds: float
    target_ci: float
    confidence: float
    dynamic_shapes: bool
    find_max_batch: bool
    warmup_steps: int
    block_steps: int
    max_blocks: int
    seed: int
    learning_rate: float
    loss_tolerance: float
    parity_steps: int
    cold_compile_cache: bool = True  # inductor compiles into a fresh cache folder
    # decision-aware stopping: the profile's measured thresholds
    enable_above: float = 1.20
    skip_below: float = 1.10
    decision_confidence: float = DECISION_CONFIDENCE
    profile: str | None = None  # the profile folder the thresholds came from (None: bundled)
    # fault tolerance: the longest a warm-up (compile) or one block may take
    warmup_timeout: float = 1800.0
    block_timeout: float = 600.0
    threads: int | None = None  # threads per worker (None: equal shares of the cores)
    mode: str = "default"  # torch.compile mode
    gpu: int | None = None  # index into CUDA_VISIBLE_DEVICES (None: the first visible device)
    warm_compile: bool = False  # also time inductor's compile from a filled cache, in a fresh process
    compile_scope: str = "model"  # model: torch.compile(model); step: the whole training step
    framework: str = "pytorch"  # pytorch | tensorflow (the tf-eager / tf-xla pair)

    @property
    def baseline(self) -> str:
        return self.backends[0]

    @property
    def candidates(self) -> tuple[str, ...]:
        return tuple(b for b in self.backends if b != self.baseline)

    @property
    def min_blocks(self) -> int:
        """Enough blocks for a trustworthy interval and for ``min_steps`` steady steps."""
        return max(MIN_TRUSTED_BLOCKS, -(-self.min_steps // self.block_steps))

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["backends"] = list(self.backends)
        out["optimizer"] = "AdamW"
        out["block_lead_steps"] = 1
        out["dropout"] = "disabled (catalog models), so compiled and eager losses are comparable"
        return out


def _opt(name: str) -> Location:
    return Location(field=name)


def _positive(value: float, name: str) -> None:
    if value <= 0:
        raise InputError(f"{value!r} must be greater than 0", _opt(name))


def parse_backends(text: str, framework: str = "pytorch") -> tuple[str, ...]:
    """``eager,inductor`` -> ('eager', 'inductor'); the framework's baseline is always first."""
    allowed = BACKENDS_OF[framework]
    baseline, candidates = allowed[0], allowed[1:]
    names = [p.strip().lower() for p in text.split(",") if p.strip()]
    for n in names:
        if n not in allowed:
            other = next((f for f, b in BACKENDS_OF.items() if n in b and f != framework), None)
            hint = f" (a {other} backend: add --framework {other})" if other else ""
            raise InputError(f"{one_of(n, allowed)}{hint}", _opt("--backends"))
    cands = []
    for n in names:
        if n != baseline and n not in cands:
            cands.append(n)
    if not cands:
        raise InputError(
            f"{text!r} names no candidate to compare with {baseline}; use some of {', '.join(candidates)}",
            _opt("--backends"),
        )
    return (baseline, *cands)


def resolve_tf_model(name: str) -> TfModelSpec | None:
    """The TensorFlow catalog entry for ``name``; ``None`` for a ``module:function`` user model."""
    if is_user_model(name):
        resolve_model(name)  # the same module checks
        return None
    spec = TF_CATALOG.get(name)
    if spec is None:
        hint = closest(name, list(TF_CATALOG), n=1)
        did = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise InputError(
            f"{one_of(name, list(TF_CATALOG))}, or package.module:function{did}", _opt("--model")
        )
    return spec


def resolve_model(name: str) -> ModelSpec | None:
    """The catalog entry for ``name``; ``None`` for a ``module:function`` user model.

    Raises InputError for an unknown name (listing the catalog) and for a user model whose
    module cannot be found.
    """
    if is_user_model(name):
        module, _, func = name.partition(":")
        if not module or not func or not func.isidentifier():
            raise InputError(f"{name!r} is not 'package.module:function'", _opt("--model"))
        try:
            found = importlib.util.find_spec(module)
        except (ImportError, ValueError) as err:
            raise InputError(f"cannot import module {module!r}: {err}", _opt("--model")) from None
        if found is None:
            raise InputError(f"cannot import module {module!r}: no such module", _opt("--model"))
        return None
    spec = CATALOG.get(name)
    if spec is None:
        hint = closest(name, catalog_names(), n=1)
        did = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise InputError(f"{one_of(name, catalog_names())}, or package.module:function{did}", _opt("--model"))
    return spec


def _size(
    spec: ModelSpec | TfModelSpec | None, seq_len: int | None, image_size: int | None
) -> tuple[str | None, int | None]:
    if seq_len is not None and image_size is not None:
        raise InputError("give --seq-len or --image-size, not both", _opt("--seq-len"))
    if spec is None:
        if seq_len is not None:
            _positive(seq_len, "--seq-len")
            return "seq_len", seq_len
        if image_size is not None:
            _positive(image_size, "--image-size")
            return "image_size", image_size
        return None, None
    given, flag = (seq_len, "--seq-len") if seq_len is not None else (image_size, "--image-size")
    kind = "seq_len" if seq_len is not None else ("image_size" if image_size is not None else None)
    if kind is not None and kind != spec.size_kind:
        right = "--seq-len" if spec.size_kind == "seq_len" else "--image-size"
        raise InputError(f"{spec.name} takes {right}, not {flag}", _opt(flag))
    size = spec.default_size if given is None else given
    flag = "--seq-len" if spec.size_kind == "seq_len" else "--image-size"
    if not spec.min_size <= size <= spec.max_size or size % spec.size_multiple:
        mult = f" and a multiple of {spec.size_multiple}" if spec.size_multiple > 1 else ""
        raise InputError(
            f"{size!r} is impossible for {spec.name}: allowed {spec.min_size}..{spec.max_size}{mult}",
            _opt(flag),
        )
    return spec.size_kind, size


def build_config(
    *,
    model: str,
    workload: str | None = None,
    batch_size: int | None = None,
    seq_len: int | None = None,
    image_size: int | None = None,
    precision: str = "fp32",
    backends: str | None = None,
    device: str = "auto",
    min_steps: int = 20,
    max_seconds: float = 120.0,
    target_ci: float = 0.03,
    confidence: float = 0.95,
    dynamic_shapes: bool = False,
    find_max_batch: bool = False,
    warmup_steps: int = 3,
    block_steps: int = 5,
    max_blocks: int = 200,
    seed: int = 0,
    learning_rate: float = 1e-4,
    loss_tolerance: float | None = None,
    parity_steps: int = 20,
    cold_compile_cache: bool = True,
    profile: str | None = None,
    enable_above: float | None = None,
    skip_below: float | None = None,
    warmup_timeout: float = 1800.0,
    block_timeout: float = 600.0,
    threads: int | None = None,
    mode: str = "default",
    gpu: int | None = None,
    warm_compile: bool = False,
    compile_scope: str = "model",
    framework: str = "pytorch",
) -> BenchConfig:
    """Validate command-line options into a :class:`BenchConfig` (InputError on bad input)."""
    framework = framework.lower()
    if framework not in FRAMEWORKS:
        raise InputError(one_of(framework, FRAMEWORKS), _opt("--framework"))
    backend_names = parse_backends(backends or DEFAULT_BACKENDS[framework], framework)
    spec: ModelSpec | TfModelSpec | None
    if framework == "tensorflow":
        _tensorflow_options(find_max_batch, warm_compile, mode, compile_scope)
        spec = resolve_tf_model(model)
    else:
        spec = resolve_model(model)
    precision = precision.lower()
    if precision not in PRECISIONS:
        raise InputError(one_of(precision, PRECISIONS), _opt("--precision"))
    device = device.lower()
    if device not in DEVICES:
        raise InputError(one_of(device, DEVICES), _opt("--device"))
    batch = batch_size if batch_size is not None else (spec.default_batch if spec else 8)
    _positive(batch, "--batch-size")
    if batch > 65536:
        raise InputError(f"{batch!r} is impossible: at most 65536", _opt("--batch-size"))
    size_kind, size = _size(spec, seq_len, image_size)
    if dynamic_shapes and size is None:
        raise InputError(
            "--dynamic-shapes needs --seq-len or --image-size for a user model",
            _opt("--dynamic-shapes"),
        )
    if dynamic_shapes and spec is not None and size is not None and size // 2 < spec.min_size:
        raise InputError(
            f"{size!r} is too small to vary (dynamic shapes use {size // 2}..{size})",
            _opt("--seq-len" if size_kind == "seq_len" else "--image-size"),
        )
    _positive(min_steps, "--min-steps")
    _positive(max_seconds, "--max-seconds")
    if not 0.0 < target_ci < 1.0:
        raise InputError(f"{target_ci!r} must be between 0 and 1 (0.03 = ±3 %)", _opt("--target-ci"))
    if not 0.5 <= confidence < 1.0:
        raise InputError(f"{confidence!r} must be in [0.5, 1)", _opt("--confidence"))
    if warmup_steps < 2:
        raise InputError(f"{warmup_steps!r} must be at least 2", _opt("--warmup-steps"))
    _positive(block_steps, "--block-steps")
    if max_blocks < 2:
        raise InputError(f"{max_blocks!r} must be at least 2", _opt("--max-blocks"))
    _positive(learning_rate, "--lr")
    tol = DEFAULT_LOSS_TOLERANCE[precision] if loss_tolerance is None else loss_tolerance
    _positive(tol, "--loss-tolerance")
    _positive(parity_steps, "--parity-steps")
    _positive(warmup_timeout, "--warmup-timeout")
    _positive(block_timeout, "--block-timeout")
    if gpu is not None and not 0 <= gpu <= 1024:
        raise InputError(f"{gpu!r} must be a device index (0, 1, ...)", _opt("--gpu"))
    if threads is not None and not 1 <= threads <= 4096:
        raise InputError(f"{threads!r} must be between 1 and 4096", _opt("--threads"))
    mode = mode.lower()
    if mode not in MODES:
        raise InputError(one_of(mode, MODES), _opt("--mode"))
    compile_scope = compile_scope.lower()
    if compile_scope not in SCOPES:
        raise InputError(one_of(compile_scope, SCOPES), _opt("--compile-scope"))
    if compile_scope == "step" and precision == "fp16":
        raise InputError(
            "'step' cannot compile the fp16 gradient scaler's step; use bf16 or --compile-scope model",
            _opt("--compile-scope"),
        )
    if enable_above is None or skip_below is None:
        enable_above, skip_below = measured_thresholds(profile)
    if not 0 < skip_below <= enable_above:
        raise InputError(
            f"skip threshold {skip_below!r} must be positive and at most the enable threshold "
            f"{enable_above!r}",
            _opt("--profile"),
        )
    return BenchConfig(
        model=model,
        workload=workload,
        batch_size=batch,
        size_kind=size_kind,
        size=size,
        precision=precision,
        backends=backend_names,
        device=device,
        min_steps=min_steps,
        max_seconds=float(max_seconds),
        target_ci=float(target_ci),
        confidence=float(confidence),
        dynamic_shapes=dynamic_shapes,
        find_max_batch=find_max_batch,
        warmup_steps=warmup_steps,
        block_steps=block_steps,
        max_blocks=max_blocks,
        seed=seed,
        learning_rate=float(learning_rate),
        loss_tolerance=float(tol),
        parity_steps=parity_steps,
        cold_compile_cache=cold_compile_cache,
        enable_above=float(enable_above),
        skip_below=float(skip_below),
        profile=profile,
        warmup_timeout=float(warmup_timeout),
        block_timeout=float(block_timeout),
        threads=threads,
        mode=mode,
        gpu=gpu,
        warm_compile=warm_compile,
        compile_scope=compile_scope,
        framework=framework,
    )


def measured_thresholds(profile: str | None) -> tuple[float, float]:
    """The enable and skip speedups of the profile's measured policy (bundled profile: None).

    These are the thresholds ``analyze --bench`` decides by, so decision-aware stopping stops a
    candidate exactly when more blocks could no longer change that decision.
    """
    from pathlib import Path

    from fitcheck.io.profiles import load_profile

    loaded = load_profile(Path(profile) if profile else None)
    m = loaded.policy.measured
    return float(m.enable_min_speedup), float(m.skip_below_speedup)


def _tensorflow_options(find_max_batch: bool, warm_compile: bool, mode: str, compile_scope: str) -> None:
    """The PyTorch-only options are refused for the TensorFlow pair, and TensorFlow must be there."""
    for flag, used in (
        ("--find-max-batch", find_max_batch),
        ("--warm-compile", warm_compile),
        ("--mode", mode.lower() != "default"),
        ("--compile-scope", compile_scope.lower() != "model"),
    ):
        if used:
            raise InputError("is for the PyTorch backends; not with --framework tensorflow", _opt(flag))
    if importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("keras") is None:
        raise InputError("TensorFlow is not installed; pip install 'fitcheck[tf]'", _opt("--framework"))
