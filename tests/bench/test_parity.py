"""Gradient parity against an fp64 eager reference: the rule, real models on CPU, the results file,
the summary and ``analyze``."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fitcheck import api
from fitcheck.bench import parity
from fitcheck.bench.parity import TensorStats, judge_tensor, verdict_of
from fitcheck.bench.report import render_summary
from fitcheck.core.benchresult import BenchResults, GradientParity
from tests.bench_files import write_bench_results
from tests.conftest import EXAMPLES, NOW

torch = pytest.importorskip("torch")

MODEL = "bert-base-uncased-tiny"
BATCH, SEQ = 2, 16
CFG = {
    "model": MODEL,
    "batch_size": BATCH,
    "size": SEQ,
    "seed": 0,
    "precision": "fp32",
    "learning_rate": 1e-4,
}


# --- the rule ---------------------------------------------------------------------------------


def _stats(
    res: float, ref: float, *, numel: int = 5000, allclose: bool = False, dtype: str = "torch.float32"
):
    return TensorStats("t", numel, dtype, allclose, res, ref)


def test_rule_follows_dynamo_same() -> None:
    tol = 1e-3
    # rmse bound: 2 x eager's error + tol/10 for a large fp32 tensor
    assert judge_tensor(_stats(2 * 1e-3 + 1e-4 - 1e-9, 1e-3), tol).passed
    assert not judge_tensor(_stats(2 * 1e-3 + 1e-4 + 1e-9, 1e-3), tol).passed
    # allclose alone passes, whatever the rmse
    assert judge_tensor(_stats(1.0, 1e-9, allclose=True), tol).passed
    # multiplier 3: small tensors, low-precision tensors, large tolerances
    assert judge_tensor(_stats(1.0, 1.0, numel=999), tol).multiplier == 3.0
    assert judge_tensor(_stats(1.0, 1.0, dtype="torch.bfloat16"), tol).multiplier == 3.0
    assert judge_tensor(_stats(1.0, 1.0), 2e-2).multiplier == 3.0
    assert judge_tensor(_stats(1.0, 1.0), tol).multiplier == 2.0
    # a dtype/shape change fails even when close
    bad = TensorStats(
        "t", 10, "torch.float32", True, 0.0, 0.0, mismatch="dtype torch.float16 instead of torch.float32"
    )
    assert not judge_tensor(bad, tol).passed


def test_verdict_names_the_worst_failing_tensor() -> None:
    stats = [
        TensorStats("loss", 1, "torch.float32", False, 1e-7, 1e-7),
        TensorStats("grad:a", 4000, "torch.float32", False, 5e-3, 1e-3),  # margin 5e-3 / 2.1e-3
        TensorStats("grad:b", 4000, "torch.float32", False, 9e-3, 1e-3),  # margin 9e-3 / 2.1e-3
        TensorStats("grad:c", 4000, "torch.float32", True, 1.0, 1e-3),  # allclose: passes
    ]
    report = verdict_of(stats, 1e-3, precision="fp32")
    assert (report.verdict, report.tensors_failed, report.tensors_compared) == ("fail", 2, 4)
    assert report.worst_tensor == "grad:b" and report.multiplier == 2.0
    assert (report.worst_candidate_rmse, report.worst_eager_rmse) == (9e-3, 1e-3)
    assert "2 of 4" in (report.reason or "")


def test_simulation_same_quality_passes_and_worse_fails() -> None:
    """Known truth: a float64 'true' tensor; eager = truth + noise of size s; a candidate of the same
    quality (independent noise of size s) must pass, one 5x as far from the truth must fail, and a
    1 % bias fails where it exceeds eager's own error (and only there). 500 trials, tensors of
    2,000..20,000 elements."""
    gen = torch.Generator().manual_seed(7)
    trials, tol = 500, 1e-3
    passed = {"same": 0, "5x": 0}
    bias = {"caught (noise < 3e-3)": [0, 0], "accepted (noise > 1e-2)": [0, 0]}
    for i in range(trials):
        n = 2000 + (i * 37) % 18000
        truth = torch.randn(n, generator=gen, dtype=torch.float64)
        s = 10 ** (-3 + 2 * torch.rand(1, generator=gen).item())  # eager's error: 1e-3 .. 1e-1
        eager = (truth + s * torch.randn(n, generator=gen, dtype=torch.float64)).float()
        cands = {
            "same": truth + s * torch.randn(n, generator=gen, dtype=torch.float64),
            "5x": truth + 5 * s * torch.randn(n, generator=gen, dtype=torch.float64),
            "bias": truth * 1.01 + s * torch.randn(n, generator=gen, dtype=torch.float64),
        }
        for key, cand in cands.items():
            stats = parity.compare({"t": truth}, {"t": eager}, {"t": cand.float()}, tol)
            ok = verdict_of(stats, tol, precision="fp32").verdict == "pass"
            if key != "bias":
                passed[key] += ok
            elif s < 3e-3:  # a 1 % bias (rmse 1e-2) is over 3x eager's error: must be caught
                bias["caught (noise < 3e-3)"][0] += not ok
                bias["caught (noise < 3e-3)"][1] += 1
            elif s > 1e-2:  # the bias is under eager's own error: the rule accepts it, by design
                bias["accepted (noise > 1e-2)"][0] += ok
                bias["accepted (noise > 1e-2)"][1] += 1
    rates = {k: v / trials for k, v in passed.items()}
    print(f"\nsimulated pass rates over {trials} trials (tol {tol:g}): {rates}; 1 % bias: {bias}")
    assert rates["same"] == 1.0
    assert rates["5x"] == 0.0
    for hits, total in bias.values():
        assert total > 50 and hits == total


# --- real models on CPU ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bert():
    from fitcheck.bench import models

    torch.set_num_threads(1)
    return models.build_workload(MODEL, batch_size=BATCH, size=SEQ, seed=0)


def _check(work, make_candidate, **kw):
    loss_fn = kw.pop("loss_fn", work.loss_fn)
    return parity.check_gradient_parity(
        work.model,
        lambda: work.make_batch(0, BATCH, SEQ),
        loss_fn,
        device="cpu",
        precision="fp32",
        make_candidate=make_candidate,
        **kw,
    )


def _valid(report) -> GradientParity:
    model = GradientParity(**report.as_dict())
    assert GradientParity.model_validate_json(model.model_dump_json()) == model
    return model


def test_dynamo_aot_eager_passes_with_parameters(bert) -> None:
    report = _check(bert, lambda m: torch.compile(m, backend="aot_eager"), compare_params=True)
    print("\naot_eager:", report.as_dict())
    assert report.verdict == "pass", report.reason
    assert report.eager_runs_agree is True
    n_params = len(list(bert.model.parameters()))
    assert report.tensors_compared == 1 + 2 * n_params and report.tensors_failed == 0
    assert report.compared == ["loss", "gradients", "parameters"]
    _valid(report)


def test_a_compiled_whole_step_with_its_optimizer_passes() -> None:
    """``scope="step"``: forward, backward and the AdamW step in one compiled function."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(16, 32), torch.nn.LayerNorm(32), torch.nn.GELU(), torch.nn.Linear(32, 4)
    )
    g = torch.Generator().manual_seed(1)
    batch = (torch.randn(8, 16, generator=g), torch.randint(0, 4, (8,), generator=g))
    report = parity.check_gradient_parity(
        model,
        lambda: batch,
        lambda m, b: torch.nn.functional.cross_entropy(m(b[0]), b[1]),
        device="cpu",
        precision="fp32",
        make_candidate=lambda step: torch.compile(step, backend="aot_eager"),
        scope="step",
        compare_params=True,
        learning_rate=1e-2,
    )
    assert report.verdict == "pass", report.reason
    assert report.tensors_compared == 1 + 2 * len(list(model.parameters()))


