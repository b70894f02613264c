"""``xla``: torch-xla lazy tensors through PJRT; the whole step traced and compiled by XLA."""

from __future__ import annotations

from typing import ClassVar

from fitcheck.bench.backends.base import XlaMixin


class Xla(XlaMixin):
    name: ClassVar[str] = "xla"
    compiler: ClassVar[str | None] = "torch-xla"
