"""Plain-text summary of a results file for the terminal (torch-free)."""

from __future__ import annotations

import unicodedata

from fitcheck.core.benchresult import BenchResults, Comparison, GradientParity


def _inert(text: str) -> str:
    """Drop control characters (escape sequences from a user's error text) except newlines."""
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")


def _speed(low: float, mid: float, high: float) -> str:
    return f"{mid:.3f}x [{low:.3f}, {high:.3f}]"


def _headline(c: Comparison) -> str:
    if c.speedup is not None:
        return f"speedup {_speed(c.speedup.low, c.speedup.mid, c.speedup.high)} (throughput ratio)"
    point = f"{c.point_estimate:.3f}x" if c.point_estimate is not None else "none"
    if c.measurement == "insufficient":
        return f"insufficient: {c.blocks} blocks, no interval (point estimate {point})"
    if c.measurement == "single-run":
        return f"single run: {point}, no interval"
    return "no speedup"


_GRAD_VERDICT = {"pass": "ok", "fail": "FAILS", "no_verdict": "no verdict"}


def _gradient(g: GradientParity) -> str:
    """The gradient-parity details, for the line under the comparison."""
    if g.verdict == "no_verdict":
        return f"    gradient parity: no verdict ({g.reason})"
    line = (
        f"    gradient parity vs an fp64 eager reference: {_GRAD_VERDICT[g.verdict]}, "
        f"{g.tensors_failed} of {g.tensors_compared} tensors off "
        f"({', '.join(g.compared)}; tol {g.tolerance:g})"
    )
    if g.worst_tensor is not None:
        line += f"; worst {g.worst_tensor}"
        if g.worst_candidate_rmse is not None and g.worst_eager_rmse is not None and g.multiplier:
            line += (
                f": rmse {g.worst_candidate_rmse:.2e} vs {g.multiplier:g} x eager's {g.worst_eager_rmse:.2e}"
            )
    return line


def render_summary(results: BenchResults) -> str:
    """One line per backend and per comparison."""
    lines = [f"{results.model} on {results.host.device} ({results.host.device_name})"]
    if results.interrupted:
        lines.append("  INTERRUPTED: partial results")
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
        if c.measurement == "failed":
            lines.append(f"{head} no speedup ({c.stopped_because})")
            continue
        parity = ""
        if c.loss_parity is not None:
            verdict = "ok" if c.loss_parity.ok else "DIVERGES"
            diff = c.loss_parity.max_rel_diff
            shown = "n/a" if diff is None else f"{diff:.2e}"
            parity = f", loss parity {verdict} ({shown} <= {c.loss_parity.tolerance:g}?)"
        if c.gradient_parity is not None:
            parity += f", gradient parity {_GRAD_VERDICT[c.gradient_parity.verdict]}"
        lines.append(f"{head} {_headline(c)} over {c.blocks} blocks, stopped: {c.stopped_because}{parity}")
        if c.gradient_parity is not None:
            lines.append(_gradient(c.gradient_parity))
        if c.compile_seconds is not None and c.compile_seconds_warm is not None:
            lines.append(
                f"    compile: {c.compile_seconds:.1f} s cold, "
                f"{c.compile_seconds_warm:.1f} s from a filled cache"
            )
        if c.median_speedup is not None:
            m = c.median_speedup
            lines.append(f"    diagnostic (median-based, not the headline): {_speed(m.low, m.mid, m.high)}")
        if c.sequential is not None:
            s = c.sequential
            lines.append(
                f"    decision interval ({s.confidence:.0%}, valid at every look): "
                f"[{s.low:.3f}, {s.high:.3f}] vs skip < {s.skip_below:.2f}x / enable >= "
                f"{s.enable_above:.2f}x: {s.decision}"
            )
        d = c.dynamic
        if d is not None:
            steady = (
                _speed(d.steady_speedup.low, d.steady_speedup.mid, d.steady_speedup.high)
                if (d.steady_speedup)
                else "n/a (too few steady blocks)"
            )
            e2e = f"{d.end_to_end_ratio:.3f}x" if d.end_to_end_ratio is not None else "n/a"
            rs = f"{d.recompile_seconds:.2f} s" if d.recompile_seconds is not None else "n/a"
            fb = ", FELL BACK TO EAGER (recompile limit)" if d.fell_back_to_eager else ""
            lines.append(
                f"    dynamic shapes: end-to-end {e2e} incl. {d.recompiles} recompiles ({rs}); "
                f"steady {steady}{fb}"
            )
    if results.ceiling is not None:
        ce = results.ceiling
        line = f"  eager step: {ce.flops_per_step / 1e9:.2f} GFLOP, {ce.achieved_tflops:.3f} TFLOP/s achieved"
        if ce.mfu is not None and ce.speedup_ceiling is not None:
            line += f", MFU {ce.mfu:.1%} of {ce.peak_tflops:g} ({ce.accelerator})"
            line += f": ceiling {ce.speedup_ceiling:.2f}x"
        lines.append(line + (f" ({ce.note})" if ce.note else ""))
    if results.gpu_utilization is not None:
        g = results.gpu_utilization
        idle = " (GPU idle in this synthetic loop)" if g.gpu_idle_in_loop else ""
        lines.append(f"  GPU utilisation (eager): mean {g.mean:.0f} %, p95 {g.p95:.0f} %{idle}")
        for err in g.errors:
            lines.append(f"  NVML: {err}")
    if results.interference is not None and results.interference.load_changed:
        i = results.interference
        lines.append(f"  WARNING: machine load changed during the run ({i.load_before} -> {i.load_after})")
    if results.find_max_batch is not None:
        lines.append(f"  largest batch: {results.find_max_batch}")
    return _inert("\n".join(lines))