def test_a_loss_scaled_by_1_01_fails_at_the_loss(bert) -> None:
    class Scaled(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, **batch):
            out = self.inner(**batch)
            out.loss = out.loss * 1.01
            return out

    report = _check(bert, Scaled)
    print("\nloss x 1.01:", report.as_dict())
    assert report.verdict == "fail" and report.worst_tensor == "loss"
    assert report.worst_candidate_rmse > 100 * report.worst_eager_rmse
    _valid(report)


def test_a_dropped_gradient_is_named(bert) -> None:
    ref = _check(bert, None)  # eager against itself: passes, and tells the largest gradient
    assert ref.verdict == "pass" and ref.tensors_failed == 0
    model = bert.model
    model.zero_grad(set_to_none=True)
    bert.loss_fn(model, bert.make_batch(0, BATCH, SEQ)).backward()
    name = max(model.named_parameters(), key=lambda kv: float(kv[1].grad.norm()))[0]
    model.zero_grad(set_to_none=True)

    def drop(m):
        dict(m.named_parameters())[name].register_hook(lambda g: torch.zeros_like(g))
        return m

    report = _check(bert, drop)
    print("\ndropped", name, report.as_dict())
    assert report.verdict == "fail" and report.tensors_failed == 1
    assert report.worst_tensor == f"grad:{name}"
    _valid(report)


