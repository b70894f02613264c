"""fitcheck's own harness inside a SageMaker job: the source archive, the entry point, the
request (against moto), and collecting the results file from the job's model artifacts."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile

import boto3
import pytest

from fitcheck.aws.harness import (
    ENTRY_NAME,
    bench_harness_on_sagemaker,
    collect_harness,
    harness_archive,
    results_from_artifacts,
)
from fitcheck.aws.harness_entry import RESULTS_NAME, bench_argv
from fitcheck.core.benchresult import BackendResult, BenchResults, Comparison, Host, SpeedupInterval
from fitcheck.errors import InputError

from .history import PT_IMAGE, ROLE, TRCOMP_IMAGE


def _names(archive: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return tar.getnames()


def test_archive_holds_the_entry_point_fitcheck_and_its_requirements():
    a, b = harness_archive(), harness_archive()
    assert a == b  # reproducible
    names = _names(a)
    assert names[:2] == [ENTRY_NAME, "requirements.txt"]
    for needed in (
        "fitcheck/cli.py",
        "fitcheck/bench/cli.py",
        "fitcheck/core/benchresult.py",
        "fitcheck/_bundled_profiles/default/policy.yaml",
        "fitcheck/_bundled_profiles/default/instances.csv",
    ):
        assert needed in names, needed
    assert not any("__pycache__" in n for n in names)


def test_entry_point_builds_the_bench_command():
    argv = bench_argv(
        {"FITCHECK_BENCH_ARGS": '["--model", "bert-base-uncased"]', "SM_MODEL_DIR": "/opt/ml/model"}
    )
    assert argv == [
        "fitcheck",
        "bench",
        "--model",
        "bert-base-uncased",
        "--output",
        f"/opt/ml/model/{RESULTS_NAME}",
        "--quiet",
    ]
    with pytest.raises(SystemExit):
        bench_argv({"FITCHECK_BENCH_ARGS": '{"model": 1}'})


def test_entry_point_runs_fitcheck_from_the_archive(tmp_path):
    with tarfile.open(fileobj=io.BytesIO(harness_archive()), mode="r:gz") as tar:
        tar.extractall(tmp_path, filter="data")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(FITCHECK_BENCH_ARGS='["--help"]', SM_MODEL_DIR=str(tmp_path / "model"))
    res = subprocess.run(
        [sys.executable, ENTRY_NAME], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "--output" in res.stdout and "interleaved" in res.stdout


def _results() -> str:
    ok = BackendResult(status="ok", samples_per_second=100.0)
    comp = Comparison(
        baseline="eager",
        candidate="torch.compile",
        compiler="torch.compile",
        measurement="interval",
        speedup=SpeedupInterval(low=1.2, mid=1.3, high=1.4),
        speedup_basis="paired blocks",
        blocks=12,
        stopped_because="target_ci",
    )
    doc = BenchResults(
        kind="fitcheck-bench-results",
        format_version=2,
        fitcheck_version="0.1.0",
        created_at="2024-06-01T00:00:00Z",
        workload="w",
        model="bert-base-uncased",
        host=Host(device="cuda"),
        config={},
        backends={"eager": ok, "torch.compile": ok},
        comparisons=[comp],
    )
    return doc.model_dump_json()


def _model_tar(text: str | None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        if text is not None:
            data = text.encode()
            info = tarfile.TarInfo(RESULTS_NAME)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_results_are_read_from_the_model_artifacts():
    assert json.loads(results_from_artifacts(_model_tar(_results()), "m"))["workload"] == "w"
    with pytest.raises(InputError, match=f"hold no {RESULTS_NAME}"):
        results_from_artifacts(_model_tar(None), "m")
    with pytest.raises(InputError, match="not a model.tar.gz"):
        results_from_artifacts(b"not a tar", "m")


def test_launch_then_collect_against_moto(aws, tmp_path, capsys):
    aws.start_recording()
    request, written = bench_harness_on_sagemaker(
        workload="bert-nightly",
        role=ROLE,
        image=PT_IMAGE,
        bench_args=["--model", "bert-base-uncased", "--compiler", "torch.compile"],
        instance_type="ml.g5.2xlarge",
        region="us-east-1",
        wait=False,
    )
    assert written is None
    (sent,) = aws.sent("SageMaker.CreateTrainingJob")
    assert sent == request
    assert json.loads(sent["Environment"]["FITCHECK_BENCH_ARGS"]) == [
        "--model",
        "bert-base-uncased",
        "--compiler",
        "torch.compile",
    ]
    assert sent["HyperParameters"]["sagemaker_program"] == ENTRY_NAME
    sm, s3 = boto3.client("sagemaker"), boto3.client("s3")
    uri = sm.describe_training_job(TrainingJobName=request["TrainingJobName"])["ModelArtifacts"][
        "S3ModelArtifacts"
    ]
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    s3.put_object(Bucket=bucket, Key=key, Body=_model_tar(_results()))
    out = collect_harness(request["TrainingJobName"], "us-east-1", tmp_path / "r.json")
    from fitcheck.io.evidence import load_bench_results

    loaded = load_bench_results(out)
    assert loaded.comparisons[0].measurement == "interval" and loaded.comparisons[0].blocks == 12
    s3.put_object(Bucket=bucket, Key=key, Body=_model_tar('{"kind": "fitcheck-bench-results"}'))
    with pytest.raises(InputError, match="format_version"):
        collect_harness(request["TrainingJobName"], "us-east-1", tmp_path / "bad.json")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image": TRCOMP_IMAGE}, "is not a PyTorch >= 2.0 training image"),
        ({"instance_type": "ml.m5.xlarge"}, "has no GPU"),
    ],
)
def test_harness_refuses_what_cannot_run_it(aws, kwargs, message):
    args = dict(
        workload="w", role=ROLE, image=PT_IMAGE, bench_args=[], instance_type="ml.g5.2xlarge", dry_run=True
    )
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        bench_harness_on_sagemaker(**args)
