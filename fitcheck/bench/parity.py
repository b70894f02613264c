"""Gradient parity: one training step of a candidate against an fp64 eager reference.

The method is the accuracy check of PyTorch's compiler benchmarks
(``benchmarks/dynamo/common.py``, ``BenchmarkRunner.check_accuracy``, with ``same`` and
``rmse`` from ``torch/_dynamo/utils.py``):

1. **fp64 reference.** A copy of the model and of the batch's floating-point tensors cast to
   float64 (the harness's ``cast_to_fp64``; integer inputs untouched), no autocast.
2. **Two eager runs must agree.** Eager in the run's precision, twice, from the same weights,
   batch and RNG state. The harness compares them with a tolerance of 0; here they must be
   bitwise equal on CPU and within :data:`EAGER_RERUN_TOLERANCE` elsewhere. If they are not,
   eager is not deterministic here and there is no verdict (the harness's
   ``eager_two_runs_differ``).
3. **The candidate**, from the same weights and batch, with inductor's ``fallback_random`` on
   (as the harness sets for accuracy runs), so random ops draw what eager draws.
4. **The rule**, per tensor (the loss, every parameter's gradient, optionally every parameter
   after the optimizer step): the candidate passes when ``allclose(eager, candidate, atol=tol,
   rtol=tol)``, or else when ``rmse(fp64, candidate) <= multiplier * rmse(fp64, eager) +
   tol / 10``: the compiled step may be at most ``multiplier`` times as far from the fp64 truth
   as eager is. ``multiplier`` is 2, or 3 for fp16/bf16 tensors, tensors under 1000 elements,
   1x1 kernels or ``tol >= 2e-2`` (``same``'s ``get_multiplier``). A missing gradient counts as
   zeros, and a dtype or shape change fails, as in ``same``.

Default tolerances (:data:`DEFAULT_TOLERANCE`) are the harness's training defaults:
1e-3 for fp32 (``torchbench.py``, training on GPU) and for fp16 (its fp16/amp default), 1e-2
for bf16 (its ``higher_bf16`` list, and the training default of ``huggingface.py`` and
``timm_models.py``).

torch is imported inside the functions only; :func:`judge_tensor` and :func:`verdict_of` are
plain Python.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

METHOD = (
    "one training step against an fp64 eager reference after two eager runs agree; per tensor: "
    "allclose(eager, candidate, tol) or rmse(fp64, candidate) <= multiplier * rmse(fp64, eager) + tol/10 "
    "(PyTorch benchmarks/dynamo/common.py check_accuracy, torch._dynamo.utils.same)"
)
DEFAULT_TOLERANCE = {"fp32": 1e-3, "fp16": 1e-3, "bf16": 1e-2}
# Two eager runs off CPU may differ by this much (allclose atol = rtol); on CPU they must be equal.
EAGER_RERUN_TOLERANCE = 1e-6
# A few fp16 gradients underflow without scaling: the fp16 runs scale the loss by this power of
# two (exact) and divide the gradients back, the same for eager, reference and candidate.
FP16_LOSS_SCALE = 2.0**10
_LOW_PRECISION = ("torch.float16", "torch.bfloat16")

Verdict = Literal["pass", "fail", "no_verdict"]


@dataclass(frozen=True)
class TensorStats:
    """What the rule needs of one tensor, measured against eager and the fp64 reference."""

    name: str
    numel: int
    dtype: str
    allclose: bool
    candidate_rmse: float  # rmse(fp64, candidate)
    eager_rmse: float  # rmse(fp64, eager)
    one_by_one_kernel: bool = False
    mismatch: str | None = None  # dtype or shape differs from eager's


@dataclass(frozen=True)
class Judged:
    stats: TensorStats
    passed: bool
    multiplier: float
    margin: float  # candidate_rmse / (multiplier * eager_rmse + tol / 10); > 1 fails the rmse test


@dataclass
class ParityReport:
    """The outcome; :meth:`as_dict` is what ``GradientParity(**reply)`` takes."""

    verdict: Verdict
    precision: str
    tolerance: float
    method: str = METHOD
    reason: str | None = None
    multiplier: float | None = None
    tensors_compared: int = 0
    tensors_failed: int = 0
    worst_tensor: str | None = None
    worst_candidate_rmse: float | None = None
    worst_eager_rmse: float | None = None
    eager_runs_agree: bool | None = None
    compared: list[str] = field(default_factory=list)
    device: str | None = None
    reference_device: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("worst_candidate_rmse", "worst_eager_rmse"):
            value = out[key]
            if value is not None and not math.isfinite(value):
                out[key] = None  # reported in ``reason``; the results file holds finite numbers only
        return out


# --- the rule (plain Python) --------------------------------------------------------------------


def multiplier_for(stats: TensorStats, tol: float) -> float:
    """``same``'s ``get_multiplier`` (without its opt-in larger multipliers)."""
    if stats.numel < 1000 or stats.one_by_one_kernel or tol >= 2e-2:
        return 3.0
    return 3.0 if stats.dtype in _LOW_PRECISION else 2.0


