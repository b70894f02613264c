"""The TensorFlow backend pair inside a worker process: ``tf-eager`` and ``tf-xla``.

Both train the same Keras model with the same custom training step, wrapped in
``tf.function(jit_compile=False)`` (baseline: TensorFlow's graph executor, what
``model.compile(jit_compile=False)`` runs) or ``tf.function(jit_compile=True)`` (candidate:
the whole step compiled by XLA, what ``model.compile(jit_compile=True)`` runs). The step
returns the loss, and reading its value synchronises the device before the clock is read.

Compilations are counted, not guessed: ``tf.function`` tracings
(``experimental_get_tracing_count``) and, for XLA, one compilation per distinct input-shape
signature (XLA's cache is keyed on shapes, so a new sequence length is a new compilation).
Mixed precision goes through ``keras.mixed_precision`` (``mixed_float16`` with a loss-scale
optimizer, ``mixed_bfloat16``).

It answers the same messages as the PyTorch session (``setup``, ``steps``, ``bare``,
``stats``, ``release``, ``max_batch``), so the runner drives both alike.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from typing import Any

from fitcheck.bench.backends.base import InputProblem

TF_BACKENDS = ("tf-eager", "tf-xla")
POLICIES = {"fp16": "mixed_float16", "bf16": "mixed_bfloat16"}


class TfInputProblem(InputProblem):
    """A problem with what the user asked for (model name, precision on this device)."""


class TfSession:
    """The state of one TensorFlow backend inside its worker process."""

    def __init__(self, backend: str, cfg: dict[str, Any], *, jit_compile: bool | None = None) -> None:
        """``jit_compile``: XLA on or off (from the backend's registry entry); by name if None."""
        if jit_compile is None and backend not in TF_BACKENDS:
            raise ValueError(f"not a TensorFlow backend: {backend}")
        self.backend = backend
        self.cfg = cfg
        self.jit = backend == "tf-xla" if jit_compile is None else jit_compile
        self.signatures: set[tuple[tuple[int, ...], ...]] = set()
        self.skipped_steps = 0

    # --- setup ------------------------------------------------------------------------
    def setup(self, device_request: str) -> dict[str, Any]:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import keras
        import tensorflow as tf

        from fitcheck.bench import tf_models

        self.tf, self.keras, self.models = tf, keras, tf_models
        tf.get_logger().setLevel("ERROR")  # retracing under --dynamic-shapes is measured, not warned
        gpus = tf.config.list_physical_devices("GPU")
        use_gpu = device_request == "cuda" or (device_request == "auto" and bool(gpus))
        if use_gpu and not gpus:
            raise TfInputProblem("--device cuda asked, but TensorFlow sees no GPU")
        # Both settings must precede TensorFlow's first op; a worker process sets them first
        # thing (in a process where TensorFlow already ran they stay as they are).
        with contextlib.suppress(RuntimeError):
            threads = self.cfg.get("threads")
            if threads:
                tf.config.threading.set_intra_op_parallelism_threads(int(threads))
                tf.config.threading.set_inter_op_parallelism_threads(1)
            if not use_gpu and gpus:
                tf.config.set_visible_devices([], "GPU")
        self.device_type = "cuda" if use_gpu else "cpu"
        info: dict[str, Any] = {
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "device": self.device_type,
            "xla_jit": self.jit,
            "threads": tf.config.threading.get_intra_op_parallelism_threads() or None,
        }
        if use_gpu:
            details = tf.config.experimental.get_device_details(gpus[0])
            info["device_name"] = details.get("device_name")
            info["compute_capability"] = details.get("compute_capability")
        precision = self.cfg["precision"]
        if precision in POLICIES:
            keras.mixed_precision.set_global_policy(POLICIES[precision])
        elif precision not in ("fp32", "tf32"):
            raise TfInputProblem(f"precision {precision!r} is not one of fp32, tf32, fp16, bf16")
        tf.config.experimental.enable_tensor_float_32_execution(precision == "tf32")
        try:
            work = tf_models.build_tf_workload(
                self.cfg["model"],
                batch_size=self.cfg["batch_size"],
                size=self.cfg["size"],
                seed=self.cfg["seed"],
            )
        except tf_models.TfUserModelError as err:
            raise TfInputProblem(str(err)) from None
        self.model = work.model
        self.make_batch = work.make_batch
        self.loss = work.loss
        optimizer: Any = keras.optimizers.AdamW(learning_rate=self.cfg["learning_rate"])
        if precision == "fp16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        self.optimizer = optimizer
        self.step_fn = tf.function(self._train_step, jit_compile=self.jit)
        return info

    def _train_step(self, x: Any, y: Any) -> Any:
        tf = self.tf
        with tf.GradientTape() as tape:
            logits = self.model(x, training=True)
            loss = self.loss(y, logits)
            scaled = self.optimizer.scale_loss(loss) if hasattr(self.optimizer, "scale_loss") else loss
        grads = tape.gradient(scaled, self.model.trainable_variables)
        self.optimizer.apply(grads, self.model.trainable_variables)
        return loss

    # --- steps ------------------------------------------------------------------------
    def _step(self, batch: tuple[Any, Any]) -> float:
        self.signatures.add(self.models.shape_signature(batch))
        loss = self.step_fn(*batch)
        return float(loss.numpy())  # reading the value waits for the device

    def run_steps(self, start: int, sizes: list[int | None], lead: int = 0) -> dict[str, Any]:
        """Run ``len(sizes)`` steps from step index ``start``; one raw time per step."""
        batch_size = self.cfg["batch_size"]
        batches = [self.make_batch(start + i, batch_size, size) for i, size in enumerate(sizes)]
        seconds: list[float] = []
        losses: list[float] = []
        compiled: list[int] = []
        count = self.compiles()
        for i, batch in enumerate(batches):
            t0 = time.perf_counter()
            losses.append(self._step(batch))
            seconds.append(time.perf_counter() - t0)
            now = self.compiles()
            if now > count and i >= lead:
                compiled.append(i - lead)
            count = now
        return {
            "lead_seconds": seconds[:lead],
            "seconds": seconds[lead:],
            "loss": losses,
            "samples_per_step": self.models.batch_samples(batches[0]) if batches else batch_size,
            "compiles": count,
            "compiled_steps": compiled,
            "skipped_steps": 0,
            "skipped_indices": [],
            "fallback": [],
        }

    def run_bare(self, start: int, count: int) -> dict[str, Any]:
        """``count`` steps back to back, one clock read around all of them."""
        batch_size, size = self.cfg["batch_size"], self.cfg["size"]
        batches = [self.make_batch(start + i, batch_size, size) for i in range(count)]
        t0 = time.perf_counter()
        last = None
        for batch in batches:
            last = self.step_fn(*batch)
        if last is not None:
            last.numpy()
        return {"seconds": time.perf_counter() - t0}

    # --- counters ---------------------------------------------------------------------
    def tracings(self) -> int:
        get = getattr(self.step_fn, "experimental_get_tracing_count", None)
        return int(get()) if get is not None else 0

    def compiles(self) -> int:
        """Graph tracings, and for XLA one compilation per distinct input-shape signature."""
        return max(self.tracings(), len(self.signatures)) if self.jit else self.tracings()

    def stats(self) -> dict[str, Any]:
        peak, kind = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024, "process_max_rss"
        if self.device_type == "cuda":
            info = self.tf.config.experimental.get_memory_info("GPU:0")
            peak, kind = int(info["peak"]), "tf_gpu_peak"
        return {
            "peak_memory_bytes": peak,
            "peak_memory_kind": kind,
            "compiles": self.compiles(),
            "xla_compiles": len(self.signatures) if self.jit else None,
            "graph_breaks": None,
            "skipped_steps": None,
            "fallback": [],
        }

    def release(self) -> dict[str, Any]:
        return {}

    def flops(self, start: int) -> dict[str, Any]:
        raise RuntimeError("counting a step's FLOPs is implemented for the PyTorch backends only")

    def max_batch(self, limit: int) -> dict[str, Any]:
        raise RuntimeError("finding the largest batch is implemented for the PyTorch backends only")
