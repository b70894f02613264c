"""The benchmark backends: one module each, listed once in :data:`REGISTRY`.

The options check, the command's help, the runner and the worker find backends here and
nowhere else: adding a backend is its module plus one entry below. Order matters: it is the
order backends are listed in messages and help.
"""

from __future__ import annotations

from fitcheck.bench.backends.base import Backend, InputProblem, TorchBackend
from fitcheck.bench.backends.eager import Eager
from fitcheck.bench.backends.inductor import Inductor
from fitcheck.bench.backends.openxla import OpenXla
from fitcheck.bench.backends.tf import TfEager, TfXla
from fitcheck.bench.backends.xla import Xla

REGISTRY: tuple[Backend, ...] = (
    Eager(),
    Inductor(),
    Xla(),
    OpenXla(),
    TfEager(),
    TfXla(),
)

__all__ = [
    "REGISTRY",
    "Backend",
    "InputProblem",
    "TorchBackend",
    "backend_named",
    "backends_of",
    "baseline_of",
    "default_backends",
    "frameworks",
]


def frameworks() -> tuple[str, ...]:
    """The frameworks with a registered backend, in registry order."""
    return tuple(dict.fromkeys(b.framework for b in REGISTRY))


def backends_of(framework: str) -> tuple[str, ...]:
    """The framework's backend names, its baseline first."""
    mine = [b for b in REGISTRY if b.framework == framework]
    return tuple(b.name for b in sorted(mine, key=lambda b: not b.baseline))


def baseline_of(framework: str) -> str:
    """The framework's baseline backend name."""
    found = [b.name for b in REGISTRY if b.framework == framework and b.baseline]
    if len(found) != 1:
        raise ValueError(f"{framework} must have exactly one baseline backend, has {found}")
    return found[0]


def default_backends(framework: str) -> str:
    """The ``--backends`` default of a framework: its baseline and default candidates."""
    return ",".join(n for n in backends_of(framework) if backend_named(n).default)


def backend_named(name: str) -> Backend:
    """The registered backend called ``name`` (KeyError when none is)."""
    for b in REGISTRY:
        if b.name == name:
            return b
    raise KeyError(name)
