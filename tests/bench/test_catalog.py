"""The catalog builds the real library classes: published sizes, and tiny variants that train."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from fitcheck.bench import models  # noqa: E402
from fitcheck.bench.catalog import CATALOG  # noqa: E402

# Parameter counts of the published checkpoints (millions), within 3 %.
PUBLISHED_MILLIONS = {
    "bert-base-uncased": 110,
    "roberta-base": 125,
    "distilbert-base-uncased": 66,
    "gpt2": 124,
    "t5-small": 60,
    "vit-base": 86,
    "resnet50": 25.6,
    "stable-diffusion-v1-5-unet": 860,
}


@pytest.mark.parametrize("name", sorted(PUBLISHED_MILLIONS))
def test_full_size_models_match_the_published_parameter_count(name: str) -> None:
    with torch.device("meta"):
        work = models.build_workload(name, batch_size=1, size=None, seed=0)
    params = sum(p.numel() for p in work.model.parameters()) / 1e6
    assert params == pytest.approx(PUBLISHED_MILLIONS[name], rel=0.03)


@pytest.mark.parametrize("name", sorted(n for n in CATALOG if n.endswith("-tiny")))
def test_tiny_variant_takes_a_training_step(name: str) -> None:
    spec = CATALOG[name]
    full = CATALOG[name.removesuffix("-tiny")]
    assert spec.architecture.split("(")[0] == full.architecture.split("(")[0]
    work = models.build_workload(name, batch_size=2, size=spec.default_size, seed=0)
    again = models.build_workload(name, batch_size=2, size=spec.default_size, seed=0)
    for a, b in zip(work.model.parameters(), again.model.parameters(), strict=True):
        assert torch.equal(a, b)  # same seed, same weights: what loss parity relies on
    batch = work.make_batch(0, 2, spec.default_size)
    assert models.batch_samples(batch) == 2
    loss = work.loss_fn(work.model, batch)
    assert loss.dim() == 0 and torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in work.model.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)


def test_models_the_analysis_suggests_benchmarking_are_in_the_catalog() -> None:
    from fitcheck.bench.catalog import CATALOG
    from fitcheck.core.plan import BENCH_MODELS

    assert set(BENCH_MODELS) <= set(CATALOG)
