"""fp16 GradScaler skipped steps are left out of the timing, on both sides of a paired block.

A skipped step (inf/nan gradients: the scale drops, no optimizer update) is cheaper than a real
one. Fakes stand in for the GPU: the blocks below are what the workers would report.
"""

from __future__ import annotations

from typing import Any

import pytest

from fitcheck.bench import runner
from fitcheck.bench.config import build_config
from fitcheck.bench.results import Interference


def test_the_same_step_index_is_dropped_on_both_sides() -> None:
    eager = [[1.0, 1.1, 1.2], [1.3, 1.4, 1.5]]
    cand = [[2.0, 2.1, 2.2], [2.3, 2.4, 2.5]]
    kept_e, kept_c = runner.without_skipped_steps(eager, cand, [[], [2]], [[0], []])
    assert kept_e == [[1.1, 1.2], [1.3, 1.4]]
    assert kept_c == [[2.1, 2.2], [2.3, 2.4]]


def test_a_block_with_every_step_skipped_is_dropped_and_missing_lists_mean_none() -> None:
    eager = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    cand = [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]
    kept_e, kept_c = runner.without_skipped_steps(eager, cand, [[0], [], []], [[1]])
    assert kept_e == [[1.0, 1.0], [1.0, 1.0]] and kept_c == [[0.5, 0.5], [0.5, 0.5]]
    # no skipped step anywhere: the blocks are unchanged (only the paired ones)
    assert runner.without_skipped_steps(eager, cand[:2], [], []) == (eager[:2], cand[:2])


def _state(name: str, blocks: list[list[float]], skipped: list[list[int]]) -> runner.BackendState:
    b = runner.BackendState(name)
    b.blocks, b.skipped = blocks, skipped
    b.warmup, b.loss, b.samples_per_step = [5.0, 1.0], [1.0] * 4, 8
    b.counters = {"skipped_steps": sum(len(s) for s in skipped)}
    return b


@pytest.mark.parametrize("skipped_side", ["candidate", "baseline"])
def test_skipped_steps_do_not_enter_the_headline_ratio(skipped_side: str) -> None:
    """Real steps: eager 1.2 s, candidate 1.0 s (true ratio 1.2). A skipped step costs 0.1 s."""
    cfg = build_config(model="gpt2-tiny", device="cpu", block_steps=4)
    blocks = 12
    skipped = [[1] if i % 3 == 0 else [] for i in range(blocks)]  # every third block, step 1
    e_blocks = [[1.2] * 4 for _ in range(blocks)]
    c_blocks = [[1.0] * 4 for _ in range(blocks)]
    side = c_blocks if skipped_side == "candidate" else e_blocks
    for i, idx in enumerate(skipped):
        for j in idx:
            side[i][j] = 0.1
    e_skip = skipped if skipped_side == "baseline" else []
    c_skip = skipped if skipped_side == "candidate" else []
    eager, cand = _state("eager", e_blocks, e_skip), _state("inductor", c_blocks, c_skip)
    naive = sum(map(sum, e_blocks)) / sum(map(sum, c_blocks))
    res = runner._results(cfg, eager, [cand], None, None, 1.0, Interference(threads_per_worker=1), False)
    (cmp,) = res.comparisons
    print(f"skipped on the {skipped_side}: naive {naive:.4f}x, reported {cmp.point_estimate:.4f}x (true 1.2)")
    assert naive != pytest.approx(1.2, abs=0.01)  # counting the skipped steps would mislead
    assert cmp.point_estimate == pytest.approx(1.2)
    assert cmp.speedup is not None and cmp.speedup.low == pytest.approx(1.2)
    assert cmp.speedup.high == pytest.approx(1.2)
    assert cmp.steps == blocks * 4 - 4  # four steps dropped from each side
    # the raw step times are all kept, and the count is recorded per backend
    side_res = res.backends[cand.name if skipped_side == "candidate" else "eager"]
    assert len(side_res.step_seconds) == blocks * 4 and side_res.skipped_steps == 4
    assert side_res.summary is not None and side_res.summary.n == blocks * 4 - 4  # real steps only
    assert side_res.summary.mean > 0.5


class _FakeScaler:
    """GradScaler's interface; the scale halves (a skipped step) on the given call numbers."""

    def __init__(self, skip_calls: set[int]) -> None:
        self.scale_value, self.calls, self.skip_calls = 1024.0, 0, skip_calls

    def get_scale(self) -> float:
        return self.scale_value

    def scale(self, loss: Any) -> Any:
        return loss * self.scale_value

    def step(self, optimizer: Any) -> None:
        self.calls += 1
        if self.calls not in self.skip_calls:
            optimizer.step()

    def update(self) -> None:
        if self.calls in self.skip_calls:
            self.scale_value /= 2


def test_the_worker_reports_which_timed_steps_were_skipped() -> None:
    """The worker's step loop on CPU with a fake scaler standing in for CUDA's GradScaler."""
    torch = pytest.importorskip("torch")
    from fitcheck.bench import models
    from fitcheck.bench.backends.eager import Eager
    from fitcheck.bench.worker import TorchSession, _FallbackWatch

    s = TorchSession(Eager().fresh(), {"batch_size": 2, "size": None})
    s.torch, s.models, s.device, s.device_type = torch, models, torch.device("cpu"), "cpu"
    s.autocast_dtype, s.compiled_step, s.fallback = None, None, _FallbackWatch()
    s.model = torch.nn.Linear(4, 1)
    s.optimizer = torch.optim.SGD(s.model.parameters(), lr=0.1)
    s.make_batch = lambda step, batch_size, size: torch.full((batch_size, 4), float(step))
    s.loss_fn = lambda model, batch: model(batch).pow(2).mean()
    s.scaler = _FakeScaler(skip_calls={2, 4})  # calls 1..5: the lead step, then 4 timed steps
    out = s.run_steps(0, [None] * 5, lead=1)
    assert out["skipped_indices"] == [0, 2]  # calls 2 and 4 are timed steps 0 and 2
    assert out["skipped_steps"] == 2 and len(out["seconds"]) == 4
    s.scaler = _FakeScaler(skip_calls={1})  # only the (untimed) lead step skipped
    out = s.run_steps(10, [None] * 3, lead=1)
    assert out["skipped_indices"] == [] and out["skipped_steps"] == 1
