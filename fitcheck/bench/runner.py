"""Orchestration of a paired benchmark: worker processes, interleaved blocks, adaptive stopping.

The parent process never imports torch. It starts one worker per backend, warms each up
(the compile), then runs rounds of interleaved blocks (eager, candidate, …, with the order
rotated every round). A candidate stops as soon as its sequential interval decides against
the profile's thresholds (its time goes to the undecided ones), or its headline interval is
narrow enough, or the time runs out. A backend that fails, hangs past its timeout or dies is
recorded as such; every other result is kept. SIGINT / SIGTERM end the run with the partial
results.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from fitcheck import __version__
from fitcheck.bench import parity as grad_check
from fitcheck.bench import stats
from fitcheck.bench.backends.base import Backend
from fitcheck.bench.config import BenchConfig
from fitcheck.bench.host import (
    GpuSampler,
    host_facts,
    load_average,
    load_changed,
    package_version,
    worker_threads,
    worker_visible_device,
)
from fitcheck.core.benchresult import (
    FORMAT_VERSION,
    MIN_INTERVAL_BLOCKS,
    RESULTS_KIND,
    BackendResult,
    BenchResults,
    Ceiling,
    Comparison,
    DynamicResult,
    GpuUtilization,
    GradientParity,
    Host,
    Interference,
    LossParity,
    SequentialInterval,
    SpeedupInterval,
    StepSummary,
)
from fitcheck.errors import InputError, Location

# Untimed-into-the-sample steps that open each steady block (their times are kept apart).
LEAD_STEPS = 1


HEADLINE_BASIS = (
    "throughput ratio: total baseline time / total candidate time over the paired blocks "
    "(same steps, same batches), with a paired block bootstrap (expanded percentile) interval"
)


class BackendFailure(Exception):
    """A backend's worker reported an error or died."""


class BackendTimeout(BackendFailure):
    """A backend's worker gave no answer within its time limit and was stopped."""


class Interrupted(Exception):
    """SIGTERM (or SIGINT) arrived: end the run and keep what was measured."""


@dataclass
class BackendState:
    """The parent's view of one backend's worker and what it has measured so far."""

    name: str
    proc: Any = None
    conn: Any = None
    status: str = "ok"
    reason: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    warmup: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    blocks: list[list[float]] = field(default_factory=list)
    skipped: list[list[int]] = field(default_factory=list)  # per block: fp16 skipped-step indices
    lead: list[float] = field(default_factory=list)
    samples_per_step: int = 0
    compiles_after_warmup: int | None = None
    compiles_end: int | None = None
    dyn_blocks: list[list[float]] = field(default_factory=list)
    dyn_compiled: list[list[int]] = field(default_factory=list)
    dyn_compiles: tuple[int | None, int | None] = (None, None)
    dyn_stopped: str | None = None
    counters_before_dynamic: dict[str, Any] = field(default_factory=dict)
    counters: dict[str, Any] = field(default_factory=dict)
    skipped_steps: int = 0
    max_batch: int | None = None
    # candidates only
    interval: stats.Interval | None = None
    look: stats.Look | None = None
    stopped: str | None = None
    warm_compile: float | None = None  # compile seconds from a filled cache (fresh process)
    flops: int | None = None  # FLOPs of one training step (baseline only)
    flops_error: str | None = None
    gradient_parity: GradientParity | None = None  # candidates (PyTorch) only

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def fail(self, reason: str, status: str = "failed") -> None:
        self.status, self.reason = status, reason


def _backend(name: str) -> Backend:
    from fitcheck.bench import backends

    return backends.backend_named(name)


def candidate_unavailable(backend: str, device: str) -> tuple[str | None, dict[str, str]]:
    """Why ``backend`` cannot run next to its baseline on ``device`` (None if it can),
    and the environment its worker needs (both from the backend's registry entry)."""
    b = _backend(backend)
    reason = b.unavailable(device, lambda dist: package_version(dist))
    return (reason, {}) if reason else (None, b.environment(device))


class Progress:
    """What the runner reports while it works; the default says nothing."""

    def start(self, backends: list[str]) -> None: ...

    def update(self, backend: str, text: str) -> None: ...

    def stop(self) -> None: ...


