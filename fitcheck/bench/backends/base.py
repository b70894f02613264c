"""The interface every benchmark backend implements (torch-free at import).

A backend is one object with two sides:

- the **parent side**, used by the options check and the runner without importing any
  framework: its name, framework, whether it is the framework's baseline, the compiler name
  written into the results, whether ``--backends`` picks it by default, whether it can run on
  a device (the reason when it cannot) and the environment its worker process needs;
- the **worker side**, called inside the backend's own worker process: the session that
  answers the runner's messages and, for PyTorch backends, the hooks that differ per backend
  (device, wrap/compile of the model or the whole step, device sync, compile counters).

Each backend is one module under ``fitcheck/bench/backends/`` plus one entry in the
registry tuple of ``fitcheck/bench/backends/__init__.py``; nothing else names it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, ClassVar

# Version of an installed distribution ("2.9.0"), or None when it is not installed.
VersionOf = Callable[[str], str | None]


class InputProblem(Exception):
    """A problem with what the user asked for, found inside a worker (exit code 2)."""


def version_tuple(text: str | None) -> tuple[int, ...]:
    """``"2.7.0+cu121"`` -> (2, 7, 0); (0,) when unknown or unparsable."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text or "0").release
    except InvalidVersion:
        return (0,)


class Backend:
    """One benchmark backend. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]
    framework: ClassVar[str]  # "pytorch" | "tensorflow"
    baseline: ClassVar[bool] = False  # the framework's baseline (exactly one per framework)
    compiler: ClassVar[str | None] = None  # results' Comparison.compiler (candidates only)
    default: ClassVar[bool] = False  # in the framework's default --backends
    # torch.compile backends: dynamo counters (graph breaks, recompile-limit fallback)
    uses_dynamo: ClassVar[bool] = False
    # inductor's on-disk cache: a fresh folder per run, and --measure-warm-compile applies
    uses_inductor_cache: ClassVar[bool] = False

    # --- parent side (no framework import) ------------------------------------------------
    def unavailable(self, device: str, version: VersionOf) -> str | None:
        """Why this backend cannot run on ``device`` ("cpu", "cuda", ...); None if it can."""
        return None

    def environment(self, device: str) -> dict[str, str]:
        """Environment variables its worker process needs on ``device``."""
        return {}

    # --- worker side ----------------------------------------------------------------------
    def session(self, cfg: dict[str, Any]) -> Any:
        """The object answering the worker's messages (``setup``, ``steps``, ``stats``, ...)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<backend {self.name}>"


class TorchBackend(Backend):
    """A PyTorch backend: the worker's session (``fitcheck.bench.worker``) calls these hooks.

    The defaults are eager PyTorch on the CPU or a CUDA device; a subclass overrides what its
    backend does differently. Hooks receive the session for its ``torch``, ``device`` and
    configuration; per-process state lives on the instance the worker made with :meth:`fresh`.
    """

    framework: ClassVar[str] = "pytorch"
    xla_device: ClassVar[bool] = False  # tensors live on an XLA device (torch_xla)

    def fresh(self) -> TorchBackend:
        """A new instance for one worker process (hooks may keep per-process state)."""
        return type(self)()

    def session(self, cfg: dict[str, Any]) -> Any:
        from fitcheck.bench.worker import TorchSession

        return TorchSession(self.fresh(), cfg)

    def device(self, torch: Any, device_request: str, info: dict[str, Any]) -> Any:
        """The device this worker runs on (``info`` gets what describes it)."""
        use_cuda = device_request == "cuda" or (device_request == "auto" and torch.cuda.is_available())
        if use_cuda and not torch.cuda.is_available():
            raise RuntimeError("--device cuda asked, but torch sees no CUDA device")
        info["device"] = "cuda" if use_cuda else "cpu"
        # one device per worker: CUDA_VISIBLE_DEVICES (set by the parent) leaves one
        return torch.device("cuda", 0) if use_cuda else torch.device("cpu")

    def check_precision(self, precision: str) -> None:
        """Refuse a precision this backend cannot run (RuntimeError)."""

    def wrap_model(self, torch: Any, model: Any, mode: str) -> Any:
        """The model as the timed step calls it (compiled or not)."""
        return model

    def wrap_step(self, torch: Any, step: Callable[[Any], Any], mode: str) -> Callable[[Any], Any] | None:
        """The whole training step compiled (``--compile-scope step``), or None: not compiled."""
        return None

    def after_step(self) -> None:
        """Called after each step's host code (XLA: cut and run the lazy graph)."""

    def sync(self, torch: Any, device_type: str) -> None:
        """Wait for the device before the clock is read."""
        if device_type == "cuda":
            torch.cuda.synchronize()

    def compiles(self) -> int | None:
        """Compilations so far (None: this backend does not compile)."""
        return None

    def xla_compiles(self) -> int | None:
        """XLA's own compilations so far (None: not an XLA backend)."""
        return None

    def graph_breaks(self) -> int | None:
        """dynamo's graph breaks so far (None: not a dynamo backend)."""
        return None


