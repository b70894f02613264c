"""Synthetic paired benchmarks with a known true throughput ratio (numpy only).

Step times are drawn per block for both sides with what real machines add: a drift that
hits both sides of a block alike (frequency scaling, a neighbour's load), heavy-tailed
per-step noise (Student t with 3 degrees of freedom, on the log scale) and occasional slow
steps (an allocator stall, a host sync). The same noise law on both sides keeps the true
throughput ratio exactly ``ratio``: E[baseline block] / E[candidate block] = ratio.
"""

from __future__ import annotations

import numpy as np


def draw_blocks(
    rng: np.random.Generator,
    ratio: float,
    blocks: int,
    *,
    steps: int = 5,
    cv: float = 0.10,
    slow_p: float = 0.02,
    slow_x: float = 3.0,
    drift: float = 0.5,
    df: int = 3,
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline and candidate step times, shape (blocks, steps), baseline step ~ 1 s."""
    shared = (1 + drift * np.linspace(0, 1, blocks) + 0.1 * np.sin(np.arange(blocks)))[:, None]

    def side(scale: float) -> np.ndarray:
        noise = np.exp(cv * rng.standard_t(df, size=(blocks, steps)) / np.sqrt(df / (df - 2)))
        slow = np.where(rng.random((blocks, steps)) < slow_p, slow_x, 1.0)
        return scale * shared * noise * slow

    return side(1.0), side(1.0 / ratio)