class RichProgress(Progress):
    """A live rich display: one line per backend with its phase, block and speedup."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress as RProgress
        from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = RProgress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<9}"),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[str, Any] = {}

    def start(self, backends: list[str]) -> None:
        self._progress.start()
        for b in backends:
            self._tasks[b] = self._progress.add_task(b, total=None, status="starting")

    def update(self, backend: str, text: str) -> None:
        if backend in self._tasks:
            self._progress.update(self._tasks[backend], status=text)

    def stop(self) -> None:
        self._progress.stop()


class WorkerPool:
    """The worker processes, one per backend, and the pipe protocol to them."""

    def __init__(self, cfg: BenchConfig, threads: int | None = None) -> None:
        self.ctx = mp.get_context("spawn")
        self.cfg_payload = {
            "model": cfg.model,
            "batch_size": cfg.batch_size,
            "size": cfg.size,
            "seed": cfg.seed,
            "precision": cfg.precision,
            "learning_rate": cfg.learning_rate,
            "threads": threads,
            "mode": cfg.mode,
            "compile_scope": cfg.compile_scope,
        }

    def start(self, b: BackendState, device: str, env: dict[str, str]) -> None:
        import os

        from fitcheck.bench.worker import worker_main

        parent, child = self.ctx.Pipe()
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # a spawned child copies the parent's environment at start
        try:
            proc = self.ctx.Process(
                target=worker_main,
                args=(child, _backend(b.name), self.cfg_payload, device),
                name=f"fitcheck-bench-{b.name}",
                daemon=True,
            )
            proc.start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        child.close()
        b.proc, b.conn = proc, parent

    @staticmethod
    def send(b: BackendState, cmd: str, **kw: Any) -> None:
        try:
            b.conn.send({"cmd": cmd, **kw})
        except (BrokenPipeError, OSError) as err:
            raise BackendFailure(f"worker is gone: {err}") from None

    @staticmethod
    def kill(b: BackendState) -> None:
        """Stop a worker that will not answer: terminate, then kill."""
        if b.proc is None or not b.proc.is_alive():
            return
        b.proc.terminate()
        b.proc.join(timeout=3)
        if b.proc.is_alive():
            b.proc.kill()
            b.proc.join(timeout=3)

    @classmethod
    def receive(cls, b: BackendState, timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not b.conn.poll(0.2):
            if not b.proc.is_alive():
                break
            if deadline is not None and time.monotonic() > deadline:
                cls.kill(b)
                raise BackendTimeout(f"no answer within {timeout:g} s (hung?); its worker was stopped")
        try:
            reply = b.conn.recv()
        except (EOFError, OSError):
            b.proc.join(timeout=5)
            code = b.proc.exitcode
            hint = " (killed: out of memory?)" if code == -9 else ""
            raise BackendFailure(f"worker process died with exit code {code}{hint}") from None
        if not reply.get("ok"):
            if reply.get("kind") == "input":
                raise InputError(reply["error"], Location(field="--model"))
            prefix = "out of memory: " if reply.get("kind") == "oom" else ""
            raise BackendFailure(prefix + reply["error"])
        return reply

    def call(self, b: BackendState, cmd: str, timeout: float | None = None, **kw: Any) -> dict[str, Any]:
        self.send(b, cmd, **kw)
        return self.receive(b, timeout)

    def stop(self, backends: list[BackendState], *, wait: float = 10.0) -> None:
        for b in backends:
            if b.proc is None:
                continue
            if b.proc.is_alive():
                try:
                    b.conn.send({"cmd": "stop"})
                except (BrokenPipeError, OSError):
                    pass
                b.proc.join(timeout=wait)
            self.kill(b)
            b.conn.close()


def _dynamic_sizes(cfg: BenchConfig, blocks: int) -> list[list[int]]:
    """Per-step sizes of an unpadded loader: uniform in [size/2, size], seeded, on the grid."""
    from fitcheck.bench.catalog import CATALOG

    assert cfg.size is not None
    spec = CATALOG.get(cfg.model)
    multiple = spec.size_multiple if spec else 1
    low = max(multiple, (cfg.size // 2) // multiple * multiple)
    grid = np.arange(low, cfg.size + 1, multiple)
    rng = np.random.default_rng(cfg.seed + 7)
    return [[int(s) for s in rng.choice(grid, size=cfg.block_steps)] for _ in range(blocks)]


@contextmanager
def _cold_inductor_cache(enabled: bool) -> Iterator[dict[str, str]]:
    """A fresh inductor cache folder, so compile time is what a fresh machine pays; always
    removed afterwards (also on failure, timeout or SIGINT / SIGTERM)."""
    if not enabled:
        yield {}
        return
    folder = tempfile.mkdtemp(prefix="fitcheck-inductor-")
    try:
        yield {"TORCHINDUCTOR_CACHE_DIR": folder}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _signals_end_the_run() -> Iterator[None]:
    """SIGTERM raises :class:`Interrupted` (SIGINT raises KeyboardInterrupt already), so the
    run unwinds, stops its workers, cleans up and returns the partial results."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Interrupted(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_bench(cfg: BenchConfig, progress: Progress | None = None) -> BenchResults:
    """Run the whole benchmark described by ``cfg`` and return its results.

    Raises InputError when the worker finds the user's model unusable. A backend that fails
    or hangs is recorded in the results, not raised; SIGINT / SIGTERM end the run early with
    the results so far (``interrupted`` true).
    """
    progress = progress or Progress()
    t_start = time.perf_counter()
    cpus = os.cpu_count()
    threads = cfg.threads or worker_threads(cpus, len(cfg.backends))
    pool = WorkerPool(cfg, threads)
    eager = BackendState(cfg.baseline)
    cands = [BackendState(name) for name in cfg.candidates]
    everyone = [eager, *cands]
    sampler = GpuSampler()
    sampler_on = False
    interrupted = False
    gpu: GpuUtilization | None = None
    max_batch: dict[str, Any] | None = None
    load_before = load_average()
    progress.start([b.name for b in everyone])
    try:
        with _signals_end_the_run(), _cold_inductor_cache(cfg.cold_compile_cache) as inductor_env:
            try:
                device = _start_workers(cfg, pool, eager, cands, progress, inductor_env)
                # NVML samples are taken inside the baseline's worker, around its timed steps
                # only, and come back with each block's reply (collected here)
                sampler_on = device == "cuda"
                _measure(cfg, pool, eager, cands, progress, sampler, device)
                gpu = _gpu_utilization(sampler) if sampler_on else None
                pool.stop(everyone)
                _measure_warm_compile(cfg, pool, cands, device, progress, inductor_env)
                max_batch = _find_max_batch(cfg, pool, everyone, device, progress, inductor_env)
            except (KeyboardInterrupt, Interrupted):
                interrupted = True
                for b in everyone:
                    if b.stopped is None and b is not eager:
                        b.stopped = "interrupted"
                    if b.dyn_blocks and b.dyn_stopped is None:
                        b.dyn_stopped = "interrupted"
                pool.stop(everyone, wait=0.5)
    finally:
        sampler.stop()
        pool.stop(everyone, wait=0.5 if interrupted else 10.0)
        progress.stop()
    load_after = load_average()
    interference = Interference(
        threads_per_worker=threads,
        load_before=load_before,
        load_after=load_after,
        load_changed=load_changed(load_before, load_after, cpus, threads),
    )
    return _results(
        cfg, eager, cands, gpu, max_batch, time.perf_counter() - t_start, interference, interrupted
    )


