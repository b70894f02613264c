"""``inductor``: ``torch.compile`` with its default backend (TorchInductor)."""

from __future__ import annotations

from typing import ClassVar

from fitcheck.bench.backends.base import DynamoBackend, VersionOf, version_tuple


class Inductor(DynamoBackend):
    name: ClassVar[str] = "inductor"
    default: ClassVar[bool] = True
    uses_inductor_cache: ClassVar[bool] = True

    def unavailable(self, device: str, version: VersionOf) -> str | None:
        if version_tuple(version("torch")) < (2, 0):
            return "torch.compile needs torch >= 2.0"
        return None
