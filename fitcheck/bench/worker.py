"""One backend's worker process: builds the workload once, then runs steps on request.

The parent starts one worker per backend (``multiprocessing`` "spawn" context) and drives
it with small dict messages over a pipe, so blocks of different backends interleave and a
crash or out-of-memory in one backend kills only its own process. Replies are dicts with
``ok``; failures carry ``error`` (one line) and ``kind`` ("input" for the user's mistake,
"failure" otherwise).

Timing: the device is synchronised before each clock read (CUDA synchronise;
``torch_xla.sync()`` then ``wait_device_ops()`` for XLA), and every step time is kept raw.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from fitcheck.bench.backends.base import Backend, InputProblem, TorchBackend

ENV_BACKEND = "FITCHECK_BENCH_BACKEND"
# dynamo's warning when a frame hits its recompile limit and runs eagerly from then on
# (torch/_dynamo/convert_frame.py: "torch._dynamo hit config.%s (%s)").
RECOMPILE_LIMIT_PREFIX = "torch._dynamo hit config."


def recompile_limit_hit(record: logging.LogRecord) -> str | None:
    """The limit's name (``recompile_limit`` ...) when ``record`` is dynamo's fallback warning."""
    msg = record.msg if isinstance(record.msg, str) else ""
    if not msg.startswith(RECOMPILE_LIMIT_PREFIX):
        return None
    if record.args and isinstance(record.args, tuple):
        return str(record.args[0])
    return msg[len(RECOMPILE_LIMIT_PREFIX) :].split(" ", 1)[0] or "recompile_limit"


class _FallbackWatch(logging.Handler):
    """Notes dynamo's recompile-limit fallback to eager (a warning, not an exception)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.limits: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        hit = recompile_limit_hit(record)
        if hit is not None:
            self.limits.append(hit)


def is_oom(err: BaseException) -> bool:
    """Every form a CUDA (or host) out-of-memory takes: ``torch.cuda.OutOfMemoryError`` and the
    ``RuntimeError``s of cuBLAS / cuDNN allocation failures."""
    if isinstance(err, MemoryError):
        return True
    if type(err).__name__ == "OutOfMemoryError":
        return True
    text = str(err).lower()
    return any(
        key in text
        for key in (
            "out of memory",
            "cublas_status_alloc_failed",
            "cudnn_status_alloc_failed",
            "cudnn_status_not_enough_workspace",
            "cuda error: out of memory",
        )
    )