def judge_tensor(stats: TensorStats, tol: float) -> Judged:
    """Apply the rule to one tensor."""
    multiplier = multiplier_for(stats, tol)
    bound = multiplier * stats.eager_rmse + tol / 10.0
    res = stats.candidate_rmse
    margin = res / bound if bound > 0 and math.isfinite(res) else (0.0 if res == 0 else math.inf)
    if stats.mismatch is not None:
        return Judged(stats, False, multiplier, math.inf)
    passed = stats.allclose or (math.isfinite(res) and res <= bound)
    return Judged(stats, passed, multiplier, margin)


def verdict_of(stats: list[TensorStats], tol: float, *, precision: str) -> ParityReport:
    """Pass when every tensor passes; the worst tensor is the failing one (else any one) with the
    largest margin."""
    judged = [judge_tensor(s, tol) for s in stats]
    if not judged:
        return ParityReport("no_verdict", precision, tol, reason="no tensors to compare")
    failed = [j for j in judged if not j.passed]
    pool = failed or judged
    worst = max(pool, key=lambda j: j.margin)
    reason = None
    if failed:
        w = worst.stats
        reason = f"{len(failed)} of {len(judged)} tensors off; worst {w.name}: " + (
            w.mismatch or f"rmse vs fp64 {w.candidate_rmse:.3g} against eager's {w.eager_rmse:.3g}"
        )
    return ParityReport(
        "fail" if failed else "pass",
        precision,
        tol,
        reason=reason,
        multiplier=worst.multiplier,
        tensors_compared=len(judged),
        tensors_failed=len(failed),
        worst_tensor=worst.stats.name,
        worst_candidate_rmse=worst.stats.candidate_rmse,
        worst_eager_rmse=worst.stats.eager_rmse,
    )


# --- running the step (torch) -------------------------------------------------------------------


class _NoVerdict(Exception):
    """The check cannot decide (its message says why)."""


def _one_line(err: BaseException, limit: int = 300) -> str:
    text = f"{type(err).__name__}: {err}".strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cast_floats(batch: Any, dtype: Any) -> Any:
    import torch

    if isinstance(batch, torch.Tensor):
        return batch.to(dtype) if batch.is_floating_point() else batch
    if isinstance(batch, dict):
        return {k: _cast_floats(v, dtype) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_cast_floats(v, dtype) for v in batch)
    return batch


@contextlib.contextmanager
def _fallback_random() -> Iterator[None]:
    """inductor's ``fallback_random``: random ops call eager's generator (the harness's setting)."""
    try:
        from torch._inductor import config as inductor_config
    except Exception:  # no inductor in this build: nothing to patch
        yield
        return
    with inductor_config.patch(fallback_random=True):
        yield


@dataclass(frozen=True)
class StepSpec:
    """How to run the one step: the precision's autocast and loss scale, the optimizer."""

    autocast_dtype: Any  # torch dtype or None
    loss_scale: float
    learning_rate: float
    compare_params: bool
    seed: int