def test_nondeterministic_eager_gives_no_verdict(bert) -> None:
    calls = iter(range(1000))

    def noisy(m, batch):  # a different loss on every call, whatever the RNG state
        return bert.loss_fn(m, batch) * (1 + 1e-6 * next(calls))

    report = _check(bert, None, loss_fn=noisy)
    assert report.verdict == "no_verdict" and report.eager_runs_agree is False
    assert "eager is not deterministic here" in (report.reason or "")
    assert _valid(report).worst_tensor is None


def test_a_model_without_float64_kernels_gives_no_verdict() -> None:
    class NoDouble(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(8, 2)

        def forward(self, x):
            if x.dtype == torch.float64:  # as an op with no float64 kernel does
                raise RuntimeError("\"fused_op\" not implemented for 'Double'")
            return self.lin(x)

    torch.manual_seed(0)
    x = torch.randn(4, 8)
    report = parity.check_gradient_parity(
        NoDouble(),
        lambda: x,
        lambda m, b: m(b).square().mean(),
        device="cpu",
        precision="fp32",
        make_candidate=None,
    )
    assert report.verdict == "no_verdict"
    assert report.reason is not None and report.reason.startswith("the fp64 reference failed")
    assert "Double" in report.reason
    _valid(report)


def test_worker_entry_for_backends_without_a_candidate() -> None:
    for backend, words in (("eager", "eager is the reference"), ("tf-xla", "PyTorch backends")):
        reply = parity.run_in_worker(CFG, backend, "cpu")
        assert reply["verdict"] == "no_verdict" and words in reply["reason"]
        GradientParity(**reply)
    reply = parity.run_in_worker({**CFG, "precision": "fp16"}, "xla", "cpu")
    assert reply["verdict"] == "no_verdict" and "fp16" in reply["reason"]


@pytest.mark.slow
def test_worker_entry_inductor_passes() -> None:
    """The real thing: inductor's generated kernels against the fp64 reference (one compile)."""
    reply = parity.run_in_worker(CFG, "inductor", "cpu")
    print("\ninductor:", reply)
    assert reply["verdict"] == "pass", reply["reason"]
    assert reply["tolerance"] == parity.DEFAULT_TOLERANCE["fp32"] and reply["eager_runs_agree"]
    assert reply["tensors_compared"] > 10 and reply["worst_tensor"]
    GradientParity(**reply)


@pytest.mark.slow
def test_worker_entry_xla_on_cpu_catches_a_broken_weight_tie_and_passes_once_retied() -> None:
    """``model.to(xla_device)`` gives every module its own copy of a tied parameter (CPU and XLA
    tensors cannot swap in place), so BERT's decoder no longer shares the word embeddings: the
    embedding gradient misses the decoder's part. Without the re-tie after the move the check
    sees it on CPU PJRT and names the tensor; with it (what the bench does) XLA passes."""
    pytest.importorskip("torch_xla")
    # a fresh process, as the bench's worker: torch_xla must register its device before the
    # first backward of the process (autograd sizes its device queues then)
    code = (
        "import json, sys; from fitcheck.bench import parity; cfg = json.loads(sys.argv[1]); "
        "retie = parity.retie; parity.retie = lambda m: m; "
        "untied = parity.run_in_worker(cfg, 'xla', 'cpu'); parity.retie = retie; "
        "print(json.dumps([untied, parity.run_in_worker(cfg, 'xla', 'cpu')]))"
    )
    env = {**os.environ, "PJRT_DEVICE": "CPU"}
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(CFG)], capture_output=True, text=True, env=env, timeout=900
    )
    assert done.returncode == 0, done.stderr[-2000:]
    untied, retied = json.loads(done.stdout.strip().splitlines()[-1])
    print("\nxla, tie broken:", untied, "\nxla, re-tied:", retied)
    assert untied["verdict"] == "fail", untied["reason"]
    assert untied["worst_tensor"] == "grad:bert.embeddings.word_embeddings.weight"
    assert untied["worst_candidate_rmse"] > 1e3 * untied["worst_eager_rmse"]
    assert untied["device"].startswith("xla") and untied["reference_device"] == "cpu"
    assert retied["verdict"] == "pass", retied
    GradientParity(**untied)
    GradientParity(**retied)


