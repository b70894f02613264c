"""Statistics of a paired benchmark: pure numpy, seeded, deterministic.

A benchmark is a list of *blocks*. In block ``i`` the baseline ran a few steps, then the
candidate ran the same number of steps (or the other way round), so block ``i`` of both
sides saw the same machine state. The speedup interval comes from a paired bootstrap over
blocks: resampling whole block pairs keeps that pairing, so slow drift of the machine
shows up as width, not as bias.

The headline is the throughput ratio (total baseline time / total candidate time over the
paired blocks); the robust median-based figure is a diagnostic only. Decision-aware stopping
uses a separate interval that stays valid however often it is looked at (alpha spending).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np

StopReason = Literal["target_ci", "decided_enable", "decided_skip", "max_seconds", "max_blocks"]


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
    gpu_idle_in_loop: bool


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


def normal_quantile(p: float) -> float:
    """The standard normal quantile (inverse CDF) at ``p``."""
    return NormalDist().inv_cdf(p)


def t_quantile(p: float, df: int) -> float:
    """Student-t quantile at ``p`` with ``df`` degrees of freedom (numpy only).

    Cornish-Fisher expansion of the t quantile around the normal one (Abramowitz and Stegun
    26.7.5); within 0.1 % of the exact value from 8 degrees of freedom on, which is all a
    benchmark with at least 10 blocks uses.
    """
    if df < 1:
        raise ValueError("df must be at least 1")
    z = normal_quantile(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    v = float(df)
    return z + g1 / v + g2 / v**2 + g3 / v**3 + g4 / v**4


def block_totals(blocks: Sequence[Sequence[float]]) -> np.ndarray:
    """The time each block took: the sum of its step times."""
    if isinstance(blocks, np.ndarray) and blocks.ndim == 2:
        return blocks.sum(axis=1).astype(float)
    return np.array([float(np.sum(np.asarray(b, dtype=float))) for b in blocks])


def _paired(
    baseline_blocks: Sequence[Sequence[float]], candidate_blocks: Sequence[Sequence[float]]
) -> tuple[np.ndarray, np.ndarray]:
    n = min(len(baseline_blocks), len(candidate_blocks))
    if n == 0:
        raise ValueError("no paired blocks")
    base = block_totals(baseline_blocks[:n])
    cand = block_totals(candidate_blocks[:n])
    if np.any(~np.isfinite(base)) or np.any(~np.isfinite(cand)) or np.any(base <= 0) or np.any(cand <= 0):
        raise ValueError("step times must be positive and finite")
    return base, cand


def throughput_ratio(
    baseline_blocks: Sequence[Sequence[float]], candidate_blocks: Sequence[Sequence[float]]
) -> float:
    """Total baseline time / total candidate time over the paired blocks.

    Both sides run the same steps (the same batches and sizes) in a paired block, so this is
    the ratio of their throughputs in samples per second: a step that is 3x slower costs
    what it costs, it is not voted away by a median.
    """
    base, cand = _paired(baseline_blocks, candidate_blocks)
    return float(base.sum() / cand.sum())


def expanded_alpha(alpha: float, n: int) -> float:
    """The tail level of an *expanded* percentile bootstrap interval over ``n`` units.

    A percentile interval is too narrow for a small sample (it behaves like a z interval
    with a variance divided by n instead of n - 1). Hesterberg (2015, "What teachers should
    know about the bootstrap", section 5.1) widens it by taking the percentiles at
    ``Phi(-sqrt(n/(n-1)) * t_{1-alpha/2, n-1})`` instead of ``alpha/2``.
    """
    if n < 2:
        return alpha
    widened = math.sqrt(n / (n - 1)) * t_quantile(1.0 - alpha / 2.0, n - 1)
    return 2.0 * NormalDist().cdf(-widened)


def paired_bootstrap_ratio(
    baseline_blocks: Sequence[Sequence[float]],
    candidate_blocks: Sequence[Sequence[float]],
    *,
    confidence: float = 0.95,
    resamples: int = 4000,
    seed: int = 0,
) -> Interval:
    """The headline: throughput ratio candidate vs baseline with a paired block bootstrap.

    ``mid`` is :func:`throughput_ratio`; the interval resamples whole block pairs (so drift
    that hits both sides of a block cancels) and takes expanded percentiles
    (:func:`expanded_alpha`). Callers give it at least ``MIN_INTERVAL_BLOCKS`` pairs: below
    that no interval is reported at all.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    base, cand = _paired(baseline_blocks, candidate_blocks)
    n = base.size
    mid = float(base.sum() / cand.sum())
    if n == 1:
        return Interval(low=mid, mid=mid, high=mid)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    boot = base[idx].sum(axis=1) / cand[idx].sum(axis=1)
    a = expanded_alpha(1.0 - confidence, n) / 2.0
    low, high = np.quantile(boot, [a, 1.0 - a])
    return Interval(low=float(min(low, mid)), mid=mid, high=float(max(high, mid)))


def block_statistic(block: Sequence[float]) -> float:
    """The median of a block's step times (the robust diagnostic's per-block figure)."""
    return float(np.median(np.asarray(block, dtype=float)))


TRIM = 0.2  # fraction of block ratios cut from each end of the robust diagnostic


def _trimmed_mean(values: np.ndarray, trim: float = TRIM) -> np.ndarray:
    """Mean along the last axis after cutting ``trim`` of the values from each end."""
    n = values.shape[-1]
    k = int(np.floor(n * trim))
    ordered = np.sort(values, axis=-1)
    return ordered[..., k : n - k].mean(axis=-1)


def median_ratio_speedup(
    baseline_blocks: Sequence[Sequence[float]],
    candidate_blocks: Sequence[Sequence[float]],
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """Robust diagnostic, **not** the headline: trimmed geometric mean of per-block median ratios.

    It ignores occasional slow steps and disturbed blocks, which is what makes it a poor
    headline (a candidate with 10 % of its steps 3x slower looks faster than it is) and a
    useful diagnostic: a large gap between it and the headline says the candidate's time is
    in a few slow steps (recompiles, allocator stalls, host syncs).
    """
    n = min(len(baseline_blocks), len(candidate_blocks))
    if n == 0:
        raise ValueError("no paired blocks")
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
    return Interval(low=float(min(low, mid)), mid=mid, high=float(max(high, mid)))


# --- decision-aware stopping ------------------------------------------------------------------

SEQUENTIAL_METHOD = (
    "ratio-of-totals t interval (delta method, log scale) at every look from the 10th block; "
    "alpha spent over looks j = 1, 2, ... as alpha / (j (j + 1)), so the simultaneous level "
    "holds however many looks are taken (Bonferroni over an infinite sequence)"
)


def look_alpha(look: int, alpha: float) -> float:
    """The share of ``alpha`` spent at look number ``look`` (1-based); they sum to ``alpha``."""
    if look < 1:
        raise ValueError("looks count from 1")
    return alpha / (look * (look + 1))


def ratio_t_interval(
    baseline_blocks: Sequence[Sequence[float]],
    candidate_blocks: Sequence[Sequence[float]],
    *,
    alpha: float,
) -> Interval:
    """Two-sided ``1 - alpha`` interval of the throughput ratio from a t statistic.

    Ratio estimator R = sum(base) / sum(cand); its standard error by the delta method,
    ``sd(base_i - R cand_i) / (sqrt(n) mean(cand))``, taken on the log scale (so the interval
    stays positive) with n - 1 degrees of freedom. Closed form, cheap enough to evaluate at
    every look and in thousands of simulated runs.
    """
    base, cand = _paired(baseline_blocks, candidate_blocks)
    n = base.size
    ratio = float(base.sum() / cand.sum())
    if n < 2:
        return Interval(low=0.0, mid=ratio, high=float("inf"))
    resid = base - ratio * cand
    se_log = float(resid.std(ddof=1) / (math.sqrt(n) * cand.mean()) / ratio)
    half = t_quantile(1.0 - alpha / 2.0, n - 1) * se_log
    return Interval(low=ratio * math.exp(-half), mid=ratio, high=ratio * math.exp(half))


Decision = Literal["enable", "skip"]


def sequential_decision(interval: Interval, *, enable_above: float, skip_below: float) -> Decision | None:
    """``enable`` when the interval lies wholly at or above ``enable_above``, ``skip`` when it
    lies wholly below ``skip_below``, else ``None`` (undecided)."""
    if interval.low >= enable_above:
        return "enable"
    if interval.high < skip_below:
        return "skip"
    return None


@dataclass(frozen=True)
class Look:
    """One look at a candidate after a block: the sequential interval and what it decides."""

    look: int
    blocks: int
    interval: Interval
    decision: Decision | None


def sequential_look(
    baseline_blocks: Sequence[Sequence[float]],
    candidate_blocks: Sequence[Sequence[float]],
    *,
    min_blocks: int,
    alpha: float,
    enable_above: float,
    skip_below: float,
) -> Look | None:
    """The look after the latest paired block (``None`` before ``min_blocks`` blocks)."""
    n = min(len(baseline_blocks), len(candidate_blocks))
    if n < max(min_blocks, 2):
        return None
    look = n - max(min_blocks, 2) + 1
    iv = ratio_t_interval(baseline_blocks[:n], candidate_blocks[:n], alpha=look_alpha(look, alpha))
    return Look(
        look=look,
        blocks=n,
        interval=iv,
        decision=sequential_decision(iv, enable_above=enable_above, skip_below=skip_below),
    )


def stop_reason(
    headline: Interval | None,
    *,
    blocks: int,
    min_blocks: int,
    max_blocks: int,
    elapsed_seconds: float,
    max_seconds: float,
    target_ci: float,
    decision: Decision | None = None,
) -> StopReason | None:
    """Whether the measurement of one candidate ends now, and why; ``None`` to go on.

    A decision of the sequential interval ends it first (its time goes to the undecided
    candidates); then a headline interval within ``target_ci`` (trusted from ``min_blocks``
    on); then the limits.
    """
    if decision == "enable":
        return "decided_enable"
    if decision == "skip":
        return "decided_skip"
    if headline is not None and blocks >= min_blocks and headline.relative_half_width <= target_ci:
        return "target_ci"
    if blocks >= max_blocks:
        return "max_blocks"
    if elapsed_seconds >= max_seconds:
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
    """Replay width-based stopping on recorded blocks: the first block count that meets the
    target (``None`` when the recorded blocks never reach it)."""
    n = min(len(baseline_blocks), len(candidate_blocks))
    for k in range(max(min_blocks, 2), n + 1):
        iv = paired_bootstrap_ratio(
            baseline_blocks[:k], candidate_blocks[:k], confidence=confidence, seed=seed, resamples=2000
        )
        if iv.relative_half_width <= target_ci:
            return k
    return None


def blocks_to_decision(
    baseline_blocks: Sequence[Sequence[float]],
    candidate_blocks: Sequence[Sequence[float]],
    *,
    min_blocks: int,
    alpha: float,
    enable_above: float,
    skip_below: float,
) -> tuple[int, Decision] | None:
    """Replay decision-aware stopping on recorded blocks: the block count at which the
    sequential interval first decides, and the decision (``None``: never within the record)."""
    n = min(len(baseline_blocks), len(candidate_blocks))
    for k in range(max(min_blocks, 2), n + 1):
        look = sequential_look(
            baseline_blocks[:k],
            candidate_blocks[:k],
            min_blocks=min_blocks,
            alpha=alpha,
            enable_above=enable_above,
            skip_below=skip_below,
        )
        if look is not None and look.decision is not None:
            return k, look.decision
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
    """Condense GPU-utilisation samples; ``gpu_idle_in_loop`` when the p95 stays under ``threshold``.

    The threshold is SageMaker Debugger's LowGPUUtilization rule. The samples come from the
    benchmark's own synthetic loop (batches prepared in host memory), so a low figure means
    the GPU waited on host code or kernel launches in this loop; it says nothing about the
    user's data loader.
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
        gpu_idle_in_loop=bool(p95 < threshold),
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