def _worker_env(cfg: BenchConfig, device: str) -> dict[str, str]:
    """One device per worker on CUDA: the chosen entry of ``CUDA_VISIBLE_DEVICES``."""
    quiet_tf = (
        {"TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"} if cfg.framework == "tensorflow" else {}
    )
    if device != "cuda":
        # a CPU run of TensorFlow must not probe CUDA (the probe logs an error on a GPU-less host)
        return {**quiet_tf, "CUDA_VISIBLE_DEVICES": ""} if quiet_tf else {}
    try:
        chosen = worker_visible_device(os.environ.get("CUDA_VISIBLE_DEVICES"), cfg.gpu)
    except ValueError as err:
        raise InputError(str(err), Location(field="--gpu")) from None
    return {"CUDA_VISIBLE_DEVICES": chosen, **quiet_tf}


def _start_workers(
    cfg: BenchConfig,
    pool: WorkerPool,
    eager: BackendState,
    cands: list[BackendState],
    progress: Progress,
    inductor_env: dict[str, str],
) -> str:
    """Start and set up every worker; the resolved device ("cpu", "cuda", ...)."""
    # the baseline first: it resolves the device the candidates must match
    asked = cfg.device if cfg.device != "auto" else "cpu"
    pool.start(eager, cfg.device, _worker_env(cfg, cfg.device))
    progress.update(cfg.baseline, "building the model")
    try:
        eager.info = pool.call(eager, "setup", timeout=cfg.warmup_timeout)
    except BackendFailure as err:
        eager.fail(str(err), "timed_out" if isinstance(err, BackendTimeout) else "failed")
    device = str(eager.info.get("device", asked))
    env_device = _worker_env(cfg, device)
    for c in cands:
        reason, env = candidate_unavailable(c.name, device)
        if reason:
            c.status, c.reason = "unavailable", reason
            progress.update(c.name, f"unavailable: {reason}")
            continue
        if _backend(c.name).uses_inductor_cache:
            env = {**env, **inductor_env}
        pool.start(c, device, {**env_device, **env})
        pool.send(c, "setup")
    for c in cands:
        if c.ok and c.proc is not None:
            progress.update(c.name, "building the model")
            try:
                c.info = pool.receive(c, cfg.warmup_timeout)
            except BackendFailure as err:
                c.fail(f"setup: {err}", "timed_out" if isinstance(err, BackendTimeout) else "failed")
    return device


def _run(
    pool: WorkerPool,
    b: BackendState,
    start: int,
    sizes: list[int | None],
    *,
    timeout: float,
    lead: int = 0,
) -> dict[str, Any] | None:
    """Run steps on ``b``; on failure or timeout mark it and return None."""
    try:
        return pool.call(b, "steps", timeout=timeout, start=start, sizes=sizes, lead=lead)
    except BackendTimeout as err:
        b.fail(str(err), "timed_out")
        return None
    except BackendFailure as err:
        b.fail(str(err))
        return None


