"""Statistics of a paired benchmark: pure numpy, seeded, deterministic.

A benchmark is a list of *blocks*. In block ``i`` the baseline ran a few steps, then the
candidate ran the same number of steps (or the other way round), so block ``i`` of both
sides saw the same machine state. The speedup interval comes from a paired bootstrap over
blocks: resampling whole block pairs keeps that pairing, so slow drift of the machine
shows up as width, not as bias.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

StopReason = Literal["target_ci", "max_seconds", "max_blocks"]


@dataclass(frozen=True)
class Summary:
    """Robust summary of raw step times (seconds)."""

    median: float
    p25: float
    p75: float
    mean: float
    stdev: float
    n: int


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided confidence interval."""

    low: float
    mid: float
    high: float

    @property
    def relative_half_width(self) -> float:
        """Half the interval's width as a fraction of the point estimate."""
        if self.mid == 0:
            return float("inf")
        return (self.high - self.low) / 2.0 / abs(self.mid)


@dataclass(frozen=True)
class Utilization:
    """GPU utilisation samples (percent) condensed into the figures a reader acts on."""

    mean: float
    p5: float
    p95: float
    n: int
    input_bound: bool


def summarize(samples: Sequence[float]) -> Summary:
    """Median, quartiles, mean, sample standard deviation and count of ``samples``."""
    arr = np.asarray(samples, dtype=float)
    if arr.size == 0:
        raise ValueError("no samples to summarize")
    p25, median, p75 = np.percentile(arr, [25, 50, 75])
    stdev = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    return Summary(
        median=float(median),
        p25=float(p25),
        p75=float(p75),
        mean=float(arr.mean()),
        stdev=stdev,
        n=int(arr.size),
    )


def block_statistic(block: Sequence[float]) -> float:
    """The time one block stands for: the median of its step times (robust to one hiccup)."""
    return float(np.median(np.asarray(block, dtype=float)))


TRIM = 0.2  # fraction of block ratios cut from each end before averaging


def _trimmed_mean(values: np.ndarray, trim: float = TRIM) -> np.ndarray:
    """Mean along the last axis after cutting ``trim`` of the values from each end."""
    n = values.shape[-1]
    k = int(np.floor(n * trim))
    ordered = np.sort(values, axis=-1)
    return ordered[..., k : n - k].mean(axis=-1)


def paired_bootstrap_speedup(
    baseline_blocks: Sequence[Sequence[float]],
    candidate_blocks: Sequence[Sequence[float]],
    *,
    confidence: float = 0.95,
    resamples: int = 4000,
    seed: int = 0,
) -> Interval:
    """Speedup of the candidate over the baseline with a paired-bootstrap percentile interval.

    Each block is reduced to its median step time; block ``i`` gives the throughput ratio
    ``baseline_i / candidate_i`` (> 1 means the candidate is faster). The speedup is the
    geometric mean of those ratios after trimming the 20 % most extreme on each side, so a
    block that a neighbouring process slowed down cannot swing the result. Resampling draws
    whole block pairs, over the first ``n`` blocks both sides have.
    """
    n = min(len(baseline_blocks), len(candidate_blocks))
    if n == 0:
        raise ValueError("no paired blocks")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    base = np.array([block_statistic(b) for b in baseline_blocks[:n]])
    cand = np.array([block_statistic(c) for c in candidate_blocks[:n]])
    if np.any(base <= 0) or np.any(cand <= 0):
        raise ValueError("step times must be positive")
    log_ratio = np.log(base / cand)
    mid = float(np.exp(_trimmed_mean(log_ratio)))
    if n == 1:
        return Interval(low=mid, mid=mid, high=mid)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    boot = np.exp(_trimmed_mean(log_ratio[idx]))
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(boot, [alpha, 1.0 - alpha])
    return Interval(low=float(low), mid=mid, high=float(high))


def stop_reason(
    interval: Interval | None,
    *,
    blocks: int,
    min_blocks: int,
    max_blocks: int,
    elapsed_seconds: float,
    max_seconds: float,
    target_ci: float,
) -> StopReason | None:
    """Whether adaptive stopping ends the measurement now, and why; ``None`` to go on.

    The interval is trusted only from ``min_blocks`` on. Reaching the target wins over the
    limits when both happen at once, so the reported reason is the most informative one.
    """
    if interval is not None and blocks >= min_blocks and interval.relative_half_width <= target_ci:
        return "target_ci"
    if blocks >= max_blocks:
        return "max_blocks"
    if elapsed_seconds >= max_seconds and blocks >= min(2, max_blocks):
        return "max_seconds"
    return None


def blocks_needed(
    baseline_blocks: Sequence[Sequence[float]],
    candidate_blocks: Sequence[Sequence[float]],
    *,
    target_ci: float,
    min_blocks: int,
    confidence: float = 0.95,
    seed: int = 0,
) -> int | None:
    """Replay adaptive stopping on recorded blocks: the first block count that meets the target.

    ``None`` when the recorded blocks never reach it.
    """
    n = min(len(baseline_blocks), len(candidate_blocks))
    for k in range(max(min_blocks, 2), n + 1):
        iv = paired_bootstrap_speedup(
            baseline_blocks[:k], candidate_blocks[:k], confidence=confidence, seed=seed
        )
        if iv.relative_half_width <= target_ci:
            return k
    return None


def max_rel_diff(reference: Sequence[float], other: Sequence[float]) -> float:
    """Largest relative difference between two loss trajectories over their common prefix."""
    n = min(len(reference), len(other))
    if n == 0:
        raise ValueError("no common steps to compare")
    ref = np.asarray(reference[:n], dtype=float)
    oth = np.asarray(other[:n], dtype=float)
    if not (np.all(np.isfinite(ref)) and np.all(np.isfinite(oth))):
        return float("inf")
    denom = np.maximum(np.abs(ref), 1e-12)
    return float(np.max(np.abs(oth - ref) / denom))


def utilization_summary(samples: Sequence[float], *, threshold: float = 70.0) -> Utilization:
    """Condense GPU-utilisation samples; ``input_bound`` when the p95 stays under ``threshold``.

    That is SageMaker Debugger's LowGPUUtilization rule: a GPU that is rarely busy waits on
    something a compiler cannot speed up (data loading, host code).
    """
    arr = np.asarray(samples, dtype=float)
    if arr.size == 0:
        raise ValueError("no utilisation samples")
    p5, p95 = np.percentile(arr, [5, 95])
    return Utilization(
        mean=float(arr.mean()),
        p5=float(p5),
        p95=float(p95),
        n=int(arr.size),
        input_bound=bool(p95 < threshold),
    )


def search_max_batch(fits: Callable[[int], bool], *, start: int, limit: int) -> int | None:
    """Largest batch size in ``[1, limit]`` for which ``fits`` holds, assuming monotonicity.

    Doubles from ``start`` until a size does not fit (or ``limit``), then bisects. ``None``
    when not even batch size 1 fits. ``fits`` is called at most about 2·log2(limit) times.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    size = max(1, min(start, limit))
    if fits(size):
        good, bad = size, None
        while bad is None and good < limit:
            nxt = min(good * 2, limit)
            if fits(nxt):
                good = nxt
            else:
                bad = nxt
        if bad is None:
            return good
    else:
        bad = size
        good = 0
        while bad > 1:
            nxt = bad // 2
            if fits(nxt):
                good = nxt
                break
            bad = nxt
        if good == 0:
            return None
    while bad - good > 1:
        mid = (good + bad) // 2
        if fits(mid):
            good = mid
        else:
            bad = mid
    return good
