"""A small user model for the in-job harness test (the module:function form)."""

import torch


def make(batch_size, size, seed):
    torch.manual_seed(seed)
    width = size or 32
    model = torch.nn.Sequential(torch.nn.Linear(width, 64), torch.nn.ReLU(), torch.nn.Linear(64, 2))

    def make_batch(step, n, seq):
        g = torch.Generator().manual_seed(seed * 1000003 + step)
        return torch.randn(n, seq or width, generator=g), torch.randint(0, 2, (n,), generator=g)

    def loss_fn(m, batch):
        x, y = batch
        return torch.nn.functional.cross_entropy(m(x), y)

    return model, make_batch, loss_fn