def _run_step(
    model: Any,
    batch: Any,
    loss_fn: Callable[[Any, Any], Any],
    device: Any,
    spec: StepSpec,
    *,
    autocast: bool,
    make_candidate: Callable[[Any], Any] | None = None,
    scope: str = "model",
) -> dict[str, Any]:
    """One step from ``model``'s weights; the loss and gradients (and parameters) on CPU."""
    import torch

    from fitcheck.bench.models import to_device

    model = retie(model.to(device))
    model.train()
    batch = to_device(batch, device)
    names = [n for n, _ in model.named_parameters()]
    params = [p for _, p in model.named_parameters()]
    optimizer = torch.optim.AdamW(params, lr=spec.learning_rate) if spec.compare_params else None
    device_type = torch.device(device).type if not isinstance(device, torch.device) else device.type
    use_autocast = autocast and spec.autocast_dtype is not None

    def ctx() -> contextlib.AbstractContextManager[Any]:
        if not use_autocast:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device_type, dtype=spec.autocast_dtype)

    scale = spec.loss_scale if use_autocast else 1.0
    grads: dict[str, Any] = {}

    def step(b: Any) -> Any:
        with ctx():
            loss = loss_fn(runner_model, b)
        (loss * scale if scale != 1.0 else loss).backward()
        if optimizer is not None and scope == "step":
            if scale != 1.0:
                for p in params:
                    if p.grad is not None:
                        p.grad.div_(scale)
            optimizer.step()
        return loss.detach()

    runner_model: Any = model
    torch.manual_seed(spec.seed)  # the harness's reset_rng_state before every run
    if scope == "step":
        run = make_candidate(step) if make_candidate is not None else step
        with _fallback_random() if make_candidate is not None else contextlib.nullcontext():
            loss = run(batch)
        _xla_sync(device_type)
        out: dict[str, Any] = {"loss": loss.detach().to("cpu").clone()}
        # the compiled step ran the optimizer and unscaled: gradients are as they are now
        for n, p in zip(names, params, strict=True):
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            grads[f"grad:{n}"] = g.detach().to("cpu").clone()
        if optimizer is None and scale != 1.0:
            grads = {k: v / scale for k, v in grads.items()}
    else:
        if make_candidate is not None:
            runner_model = make_candidate(model)
        with _fallback_random() if make_candidate is not None else contextlib.nullcontext():
            with ctx():
                loss = loss_fn(runner_model, batch)
            (loss * scale if scale != 1.0 else loss).backward()
        _xla_sync(device_type)
        out = {"loss": loss.detach().to("cpu").clone()}
        for n, p in zip(names, params, strict=True):
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            g = g.detach().to("cpu").clone()
            grads[f"grad:{n}"] = g / scale if scale != 1.0 else g
        if optimizer is not None:
            if scale != 1.0:
                for p in params:
                    if p.grad is not None:
                        p.grad.div_(scale)
            optimizer.step()
            _xla_sync(device_type)
    out.update(grads)
    if optimizer is not None:
        for n, p in zip(names, params, strict=True):
            out[f"param:{n}"] = p.detach().to("cpu").clone()
    return out


def retie(model: Any) -> Any:
    """Tie shared weights again after a move (``transformers`` models: the output embedding is
    the input one). Moving a module to an XLA device copies each parameter on its own and
    leaves the tie broken, so the model would train untied; a training script on XLA calls
    ``model.tie_weights()`` after the move, and so does the benchmark."""
    tie = getattr(model, "tie_weights", None)
    if callable(tie):
        tie()
    return model


def _xla_sync(device_type: str) -> None:
    if device_type == "xla":
        import torch_xla

        torch_xla.sync()


def _rmse(a: Any, b: Any) -> float:
    import torch

    return float(torch.sqrt(torch.mean(torch.square(a.double() - b.double()))))


def _same_bits(a: dict[str, Any], b: dict[str, Any], *, exact: bool) -> str | None:
    """The first tensor where two eager runs differ, or None."""
    import torch

    for name, x in a.items():
        y = b.get(name)
        if y is None or x.shape != y.shape or x.dtype != y.dtype:
            return name
        if exact:
            if not torch.equal(x, y) and not (
                torch.isnan(x).any() and torch.equal(x.nan_to_num(), y.nan_to_num())
            ):
                return name
        elif not torch.allclose(x, y, atol=EAGER_RERUN_TOLERANCE, rtol=EAGER_RERUN_TOLERANCE):
            return name
    return None


