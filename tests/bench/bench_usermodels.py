"""User model factories for the bench tests (``bench_usermodels:tiny_lm``).

``tiny_lm`` is a small token model that compiles in seconds. Two environment variables let a
test break one backend on purpose:

- ``BENCH_TEST_CRASH=<backend>:<call>``: the worker of ``<backend>`` exits hard (as a
  segfault or an out-of-memory kill would) on loss call number ``<call>``;
- ``BENCH_TEST_RAISE=<backend>``: the factory raises in the worker of ``<backend>``;
- ``BENCH_TEST_HANG=<backend>:<call>``: the worker of ``<backend>`` hangs (sleeps for an hour)
  on loss call number ``<call>``, after creating the file ``BENCH_TEST_HANG_MARK`` if set.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch
from torch import nn

_calls = {"n": 0}


class TinyLM(nn.Module):
    def __init__(self, vocab: int = 64, dim: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.mix = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.embed(ids)
        h = h + torch.nn.functional.gelu(self.mix(h)).cumsum(dim=1) / ids.shape[1]
        return self.head(h)


def tiny_lm(batch_size: int, size: int | None):
    backend = os.environ.get("FITCHECK_BENCH_BACKEND", "")
    if os.environ.get("BENCH_TEST_RAISE") == backend:
        raise RuntimeError(f"refusing to build for {backend}")
    vocab = 64

    def make_batch(step: int, batch_size: int, size: int | None) -> torch.Tensor:
        g = torch.Generator().manual_seed(1000 + step)
        return torch.randint(0, vocab, (batch_size, size or 16), generator=g)

    def loss_fn(model: nn.Module, ids: torch.Tensor) -> torch.Tensor:
        _calls["n"] += 1
        crash = os.environ.get("BENCH_TEST_CRASH", "")
        if crash:
            which, _, at = crash.partition(":")
            if which == backend and _calls["n"] >= int(at):
                os._exit(3)
        hang = os.environ.get("BENCH_TEST_HANG", "")
        if hang:
            which, _, at = hang.partition(":")
            if which == backend and _calls["n"] >= int(at):
                mark = os.environ.get("BENCH_TEST_HANG_MARK")
                if mark:
                    Path(mark).write_text("hung\n")
                time.sleep(3600)
        logits = model(ids)
        return nn.functional.cross_entropy(logits.reshape(-1, vocab), ids.reshape(-1))

    return TinyLM(vocab), make_batch, loss_fn


def not_a_triple(batch_size: int, size: int | None):
    return nn.Linear(2, 2)
