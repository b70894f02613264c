"""The backend registry: one module per backend, one list entry, and nothing else names one.

The proof that adding a backend touches one file plus the list entry: a backend defined only
in this test module (``eager-copy``: a second copy of eager PyTorch) is added to
the registry, and the options check, the availability check, the worker (a spawned process
that receives the backend object) and the results all handle it with no other change.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any, ClassVar

import pytest

from fitcheck.bench import backends, config, runner
from fitcheck.bench.backends.base import TorchBackend, VersionOf
from fitcheck.core.benchresult import Compiler
from fitcheck.errors import InputError

BACKENDS_DIR = Path(backends.__file__).parent


class EagerCopy(TorchBackend):
    """A candidate that runs eager PyTorch again (the model unwrapped); counts its wraps.

    (A wrap must keep the model's parameters: the optimizer already holds them.)
    """

    name: ClassVar[str] = "eager-copy"
    compiler: ClassVar[str | None] = "torch.compile"

    def __init__(self) -> None:
        self.wrapped = 0

    def wrap_model(self, torch: Any, model: Any, mode: str) -> Any:
        self.wrapped += 1
        return model

    def compiles(self) -> int | None:
        return self.wrapped


class NeedsAGpu(TorchBackend):
    name: ClassVar[str] = "needs-a-gpu"
    compiler: ClassVar[str | None] = "torch.compile"

    def unavailable(self, device: str, version: VersionOf) -> str | None:
        return None if device == "cuda" else f"runs on CUDA only, not {device}"


def test_every_backend_module_has_one_registry_entry_and_each_framework_one_baseline() -> None:
    modules = {p.stem for p in BACKENDS_DIR.glob("*.py")} - {"__init__", "base"}
    registered = {type(b).__module__.rsplit(".", 1)[1] for b in backends.REGISTRY}
    assert modules == registered, (modules, registered)
    names = [b.name for b in backends.REGISTRY]
    assert len(names) == len(set(names))
    for fw in backends.frameworks():
        base = [b for b in backends.REGISTRY if b.framework == fw and b.baseline]
        assert len(base) == 1, fw
        assert backends.backends_of(fw)[0] == base[0].name == backends.baseline_of(fw)
    compilers = set(typing.get_args(Compiler))
    for b in backends.REGISTRY:
        assert (b.compiler is None) == b.baseline, b.name
        assert b.baseline or b.compiler in compilers, b.name


def test_names_defaults_and_baselines_come_from_the_registry() -> None:
    assert backends.backends_of("pytorch") == ("eager", "inductor", "xla", "openxla")
    assert backends.default_backends("pytorch") == "eager,inductor"
    assert backends.default_backends("tensorflow") == "tf-eager,tf-xla"
    assert backends.frameworks() == ("pytorch", "tensorflow")


def test_availability_is_the_backends_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "package_version", lambda name: None)
    reason, env = runner.candidate_unavailable("xla", "cpu")
    assert reason == "torch-xla is not installed (pip install 'fitcheck[xla]')" and env == {}
    reason, _ = runner.candidate_unavailable("tf-xla", "cpu")
    assert reason is not None and "TensorFlow is not installed" in reason
    monkeypatch.setattr(runner, "package_version", lambda name: "2.9.0")
    assert runner.candidate_unavailable("xla", "cpu") == (None, {"PJRT_DEVICE": "CPU"})
    assert runner.candidate_unavailable("inductor", "cuda") == (None, {})
    monkeypatch.setattr(runner, "package_version", lambda name: "1.13.1")
    assert runner.candidate_unavailable("inductor", "cpu")[0] == "torch.compile needs torch >= 2.0"


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two test backends added to the registry: the one list entry a new backend needs."""
    monkeypatch.setattr(backends, "REGISTRY", (*backends.REGISTRY, EagerCopy(), NeedsAGpu()))


def test_a_registered_backend_is_accepted_by_the_options_check(registered: None) -> None:
    cfg = config.build_config(model="gpt2-tiny", backends="eager-copy,eager", device="cpu")
    assert cfg.backends == ("eager", "eager-copy") and cfg.candidates == ("eager-copy",)
    assert runner.candidate_unavailable("eager-copy", "cpu") == (None, {})
    assert runner.candidate_unavailable("needs-a-gpu", "cpu") == ("runs on CUDA only, not cpu", {})
    with pytest.raises(InputError, match="'nope' is not one of eager, inductor, xla, openxla, eager-copy"):
        config.build_config(model="gpt2-tiny", backends="eager,nope")


def test_an_unregistered_backend_is_refused() -> None:
    with pytest.raises(InputError, match="'eager-copy' is not one of eager, inductor, xla, openxla$"):
        config.build_config(model="gpt2-tiny", backends="eager,eager-copy")


@pytest.mark.slow
def test_a_backend_defined_in_one_place_runs_a_real_bench(registered: None, tmp_path: Path) -> None:
    cfg = config.build_config(
        model="bench_usermodels:tiny_lm",
        backends="eager,eager-copy,needs-a-gpu",
        device="cpu",
        seq_len=16,
        batch_size=4,
        min_steps=4,
        block_steps=2,
        max_blocks=12,
        max_seconds=60,
        threads=1,
    )
    res = runner.run_bench(cfg)
    print({n: (b.status, b.compiles, b.blocks, b.reason) for n, b in res.backends.items()})
    assert res.config["backends"] == ["eager", "eager-copy", "needs-a-gpu"]
    copy_res = res.backends["eager-copy"]
    assert copy_res.status == "ok" and copy_res.blocks >= config.MIN_TRUSTED_BLOCKS
    assert copy_res.compiles == 1  # the hook ran in the spawned worker, on the backend object sent there
    assert res.backends["needs-a-gpu"].status == "unavailable"
    assert res.backends["needs-a-gpu"].reason == "runs on CUDA only, not cpu"
    (cmp,) = res.comparisons
    assert cmp.candidate == "eager-copy" and cmp.compiler == "torch.compile"
    assert cmp.speedup is not None and cmp.measurement == "interval"
    print(f"eager-copy vs eager: {cmp.speedup.mid:.3f}x [{cmp.speedup.low:.3f}, {cmp.speedup.high:.3f}]")
    # the same eager step on both sides: the ratio is 1 up to noise on this shared machine
    assert 0.5 < cmp.speedup.mid < 2.0
    # the losses match step for step (same weights, same batches, same eager kernels)
    assert cmp.loss_parity is not None and cmp.loss_parity.max_rel_diff is not None
    assert cmp.loss_parity.max_rel_diff < 1e-6