def without_skipped_steps(
    baseline_blocks: list[list[float]],
    candidate_blocks: list[list[float]],
    baseline_skipped: list[list[int]],
    candidate_skipped: list[list[int]],
) -> tuple[list[list[float]], list[list[float]]]:
    """The paired blocks without the steps whose fp16 GradScaler skipped the optimizer step.

    A skipped step (inf/nan gradients, the scale drops) does no update and costs less than a
    real one, so it would flatter whichever side had it. The same step index is dropped on
    both sides (both ran the same batches), so each block stays like for like; a block left
    with no step on either side is dropped. ``*_skipped[i]`` are indices into block ``i``.
    """
    n = min(len(baseline_blocks), len(candidate_blocks))
    kept_b: list[list[float]] = []
    kept_c: list[list[float]] = []
    for i in range(n):
        drop = set(baseline_skipped[i] if i < len(baseline_skipped) else ())
        drop |= set(candidate_skipped[i] if i < len(candidate_skipped) else ())
        b = [t for j, t in enumerate(baseline_blocks[i]) if j not in drop]
        c = [t for j, t in enumerate(candidate_blocks[i]) if j not in drop]
        if b and c:
            kept_b.append(b)
            kept_c.append(c)
    return kept_b, kept_c


def _pairs(eager: BackendState, c: BackendState) -> tuple[list[list[float]], list[list[float]]]:
    """The paired steady blocks of the baseline and ``c``, skipped steps left out of both."""
    return without_skipped_steps(eager.blocks, c.blocks, eager.skipped, c.skipped)


def _look(cfg: BenchConfig, eager: BackendState, c: BackendState, elapsed: float) -> str | None:
    """Update ``c``'s headline interval and sequential look; the reason to stop, if any."""
    eb, cb = _pairs(eager, c)
    n = len(eb)
    c.interval = None
    if n >= cfg.min_blocks:
        c.interval = stats.paired_bootstrap_ratio(
            eb, cb, confidence=cfg.confidence, seed=cfg.seed, resamples=2000
        )
    c.look = stats.sequential_look(
        eb,
        cb,
        min_blocks=cfg.min_blocks,
        alpha=1.0 - cfg.decision_confidence,
        enable_above=cfg.enable_above,
        skip_below=cfg.skip_below,
    )
    return stats.stop_reason(
        c.interval,
        blocks=n,
        min_blocks=cfg.min_blocks,
        max_blocks=cfg.max_blocks,
        elapsed_seconds=elapsed,
        max_seconds=cfg.max_seconds,
        target_ci=cfg.target_ci,
        decision=c.look.decision if c.look is not None else None,
    )


def _measure(
    cfg: BenchConfig,
    pool: WorkerPool,
    eager: BackendState,
    cands: list[BackendState],
    progress: Progress,
    sampler: GpuSampler,
    device: str,
) -> None:
    live = [b for b in (eager, *cands) if b.ok and b.proc is not None]
    # warm-up: the first steps carry the compilation
    for b in live:
        progress.update(b.name, f"warm-up ({cfg.warmup_steps} steps, compiling)")
        out = _run(pool, b, 0, [cfg.size] * cfg.warmup_steps, timeout=cfg.warmup_timeout)
        if out is None:
            progress.update(b.name, f"{b.status}: {b.reason}")
            continue
        b.warmup, b.loss = out["seconds"], list(out["loss"])
        b.samples_per_step, b.compiles_after_warmup = out["samples_per_step"], out["compiles"]
        b.skipped_steps += out.get("skipped_steps", 0)
        _release(pool, b, device)
    if not eager.ok:
        return
    # steady state: interleaved blocks, decision-aware stopping per candidate
    active = [c for c in cands if c.ok and c.proc is not None]
    t0 = time.perf_counter()
    block = 0
    solo = not active  # no candidate left: still measure the baseline's steady state
    while eager.ok and (active or (solo and block < cfg.min_blocks)):
        order = [eager, *active]
        if block % 2:
            order.reverse()
        start = cfg.warmup_steps + block * (cfg.block_steps + LEAD_STEPS)
        for b in order:
            sizes = [cfg.size] * (cfg.block_steps + LEAD_STEPS)
            out = _run(pool, b, start, sizes, lead=LEAD_STEPS, timeout=cfg.block_timeout)
            if out is None:
                progress.update(b.name, f"{b.status}: {b.reason}")
                continue
            b.blocks.append(out["seconds"])
            b.skipped.append(list(out.get("skipped_indices", [])))
            b.lead.extend(out["lead_seconds"])
            b.loss.extend(out["loss"])
            b.compiles_end = out["compiles"]
            b.skipped_steps += out.get("skipped_steps", 0)
            if b is eager:
                sampler.utilization.extend(out.get("gpu_utilization", []))
                sampler.memory_used.extend(out.get("gpu_memory_used", []))
                sampler.errors[:] = out.get("gpu_errors", sampler.errors)
            _release(pool, b, device)
        block += 1
        elapsed = time.perf_counter() - t0
        for c in list(active):
            if not c.ok:
                c.stopped = "failed"
                active.remove(c)
                continue
            reason = _look(cfg, eager, c, elapsed)
            text = f"block {block}"
            if c.interval is not None:
                iv = c.interval
                text += f"  {iv.mid:.3f}x [{iv.low:.3f}, {iv.high:.3f}]"
            else:
                text += f"  {stats.throughput_ratio(*_pairs(eager, c)):.3f}x (no interval yet)"
            if reason:
                c.stopped = reason
                active.remove(c)
                text += f"  done ({reason.replace('_', ' ')})"
            progress.update(c.name, text)
        progress.update(eager.name, f"block {block}")
    if not eager.ok:
        for c in cands:
            if c.ok and c.stopped is None:
                c.stopped = "failed"
    if cfg.dynamic_shapes and eager.ok:
        _measure_dynamic(cfg, pool, eager, [c for c in cands if c.ok and c.proc is not None], progress)
    if eager.ok and eager.proc is not None:  # after every timed and parity step
        try:
            eager.flops = pool.call(eager, "flops", timeout=cfg.block_timeout, start=2_000_000)[
                "flops_per_step"
            ]
        except BackendFailure as err:
            eager.flops_error = f"FLOP count failed: {err}"
            if isinstance(err, BackendTimeout):
                eager.fail(str(err), "timed_out")
    for b in (eager, *cands):
        if b.ok and b.proc is not None:
            try:
                b.counters = pool.call(b, "stats", timeout=cfg.block_timeout)
            except BackendFailure as err:
                b.fail(f"stats: {err}", "timed_out" if isinstance(err, BackendTimeout) else "failed")
    if cfg.grad_parity:  # after the counters were read: the check compiles a fresh model
        for c in cands:
            _gradient_parity(cfg, pool, c, progress)