class DynamoBackend(TorchBackend):
    """A ``torch.compile`` backend: dynamo's counters and the compile of model or step."""

    uses_dynamo: ClassVar[bool] = True
    compiler: ClassVar[str | None] = "torch.compile"

    def compile_options(self, mode: str) -> dict[str, Any]:
        return {"mode": mode} if mode != "default" else {}

    def wrap_model(self, torch: Any, model: Any, mode: str) -> Any:
        return torch.compile(model, **self.compile_options(mode))

    def wrap_step(self, torch: Any, step: Callable[[Any], Any], mode: str) -> Callable[[Any], Any] | None:
        # the whole step, as the dynamo benchmark harness does: forward, loss, backward,
        # optimizer step and zero_grad in one compiled function
        compiled: Callable[[Any], Any] = torch.compile(step, **self.compile_options(mode))
        return compiled

    def dynamo_graphs(self) -> int:
        from torch._dynamo.utils import counters

        return int(counters["stats"]["unique_graphs"])

    def compiles(self) -> int | None:
        return self.dynamo_graphs()

    def graph_breaks(self) -> int | None:
        from torch._dynamo.utils import counters

        return int(sum(counters["graph_break"].values()))


def xla_unavailable(device: str, version: VersionOf, cuda_removed: tuple[int, ...]) -> str | None:
    """torch-xla installed, and able to reach ``device``."""
    installed = version("torch-xla") or version("torch_xla")
    if installed is None:
        return "torch-xla is not installed (pip install 'fitcheck[xla]')"
    if device == "cuda" and version_tuple(installed) >= cuda_removed:
        return (
            f"XLA:CUDA was removed in torch-xla >= 2.8 (installed {installed}); "
            "this build runs XLA on CPU and TPU only"
        )
    if device not in ("cuda", "cpu"):
        return f"no XLA device for {device!r}"
    return None


def xla_environment(device: str) -> dict[str, str]:
    """PJRT's device; on CUDA without preallocation (it would starve the eager worker)."""
    if device == "cuda":
        return {"PJRT_DEVICE": "CUDA", "PJRT_ALLOCATOR_PREALLOCATE": "false"}
    if device == "cpu":
        return {"PJRT_DEVICE": "CPU"}
    return {}


class XlaMixin(TorchBackend):
    """Tensors on torch_xla's device; XLA's compilations counted from its metrics."""

    xla_device: ClassVar[bool] = True
    XLA_CUDA_REMOVED: ClassVar[tuple[int, ...]] = (2, 8)

    def __init__(self) -> None:
        self.torch_xla: Any = None
        self.xm: Any = None
        self.met: Any = None

    def unavailable(self, device: str, version: VersionOf) -> str | None:
        return xla_unavailable(device, version, self.XLA_CUDA_REMOVED)

    def environment(self, device: str) -> dict[str, str]:
        return xla_environment(device)

    def device(self, torch: Any, device_request: str, info: dict[str, Any]) -> Any:
        import torch_xla
        import torch_xla.core.xla_model as xm
        import torch_xla.debug.metrics as met

        self.torch_xla, self.xm, self.met = torch_xla, xm, met
        info["torch_xla"] = torch_xla.__version__
        info["device"] = f"xla:{os.environ.get('PJRT_DEVICE', '?').lower()}"
        return torch_xla.device()

    def check_precision(self, precision: str) -> None:
        if precision == "fp16":
            raise RuntimeError("fp16 autocast is not supported on XLA; use bf16")

    def after_step(self) -> None:
        self.torch_xla.sync()

    def sync(self, torch: Any, device_type: str) -> None:
        self.xm.wait_device_ops()

    def xla_compiles(self) -> int | None:
        """XLA's own compilations (torch_xla metrics ``CompileTime`` count)."""
        data = self.met.metric_data("CompileTime")
        return int(data[0]) if data else 0

    def compiles(self) -> int | None:
        return self.xla_compiles()