# --- the results file, the summary, analyze ---------------------------------------------------

WORKLOAD = "llm-sft-weekly"

FAILED = {
    "verdict": "fail",
    "precision": "bf16",
    "tolerance": 0.01,
    "method": parity.METHOD,
    "reason": "1 of 29 tensors off",
    "multiplier": 2.0,
    "tensors_compared": 29,
    "tensors_failed": 1,
    "worst_tensor": "grad:h.0.\x1b[31mattn",
    "worst_candidate_rmse": 3e-2,
    "worst_eager_rmse": 1e-3,
    "eager_runs_agree": True,
    "compared": ["loss", "gradients"],
}


def _with_gradient(tmp_path: Path, gradient: dict | None) -> Path:
    path = write_bench_results(tmp_path / "r.json", WORKLOAD, (1.28, 1.35, 1.42))
    doc = json.loads(path.read_text())
    if gradient is not None:
        doc["comparisons"][0]["gradient_parity"] = gradient
    path.write_text(json.dumps(doc))
    return path


def test_old_files_without_gradient_parity_stay_valid(tmp_path: Path) -> None:
    results = BenchResults.model_validate_json(_with_gradient(tmp_path, None).read_text())
    assert results.comparisons[0].gradient_parity is None


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"verdict": "maybe"}, "verdict"),
        ({"worst_candidate_rmse": math.inf}, "worst_candidate_rmse"),
        ({"tensors_failed": 30}, "tensors_failed"),
        ({"tolerance": 0}, "tolerance"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_gradient_parity_is_refused(edit: dict, field: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=field):
        GradientParity(**{**FAILED, **edit})


def test_summary_shows_the_gradient_verdict_inert(tmp_path: Path) -> None:
    results = BenchResults.model_validate_json(_with_gradient(tmp_path, FAILED).read_text())
    text = render_summary(results)
    line = next(x for x in text.splitlines() if "inductor vs eager" in x)
    assert "loss parity ok" in line and "gradient parity FAILS" in line
    assert (
        "1 of 29 tensors off" in text
        and "worst grad:h.0.[31mattn: rmse 3.00e-02 vs 2 x eager's 1.00e-03" in text
    )
    assert "\x1b" not in text


@pytest.mark.parametrize(
    ("verdict", "decision", "parity_ok"), [("fail", "skip", 0.0), ("pass", "enable", 1.0)]
)
def test_analyze_treats_a_gradient_fail_as_a_parity_fail(tmp_path, verdict, decision, parity_ok) -> None:
    gradient = FAILED if verdict == "fail" else {**FAILED, "verdict": "pass", "tensors_failed": 0}
    path = _with_gradient(tmp_path, gradient)
    row = (
        api.analyze(EXAMPLES / "workloads.yaml", bench_paths=[path], now=NOW)
        .table.set_index("name")
        .loc[WORKLOAD]
    )
    assert row["loss_parity_ok"] == parity_ok
    assert row["decision"] == decision
    if verdict == "fail":
        assert row["status_measured_speedup"] == "fail"