def _gradient_parity(cfg: BenchConfig, pool: WorkerPool, c: BackendState, progress: Progress) -> None:
    """Once per PyTorch candidate: its gradients and updated parameters after one step against
    an fp64 eager reference, in its own worker (a failure of the check is its verdict, not the
    backend's)."""
    from fitcheck.bench.backends.base import TorchBackend

    if not (c.ok and c.proc is not None and isinstance(_backend(c.name), TorchBackend)):
        return
    progress.update(c.name, "gradient parity against fp64 eager")
    try:
        reply = pool.call(c, "grad_parity", timeout=cfg.warmup_timeout)
    except BackendFailure as err:
        if isinstance(err, BackendTimeout):  # the worker was stopped: nothing more from it
            c.proc = None
        c.gradient_parity = GradientParity(
            verdict="no_verdict",
            precision=cfg.precision,
            tolerance=grad_check.DEFAULT_TOLERANCE.get(cfg.precision, grad_check.DEFAULT_TOLERANCE["fp32"]),
            method=grad_check.METHOD,
            reason=f"the check did not finish: {err}",
        )
        return
    reply.pop("ok", None)
    c.gradient_parity = GradientParity(**reply)


def _release(pool: WorkerPool, b: BackendState, device: str) -> None:
    """On CUDA, an idle worker gives its cached memory back while the others run."""
    if device != "cuda" or not b.ok:
        return
    try:
        pool.call(b, "release", timeout=60)
    except BackendFailure as err:
        b.fail(f"release: {err}")


def _measure_dynamic(
    cfg: BenchConfig, pool: WorkerPool, eager: BackendState, cands: list[BackendState], progress: Progress
) -> None:
    """Interleaved blocks whose size changes every step, bounded by ``--max-seconds``.

    Every step's time is kept, recompiles included; each reply says which steps compiled.
    """
    for b in (eager, *cands):
        try:
            b.counters_before_dynamic = pool.call(b, "stats", timeout=cfg.block_timeout)
        except BackendFailure as err:
            b.fail(f"stats: {err}", "timed_out" if isinstance(err, BackendTimeout) else "failed")
    plan = _dynamic_sizes(cfg, cfg.min_blocks)
    before = {b.name: b.compiles_end for b in (eager, *cands)}
    t0 = time.perf_counter()
    for i, sizes in enumerate(plan):
        if i and time.perf_counter() - t0 >= cfg.max_seconds:
            for b in (eager, *cands):
                b.dyn_stopped = b.dyn_stopped or "max_seconds"
            return
        order = [eager, *[c for c in cands if c.ok]]
        if i % 2:
            order.reverse()
        for b in order:
            progress.update(b.name, f"dynamic shapes: block {i + 1}/{len(plan)}")
            out = _run(pool, b, 1_000_000 + i * cfg.block_steps, list(sizes), timeout=cfg.warmup_timeout)
            if out is None:
                b.dyn_stopped = "failed"
                progress.update(b.name, f"{b.status} (dynamic shapes): {b.reason}")
                continue
            b.dyn_blocks.append(out["seconds"])
            b.dyn_compiled.append(list(out.get("compiled_steps", [])))
            b.dyn_compiles = (before[b.name], out["compiles"])
        if not eager.ok:
            return
    for b in (eager, *cands):
        b.dyn_stopped = b.dyn_stopped or "completed"


def _gpu_utilization(sampler: GpuSampler) -> GpuUtilization | None:
    if not sampler.utilization:
        if not sampler.errors:
            return None
        return GpuUtilization(
            mean=0.0, p5=0.0, p95=0.0, n=0, gpu_idle_in_loop=False, errors=list(sampler.errors)
        )
    u = stats.utilization_summary(sampler.utilization)
    return GpuUtilization(
        mean=u.mean,
        p5=u.p5,
        p95=u.p95,
        n=u.n,
        gpu_idle_in_loop=u.gpu_idle_in_loop,
        memory_used_bytes_max=max(sampler.memory_used) if sampler.memory_used else None,
        errors=list(sampler.errors),
    )