def compare(
    fp64: dict[str, Any], eager: dict[str, Any], candidate: dict[str, Any], tol: float
) -> list[TensorStats]:
    """The rule's inputs for every tensor of the eager run."""
    import torch

    stats = []
    for name, ref in eager.items():
        res = candidate.get(name)
        gold = fp64[name]
        if res is None:
            stats.append(
                TensorStats(name, ref.numel(), str(ref.dtype), False, math.inf, 0.0, mismatch="missing")
            )
            continue
        mismatch = None
        if res.shape != ref.shape:
            mismatch = f"shape {tuple(res.shape)} instead of {tuple(ref.shape)}"
        elif res.dtype != ref.dtype:
            mismatch = f"dtype {res.dtype} instead of {ref.dtype}"
        if mismatch is not None:
            stats.append(
                TensorStats(name, ref.numel(), str(ref.dtype), False, math.inf, 0.0, mismatch=mismatch)
            )
            continue
        close = bool(torch.allclose(ref, res, atol=tol, rtol=tol))
        stats.append(
            TensorStats(
                name=name,
                numel=ref.numel(),
                dtype=str(res.dtype),
                allclose=close,
                candidate_rmse=_rmse(gold, res),
                eager_rmse=_rmse(gold, ref),
                one_by_one_kernel=ref.dim() == 4 and ref.shape[-1] == ref.shape[-2] == 1,
            )
        )
    return stats


def _finite_or_raise(run: dict[str, Any], what: str) -> None:
    import torch

    for name, t in run.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise _NoVerdict(f"{what} gives non-finite values ({name})")


