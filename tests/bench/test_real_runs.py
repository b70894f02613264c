"""Real benchmarks on CPU: tiny models, eager against inductor and torch-xla (PJRT_DEVICE=CPU).

Each module-level run goes through the command line exactly as a user types it and is
checked through the results file it writes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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
        "6",
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
        assert b.steps_per_block == 2 and b.threads == 1  # 2 cores shared by 3 workers
    # compilation shows in the candidates' warm-up, not in eager's
    assert res.backends["inductor"].compile_seconds > 1.0
    assert res.backends["xla"].compile_seconds > 1.0
    assert res.backends["inductor"].compiles >= 1 and res.backends["inductor"].graph_breaks == 0
    assert res.backends["xla"].compiles >= 1 and res.backends["xla"].recompiles == 0
    comps = {c.candidate: c for c in res.comparisons}
    assert comps["inductor"].compiler == "torch.compile" and comps["xla"].compiler == "torch-xla"
    for c in comps.values():
        assert c.stopped_because in (
            "target_ci",
            "max_seconds",
            "max_blocks",
            "decided_enable",
            "decided_skip",
        )
        assert c.point_estimate is not None and c.median_speedup is not None
        if c.blocks >= 10:
            assert c.measurement == "interval" and c.speedup is not None
            assert 0 < c.speedup.low <= c.speedup.mid <= c.speedup.high
            # the headline is the ratio of total times over the paired blocks
            e = res.backends["eager"].step_seconds[: 2 * c.blocks]
            k = res.backends[c.candidate].step_seconds[: 2 * c.blocks]
            assert c.speedup.mid == pytest.approx(sum(e) / sum(k))
            assert c.sequential is not None and c.sequential.enable_above == 1.2
        else:  # no interval from fewer than 10 blocks
            assert c.measurement == "insufficient" and c.speedup is None
        assert c.loss_parity is not None and c.loss_parity.ok, c.loss_parity
        assert c.loss_parity.steps_compared >= 3
        # once, after the timed steps: gradients and updated parameters against fp64 eager
        # (xla passes because the worker re-ties the weights the move to its device untied)
        grad = c.gradient_parity
        assert grad is not None and grad.verdict == "pass", grad
        assert grad.eager_runs_agree and grad.tensors_compared > 40 and grad.tensors_failed == 0
        assert c.compile_seconds is not None and c.memory_ratio is not None
    assert res.find_max_batch == {"status": "unavailable", "reason": "needs a GPU (the device is cpu)"}
    ceiling = res.ceiling  # FLOPs counted on CPU; the MFU needs a GPU's peak, and says so
    assert ceiling is not None and ceiling.flops_per_step > 0 and ceiling.achieved_tflops > 0
    assert ceiling.mfu is None and ceiling.speedup_ceiling is None and "need a GPU" in (ceiling.note or "")
    assert res.interference is not None and res.interference.threads_per_worker == 1
    assert len(res.interference.load_before) == 3 and res.host.transformers
    assert "inductor vs eager:" in text


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
        "20",
        "--dynamic-shapes",
        "--measure-warm-compile",
        "--no-grad-parity",
    )


def test_dynamic_shapes_cost_what_they_cost(dynamic_run) -> None:
    code, text, res = dynamic_run
    assert res.config["grad_parity"] is False  # --no-grad-parity: the check is left out
    assert all(c.gradient_parity is None for c in res.comparisons)
    assert code == 0, text
    comps = {c.candidate: c for c in res.comparisons}
    for name in ("inductor", "xla"):
        dyn = comps[name].dynamic
        assert dyn is not None and 1 <= dyn.blocks <= 10
        assert dyn.steps == 2 * dyn.blocks == len(dyn.sizes) == len(dyn.candidate_step_seconds)
        assert all(12 <= s <= 24 for s in dyn.sizes)
        # bounded by --max-seconds: fewer than the 10 planned blocks only when time ran out
        assert dyn.stopped_because == ("completed" if dyn.blocks == 10 else "max_seconds")
        assert comps[name].recompiles == 0  # static phase: one graph
        assert dyn.recompiles is not None and dyn.recompiles >= 1
        assert (
            dyn.candidate_compiled_steps and dyn.recompile_seconds is not None and dyn.recompile_seconds > 0
        )
        # the end-to-end ratio counts every step, recompiles included
        assert dyn.end_to_end_ratio == pytest.approx(
            sum(dyn.baseline_step_seconds) / sum(dyn.candidate_step_seconds)
        )
        if dyn.steady_speedup is not None:  # steady steps only: above the end-to-end figure
            assert dyn.steady_speedup.mid > dyn.end_to_end_ratio
    xla_dyn = comps["xla"].dynamic
    assert xla_dyn is not None and xla_dyn.xla_compiles is not None and xla_dyn.xla_compiles >= 1
    assert xla_dyn.fell_back_to_eager is None
    ind_dyn = comps["inductor"].dynamic
    assert ind_dyn is not None and ind_dyn.fell_back_to_eager is False
    # compiled again in a fresh process from the cache the run filled: cheaper than cold
    ind = comps["inductor"]
    assert ind.compile_seconds is not None and ind.compile_seconds_warm is not None
    assert 0 <= ind.compile_seconds_warm < ind.compile_seconds
    assert comps["xla"].compile_seconds_warm is None  # only inductor has such a cache
    assert "dynamic shapes: end-to-end" in text


@pytest.fixture(scope="module")
def crash_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, BenchResults, float]:
    # inductor's worker dies on its 7th loss call: after warm-up (3) and one block (1 + 2);
    # xla's worker hangs on its 7th: the block timeout (15 s) must end the wait
    t0 = time.monotonic()
    out = _run(
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
        "--block-timeout",
        "15",
        "--warm-compile-cache",
        env={"BENCH_TEST_CRASH": "inductor:7", "BENCH_TEST_HANG": "xla:7"},
    )
    return (*out, time.monotonic() - t0)


def test_crashed_and_hung_backends_leave_a_valid_file_with_the_baseline(crash_run) -> None:
    code, text, res, wall = crash_run
    assert code == 1, text
    assert "inductor: worker process died with exit code 3" in text
    ind = res.backends["inductor"]
    assert ind.status == "failed" and "exit code 3" in (ind.reason or "")
    assert len(ind.step_seconds) == 2  # the block measured before the crash is kept
    xla = res.backends["xla"]
    assert xla.status == "timed_out" and "no answer within 15 s" in (xla.reason or ""), xla.reason
    assert len(xla.step_seconds) == 2  # the block before the hang is kept
    eager = res.backends["eager"]
    assert eager.status == "ok" and eager.blocks >= 2 and len(eager.step_seconds) == 2 * eager.blocks
    comps = {c.candidate: c for c in res.comparisons}
    for name in ("inductor", "xla"):
        assert comps[name].stopped_because == "failed" and comps[name].speedup is None
        assert comps[name].measurement == "failed"
    # the hang cost the block timeout, not the hour the worker would have slept
    assert wall < 600 and res.elapsed_seconds is not None and res.elapsed_seconds < 300


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


def test_sigterm_writes_the_partial_results(tmp_path: Path) -> None:
    out, mark = tmp_path / "results.json", tmp_path / "hung"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "BENCH_TEST_HANG": "xla:7",
        "BENCH_TEST_HANG_MARK": str(mark),
    }
    args = ["bench", "-q", "--model", "bench_usermodels:tiny_lm", "--backends", "eager,xla"]
    args += ["--min-steps", "6", "--block-steps", "2", "--block-timeout", "600", "-o", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fitcheck.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 400
        while not mark.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
        assert mark.exists(), "the xla worker never reached its hang"
        proc.send_signal(signal.SIGTERM)
        text, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, text
    assert "interrupted" in text
    res = load_bench_results(out)
    assert res.interrupted
    assert res.backends["eager"].step_seconds  # what was measured is kept
    assert res.comparisons[0].stopped_because == "interrupted"
    assert res.comparisons[0].measurement == "insufficient"  # one block: no interval


def test_the_whole_step_can_be_compiled(tmp_path: Path) -> None:
    code, text, res = _run(
        tmp_path,
        "--model",
        "bench_usermodels:tiny_lm",
        "--backends",
        "eager,inductor",
        "--compile-scope",
        "step",
        "--min-steps",
        "4",
        "--block-steps",
        "2",
        "--max-seconds",
        "2",
        "--warm-compile-cache",
    )
    assert code == 0, text
    assert res.config["compile_scope"] == "step"
    ind = res.backends["inductor"]
    assert ind.status == "ok" and ind.compiles is not None and ind.compiles >= 1
    parity = res.comparisons[0].loss_parity  # optimizer inside the graph: same losses as eager
    assert parity is not None and parity.ok and parity.steps_compared >= 5, parity
    grad = res.comparisons[0].gradient_parity  # the whole step compiled, optimizer included
    assert grad is not None and grad.verdict == "pass" and "parameters" in grad.compared, grad
