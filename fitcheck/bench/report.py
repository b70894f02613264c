"""Plain-text summary of a results file for the terminal (torch-free)."""

from __future__ import annotations

from fitcheck.bench.results import BenchResults


def _speed(low: float, mid: float, high: float) -> str:
    return f"{mid:.3f}x [{low:.3f}, {high:.3f}]"


def render_summary(results: BenchResults) -> str:
    """One line per backend and per comparison."""
    lines = [f"{results.model} on {results.host.device} ({results.host.device_name})"]
    for name, b in results.backends.items():
        if b.status != "ok":
            lines.append(f"  {name:<9} {b.status}: {b.reason}")
            continue
        med = f"{b.summary.median * 1e3:.2f} ms/step" if b.summary else "no steady steps"
        sps = f"{b.samples_per_second:.1f} samples/s" if b.samples_per_second else ""
        comp = f"compile {b.compile_seconds:.2f} s" if b.compile_seconds is not None else ""
        lines.append(f"  {name:<9} {med}  {sps}  {comp}".rstrip())
    for c in results.comparisons:
        head = f"  {c.candidate} vs {c.baseline}:"
        if c.speedup is None:
            lines.append(f"{head} no speedup ({c.stopped_because})")
            continue
        parity = ""
        if c.loss_parity is not None:
            verdict = "ok" if c.loss_parity.ok else "DIVERGES"
            diff = c.loss_parity.max_rel_diff
            shown = "n/a" if diff is None else f"{diff:.2e}"
            parity = f", loss parity {verdict} ({shown} <= {c.loss_parity.tolerance:g}?)"
        lines.append(
            f"{head} speedup {_speed(c.speedup.low, c.speedup.mid, c.speedup.high)} "
            f"over {c.blocks} blocks, stopped: {c.stopped_because}{parity}"
        )
        if c.dynamic is not None and c.dynamic.speedup is not None:
            d = c.dynamic.speedup
            lines.append(
                f"    dynamic shapes: speedup {_speed(d.low, d.mid, d.high)}, "
                f"{c.dynamic.recompiles} recompiles"
            )
    if results.gpu_utilization is not None:
        g = results.gpu_utilization
        bound = " (looks input-bound)" if g.input_bound else ""
        lines.append(f"  GPU utilisation (eager): mean {g.mean:.0f} %, p95 {g.p95:.0f} %{bound}")
    if results.find_max_batch is not None:
        lines.append(f"  largest batch: {results.find_max_batch}")
    return "\n".join(lines)
