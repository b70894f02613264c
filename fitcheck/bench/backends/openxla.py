"""``openxla``: ``torch.compile(backend="openxla")`` on torch-xla's device.

Compilations are dynamo's graphs plus XLA's own (torch_xla metrics ``CompileTime``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from fitcheck.bench.backends.base import DynamoBackend, XlaMixin


class OpenXla(XlaMixin, DynamoBackend):
    name: ClassVar[str] = "openxla"
    compiler: ClassVar[str | None] = "torch.compile"

    def compile_options(self, mode: str) -> dict[str, Any]:
        return {"backend": "openxla"}  # --mode is inductor's; openxla takes none

    def compiles(self) -> int | None:
        return self.dynamo_graphs() + (self.xla_compiles() or 0)
