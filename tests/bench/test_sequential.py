"""Decision-aware stopping: valid under a look after every block, and cheaper than a fixed schedule.

Simulated benchmarks with a known true throughput ratio (drift, heavy tails, slow steps; see
``simulate.py``). A run looks after every block from the 10th to the 50th. Asserted and printed:

- coverage of the 99 % sequential interval *at every look at once* (the event that matters
  when the run stops at the first look that decides), within three standard errors of 0.99;
- wrong decisions (enable with a true ratio under the enable threshold, skip with one at or
  above the skip threshold) at most 1 %;
- blocks and device-seconds to a decision against a fixed 30-repeat schedule: at most half of
  it where the true ratio is at least 0.1 from a threshold, at the noise of a quiet and of a
  moderately noisy machine (the heavy-noise figure is printed for the record).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fitcheck.bench import stats
from tests.bench.simulate import draw_blocks

ENABLE, SKIP = 1.20, 1.10  # the bundled profile's measured thresholds
ALPHA = 0.01
MIN_BLOCKS, MAX_BLOCKS, FIXED = 10, 50, 30
TRIALS = 500

NOISE = {
    "quiet": {"cv": 0.02, "slow_p": 0.0, "df": 3},
    "moderate": {"cv": 0.05, "slow_p": 0.005, "df": 3},
    "heavy": {"cv": 0.10, "slow_p": 0.02, "df": 3},
}


def _run(ratio: float, noise: str, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    missed = wrong = decided = 0
    blocks: list[int] = []
    seconds: list[float] = []
    fixed_seconds: list[float] = []
    for _ in range(TRIALS):
        eager, compiled = draw_blocks(rng, ratio, MAX_BLOCKS, **NOISE[noise])
        stop: tuple[int, str] | None = None
        miss = False
        for k in range(MIN_BLOCKS, MAX_BLOCKS + 1):
            look = stats.sequential_look(
                eager[:k],
                compiled[:k],
                min_blocks=MIN_BLOCKS,
                alpha=ALPHA,
                enable_above=ENABLE,
                skip_below=SKIP,
            )
            assert look is not None
            if not look.interval.low <= ratio <= look.interval.high:
                miss = True
            if stop is None and look.decision is not None:
                stop = (k, look.decision)
        missed += miss
        used = stop[0] if stop else MAX_BLOCKS
        blocks.append(used)
        seconds.append(float(eager[:used].sum() + compiled[:used].sum()))
        fixed_seconds.append(float(eager[:FIXED].sum() + compiled[:FIXED].sum()))
        if stop is not None:
            decided += 1
            wrong += (stop[1] == "enable" and ratio < ENABLE) or (stop[1] == "skip" and ratio >= SKIP)
    return {
        "coverage": 1 - missed / TRIALS,
        "wrong": wrong / TRIALS,
        "decided": decided / TRIALS,
        "median_blocks": float(np.median(blocks)),
        "seconds_share": float(np.median(np.array(seconds) / np.array(fixed_seconds))),
    }


@pytest.mark.parametrize(
    ("ratio", "noise"),
    [
        (1.30, "quiet"),
        (1.00, "moderate"),
        (1.30, "moderate"),
        (1.20, "moderate"),  # on the enable threshold: must not enable
        (1.00, "heavy"),
        (1.30, "heavy"),
    ],
)
def test_sequential_interval_coverage_and_cost(ratio: float, noise: str) -> None:
    r = _run(ratio, noise, seed=int(ratio * 100) + len(noise))
    se = math.sqrt((1 - ALPHA) * ALPHA / TRIALS)
    print(
        f"\ntrue {ratio:.2f}x, {noise} noise, {TRIALS} runs: coverage at every look {r['coverage']:.3f}, "
        f"wrong decisions {r['wrong']:.3f}, decided within {MAX_BLOCKS} blocks {r['decided']:.2f}, "
        f"median blocks to stop {r['median_blocks']:.0f} (fixed schedule {FIXED}), "
        f"device-seconds {r['seconds_share']:.0%} of the fixed schedule's"
    )
    assert r["coverage"] >= (1 - ALPHA) - 3 * se
    assert r["wrong"] <= ALPHA
    far = min(abs(ratio - ENABLE), abs(ratio - SKIP)) >= 0.1 - 1e-9
    if far and noise in ("quiet", "moderate"):
        assert r["median_blocks"] <= FIXED / 2
        assert r["seconds_share"] <= 0.5
