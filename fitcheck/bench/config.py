"""One benchmark run's options validated and resolved into a frozen config (torch-free).

The options themselves (default, bounds, help, flag) are the fields of
:class:`fitcheck.bench.options.BenchOptions`; :func:`build_config` validates them and resolves
the inputs (``--seq-len`` -> ``size_kind``/``size``, ``--backends`` -> a tuple with the
baseline first, the profile's thresholds, ...) into :class:`BenchConfig`, the ``config``
block of the results.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from fitcheck.bench import backends as registry
from fitcheck.bench.catalog import CATALOG, ModelSpec, catalog_names, is_user_model
from fitcheck.bench.options import PLACES, BenchOptions, RunOptions, flag_of, parse_options
from fitcheck.bench.tf_models import TF_CATALOG, TfModelSpec
from fitcheck.core.benchresult import MIN_INTERVAL_BLOCKS
from fitcheck.errors import InputError, Location, closest, one_of

__all__ = [
    "PLACES",
    "BenchConfig",
    "BenchOptions",
    "RunOptions",
    "build_config",
    "flag_of",
    "measured_thresholds",
    "parse_backends",
    "parse_options",
]

# Backend names, frameworks, baselines and defaults come from the backend registry
# (fitcheck.bench.backends.REGISTRY), read when options are checked.
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


class BenchConfig(RunOptions):
    """Everything a run uses; written as ``config`` into the results file.

    The :class:`RunOptions` fields as given, plus the inputs in resolved form.
    """

    model: str
    batch_size: int
    size_kind: str | None  # seq_len | image_size | None (user model without a size)
    size: int | None
    backends: tuple[str, ...]  # baseline first
    loss_tolerance: float
    cold_compile_cache: bool = True  # inductor compiles into a fresh cache folder
    # decision-aware stopping: the profile's measured thresholds
    enable_above: float = 1.20
    skip_below: float = 1.10
    decision_confidence: float = DECISION_CONFIDENCE

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
        out = self.model_dump(mode="json")
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
    allowed = registry.backends_of(framework)
    baseline, candidates = allowed[0], allowed[1:]
    names = [p.strip().lower() for p in text.split(",") if p.strip()]
    for n in names:
        if n not in allowed:
            other = next(
                (f for f in registry.frameworks() if f != framework and n in registry.backends_of(f)), None
            )
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


def build_config(options: BenchOptions | None = None, /, **values: Any) -> BenchConfig:
    """Validate options (a :class:`BenchOptions`, or its fields as keywords) into a
    :class:`BenchConfig`; InputError on bad input, naming the flag."""
    o: BenchOptions = options if options is not None else parse_options(values)
    if o.model is None:
        raise InputError("is required for a local benchmark", _opt("--model"))
    framework = o.framework.lower()
    if framework not in registry.frameworks():
        raise InputError(one_of(framework, registry.frameworks()), _opt("--framework"))
    backend_names = parse_backends(o.backends or registry.default_backends(framework), framework)
    spec: ModelSpec | TfModelSpec | None
    if framework == "tensorflow":
        _tensorflow_options(o.find_max_batch, o.warm_compile, o.mode, o.compile_scope)
        spec = resolve_tf_model(o.model)
    else:
        spec = resolve_model(o.model)
    precision = _choice(o.precision, PRECISIONS, "--precision")
    device = _choice(o.device, DEVICES, "--device")
    batch = o.batch_size if o.batch_size is not None else (spec.default_batch if spec else 8)
    if batch > 65536:
        raise InputError(f"{batch!r} is impossible: at most 65536", _opt("--batch-size"))
    size_kind, size = _size(spec, o.seq_len, o.image_size)
    if o.dynamic_shapes and size is None:
        raise InputError(
            "--dynamic-shapes needs --seq-len or --image-size for a user model",
            _opt("--dynamic-shapes"),
        )
    if o.dynamic_shapes and spec is not None and size is not None and size // 2 < spec.min_size:
        raise InputError(
            f"{size!r} is too small to vary (dynamic shapes use {size // 2}..{size})",
            _opt("--seq-len" if size_kind == "seq_len" else "--image-size"),
        )
    mode = _choice(o.mode, MODES, "--mode")
    compile_scope = _choice(o.compile_scope, SCOPES, "--compile-scope")
    if compile_scope == "step" and precision == "fp16":
        raise InputError(
            "'step' cannot compile the fp16 gradient scaler's step; use bf16 or --compile-scope model",
            _opt("--compile-scope"),
        )
    enable_above, skip_below = o.enable_above, o.skip_below
    if enable_above is None or skip_below is None:
        enable_above, skip_below = measured_thresholds(str(o.profile) if o.profile is not None else None)
    if not 0 < skip_below <= enable_above:
        raise InputError(
            f"skip threshold {skip_below!r} must be positive and at most the enable threshold "
            f"{enable_above!r}",
            _opt("--profile"),
        )
    passed = {name: getattr(o, name) for name in RunOptions.model_fields}
    return BenchConfig(
        **{
            **passed,
            "precision": precision,
            "device": device,
            "mode": mode,
            "compile_scope": compile_scope,
            "framework": framework,
        },
        model=o.model,
        batch_size=batch,
        size_kind=size_kind,
        size=size,
        backends=backend_names,
        loss_tolerance=DEFAULT_LOSS_TOLERANCE[precision] if o.loss_tolerance is None else o.loss_tolerance,
        cold_compile_cache=not o.warm_compile_cache,
        enable_above=float(enable_above),
        skip_below=float(skip_below),
    )


def _choice(value: str, allowed: tuple[str, ...], flag: str) -> str:
    """``value`` lower-cased, if it is one of ``allowed``."""
    low = value.lower()
    if low not in allowed:
        raise InputError(one_of(low, allowed), _opt(flag))
    return low


def measured_thresholds(profile: str | None) -> tuple[float, float]:
    """The enable and skip speedups of the profile's measured policy (bundled profile: None).

    These are the thresholds ``analyze --bench`` decides by, so decision-aware stopping stops a
    candidate exactly when more blocks could no longer change that decision.
    """
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
