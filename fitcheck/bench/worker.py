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
import os
import resource
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

ENV_BACKEND = "FITCHECK_BENCH_BACKEND"


def _one_line(err: BaseException, limit: int = 400) -> str:
    text = f"{type(err).__name__}: {err}".strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Session:
    """The state of one backend inside its worker process."""

    def __init__(self, backend: str, cfg: dict[str, Any]) -> None:
        self.backend = backend
        self.cfg = cfg
        self.xla = backend in ("xla", "openxla")
        self.dynamo = backend in ("inductor", "openxla")

    # --- setup ------------------------------------------------------------------------
    def setup(self, device_request: str) -> dict[str, Any]:
        import torch

        from fitcheck.bench import models

        self.torch = torch
        self.models = models
        info: dict[str, Any] = {"torch": torch.__version__, "cuda": torch.version.cuda}
        if self.xla:
            import torch_xla
            import torch_xla.core.xla_model as xm
            import torch_xla.debug.metrics as met

            self.torch_xla, self.xm, self.met = torch_xla, xm, met
            self.device = torch_xla.device()
            self.device_type = "xla"
            info["torch_xla"] = torch_xla.__version__
            info["device"] = f"xla:{os.environ.get('PJRT_DEVICE', '?').lower()}"
        else:
            use_cuda = device_request == "cuda" or (device_request == "auto" and torch.cuda.is_available())
            if use_cuda and not torch.cuda.is_available():
                raise RuntimeError("--device cuda asked, but torch sees no CUDA device")
            self.device = torch.device("cuda" if use_cuda else "cpu")
            self.device_type = self.device.type
            info["device"] = self.device.type
            if use_cuda:
                info["device_name"] = torch.cuda.get_device_name(0)
                torch.cuda.reset_peak_memory_stats()
        precision = self.cfg["precision"]
        if precision == "fp16" and self.xla:
            raise RuntimeError("fp16 autocast is not supported on XLA; use bf16")
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
        model = work.model.to(self.device)
        model.train()
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=self.cfg["learning_rate"])
        self.scaler = (
            torch.amp.GradScaler("cuda") if precision == "fp16" and self.device_type == "cuda" else None
        )
        self.model: Any = model
        if self.backend == "inductor":
            self.model = torch.compile(model)
        elif self.backend == "openxla":
            self.model = torch.compile(model, backend="openxla")
        return info

    # --- one step -------------------------------------------------------------------------
    def _sync(self) -> None:
        if self.xla:
            self.xm.wait_device_ops()
        elif self.device_type == "cuda":
            self.torch.cuda.synchronize()

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return self.torch.autocast(device_type=self.device_type, dtype=self.autocast_dtype)

    def _step(self, host_batch: Any) -> Any:
        batch = self.models.to_device(host_batch, self.device)
        with self._autocast():
            loss = self.loss_fn(self.model, batch)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.xla:
            self.torch_xla.sync()
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
        batches = [self.make_batch(start + i, batch_size, size) for i, size in enumerate(sizes)]
        for host_batch in batches:
            self._sync()
            t0 = time.perf_counter()
            loss = self._step(host_batch)
            self._sync()
            seconds.append(time.perf_counter() - t0)
            losses.append(loss)
        samples = self.models.batch_samples(batches[0]) if batches else batch_size
        return {
            "lead_seconds": seconds[:lead],
            "seconds": seconds[lead:],
            "loss": [float(v) for v in losses],
            "samples_per_step": samples,
            "compiles": self.compiles(),
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
    def compiles(self) -> int | None:
        if self.dynamo:
            from torch._dynamo.utils import counters

            return int(counters["stats"]["unique_graphs"])
        if self.backend == "xla":
            data = self.met.metric_data("CompileTime")
            return int(data[0]) if data else 0
        return None

    def stats(self) -> dict[str, Any]:
        graph_breaks = None
        if self.dynamo:
            from torch._dynamo.utils import counters

            graph_breaks = int(sum(counters["graph_break"].values()))
        if self.device_type == "cuda":
            peak, kind = int(self.torch.cuda.max_memory_allocated()), "cuda_max_allocated"
        else:
            peak = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
            kind = "process_max_rss"
        return {
            "peak_memory_bytes": peak,
            "peak_memory_kind": kind,
            "compiles": self.compiles(),
            "graph_breaks": graph_breaks,
        }

    # --- largest batch (CUDA) ------------------------------------------------------------
    def max_batch(self, limit: int) -> dict[str, Any]:
        from fitcheck.bench.stats import search_max_batch

        if self.device_type != "cuda":
            raise RuntimeError("finding the largest batch needs a CUDA device")
        torch = self.torch
        if self.dynamo:
            torch._dynamo.config.cache_size_limit = max(64, torch._dynamo.config.cache_size_limit)
        size = self.cfg["size"]

        def fits(batch_size: int) -> bool:
            try:
                for k in range(2):
                    self._step(self.make_batch(k, batch_size, size))
                self._sync()
                return True
            except torch.cuda.OutOfMemoryError:
                return False
            finally:
                self.optimizer.zero_grad(set_to_none=True)
                torch.cuda.empty_cache()

        best = search_max_batch(fits, start=self.cfg["batch_size"], limit=limit)
        return {"max_batch_size": best}


class _InputProblem(Exception):
    """A problem with what the user asked for, found inside the worker."""


def worker_main(conn: Connection, backend: str, cfg: dict[str, Any], device: str) -> None:
    """Entry point of a worker process: answer messages until ``stop``."""
    os.environ[ENV_BACKEND] = backend
    session = _Session(backend, cfg)
    handlers: dict[str, Callable[..., dict[str, Any]]] = {
        "setup": lambda: session.setup(device),
        "steps": lambda start, sizes, lead=0: session.run_steps(start, sizes, lead),
        "bare": lambda start, count: session.run_bare(start, count),
        "stats": session.stats,
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
        except _InputProblem as err:
            conn.send({"ok": False, "kind": "input", "error": str(err)})
        except BaseException as err:  # report every failure of the backend to the parent
            if isinstance(err, KeyboardInterrupt):
                return
            detail = traceback.format_exc(limit=-3)
            oom = "out of memory" in str(err).lower() or isinstance(err, MemoryError)
            conn.send(
                {
                    "ok": False,
                    "kind": "oom" if oom else "failure",
                    "error": _one_line(err),
                    "traceback": detail,
                }
            )
