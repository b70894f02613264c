"""``eager``: plain PyTorch, the baseline every PyTorch candidate is compared with."""

from __future__ import annotations

from typing import ClassVar

from fitcheck.bench.backends.base import TorchBackend


class Eager(TorchBackend):
    name: ClassVar[str] = "eager"
    baseline: ClassVar[bool] = True
    default: ClassVar[bool] = True
