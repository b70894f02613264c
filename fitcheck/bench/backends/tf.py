"""The TensorFlow pair: ``tf-eager`` (``tf.function(jit_compile=False)``, the baseline) and
``tf-xla`` (the same step with ``jit_compile=True``). The worker side is
:class:`fitcheck.bench.tf_session.TfSession`."""

from __future__ import annotations

from typing import Any, ClassVar

from fitcheck.bench.backends.base import Backend, VersionOf


class _Tf(Backend):
    framework: ClassVar[str] = "tensorflow"
    default: ClassVar[bool] = True
    jit_compile: ClassVar[bool] = False  # tf.function(jit_compile=...): the whole step through XLA

    def unavailable(self, device: str, version: VersionOf) -> str | None:
        if (version("tensorflow") or version("tensorflow-cpu")) is None:
            return "TensorFlow is not installed (pip install 'fitcheck[tf]')"
        return None

    def session(self, cfg: dict[str, Any]) -> Any:
        from fitcheck.bench.tf_session import TfSession

        return TfSession(self.name, cfg, jit_compile=self.jit_compile)


class TfEager(_Tf):
    name: ClassVar[str] = "tf-eager"
    baseline: ClassVar[bool] = True


class TfXla(_Tf):
    name: ClassVar[str] = "tf-xla"
    compiler: ClassVar[str | None] = "tf-xla"
    jit_compile: ClassVar[bool] = True

    def environment(self, device: str) -> dict[str, str]:
        return {"TF_CPP_MIN_LOG_LEVEL": "2"}  # XLA's CPU JIT or its GPU backend, inside TensorFlow