def _find_max_batch(
    cfg: BenchConfig,
    pool: WorkerPool,
    everyone: list[BackendState],
    device: str,
    progress: Progress,
    inductor_env: dict[str, str],
) -> dict[str, Any] | None:
    """Each backend in a fresh process of its own, the others stopped (so no other worker's
    cached memory counts against it)."""
    if not cfg.find_max_batch:
        return None
    if device != "cuda":
        return {"status": "unavailable", "reason": f"needs a GPU (the device is {device})"}
    out: dict[str, Any] = {"status": "ok", "limit": cfg.batch_size * 64, "max_batch_size": {}}
    for b in everyone:
        if not b.ok:
            continue
        progress.update(b.name, "searching the largest batch")
        fresh = BackendState(b.name)
        _, env = candidate_unavailable(b.name, device) if b.name != cfg.baseline else (None, {})
        if _backend(b.name).uses_inductor_cache:
            env = {**env, **inductor_env}
        try:
            pool.start(fresh, device, {**_worker_env(cfg, device), **env})
            pool.call(fresh, "setup", timeout=cfg.warmup_timeout)
            found = pool.call(fresh, "max_batch", timeout=cfg.warmup_timeout, limit=cfg.batch_size * 64)
            b.max_batch = found["max_batch_size"]
        except BackendFailure as err:
            b.max_batch = None
            out.setdefault("errors", {})[b.name] = str(err)
        finally:
            pool.stop([fresh])
        out["max_batch_size"][b.name] = b.max_batch
    return out


def _measure_warm_compile(
    cfg: BenchConfig,
    pool: WorkerPool,
    cands: list[BackendState],
    device: str,
    progress: Progress,
    inductor_env: dict[str, str],
) -> None:
    """Inductor's compile time again, in a fresh process that finds the cache the measured run
    filled (same cache folder): dynamo traces again, the FX graph and AOTAutograd caches hit."""
    if not cfg.warm_compile:
        return
    for c in cands:
        if not _backend(c.name).uses_inductor_cache or not c.ok:
            continue
        progress.update(c.name, "compiling again from a filled cache")
        fresh = BackendState(c.name)
        try:
            pool.start(fresh, device, {**_worker_env(cfg, device), **inductor_env})
            pool.call(fresh, "setup", timeout=cfg.warmup_timeout)
            warm = pool.call(
                fresh, "steps", timeout=cfg.warmup_timeout, start=0, sizes=[cfg.size] * cfg.warmup_steps
            )
            steady = pool.call(
                fresh,
                "steps",
                timeout=cfg.block_timeout,
                start=cfg.warmup_steps,
                sizes=[cfg.size] * (cfg.block_steps + LEAD_STEPS),
                lead=LEAD_STEPS,
            )
            typical = float(np.median(steady["seconds"]))
            c.warm_compile = max(0.0, sum(warm["seconds"]) - len(warm["seconds"]) * typical)
        except BackendFailure as err:
            progress.update(c.name, f"warm compile not measured: {err}")
        finally:
            pool.stop([fresh])


def _delta(pair: tuple[int | None, int | None]) -> int | None:
    a, b = pair
    return None if a is None or b is None else max(0, b - a)


def _finite_losses(values: list[float]) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values]


def _backend_result(cfg: BenchConfig, b: BackendState) -> BackendResult:
    steps = [s for blk in b.blocks for s in blk]  # raw, every timed step
    real, _ = without_skipped_steps(b.blocks, b.blocks, b.skipped, b.skipped)
    counted = [s for blk in real for s in blk]  # its fp16 skipped steps left out
    summary = stats.summarize(counted) if counted else None
    compile_s = None
    if summary is not None and b.warmup:
        compile_s = max(0.0, sum(b.warmup) - len(b.warmup) * summary.median)
    recompiles = None
    if b.compiles_after_warmup is not None and b.compiles_end is not None:
        recompiles = max(0, b.compiles_end - b.compiles_after_warmup)
    status = b.status if b.status in ("ok", "failed", "unavailable", "timed_out") else "failed"
    return BackendResult(
        status=status,  # type: ignore[arg-type]
        reason=b.reason,
        compile_seconds=compile_s,
        warmup_seconds=b.warmup,
        block_lead_seconds=b.lead,
        step_seconds=steps,
        steps_per_block=cfg.block_steps if steps else None,
        summary=StepSummary(**vars(summary)) if summary else None,
        samples_per_second=(b.samples_per_step / summary.median) if summary and b.samples_per_step else None,
        peak_memory_bytes=b.counters.get("peak_memory_bytes"),
        peak_memory_kind=b.counters.get("peak_memory_kind"),
        compiles=b.counters.get("compiles", b.compiles_end),
        recompiles=recompiles,
        graph_breaks=b.counters.get("graph_breaks"),
        skipped_steps=b.counters.get("skipped_steps"),
        threads=b.info.get("threads"),
        loss=_finite_losses(b.loss),
        blocks=len(b.blocks),
        max_batch_size=b.max_batch,
    )


