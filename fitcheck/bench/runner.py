"""Orchestration of a paired benchmark: worker processes, interleaved blocks, adaptive stopping.

The parent process never imports torch. It starts one worker per backend, warms each up
(the compile), then runs rounds of interleaved blocks (eager, candidate, …, with the order
rotated every round) until every candidate's speedup interval is narrow enough or the time
runs out. A backend that fails is recorded as failed; every other result is kept.
"""

from __future__ import annotations

import multiprocessing as mp
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from fitcheck import __version__
from fitcheck.bench import stats
from fitcheck.bench.config import BASELINE, BenchConfig
from fitcheck.bench.host import GpuSampler, host_facts, package_version
from fitcheck.bench.results import (
    BackendResult,
    BenchResults,
    Comparison,
    DynamicResult,
    GpuUtilization,
    Host,
    LossParity,
    SpeedupModel,
    SummaryModel,
)
from fitcheck.errors import InputError, Location

COMPILERS = {"inductor": "torch.compile", "openxla": "torch.compile", "xla": "torch-xla"}
XLA_CUDA_REMOVED = (2, 8)
# Untimed-into-the-sample steps that open each steady block (their times are kept apart).
LEAD_STEPS = 1


class BackendFailure(Exception):
    """A backend's worker reported an error or died."""


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
    lead: list[float] = field(default_factory=list)
    samples_per_step: int = 0
    compiles_after_warmup: int | None = None
    compiles_end: int | None = None
    dyn_blocks: list[list[float]] = field(default_factory=list)
    dyn_compiles: tuple[int | None, int | None] = (None, None)
    counters: dict[str, Any] = field(default_factory=dict)
    max_batch: int | None = None
    # candidates only
    interval: stats.Interval | None = None
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def fail(self, reason: str) -> None:
        self.status, self.reason = "failed", reason


def _version_tuple(text: str | None) -> tuple[int, ...]:
    out: list[int] = []
    for part in (text or "").split("+")[0].split("."):
        if not part.isdigit():
            break
        out.append(int(part))
    return tuple(out)


