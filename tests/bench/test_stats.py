"""The pure statistics of a paired benchmark, on inputs whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from fitcheck.bench import stats


def _blocks(rng: np.random.Generator, center: float, n: int, noise: float) -> list[list[float]]:
    return [list(center * (1 + noise * rng.standard_normal(5))) for _ in range(n)]


def test_summary_of_known_samples() -> None:
    s = stats.summarize([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (s.median, s.p25, s.p75, s.mean, s.n) == (3.0, 2.0, 4.0, 3.0, 5)
    assert s.stdev == pytest.approx(np.std([1, 2, 3, 4, 5], ddof=1))


def test_bootstrap_interval_covers_a_known_ratio() -> None:
    rng = np.random.default_rng(1)
    eager = _blocks(rng, 0.012, 30, 0.05)
    compiled = _blocks(rng, 0.010, 30, 0.05)  # true speedup 1.2
    iv = stats.paired_bootstrap_speedup(eager, compiled, seed=3)
    assert iv.low < 1.2 < iv.high
    assert iv.low <= iv.mid <= iv.high
    assert iv.relative_half_width < 0.05


def test_pairing_cancels_drift_shared_by_both_sides() -> None:
    # the machine slows down 3x over the run, equally for both sides: the ratio stays 1.5
    drift = np.linspace(1.0, 3.0, 12)
    eager = [[0.015 * d] * 5 for d in drift]
    compiled = [[0.010 * d] * 5 for d in drift]
    iv = stats.paired_bootstrap_speedup(eager, compiled)
    assert iv.low == pytest.approx(1.5) and iv.high == pytest.approx(1.5)


def test_one_disturbed_block_does_not_swing_the_estimate() -> None:
    eager = [[0.010] * 5 for _ in range(10)]
    compiled = [[0.008] * 5 for _ in range(9)] + [[0.9] * 5]  # a neighbour hogged the CPU
    assert stats.paired_bootstrap_speedup(eager, compiled).mid == pytest.approx(1.25)


def test_interval_covers_the_truth_about_95_percent_from_the_trusted_block_count() -> None:
    from fitcheck.bench.config import MIN_TRUSTED_BLOCKS

    rng = np.random.default_rng(0)
    trials, covered = 300, 0
    for t in range(trials):
        noise = np.exp(0.08 * rng.standard_normal((2, MIN_TRUSTED_BLOCKS)))
        eager = [[1.2 * x] for x in noise[0]]
        compiled = [[1.0 * x] for x in noise[1]]
        iv = stats.paired_bootstrap_speedup(eager, compiled, resamples=1000, seed=t)
        covered += iv.low <= 1.2 <= iv.high
    assert 0.90 <= covered / trials <= 0.99


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    rng = np.random.default_rng(0)
    a, b = _blocks(rng, 1.0, 8, 0.1), _blocks(rng, 1.0, 8, 0.1)
    assert stats.paired_bootstrap_speedup(a, b, seed=5) == stats.paired_bootstrap_speedup(a, b, seed=5)


def test_bootstrap_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        stats.paired_bootstrap_speedup([], [])
    with pytest.raises(ValueError):
        stats.paired_bootstrap_speedup([[0.0]], [[1.0]])


@pytest.mark.parametrize(
    ("width", "blocks", "elapsed", "expected"),
    [
        (0.01, 5, 1.0, "target_ci"),  # narrow enough
        (0.01, 2, 1.0, None),  # narrow but fewer blocks than the minimum
        (0.20, 5, 1.0, None),  # too wide, time left
        (0.20, 5, 99.0, "max_seconds"),
        (0.20, 50, 1.0, "max_blocks"),
    ],
)
def test_stop_reason(width: float, blocks: int, elapsed: float, expected: str | None) -> None:
    iv = stats.Interval(low=1.0 - width, mid=1.0, high=1.0 + width)
    got = stats.stop_reason(
        iv,
        blocks=blocks,
        min_blocks=3,
        max_blocks=50,
        elapsed_seconds=elapsed,
        max_seconds=10.0,
        target_ci=0.03,
    )
    assert got == expected


def test_blocks_needed_replays_adaptive_stopping() -> None:
    rng = np.random.default_rng(2)
    eager, compiled = _blocks(rng, 0.012, 40, 0.08), _blocks(rng, 0.010, 40, 0.08)
    k = stats.blocks_needed(eager, compiled, target_ci=0.03, min_blocks=3)
    assert k is not None and 3 <= k <= 40
    iv = stats.paired_bootstrap_speedup(eager[:k], compiled[:k])
    assert iv.relative_half_width <= 0.03
    assert stats.blocks_needed(eager[:3], compiled[:3], target_ci=1e-6, min_blocks=3) is None


def test_loss_parity_difference() -> None:
    assert stats.max_rel_diff([2.0, 4.0], [2.0, 4.2, 9.0]) == pytest.approx(0.05)
    assert stats.max_rel_diff([1.0], [float("nan")]) == float("inf")


def test_utilization_rule_flags_an_idle_gpu() -> None:
    busy = stats.utilization_summary([95.0] * 50 + [80.0] * 50)
    idle = stats.utilization_summary([30.0] * 90 + [75.0] * 4)
    assert not busy.input_bound and busy.p95 == pytest.approx(95.0)
    assert idle.input_bound and idle.p95 < 70


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