def _interval(iv: stats.Interval | None) -> SpeedupInterval | None:
    return None if iv is None else SpeedupInterval(low=iv.low, mid=iv.mid, high=iv.high)


def dynamic_figures(
    baseline_blocks: list[list[float]],
    candidate_blocks: list[list[float]],
    baseline_compiled: list[list[int]],
    candidate_compiled: list[list[int]],
    *,
    confidence: float,
    seed: int,
) -> dict[str, Any]:
    """Recompile seconds, steady speedup and end-to-end ratio of a dynamic-shape phase.

    Steps are paired by position (both sides ran the same sizes). A step where either side
    compiled is a recompile step: it is left out of the steady figure, and the candidate's
    time on it beyond its median steady step is recompile time. The end-to-end ratio counts
    every step.
    """
    n = min(len(baseline_blocks), len(candidate_blocks))
    steady_b: list[list[float]] = []
    steady_c: list[list[float]] = []
    compile_steps: list[float] = []
    for i in range(n):
        skip = set(baseline_compiled[i] if i < len(baseline_compiled) else [])
        mine = set(candidate_compiled[i] if i < len(candidate_compiled) else [])
        pairs = list(zip(baseline_blocks[i], candidate_blocks[i], strict=False))
        kept = [(e, c) for j, (e, c) in enumerate(pairs) if j not in skip | mine]
        compile_steps.extend(c for j, (_, c) in enumerate(pairs) if j in mine)
        if kept:
            steady_b.append([e for e, _ in kept])
            steady_c.append([c for _, c in kept])
    steady_steps = [c for blk in steady_c for c in blk]
    recompile_s = None
    if steady_steps:
        typical = float(np.median(steady_steps))
        recompile_s = float(sum(max(0.0, t - typical) for t in compile_steps))
    steady = None
    if len(steady_b) >= MIN_INTERVAL_BLOCKS:
        steady = stats.paired_bootstrap_ratio(steady_b, steady_c, confidence=confidence, seed=seed)
    end_to_end = stats.throughput_ratio(baseline_blocks[:n], candidate_blocks[:n]) if n else None
    return {"recompile_seconds": recompile_s, "steady": steady, "end_to_end": end_to_end}


def _dynamic(cfg: BenchConfig, eager: BackendState, c: BackendState) -> DynamicResult | None:
    if not (cfg.dynamic_shapes and c.dyn_blocks and eager.dyn_blocks):
        return None
    n = min(len(eager.dyn_blocks), len(c.dyn_blocks))
    figs = dynamic_figures(
        eager.dyn_blocks,
        c.dyn_blocks,
        eager.dyn_compiled,
        c.dyn_compiled,
        confidence=cfg.confidence,
        seed=cfg.seed,
    )
    xla = None
    before_x, after_x = c.counters_before_dynamic.get("xla_compiles"), c.counters.get("xla_compiles")
    if before_x is not None and after_x is not None:
        xla = max(0, after_x - before_x)
    fallback = None
    if _backend(c.name).uses_dynamo:
        fallback = bool(c.counters.get("fallback") or c.counters_before_dynamic.get("fallback"))
    stopped = c.dyn_stopped or "completed"
    if not c.ok or not eager.ok:
        stopped = "failed" if stopped != "interrupted" else stopped
    sizes = [s for blk in _dynamic_sizes(cfg, n) for s in blk]
    return DynamicResult(
        blocks=n,
        steps=sum(len(blk) for blk in c.dyn_blocks[:n]),
        sizes=sizes,
        baseline_step_seconds=[s for blk in eager.dyn_blocks[:n] for s in blk],
        candidate_step_seconds=[s for blk in c.dyn_blocks[:n] for s in blk],
        candidate_compiled_steps=[
            i * cfg.block_steps + j for i, blk in enumerate(c.dyn_compiled[:n]) for j in blk
        ],
        recompiles=_delta(c.dyn_compiles),
        baseline_recompiles=_delta(eager.dyn_compiles),
        xla_compiles=xla,
        recompile_seconds=figs["recompile_seconds"],
        steady_speedup=_interval(figs["steady"]),
        end_to_end_ratio=figs["end_to_end"],
        fell_back_to_eager=fallback,
        stopped_because=stopped,  # type: ignore[arg-type]
    )