def candidate_unavailable(backend: str, device: str) -> tuple[str | None, dict[str, str]]:
    """Why ``backend`` cannot run next to an eager baseline on ``device`` (None if it can),
    and the environment its worker needs."""
    if backend == "inductor":
        if _version_tuple(package_version("torch")) < (2, 0):
            return "torch.compile needs torch >= 2.0", {}
        return None, {}
    xla_version = package_version("torch-xla") or package_version("torch_xla")
    if xla_version is None:
        return "torch-xla is not installed (pip install 'fitcheck[xla]')", {}
    if device == "cuda":
        if _version_tuple(xla_version) >= XLA_CUDA_REMOVED:
            return (
                f"XLA:CUDA was removed in torch-xla >= 2.8 (installed {xla_version}); "
                "this build runs XLA on CPU and TPU only",
                {},
            )
        return None, {"PJRT_DEVICE": "CUDA"}
    if device == "cpu":
        return None, {"PJRT_DEVICE": "CPU"}
    return f"no XLA device for {device!r}", {}


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

    def __init__(self, cfg: BenchConfig) -> None:
        self.ctx = mp.get_context("spawn")
        self.cfg_payload = {
            "model": cfg.model,
            "batch_size": cfg.batch_size,
            "size": cfg.size,
            "seed": cfg.seed,
            "precision": cfg.precision,
            "learning_rate": cfg.learning_rate,
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
                args=(child, b.name, self.cfg_payload, device),
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
    def receive(b: BackendState) -> dict[str, Any]:
        while not b.conn.poll(0.2):
            if not b.proc.is_alive():
                break
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

    def call(self, b: BackendState, cmd: str, **kw: Any) -> dict[str, Any]:
        self.send(b, cmd, **kw)
        return self.receive(b)

    def stop(self, backends: list[BackendState]) -> None:
        for b in backends:
            if b.proc is None:
                continue
            if b.proc.is_alive():
                try:
                    b.conn.send({"cmd": "stop"})
                except (BrokenPipeError, OSError):
                    pass
                b.proc.join(timeout=10)
            if b.proc.is_alive():
                b.proc.terminate()
                b.proc.join(timeout=5)
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
    """A fresh inductor cache folder, so compile time is what a fresh machine pays."""
    if not enabled:
        yield {}
        return
    folder = tempfile.mkdtemp(prefix="fitcheck-inductor-")
    try:
        yield {"TORCHINDUCTOR_CACHE_DIR": folder}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_bench(cfg: BenchConfig, progress: Progress | None = None) -> BenchResults:
    """Run the whole benchmark described by ``cfg`` and return its results.

    Raises InputError when the worker finds the user's model unusable. A backend that fails
    is recorded in the results, not raised.
    """
    progress = progress or Progress()
    t_start = time.perf_counter()
    pool = WorkerPool(cfg)
    eager = BackendState(BASELINE)
    cands = [BackendState(name) for name in cfg.candidates]
    everyone = [eager, *cands]
    sampler = GpuSampler()
    sampler_on = False
    progress.start([b.name for b in everyone])
    try:
        with _cold_inductor_cache(cfg.cold_compile_cache) as inductor_env:
            # the baseline first: it resolves the device the candidates must match
            pool.start(eager, cfg.device, {})
            progress.update(BASELINE, "building the model")
            try:
                eager.info = pool.call(eager, "setup")
            except BackendFailure as err:
                eager.fail(str(err))
            device = eager.info.get("device", cfg.device if cfg.device != "auto" else "cpu")
            for c in cands:
                reason, env = candidate_unavailable(c.name, device)
                if reason:
                    c.status, c.reason = "unavailable", reason
                    progress.update(c.name, f"unavailable: {reason}")
                    continue
                if c.name == "inductor":
                    env = {**env, **inductor_env}
                pool.start(c, device, env)
                pool.send(c, "setup")
            for c in cands:
                if c.ok and c.proc is not None:
                    progress.update(c.name, "building the model")
                    try:
                        c.info = pool.receive(c)
                    except BackendFailure as err:
                        c.fail(f"setup: {err}")
            if device == "cuda":
                sampler_on = sampler.start()
            _measure(cfg, pool, eager, cands, progress, sampler)
            gpu = _gpu_utilization(sampler) if sampler_on else None
            max_batch = _find_max_batch(cfg, pool, everyone, device, progress)
    finally:
        sampler.stop()
        pool.stop(everyone)
        progress.stop()
    return _results(cfg, eager, cands, gpu, max_batch, time.perf_counter() - t_start)


def _run(
    pool: WorkerPool, b: BackendState, start: int, sizes: list[int | None], lead: int = 0
) -> dict[str, Any] | None:
    """Run steps on ``b``; on failure mark it failed and return None."""
    try:
        return pool.call(b, "steps", start=start, sizes=sizes, lead=lead)
    except BackendFailure as err:
        b.fail(str(err))
        return None


def _measure(
    cfg: BenchConfig,
    pool: WorkerPool,
    eager: BackendState,
    cands: list[BackendState],
    progress: Progress,
    sampler: GpuSampler,
) -> None:
    live = [b for b in (eager, *cands) if b.ok and b.proc is not None]
    # warm-up: the first steps carry the compilation
    for b in live:
        progress.update(b.name, f"warm-up ({cfg.warmup_steps} steps, compiling)")
        out = _run(pool, b, 0, [cfg.size] * cfg.warmup_steps)
        if out is None:
            progress.update(b.name, f"failed: {b.reason}")
            continue
        b.warmup, b.loss = out["seconds"], list(out["loss"])
        b.samples_per_step, b.compiles_after_warmup = out["samples_per_step"], out["compiles"]
    if not eager.ok:
        return
    # steady state: interleaved blocks, adaptive stopping per candidate
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
            sampler.active = b is eager
            sizes = [cfg.size] * (cfg.block_steps + LEAD_STEPS)
            out = _run(pool, b, start, sizes, lead=LEAD_STEPS)
            sampler.active = False
            if out is None:
                progress.update(b.name, f"failed: {b.reason}")
                continue
            b.blocks.append(out["seconds"])
            b.lead.extend(out["lead_seconds"])
            b.loss.extend(out["loss"])
            b.compiles_end = out["compiles"]
        block += 1
        elapsed = time.perf_counter() - t0
        for c in list(active):
            if not c.ok:
                c.stopped = "failed"
                active.remove(c)
                continue
            c.interval = stats.paired_bootstrap_speedup(
                eager.blocks, c.blocks, confidence=cfg.confidence, seed=cfg.seed
            )
            reason = stats.stop_reason(
                c.interval if block >= 2 else None,
                blocks=block,
                min_blocks=cfg.min_blocks,
                max_blocks=cfg.max_blocks,
                elapsed_seconds=elapsed,
                max_seconds=cfg.max_seconds,
                target_ci=cfg.target_ci,
            )
            iv = c.interval
            text = f"block {block}  {iv.mid:.3f}x [{iv.low:.3f}, {iv.high:.3f}]"
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
        _measure_dynamic(cfg, pool, eager, [c for c in cands if c.ok], progress)
    for b in (eager, *cands):
        if b.ok and b.proc is not None:
            try:
                b.counters = pool.call(b, "stats")
            except BackendFailure as err:
                b.fail(f"stats: {err}")


def _measure_dynamic(
    cfg: BenchConfig, pool: WorkerPool, eager: BackendState, cands: list[BackendState], progress: Progress
) -> None:
    """Interleaved blocks whose size changes every step; recompiles count against the speed."""
    plan = _dynamic_sizes(cfg, cfg.min_blocks)
    before = {b.name: b.compiles_end for b in (eager, *cands)}
    for i, sizes in enumerate(plan):
        order = [eager, *[c for c in cands if c.ok]]
        if i % 2:
            order.reverse()
        for b in order:
            progress.update(b.name, f"dynamic shapes: block {i + 1}/{len(plan)}")
            out = _run(pool, b, 1_000_000 + i * cfg.block_steps, list(sizes))
            if out is None:
                progress.update(b.name, f"failed (dynamic shapes): {b.reason}")
                continue
            b.dyn_blocks.append(out["seconds"])
            b.dyn_compiles = (before[b.name], out["compiles"])
        if not eager.ok:
            return


def _gpu_utilization(sampler: GpuSampler) -> GpuUtilization | None:
    if not sampler.utilization:
        return None
    u = stats.utilization_summary(sampler.utilization)
    return GpuUtilization(
        mean=u.mean,
        p5=u.p5,
        p95=u.p95,
        n=u.n,
        input_bound=u.input_bound,
        memory_used_bytes_max=max(sampler.memory_used) if sampler.memory_used else None,
    )


def _find_max_batch(
    cfg: BenchConfig, pool: WorkerPool, everyone: list[BackendState], device: str, progress: Progress
) -> dict[str, Any] | None:
    if not cfg.find_max_batch:
        return None
    if device != "cuda":
        return {"status": "unavailable", "reason": f"needs a GPU (the device is {device})"}
    out: dict[str, Any] = {"status": "ok", "limit": cfg.batch_size * 64, "max_batch_size": {}}
    for b in everyone:
        if not b.ok or b.proc is None:
            continue
        progress.update(b.name, "searching the largest batch")
        try:
            b.max_batch = pool.call(b, "max_batch", limit=cfg.batch_size * 64)["max_batch_size"]
        except BackendFailure as err:
            b.max_batch = None
            out.setdefault("errors", {})[b.name] = str(err)
        out["max_batch_size"][b.name] = b.max_batch
    return out


def _delta(pair: tuple[int | None, int | None]) -> int | None:
    a, b = pair
    return None if a is None or b is None else b - a


def _backend_result(cfg: BenchConfig, b: BackendState) -> BackendResult:
    steps = [s for blk in b.blocks for s in blk]
    summary = stats.summarize(steps) if steps else None
    compile_s = None
    if summary is not None and b.warmup:
        compile_s = max(0.0, sum(b.warmup) - len(b.warmup) * summary.median)
    recompiles = None
    if b.compiles_after_warmup is not None and b.compiles_end is not None:
        recompiles = b.compiles_end - b.compiles_after_warmup
    return BackendResult(
        status=b.status,  # type: ignore[arg-type]
        reason=b.reason,
        compile_seconds=compile_s,
        warmup_seconds=b.warmup,
        block_lead_seconds=b.lead,
        step_seconds=steps,
        summary=SummaryModel(**vars(summary)) if summary else None,
        samples_per_second=(b.samples_per_step / summary.median) if summary else None,
        peak_memory_bytes=b.counters.get("peak_memory_bytes"),
        peak_memory_kind=b.counters.get("peak_memory_kind"),
        compiles=b.counters.get("compiles", b.compiles_end),
        recompiles=recompiles,
        graph_breaks=b.counters.get("graph_breaks"),
        loss=b.loss,
        blocks=len(b.blocks),
        max_batch_size=b.max_batch,
    )


def _comparison(
    cfg: BenchConfig, eager: BackendState, c: BackendState, results: dict[str, BackendResult]
) -> Comparison:
    e_res, c_res = results[BASELINE], results[c.name]
    n = min(len(eager.blocks), len(c.blocks))
    speedup = None
    if c.ok and n >= 1 and eager.ok:
        iv = stats.paired_bootstrap_speedup(eager.blocks, c.blocks, confidence=cfg.confidence, seed=cfg.seed)
        speedup = SpeedupModel(low=iv.low, mid=iv.mid, high=iv.high)
    compile_s = None
    if c_res.compile_seconds is not None and e_res.compile_seconds is not None:
        compile_s = c_res.compile_seconds - e_res.compile_seconds
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
        )
    dynamic = None
    if cfg.dynamic_shapes and c.dyn_blocks and eager.dyn_blocks:
        iv = stats.paired_bootstrap_speedup(
            eager.dyn_blocks, c.dyn_blocks, confidence=cfg.confidence, seed=cfg.seed
        )
        dynamic = DynamicResult(
            speedup=SpeedupModel(low=iv.low, mid=iv.mid, high=iv.high),
            recompiles=_delta(c.dyn_compiles),
            blocks=min(len(eager.dyn_blocks), len(c.dyn_blocks)),
            steps=sum(len(blk) for blk in c.dyn_blocks),
            sizes=[s for blk in _dynamic_sizes(cfg, cfg.min_blocks) for s in blk],
            baseline_step_seconds=[s for blk in eager.dyn_blocks for s in blk],
            candidate_step_seconds=[s for blk in c.dyn_blocks for s in blk],
        )
    stopped = c.stopped if c.ok and c.stopped else "failed"
    return Comparison(
        baseline=BASELINE,
        candidate=c.name,
        compiler=COMPILERS[c.name],  # type: ignore[arg-type]
        speedup=speedup,
        confidence=cfg.confidence,
        blocks=n,
        steps=n * cfg.block_steps,
        compile_seconds=compile_s,
        memory_ratio=mem,
        loss_parity=parity,
        recompiles=c_res.recompiles,
        stopped_because=stopped,  # type: ignore[arg-type]
        dynamic=dynamic,
    )


def _results(
    cfg: BenchConfig,
    eager: BackendState,
    cands: list[BackendState],
    gpu: GpuUtilization | None,
    max_batch: dict[str, Any] | None,
    elapsed: float,
) -> BenchResults:
    backends = {b.name: _backend_result(cfg, b) for b in (eager, *cands)}
    comparisons = [_comparison(cfg, eager, c, backends) for c in cands if c.status != "unavailable"]
    return BenchResults(
        fitcheck_version=__version__,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        workload=cfg.workload,
        model=cfg.model,
        host=Host(**host_facts(eager.info)),
        config=cfg.to_json(),
        backends=backends,
        comparisons=comparisons,
        gpu_utilization=gpu,
        find_max_batch=max_batch,
        elapsed_seconds=elapsed,
    )
