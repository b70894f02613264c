"""The pure statistics of a paired benchmark, on inputs whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fitcheck.bench import stats
from fitcheck.core.benchresult import MIN_INTERVAL_BLOCKS
from tests.bench.simulate import draw_blocks


def _blocks(rng: np.random.Generator, center: float, n: int, noise: float) -> list[list[float]]:
    return [list(center * (1 + noise * rng.standard_normal(5))) for _ in range(n)]


def _t_cdf(x: float, df: int) -> float:
    """Student-t CDF by numerical integration of its density (a reference for t_quantile)."""
    grid = np.linspace(0.0, x, 200_001)
    dens = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
    dens = dens * (1 + grid**2 / df) ** (-(df + 1) / 2)
    return 0.5 + float(np.sum((dens[1:] + dens[:-1]) / 2 * np.diff(grid)))


@pytest.mark.parametrize(("p", "df"), [(0.975, 9), (0.995, 9), (0.9975, 9), (0.99995, 30), (0.975, 199)])
def test_t_quantile_matches_the_distribution(p: float, df: int) -> None:
    q = stats.t_quantile(p, df)
    assert _t_cdf(q, df) == pytest.approx(p, abs=2e-4)


def test_summary_of_known_samples() -> None:
    s = stats.summarize([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (s.median, s.p25, s.p75, s.mean, s.n) == (3.0, 2.0, 4.0, 3.0, 5)
    assert s.stdev == pytest.approx(np.std([1, 2, 3, 4, 5], ddof=1))


def test_headline_is_the_throughput_ratio_of_total_times() -> None:
    eager = [[1.0, 1.0], [2.0, 2.0]]
    compiled = [[0.5, 1.5], [1.0, 1.0]]  # totals 6 vs 4
    assert stats.throughput_ratio(eager, compiled) == pytest.approx(1.5)


def test_a_slow_step_candidate_has_a_headline_below_one() -> None:
    # 10 % of the candidate's steps are 3x slower: the median says 1.14x, the truth is 0.95x
    rng = np.random.default_rng(4)
    eager = np.full((30, 10), 1.0) * np.exp(0.01 * rng.standard_normal((30, 10)))
    compiled = np.full((30, 10), 1 / 1.14) * np.exp(0.01 * rng.standard_normal((30, 10)))
    compiled[:, 0] *= 3.0  # one step in ten
    true = 10 / (9 / 1.14 + 3 / 1.14)
    head = stats.paired_bootstrap_ratio(eager, compiled)
    diag = stats.median_ratio_speedup(eager, compiled)
    print(f"\nslow-step candidate: headline {head}, median diagnostic {diag}, truth {true:.3f}")
    assert head.high < 1.0 and head.mid == pytest.approx(true, abs=0.01)
    assert diag.mid > 1.1  # the median-based figure says the opposite of the truth


def test_pairing_cancels_drift_shared_by_both_sides() -> None:
    # the machine slows down 3x over the run, equally for both sides: the ratio stays 1.5
    drift = np.linspace(1.0, 3.0, 12)
    eager = [[0.015 * d] * 5 for d in drift]
    compiled = [[0.010 * d] * 5 for d in drift]
    iv = stats.paired_bootstrap_ratio(eager, compiled)
    assert iv.low == pytest.approx(1.5) and iv.high == pytest.approx(1.5)


def test_robust_diagnostic_ignores_one_disturbed_block() -> None:
    eager = [[0.010] * 5 for _ in range(10)]
    compiled = [[0.008] * 5 for _ in range(9)] + [[0.9] * 5]  # a neighbour hogged the CPU
    assert stats.median_ratio_speedup(eager, compiled).mid == pytest.approx(1.25)
    assert stats.throughput_ratio(eager, compiled) < 0.2  # the headline counts it


@pytest.mark.parametrize(
    ("label", "kw"),
    [
        ("light tails", {"cv": 0.05, "slow_p": 0.0, "df": 30}),
        ("heavy tails + drift", {"cv": 0.10, "slow_p": 0.0, "df": 3}),
        ("heavy tails + slow steps + drift", {"cv": 0.05, "slow_p": 0.02, "df": 3}),
    ],
)
def test_headline_interval_coverage_from_the_minimum_block_count(label: str, kw: dict) -> None:
    rng = np.random.default_rng(0)
    trials, covered = 500, 0
    for t in range(trials):
        eager, compiled = draw_blocks(rng, 1.2, MIN_INTERVAL_BLOCKS, **kw)
        iv = stats.paired_bootstrap_ratio(eager, compiled, resamples=1000, seed=t)
        covered += iv.low <= 1.2 <= iv.high
    coverage = covered / trials
    se = math.sqrt(0.95 * 0.05 / trials)
    print(f"\n{label}: 95 % headline interval over {MIN_INTERVAL_BLOCKS} blocks covered {coverage:.3f}")
    # expanded percentile bootstrap; slow steps make the ratio skewed at 10 blocks: within 4 SE
    assert 0.95 - 4 * se <= coverage <= 0.995


def test_two_blocks_give_no_trustworthy_interval() -> None:
    # why no interval is reported below the minimum: over 2 blocks the nominal 95 % is far off
    rng = np.random.default_rng(1)
    trials, covered = 500, 0
    for t in range(trials):
        eager, compiled = draw_blocks(rng, 1.2, 2, cv=0.05, slow_p=0.0, df=30)
        iv = stats.median_ratio_speedup(eager, compiled, resamples=500, seed=t)
        covered += iv.low <= 1.2 <= iv.high
    print(f"\n2 blocks, percentile bootstrap: coverage {covered / trials:.3f}")
    assert covered / trials < 0.8


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    rng = np.random.default_rng(0)
    a, b = _blocks(rng, 1.0, 12, 0.1), _blocks(rng, 1.0, 12, 0.1)
    assert stats.paired_bootstrap_ratio(a, b, seed=5) == stats.paired_bootstrap_ratio(a, b, seed=5)


def test_bootstrap_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        stats.paired_bootstrap_ratio([], [])
    with pytest.raises(ValueError):
        stats.paired_bootstrap_ratio([[0.0]], [[1.0]])
    with pytest.raises(ValueError):
        stats.throughput_ratio([[float("nan")]], [[1.0]])


@pytest.mark.parametrize(
    ("width", "blocks", "elapsed", "decision", "expected"),
    [
        (0.01, 12, 1.0, None, "target_ci"),  # narrow enough
        (0.01, 5, 1.0, None, None),  # narrow but fewer blocks than the minimum
        (0.20, 12, 1.0, None, None),  # too wide, time left
        (0.20, 12, 99.0, None, "max_seconds"),
        (0.20, 50, 1.0, None, "max_blocks"),
        (0.20, 12, 1.0, "enable", "decided_enable"),
        (0.20, 12, 99.0, "skip", "decided_skip"),  # a decision is the most informative reason
    ],
)
def test_stop_reason(width: float, blocks: int, elapsed: float, decision, expected: str | None) -> None:
    iv = stats.Interval(low=1.0 - width, mid=1.0, high=1.0 + width)
    got = stats.stop_reason(
        iv,
        blocks=blocks,
        min_blocks=10,
        max_blocks=50,
        elapsed_seconds=elapsed,
        max_seconds=10.0,
        target_ci=0.03,
        decision=decision,
    )
    assert got == expected


def test_sequential_decision_needs_the_whole_interval_beyond_a_threshold() -> None:
    def d(lo: float, hi: float) -> str | None:
        return stats.sequential_decision(
            stats.Interval(lo, (lo + hi) / 2, hi), enable_above=1.2, skip_below=1.1
        )

    assert d(1.21, 1.5) == "enable"
    assert d(1.19, 1.5) is None
    assert d(0.8, 1.09) == "skip"
    assert d(0.8, 1.1) is None


def test_alpha_spent_over_looks_sums_to_alpha() -> None:
    total = sum(stats.look_alpha(j, 0.01) for j in range(1, 100_000))
    assert total == pytest.approx(0.01, rel=1e-4) and total < 0.01


def test_blocks_needed_replays_width_stopping() -> None:
    rng = np.random.default_rng(2)
    eager, compiled = _blocks(rng, 0.012, 40, 0.08), _blocks(rng, 0.010, 40, 0.08)
    k = stats.blocks_needed(eager, compiled, target_ci=0.03, min_blocks=10)
    assert k is not None and 10 <= k <= 40
    iv = stats.paired_bootstrap_ratio(eager[:k], compiled[:k], resamples=2000)
    assert iv.relative_half_width <= 0.03
    assert stats.blocks_needed(eager[:12], compiled[:12], target_ci=1e-6, min_blocks=10) is None


def test_loss_parity_difference() -> None:
    assert stats.max_rel_diff([2.0, 4.0], [2.0, 4.2, 9.0]) == pytest.approx(0.05)
    assert stats.max_rel_diff([1.0], [float("nan")]) == float("inf")


def test_utilization_rule_flags_an_idle_gpu() -> None:
    busy = stats.utilization_summary([95.0] * 50 + [80.0] * 50)
    idle = stats.utilization_summary([30.0] * 90 + [75.0] * 4)
    assert not busy.gpu_idle_in_loop and busy.p95 == pytest.approx(95.0)
    assert idle.gpu_idle_in_loop and idle.p95 < 70


@pytest.mark.parametrize("largest", [1, 7, 8, 100, 1000])
def test_search_max_batch_finds_the_boundary(largest: int) -> None:
    calls: list[int] = []

    def fits(b: int) -> bool:
        calls.append(b)
        return b <= largest

    assert stats.search_max_batch(fits, start=8, limit=4096) == largest
    assert len(calls) <= 2 * 13


def test_search_max_batch_none_fits_and_limit() -> None:
    assert stats.search_max_batch(lambda b: False, start=8, limit=64) is None
    assert stats.search_max_batch(lambda b: True, start=8, limit=64) == 64