def _one_line(err: BaseException, limit: int = 400) -> str:
    text = f"{type(err).__name__}: {err}".strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class TorchSession:
    """The state of one PyTorch backend inside its worker process.

    What differs per backend (device, compile of the model or the step, sync, compile
    counters) is asked of the backend object (:class:`fitcheck.bench.backends.TorchBackend`);
    nothing here names a backend.
    """

    def __init__(self, backend: TorchBackend, cfg: dict[str, Any]) -> None:
        self.impl = backend
        self.backend = backend.name
        self.cfg = cfg
        self.skipped_steps = 0
        self.last_skipped = False  # the last step's GradScaler skipped the optimizer step
        self.sampler: Any = None  # NVML sampling in this process (CUDA baseline only)

    # --- setup ------------------------------------------------------------------------
    def setup(self, device_request: str) -> dict[str, Any]:
        import torch

        from fitcheck.bench import models

        self.torch = torch
        self.models = models
        threads = self.cfg.get("threads")
        if threads:
            torch.set_num_threads(int(threads))
        self.fallback = _FallbackWatch()
        logging.getLogger("torch._dynamo").addHandler(self.fallback)
        info: dict[str, Any] = {
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "threads": torch.get_num_threads(),
        }
        self.device_request = device_request
        self.device = self.impl.device(torch, device_request, info)
        self.device_type = "xla" if self.impl.xla_device else self.device.type
        if self.device_type == "cuda":
            props = torch.cuda.get_device_properties(0)
            info["device_name"] = props.name
            info["gpu_uuid"] = str(getattr(props, "uuid", "")) or None
            info["tf32_matmul"] = bool(torch.backends.cuda.matmul.allow_tf32)
            info["cudnn_tf32"] = bool(torch.backends.cudnn.allow_tf32)
            info["cudnn_benchmark"] = bool(torch.backends.cudnn.benchmark)
            torch.cuda.reset_peak_memory_stats()
            if self.impl.baseline:  # GPU utilisation is read around the baseline's timed steps
                from fitcheck.bench.host import GpuSampler, nvml_uuid

                self.sampler = GpuSampler(uuid=nvml_uuid(info["gpu_uuid"]))
                self.sampler.start()
        precision = self.cfg["precision"]
        self.impl.check_precision(precision)
        self.autocast_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision)

        try:
            work = models.build_workload(
                self.cfg["model"],
                batch_size=self.cfg["batch_size"],
                size=self.cfg["size"],
                seed=self.cfg["seed"],
            )
        except models.UserModelError as err:
            raise _InputProblem(str(err)) from None
        self.make_batch = work.make_batch
        self.loss_fn = work.loss_fn
        from fitcheck.bench.parity import retie

        model = retie(work.model.to(self.device))  # a move to XLA breaks weight ties
        model.train()
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=self.cfg["learning_rate"])
        self.scaler = (
            torch.amp.GradScaler("cuda") if precision == "fp16" and self.device_type == "cuda" else None
        )
        self.model: Any = model
        mode = self.cfg.get("mode") or "default"
        self.compiled_step: Any = None
        if self.cfg.get("compile_scope") == "step":
            self.compiled_step = self.impl.wrap_step(torch, self._train_step, mode)
        if self.compiled_step is None:
            self.model = self.impl.wrap_model(torch, model, mode)
        return info

    # --- one step -------------------------------------------------------------------------
    def _sync(self) -> None:
        self.impl.sync(self.torch, self.device_type)

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return self.torch.autocast(device_type=self.device_type, dtype=self.autocast_dtype)

    def _train_step(self, batch: Any) -> Any:
        with self._autocast():
            loss = self.loss_fn(self.model, batch)
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    def _step(self, host_batch: Any) -> Any:
        batch = self.models.to_device(host_batch, self.device, pinned=self.device_type == "cuda")
        if self.compiled_step is not None:
            out = self.compiled_step(batch)
            self.impl.after_step()
            self.last_skipped = False
            return out
        with self._autocast():
            loss = self.loss_fn(self.model, batch)
        if self.scaler is not None:
            before = self.scaler.get_scale()
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            # inf/nan gradients: the scale drops and the optimizer step was skipped
            self.last_skipped = self.scaler.get_scale() < before
            self.skipped_steps += int(self.last_skipped)
        else:
            self.last_skipped = False
            loss.backward()
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.impl.after_step()
        return loss.detach()

    def run_steps(self, start: int, sizes: list[int | None], lead: int = 0) -> dict[str, Any]:
        """Run ``len(sizes)`` steps from step index ``start``; one raw time per step.

        The first ``lead`` steps are full training steps whose times come back apart, in
        ``lead_seconds``: after the process sat idle while another backend ran, its first
        step pays for waking threads and refilling caches, which a training loop never does.
        """
        batch_size = self.cfg["batch_size"]
        seconds: list[float] = []
        losses = []
        compiled: list[int] = []  # steps (after the lead) during which a compilation happened
        skipped: list[int] = []  # steps (after the lead) whose fp16 GradScaler skipped the update
        batches = [self.make_batch(start + i, batch_size, size) for i, size in enumerate(sizes)]
        count = self.compiles()
        skipped_before = self.skipped_steps
        sampled = (len(self.sampler.utilization), len(self.sampler.memory_used)) if self.sampler else (0, 0)
        if self.sampler is not None:
            self.sampler.active = True
        for i, host_batch in enumerate(batches):
            self._sync()
            t0 = time.perf_counter()
            loss = self._step(host_batch)
            self._sync()
            seconds.append(time.perf_counter() - t0)
            losses.append(loss)
            if self.last_skipped and i >= lead:
                skipped.append(i - lead)
            now = self.compiles()
            if now is not None and count is not None and now > count and i >= lead:
                compiled.append(i - lead)
            count = now
        gpu: dict[str, Any] = {}
        if self.sampler is not None:
            self.sampler.active = False
            gpu = {
                "gpu_utilization": self.sampler.utilization[sampled[0] :],
                "gpu_memory_used": self.sampler.memory_used[sampled[1] :],
                "gpu_errors": list(self.sampler.errors),
            }
        samples = self.models.batch_samples(batches[0]) if batches else batch_size
        return {
            **gpu,
            "lead_seconds": seconds[:lead],
            "seconds": seconds[lead:],
            "loss": [float(v) for v in losses],
            "samples_per_step": samples,
            "compiles": count,
            "compiled_steps": compiled,
            "skipped_steps": self.skipped_steps - skipped_before,
            "skipped_indices": skipped,
            "fallback": list(self.fallback.limits),
        }

    def run_bare(self, start: int, count: int) -> dict[str, Any]:
        """Run ``count`` steps back to back with one clock read around all of them.

        The reference for the harness's own overhead: no per-step clock, sync or loss read.
        """
        batch_size, size = self.cfg["batch_size"], self.cfg["size"]
        batches = [self.make_batch(start + i, batch_size, size) for i in range(count)]
        self._sync()
        t0 = time.perf_counter()
        for host_batch in batches:
            self._step(host_batch)
        self._sync()
        return {"seconds": time.perf_counter() - t0}

    # --- counters -------------------------------------------------------------------------
    def xla_compiles(self) -> int | None:
        """XLA's own compilations (torch_xla metrics ``CompileTime`` count), xla and openxla."""
        return self.impl.xla_compiles()

    def compiles(self) -> int | None:
        """Compilations so far: dynamo's unique graphs plus, on XLA, XLA's compilations."""
        return self.impl.compiles()

    def stats(self) -> dict[str, Any]:
        graph_breaks = self.impl.graph_breaks()
        if self.device_type == "cuda":
            peak, kind = int(self.torch.cuda.max_memory_allocated()), "cuda_max_allocated"
        else:
            peak = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
            kind = "process_max_rss"
        return {
            "peak_memory_bytes": peak,
            "peak_memory_kind": kind,
            "compiles": self.compiles(),
            "xla_compiles": self.xla_compiles(),
            "graph_breaks": graph_breaks,
            "skipped_steps": self.skipped_steps if self.scaler is not None else None,
            "fallback": list(self.fallback.limits),
        }

    def flops(self, start: int) -> dict[str, Any]:
        """FLOPs of one full training step (forward and backward), counted by torch's
        ``FlopCounterMode``; the step is a real one (call it after the timed steps)."""
        from torch.utils.flop_counter import FlopCounterMode

        batch = self.make_batch(start, self.cfg["batch_size"], self.cfg["size"])
        counter = FlopCounterMode(display=False)
        with counter:
            self._step(batch)
        self._sync()
        return {"flops_per_step": int(counter.get_total_flops())}

    def grad_parity(self) -> dict[str, Any]:
        """Gradients and updated parameters after one step against an fp64 eager reference
        (:mod:`fitcheck.bench.parity`), on a fresh model from the seed; once, after the timed
        steps."""
        from fitcheck.bench import parity

        return parity.run_in_worker(self.cfg, self.impl, self.device_request)

    def release(self) -> dict[str, Any]:
        """Give cached device memory back while another backend runs."""
        if self.device_type == "cuda":
            self.torch.cuda.empty_cache()
        return {}

    # --- largest batch (CUDA) ------------------------------------------------------------
    def max_batch(self, limit: int) -> dict[str, Any]:
        from fitcheck.bench.stats import search_max_batch

        if self.device_type != "cuda":
            raise RuntimeError("finding the largest batch needs a CUDA device")
        torch = self.torch
        if self.impl.uses_dynamo:
            torch._dynamo.config.cache_size_limit = max(64, torch._dynamo.config.cache_size_limit)
        size = self.cfg["size"]

        def fits(batch_size: int) -> bool:
            try:
                for k in range(2):
                    batch = self.make_batch(k, batch_size, size)
                    if self.impl.uses_dynamo:  # measure the static graph: no dynamic batch dimension
                        self._mark_static(batch)
                    self._step(batch)
                self._sync()
                return True
            except Exception as err:
                if not is_oom(err):
                    raise
                if self.scaler is not None:  # an OOM mid-step leaves the scaler's state half-updated
                    self.scaler = torch.amp.GradScaler("cuda")
                return False
            finally:
                self.optimizer.zero_grad(set_to_none=True)
                torch.cuda.empty_cache()

        best = search_max_batch(fits, start=self.cfg["batch_size"], limit=limit)
        return {"max_batch_size": best}

    def _mark_static(self, batch: Any) -> None:
        for t in _tensors(batch):
            self.torch._dynamo.mark_static(t)


