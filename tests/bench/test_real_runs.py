"""Real benchmarks on CPU: tiny models, eager against inductor and torch-xla (PJRT_DEVICE=CPU).

Each module-level run goes through the command line exactly as a user types it and is
checked through the results file it writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fitcheck.bench.results import BenchResults, load_bench_results
from fitcheck.cli import app

HERE = Path(__file__).parent
pytestmark = pytest.mark.slow


def _run(tmp: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, BenchResults]:
    out = tmp / "results.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(HERE))
        mp.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
        for k, v in (env or {}).items():
            mp.setenv(k, v)
        result = CliRunner().invoke(app, ["bench", "-q", *args, "-o", str(out)])
    text = result.output + (result.stderr if result.stderr_bytes else "")
    assert out.exists(), text
    return result.exit_code, text, load_bench_results(out)


@pytest.fixture(scope="module")
def bert_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, BenchResults]]:
    tmp = tmp_path_factory.mktemp("bert")
    yield _run(
        tmp,
        "--model",
        "bert-base-uncased-tiny",
        "--workload",
        "nightly-bert",
        "--backends",
        "eager,inductor,xla",
        "--seq-len",
        "16",
        "--batch-size",
        "2",
        "--min-steps",
        "6",
        "--block-steps",
        "2",
        "--max-seconds",
        "3",
        "--warm-compile-cache",
        "--find-max-batch",
    )


def test_bert_eager_inductor_xla_really_run_and_compare(bert_run) -> None:
    code, text, res = bert_run
    assert code == 0, text
    assert res.model == "bert-base-uncased-tiny" and res.workload == "nightly-bert"
    assert res.host.device == "cpu" and res.host.torch and res.host.torch_xla
    assert set(res.backends) == {"eager", "inductor", "xla"}
    for name, b in res.backends.items():
        assert b.status == "ok", (name, b.reason)
        assert b.blocks >= 3 and len(b.step_seconds) == 2 * b.blocks
        assert all(s > 0 for s in b.step_seconds)
        assert b.summary is not None and b.summary.n == len(b.step_seconds)
        assert b.samples_per_second == pytest.approx(2 / b.summary.median)
        assert b.peak_memory_bytes and b.peak_memory_kind == "process_max_rss"
        assert len(b.block_lead_seconds) == b.blocks  # one lead step opens every block
        assert len(b.loss) == 3 + len(b.step_seconds) + b.blocks
    # compilation shows in the candidates' warm-up, not in eager's
    assert res.backends["inductor"].compile_seconds > 1.0
    assert res.backends["xla"].compile_seconds > 1.0
    assert res.backends["inductor"].compiles >= 1 and res.backends["inductor"].graph_breaks == 0
    assert res.backends["xla"].compiles >= 1 and res.backends["xla"].recompiles == 0
    comps = {c.candidate: c for c in res.comparisons}
    assert comps["inductor"].compiler == "torch.compile" and comps["xla"].compiler == "torch-xla"
    for c in comps.values():
        assert c.speedup is not None and 0 < c.speedup.low <= c.speedup.mid <= c.speedup.high
        assert c.blocks >= 3 and c.stopped_because in ("target_ci", "max_seconds", "max_blocks")
        assert c.loss_parity is not None and c.loss_parity.ok, c.loss_parity
        assert c.loss_parity.steps_compared >= 3
        assert c.compile_seconds is not None and c.memory_ratio is not None
    assert res.find_max_batch == {"status": "unavailable", "reason": "needs a GPU (the device is cpu)"}
    assert "inductor vs eager: speedup" in text


@pytest.fixture(scope="module")
def dynamic_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, BenchResults]:
    return _run(
        tmp_path_factory.mktemp("dyn"),
        "--model",
        "bench_usermodels:tiny_lm",
        "--backends",
        "eager,inductor,xla",
        "--seq-len",
        "24",
        "--batch-size",
        "4",
        "--min-steps",
        "6",
        "--block-steps",
        "2",
        "--max-seconds",
        "2",
        "--dynamic-shapes",
        "--warm-compile-cache",
    )


def test_dynamic_shapes_show_recompiles(dynamic_run) -> None:
    code, text, res = dynamic_run
    assert code == 0, text
    comps = {c.candidate: c for c in res.comparisons}
    for name in ("inductor", "xla"):
        dyn = comps[name].dynamic
        assert dyn is not None and dyn.speedup is not None
        assert dyn.blocks == 10 and dyn.steps == 20 and len(dyn.sizes) == 20
        assert all(12 <= s <= 24 for s in dyn.sizes) and len(set(dyn.sizes)) > 1
        assert comps[name].recompiles == 0  # static phase: one graph
    # XLA compiles one graph per new shape; dynamo recompiles at least once, then goes dynamic
    xla_dyn = comps["xla"].dynamic
    assert xla_dyn is not None and xla_dyn.recompiles >= len(set(xla_dyn.sizes)) - 1
    ind_dyn = comps["inductor"].dynamic
    assert ind_dyn is not None and ind_dyn.recompiles >= 1
    assert "dynamic shapes: speedup" in text


@pytest.fixture(scope="module")
def crash_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, BenchResults]:
    # inductor's worker dies on its 7th loss call: after warm-up (3) and one block (1 + 2)
    return _run(
        tmp_path_factory.mktemp("crash"),
        "--model",
        "bench_usermodels:tiny_lm",
        "--backends",
        "eager,inductor,xla",
        "--seq-len",
        "16",
        "--min-steps",
        "6",
        "--block-steps",
        "2",
        "--max-seconds",
        "2",
        "--warm-compile-cache",
        env={"BENCH_TEST_CRASH": "inductor:7"},
    )


def test_crashed_backend_leaves_a_valid_file_with_the_others(crash_run) -> None:
    code, text, res = crash_run
    assert code == 1, text
    assert "error: backend failed: inductor: worker process died with exit code 3" in text
    ind = res.backends["inductor"]
    assert ind.status == "failed" and "exit code 3" in (ind.reason or "")
    assert len(ind.step_seconds) == 2  # the block measured before the crash is kept
    assert res.backends["eager"].status == "ok" and res.backends["xla"].status == "ok"
    comps = {c.candidate: c for c in res.comparisons}
    assert comps["inductor"].stopped_because == "failed" and comps["inductor"].speedup is None
    assert comps["xla"].speedup is not None and comps["xla"].stopped_because != "failed"


def test_backend_that_fails_to_build_is_reported(tmp_path: Path) -> None:
    code, text, res = _run(
        tmp_path,
        "--model",
        "bench_usermodels:tiny_lm",
        "--backends",
        "eager,xla",
        "--min-steps",
        "2",
        "--block-steps",
        "1",
        "--max-seconds",
        "1",
        env={"BENCH_TEST_RAISE": "xla"},
    )
    assert code == 1, text
    xla = res.backends["xla"]
    assert xla.status == "failed" and "RuntimeError: refusing to build for xla" in (xla.reason or "")
    assert res.backends["eager"].status == "ok" and res.backends["eager"].step_seconds
    assert res.comparisons[0].stopped_because == "failed"