def _comparison(
    cfg: BenchConfig, eager: BackendState, c: BackendState, results: dict[str, BackendResult]
) -> Comparison:
    e_res, c_res = results[cfg.baseline], results[c.name]
    eb, cb = _pairs(eager, c)
    n = len(eb)
    both_ok = c.ok and eager.ok
    point = stats.throughput_ratio(eb, cb) if n else None
    headline = median = None
    if n >= 2:
        median = stats.median_ratio_speedup(eb, cb, confidence=cfg.confidence, seed=cfg.seed)
    if both_ok and n >= max(cfg.min_blocks, MIN_INTERVAL_BLOCKS):
        headline = stats.paired_bootstrap_ratio(eb, cb, confidence=cfg.confidence, seed=cfg.seed)
    if headline is not None:
        measurement = "interval"
    elif both_ok and n > 0:
        measurement = "insufficient"
    else:
        measurement = "failed"
    compile_s = compile_warm = None
    if c_res.compile_seconds is not None and e_res.compile_seconds is not None:
        compile_s = c_res.compile_seconds - e_res.compile_seconds
        if c.warm_compile is not None:
            compile_warm = c.warm_compile - e_res.compile_seconds
    mem = None
    if c_res.peak_memory_bytes and e_res.peak_memory_bytes:
        mem = c_res.peak_memory_bytes / e_res.peak_memory_bytes
    parity = None
    common = min(len(eager.loss), len(c.loss), cfg.parity_steps)
    if common:
        diff = stats.max_rel_diff(eager.loss[:common], c.loss[:common])
        parity = LossParity(
            max_rel_diff=diff if np.isfinite(diff) else None,
            tolerance=cfg.loss_tolerance,
            ok=bool(np.isfinite(diff) and diff <= cfg.loss_tolerance),
            steps_compared=common,
            method="largest relative difference of the per-step losses over the same seeded batches",
        )
    sequential = None
    if c.look is not None:
        sequential = SequentialInterval(
            method=stats.SEQUENTIAL_METHOD,
            confidence=cfg.decision_confidence,
            low=max(c.look.interval.low, 1e-9),
            high=min(c.look.interval.high, 1e6),
            looks=c.look.look,
            enable_above=cfg.enable_above,
            skip_below=cfg.skip_below,
            decision=c.look.decision or "undecided",
        )
    if both_ok:
        stopped = c.stopped or "max_blocks"
    else:
        stopped = "interrupted" if c.stopped == "interrupted" else "failed"
    return Comparison(
        baseline=cfg.baseline,
        candidate=c.name,
        compiler=_backend(c.name).compiler,  # type: ignore[arg-type]
        measurement=measurement,  # type: ignore[arg-type]
        speedup=_interval(headline),
        speedup_basis=HEADLINE_BASIS,
        point_estimate=point,
        median_speedup=_interval(median),
        sequential=sequential,
        confidence=cfg.confidence,
        blocks=n,
        steps=sum(len(blk) for blk in cb),
        compile_seconds=compile_s,
        compile_seconds_warm=compile_warm,
        memory_ratio=mem,
        loss_parity=parity,
        gradient_parity=c.gradient_parity,
        recompiles=c_res.recompiles,
        stopped_because=stopped,  # type: ignore[arg-type]
        dynamic=_dynamic(cfg, eager, c),
    )


def _ceiling(cfg: BenchConfig, eager: BackendState, host: Host, median: float | None) -> Ceiling | None:
    """MFU of the baseline's step against the accelerator's peak, and the ceiling it implies."""
    from fitcheck.bench.ceiling import load_peaks, match_peak, peak_for, utilisation

    if not eager.flops or not median:
        return None
    peak = match_peak(host.device_name, load_peaks()) if host.device == "cuda" else None
    peak_tflops = peak_for(peak, cfg.precision, host.tf32_matmul) if peak else None
    u = utilisation(eager.flops, median, peak_tflops)
    note = None
    if host.device != "cuda":
        note = f"no accelerator peak for device {host.device!r}: MFU and the ceiling need a GPU"
    elif peak is None:
        note = f"{host.device_name!r} is not in the peak table"
    elif peak_tflops is None:
        note = f"no tensor-core peak for {cfg.precision} on {peak.accelerator} (fp32 without TF32)"
    elif peak.note:
        note = peak.note
    return Ceiling(
        flops_per_step=float(eager.flops),
        achieved_tflops=u.achieved_tflops,
        accelerator=peak.accelerator if peak else None,
        peak_tflops=peak_tflops,
        peak_source=peak.source if peak else None,
        mfu=u.mfu,
        speedup_ceiling=u.speedup_ceiling,
        note=note,
    )


def _results(
    cfg: BenchConfig,
    eager: BackendState,
    cands: list[BackendState],
    gpu: GpuUtilization | None,
    max_batch: dict[str, Any] | None,
    elapsed: float,
    interference: Interference,
    interrupted: bool,
) -> BenchResults:
    backends = {b.name: _backend_result(cfg, b) for b in (eager, *cands)}
    comparisons = [_comparison(cfg, eager, c, backends) for c in cands if c.status != "unavailable"]
    host = Host(**host_facts(eager.info))
    summary = backends[cfg.baseline].summary
    return BenchResults(
        kind=RESULTS_KIND,
        format_version=FORMAT_VERSION,
        fitcheck_version=__version__,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        workload=cfg.workload,
        model=cfg.model,
        host=host,
        config=cfg.to_json(),
        backends=backends,
        comparisons=comparisons,
        gpu_utilization=gpu,
        interference=interference,
        ceiling=_ceiling(cfg, eager, host, summary.median if summary else None),
        find_max_batch=max_batch,
        elapsed_seconds=elapsed,
        interrupted=interrupted,
    )