def _tensors(batch: Any) -> list[Any]:
    if hasattr(batch, "shape") and hasattr(batch, "dim"):
        return [batch]
    if isinstance(batch, dict):
        return [t for v in batch.values() for t in _tensors(v)]
    if isinstance(batch, (list, tuple)):
        return [t for v in batch for t in _tensors(v)]
    return []


_InputProblem = InputProblem


def worker_main(conn: Connection, backend: Backend | str, cfg: dict[str, Any], device: str) -> None:
    """Entry point of a worker process: answer messages until ``stop``.

    ``backend`` is the backend object (pickled by the parent, so a backend registered at run
    time works too) or a registered backend's name.
    """
    if isinstance(backend, str):
        from fitcheck.bench.backends import backend_named

        backend = backend_named(backend)
    os.environ[ENV_BACKEND] = backend.name
    session: Any = backend.session(cfg)
    handlers: dict[str, Callable[..., dict[str, Any]]] = {
        "setup": lambda: session.setup(device),
        "steps": lambda start, sizes, lead=0: session.run_steps(start, sizes, lead),
        "bare": lambda start, count: session.run_bare(start, count),
        "stats": session.stats,
        "release": session.release,
        "flops": lambda start: session.flops(start),
        "grad_parity": lambda: session.grad_parity(),
        "max_batch": lambda limit: session.max_batch(limit),
    }
    while True:
        try:
            msg = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        cmd = msg.pop("cmd")
        if cmd == "stop":
            conn.send({"ok": True})
            return
        try:
            reply = handlers[cmd](**msg)
            conn.send({"ok": True, **reply})
        except InputProblem as err:
            conn.send({"ok": False, "kind": "input", "error": str(err)})
        except BaseException as err:  # report every failure of the backend to the parent
            if isinstance(err, KeyboardInterrupt):
                return
            detail = traceback.format_exc(limit=-3)
            oom = is_oom(err)
            conn.send(
                {
                    "ok": False,
                    "kind": "oom" if oom else "failure",
                    "error": _one_line(err),
                    "traceback": detail,
                }
            )
