"""The TensorFlow backend pair (tf-eager / tf-xla) on CPU: XLA's CPU JIT, real Keras models.

TensorFlow runs only in child processes here, as it does in ``fitcheck bench`` (one worker
process per backend): loaded into the test process next to torch-xla, the two libraries'
native runtimes abort the interpreter.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fitcheck.bench.config import build_config
from fitcheck.bench.tf_models import TF_CATALOG
from fitcheck.core.benchresult import MIN_INTERVAL_BLOCKS, BenchResults
from fitcheck.errors import InputError

HAS_TF = (
    importlib.util.find_spec("tensorflow") is not None and importlib.util.find_spec("keras_hub") is not None
)
needs_tf = pytest.mark.skipif(not HAS_TF, reason="TensorFlow is not installed (pip install 'fitcheck[tf]')")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "KERAS_BACKEND": "tensorflow"}


def test_catalog_has_tiny_variants_of_real_architectures() -> None:
    assert {"bert-base-uncased", "bert-base-uncased-tiny", "resnet50", "resnet50-tiny"} <= set(TF_CATALOG)
    assert TF_CATALOG["bert-base-uncased"].params["num_layers"] == 12  # the published configuration
    assert TF_CATALOG["bert-base-uncased"].architecture == TF_CATALOG["bert-base-uncased-tiny"].architecture


@needs_tf
def test_options_are_checked_before_any_worker_starts() -> None:
    cfg = build_config(model="bert-base-uncased-tiny", framework="tensorflow")
    assert cfg.backends == ("tf-eager", "tf-xla") and cfg.baseline == "tf-eager"
    with pytest.raises(InputError, match=r"'inductor' is not one of tf-eager, tf-xla \(a pytorch backend"):
        build_config(model="bert-base-uncased-tiny", framework="tensorflow", backends="tf-eager,inductor")
    with pytest.raises(InputError, match="--find-max-batch: is for the PyTorch backends"):
        build_config(model="bert-base-uncased-tiny", framework="tensorflow", find_max_batch=True)
    with pytest.raises(InputError, match="'gpt3-tiny' is not one of bert-base-uncased"):
        build_config(model="gpt3-tiny", framework="tensorflow")
    with pytest.raises(InputError, match="'tf-xla' is not one of eager, .*add --framework tensorflow"):
        build_config(model="bert-base-uncased-tiny", backends="eager,tf-xla")


SESSION_SCRIPT = textwrap.dedent(
    """
    import json, math, sys
    from fitcheck.bench.tf_session import TfSession, TfInputProblem
    backend = sys.argv[1]
    cfg = {"model": "bert-base-uncased-tiny", "batch_size": 2, "size": None, "seed": 0,
           "precision": "fp32", "learning_rate": 1e-4, "threads": 1}
    out = {}
    try:
        TfSession(backend, {**cfg, "model": "not-a-model"}).setup("cpu")
    except TfInputProblem as err:
        out["unknown_model"] = str(err)
    s = TfSession(backend, cfg)
    out["info"] = s.setup("cpu")
    first = s.run_steps(0, [None] * 4, lead=1)
    again = s.run_steps(10, [None] * 2)
    dynamic = s.run_steps(20, [12, 20, 12])
    out.update(first=first, again=again, dynamic=dynamic, stats=s.stats())
    print(json.dumps(out))
    """
)


@needs_tf
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tf-eager", "tf-xla"])
def test_trains_and_counts_compilations_per_shape(backend: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SESSION_SCRIPT, backend], capture_output=True, text=True, env=ENV, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["unknown_model"].startswith("unknown TensorFlow model 'not-a-model'")
    assert out["info"]["device"] == "cpu" and out["info"]["xla_jit"] is (backend == "tf-xla")
    first, again, dynamic = out["first"], out["again"], out["dynamic"]
    assert len(first["seconds"]) == 3 and len(first["lead_seconds"]) == 1
    assert all(v == v and abs(v) < 1e6 for v in first["loss"])  # finite
    assert first["compiled_steps"] == []  # the lead step compiled; the timed ones did not
    assert again["compiles"] == first["compiles"] and again["compiled_steps"] == []
    if backend == "tf-xla":  # XLA compiles once per new shape; a shape seen before is cached
        assert dynamic["compiled_steps"] == [0, 1]
        assert out["stats"]["xla_compiles"] == 3
    else:
        assert out["stats"]["xla_compiles"] is None
    assert dynamic["compiles"] >= first["compiles"]


@needs_tf
@pytest.mark.slow
def test_bench_then_analyze_turns_a_tf_xla_workload_measured(tmp_path: Path) -> None:
    results = tmp_path / "tf.json"
    bench = [
        sys.executable, "-m", "fitcheck", "bench", "--framework", "tensorflow",
        "--model", "bert-base-uncased-tiny", "--backends", "tf-eager,tf-xla", "--device", "cpu",
        "--seq-len", "32", "--dynamic-shapes", "--max-seconds", "300", "--max-blocks", "12",
        "--workload", "keras-intent", "-o", str(results), "--quiet",
    ]  # fmt: skip
    done = subprocess.run(bench, capture_output=True, text=True, env=ENV, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = BenchResults.model_validate_json(results.read_text())
    assert doc.host.tensorflow and doc.backends["tf-xla"].status == "ok"
    (cmp,) = doc.comparisons
    assert cmp.baseline == "tf-eager" and cmp.candidate == "tf-xla" and cmp.compiler == "tf-xla"
    assert cmp.measurement == "interval" and cmp.blocks >= MIN_INTERVAL_BLOCKS
    assert cmp.speedup is not None and cmp.speedup.low <= cmp.speedup.mid <= cmp.speedup.high
    assert cmp.compile_seconds is not None and cmp.loss_parity is not None and cmp.loss_parity.ok
    assert cmp.dynamic is not None and cmp.dynamic.recompiles and cmp.dynamic.recompiles >= 2

    inventory = tmp_path / "tf.yaml"
    inventory.write_text(
        textwrap.dedent(
            """
            version: 1
            workloads:
              - name: keras-intent
                framework: tensorflow
                framework_version: "2.13"
                model: bert-base-uncased
                instance_type: ml.g5.2xlarge
                duration_hours: 3
                runs_per_week: 5
                precision: fp16
                input_shapes: static
            """
        )
    )
    analysis = tmp_path / "analysis.json"
    done = subprocess.run(
        [sys.executable, "-m", "fitcheck", "analyze", str(inventory), "--bench", str(results),
         "-f", "json", "-o", str(analysis)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (record,) = json.loads(analysis.read_text())["workloads"]
    assert record["candidate_compiler"] == "tf-xla"
    assert record["evidence"] == "measured"
    assert record["expected_speedup"]["mid"] == pytest.approx(cmp.speedup.mid)