def check_gradient_parity(
    model: Any,
    make_batch: Callable[[], Any],
    loss_fn: Callable[[Any, Any], Any],
    *,
    device: Any,
    precision: str,
    make_candidate: Callable[[Any], Any] | None,
    candidate_device: Any = None,
    scope: Literal["model", "step"] = "model",
    compare_params: bool = False,
    learning_rate: float = 1e-4,
    tolerance: float | None = None,
    seed: int = 0,
) -> ParityReport:
    """Run the check on ``model`` (left untouched: every run starts from a deep copy).

    ``make_batch()`` returns the step's batch as CPU tensors. ``make_candidate`` turns the
    model (``scope="model"``) or the whole training step (``scope="step"``) into the
    candidate, e.g. ``torch.compile``; ``None`` runs the candidate as plain eager on
    ``candidate_device`` (the ``xla`` backend: lazy tensors on the XLA device). Eager and the
    fp64 reference run on ``device``; every result is moved to CPU to compare.
    """
    import torch

    if precision not in DEFAULT_TOLERANCE:
        raise ValueError(f"precision {precision!r} is not one of {', '.join(DEFAULT_TOLERANCE)}")
    tol = DEFAULT_TOLERANCE[precision] if tolerance is None else float(tolerance)
    candidate_device = device if candidate_device is None else candidate_device
    spec = StepSpec(
        autocast_dtype={"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision),
        loss_scale=FP16_LOSS_SCALE if precision == "fp16" else 1.0,
        learning_rate=learning_rate,
        compare_params=compare_params,
        seed=seed,
    )
    compared = ["loss", "gradients"] + (["parameters"] if compare_params else [])
    base = ParityReport(
        "no_verdict",
        precision,
        tol,
        compared=compared,
        device=str(candidate_device),
        reference_device=str(device),
    )
    try:
        try:
            batch = make_batch()
        except Exception as err:
            raise _NoVerdict(f"cannot make the batch: {_one_line(err)}") from None
        try:
            gold = _run_step(
                copy.deepcopy(model).to(torch.float64),
                _cast_floats(batch, torch.float64),
                loss_fn,
                device,
                spec,
                autocast=False,
            )
        except Exception as err:
            raise _NoVerdict(f"the fp64 reference failed: {_one_line(err)}") from None
        finally:
            _free(device)
        _finite_or_raise(gold, "the fp64 reference")
        eager: list[dict[str, Any]] = []
        for i in (1, 2):
            try:
                eager.append(_run_step(copy.deepcopy(model), batch, loss_fn, device, spec, autocast=True))
            except Exception as err:
                raise _NoVerdict(f"eager run {i} failed: {_one_line(err)}") from None
            finally:
                _free(device)
        _finite_or_raise(eager[0], "eager")
        exact = torch.device(device).type == "cpu"
        differs = _same_bits(eager[0], eager[1], exact=exact)
        if differs is not None:
            base.eager_runs_agree = False
            how = "bitwise" if exact else f"within {EAGER_RERUN_TOLERANCE:g}"
            raise _NoVerdict(f"eager is not deterministic here: two eager runs differ ({how}) at {differs}")
        base.eager_runs_agree = True
        del eager[1]  # host memory: one eager copy is enough from here
        try:
            cand = _run_step(
                copy.deepcopy(model),
                batch,
                loss_fn,
                candidate_device,
                spec,
                autocast=True,
                make_candidate=make_candidate,
                scope=scope,
            )
        except Exception as err:
            raise _NoVerdict(f"the candidate's step failed: {_one_line(err)}") from None
        finally:
            _free(candidate_device)
    except _NoVerdict as why:
        base.reason = str(why)
        return base
    report = verdict_of(compare(gold, eager[0], cand, tol), tol, precision=precision)
    report.compared = compared
    report.device = base.device
    report.reference_device = base.reference_device
    report.eager_runs_agree = True
    return report


def _free(device: Any) -> None:
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.empty_cache()


# --- the worker's entry point -------------------------------------------------------------------


def run_in_worker(
    cfg: dict[str, Any], backend: Any, device: str, *, compare_params: bool = True
) -> dict[str, Any]:
    """The check for ``backend`` inside its worker, as a JSON-able dict for ``GradientParity``.

    ``cfg`` is the worker's config (model, batch_size, size, seed, precision, learning_rate,
    mode, compile_scope); ``backend`` the worker's backend object (a
    :class:`fitcheck.bench.backends.base.TorchBackend`: its own device and compile hooks are
    used, so a new backend is checked without a change here) or a registered name; ``device``
    the device request (``cpu`` | ``cuda`` | ``auto``). Builds a fresh workload from the seed
    (the timed model has trained since), so call it once, after the timed blocks: its
    compilation adds to dynamo's counters. ``compare_params`` also compares every parameter
    after the optimizer step (AdamW, the run's learning rate), as the harness does on GPU.
    """
    from fitcheck.bench.backends import backend_named
    from fitcheck.bench.backends.base import TorchBackend

    precision = str(cfg.get("precision", "fp32"))
    tol = DEFAULT_TOLERANCE.get(precision, DEFAULT_TOLERANCE["fp32"])
    tol = float(cfg.get("grad_tolerance") or tol)

    def no_verdict(reason: str) -> dict[str, Any]:
        return ParityReport("no_verdict", precision, tol, reason=reason).as_dict()

    if isinstance(backend, str):
        try:
            backend = backend_named(backend)
        except Exception:
            return no_verdict(f"no backend named {backend!r}")
    if not isinstance(backend, TorchBackend):
        return no_verdict(f"gradient parity covers the PyTorch backends, not {backend.name!r}")
    if backend.baseline:
        return no_verdict(f"{backend.name} is the reference: no candidate to check")
    if precision not in DEFAULT_TOLERANCE:
        return no_verdict(f"precision {precision!r} is not one of {', '.join(DEFAULT_TOLERANCE)}")
    import torch

    from fitcheck.bench import models

    impl = backend.fresh()
    try:
        impl.check_precision(precision)
    except RuntimeError as err:
        return no_verdict(str(err))
    try:
        candidate_device: Any = impl.device(torch, device, {})
        # XLA devices have no eager mode or fp64 kernels to trust: the references run on the CPU
        reference_device: Any = torch.device("cpu") if impl.xla_device else candidate_device
    except Exception as err:  # torch_xla missing, no CUDA device: say so, no verdict
        return no_verdict(f"the {backend.name} device is not available: {_one_line(err)}")
    try:
        work = models.build_workload(
            cfg["model"], batch_size=cfg["batch_size"], size=cfg["size"], seed=cfg["seed"]
        )
    except Exception as err:
        return no_verdict(f"cannot build the model: {_one_line(err)}")
    mode = cfg.get("mode") or "default"
    # a torch.compile backend wraps the model (or the whole step) with its own options; a
    # lazy-tensor backend (xla) compiles whatever runs on its device: nothing to wrap
    make = (lambda fn: impl.wrap_model(torch, fn, mode)) if backend.uses_dynamo else None
    step = int(cfg.get("parity_step", 0))
    report = check_gradient_parity(
        work.model,
        lambda: work.make_batch(step, cfg["batch_size"], cfg["size"]),
        work.loss_fn,
        device=reference_device,
        candidate_device=candidate_device,
        precision=precision,
        make_candidate=make,
        scope="step" if cfg.get("compile_scope") == "step" and make is not None else "model",
        compare_params=compare_params,
        learning_rate=float(cfg.get("learning_rate", 1e-4)),
        tolerance=tol,
        seed=int(cfg.get("seed", 0)),
    )
    return report.as_dict()
