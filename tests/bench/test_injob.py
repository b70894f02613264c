"""The in-job entry point: standalone, old-Python syntax, and its file is a valid results file."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fitcheck.core.benchresult import MIN_INTERVAL_BLOCKS, BenchResults

SCRIPT = Path(__file__).resolve().parents[2] / "fitcheck" / "injob" / "bench_job.py"
OLDEST_PYTHON = (3, 8)  # the SageMaker Training Compiler images ship Python 3.8 / 3.9


def test_parses_as_the_oldest_python_it_claims() -> None:
    source = SCRIPT.read_text()
    ast.parse(source, feature_version=OLDEST_PYTHON)  # raises SyntaxError on newer syntax
    assert "from __future__ import annotations" not in source  # 3.8 evaluates annotations eagerly


def test_needs_nothing_from_fitcheck() -> None:
    tree = ast.parse(SCRIPT.read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported and not [m for m in imported if m.split(".")[0] == "fitcheck"]


def test_vermin_finds_nothing_newer_than_the_oldest_python() -> None:
    pytest.importorskip("vermin")
    exe = Path(sys.executable).with_name("vermin")
    done = subprocess.run(
        [str(exe), "-t=3.8-", "--no-tips", "--violations", str(SCRIPT)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PJRT_DEVICE": "CPU", "PYTHONPATH": str(Path(__file__).parent)}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--output-dir", str(tmp_path), "--device", "cpu", *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_bad_backends_is_exit_2(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    done = _run(tmp_path, "--model", "injob_usermodel:make", "--backends", "eager,tvm")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: --backends must be")
    assert not (tmp_path / "fitcheck-bench.json").exists()


@pytest.mark.slow
def test_writes_a_results_file_that_fitcheck_validates(tmp_path: Path) -> None:
    pytest.importorskip("torch_xla")
    done = _run(
        tmp_path,
        "--model",
        "injob_usermodel:make",
        "--backends",
        "eager,xla",
        "--batch-size",
        "8",
        "--steps-per-block",
        "3",
        "--max-blocks",
        str(MIN_INTERVAL_BLOCKS),
        "--workload",
        "w1",
        "--some_sagemaker_hyperparameter",
        "ignored",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    doc = BenchResults.model_validate_json((tmp_path / "fitcheck-bench.json").read_text())
    (cmp,) = doc.comparisons
    assert cmp.compiler == "torch-xla"
    assert doc.workload == "w1"
    assert cmp.measurement == "interval" and cmp.blocks == MIN_INTERVAL_BLOCKS
    assert cmp.speedup is not None and cmp.speedup.low <= cmp.speedup.mid <= cmp.speedup.high
    base, cand = doc.backends["eager"], doc.backends["xla"]
    assert len(base.step_seconds) == len(cand.step_seconds) == 3 * MIN_INTERVAL_BLOCKS
    # the headline is the throughput ratio of the raw samples written next to it
    assert cmp.speedup.mid == pytest.approx(sum(base.step_seconds) / sum(cand.step_seconds), rel=1e-9)
    assert cmp.loss_parity is not None and cmp.loss_parity.ok
