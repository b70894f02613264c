"""``fitcheck bench collect REF`` through the command line, against moto's server.

A hex pair id collects the paired jobs (``collect_pair``); anything else that is a valid
training-job name collects a harness job (``collect_harness``); the rest is bad input.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from fitcheck.aws.harness import bench_harness_on_sagemaker
from fitcheck.aws.paired import bench_on_sagemaker
from fitcheck.cli import app
from fitcheck.io.evidence import load_bench_results

from .conftest import DUMMY_KEY_ID, DUMMY_SECRET
from .history import PT_IMAGE, ROLE
from .test_harness import _model_tar, _results

runner = CliRunner()


def _invoke(*args: str):
    res = runner.invoke(app, ["bench", "collect", *args])
    text = res.stdout + res.stderr
    assert DUMMY_KEY_ID not in text and DUMMY_SECRET not in text
    assert "Traceback" not in text
    return res


def _one_line_exit_2(res) -> str:
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


def test_a_completed_harness_job_is_collected_by_its_name(aws, tmp_path: Path) -> None:
    request, _ = bench_harness_on_sagemaker(
        workload="bert-nightly",
        role=ROLE,
        image=PT_IMAGE,
        bench_args=["--model", "bert-base-uncased"],
        instance_type="ml.g5.2xlarge",
        region="us-east-1",
        wait=False,
    )
    job = request["TrainingJobName"]
    uri = boto3.client("sagemaker").describe_training_job(TrainingJobName=job)["ModelArtifacts"][
        "S3ModelArtifacts"
    ]
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=_model_tar(_results()))
    out = tmp_path / "harness.json"
    res = _invoke(job, "-o", str(out), "--region", "us-east-1")
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == f"job {job}: results written to {out}"
    loaded = load_bench_results(out)
    assert loaded.workload == "w" and loaded.comparisons[0].blocks == 12


def test_a_pair_is_collected_by_its_pair_id(aws, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text("print('fitcheck_throughput samples_per_second=1.0')\n")
    outcome = bench_on_sagemaker(
        pairs=1,
        workload="w2",
        role=ROLE,
        image=PT_IMAGE,
        entry_point="train.py",
        source_dir=src,
        instance_type="ml.g5.2xlarge",
        compiler="torch.compile",
        region="us-east-1",
        wait=False,
    )
    pair_id = outcome.job_names[0].rsplit("-", 2)[1]
    out = tmp_path / "pair.json"
    res = _invoke(pair_id, "--output", str(out))  # the region from the environment
    # moto's jobs report no throughput: the run measured nothing, exit 1 after writing the file
    assert res.exit_code == 1, res.output
    assert res.stdout.splitlines() == [
        f"pair {pair_id}: jobs {', '.join(outcome.job_names)}",
        f"results written to {out}",
    ]
    assert res.stderr.strip().splitlines() == [
        "error: the SageMaker run measured nothing (eager, torch.compile: the entry point reported no "
        "steady-state throughput (no 'fitcheck_throughput samples_per_second=...' line captured in "
        f"FinalMetricDataList)); see {out}"
    ]
    doc = json.loads(out.read_text())
    assert doc["workload"] == "w2" and set(doc["backends"]) == {"eager", "torch.compile"}
    # a pair id that names no pair: one line, exit 2
    assert _one_line_exit_2(_invoke("abcdef12")) == (
        "error: no fitcheck pair abcdef12 in us-east-1 (looked for fc-*-abcdef12-e / -c and, for several "
        "pairs, fc-*-abcdef12N-e / -c)"
    )


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("bad name!", "'bad name!' is neither a pair id (6 to 16 hex digits) nor a SageMaker training-job"),
        ("-starts-with-hyphen", "No such option"),
        ("x" * 64, "is neither a pair id"),
        ("job\x1b[31mred", "'job\\x1b[31mred' is neither"),
    ],
)
def test_a_bad_ref_is_one_line_and_exit_2(tmp_path: Path, ref: str, message: str) -> None:
    # no AWS endpoint or credentials are set up: the reference is checked before any call
    line = _one_line_exit_2(_invoke(ref))
    assert message in line and "\x1b" not in line


def test_a_harness_job_that_has_not_completed_is_exit_2(aws, tmp_path: Path) -> None:
    sm = boto3.client("sagemaker")
    sm.create_training_job(
        TrainingJobName="fitcheck-bench-failed-1",
        AlgorithmSpecification={"TrainingImage": PT_IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        OutputDataConfig={"S3OutputPath": "s3://bucket/out"},
        ResourceConfig={"InstanceType": "ml.g5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    # moto completes jobs at once but leaves no results archive in S3: the download fails
    res = _invoke("fitcheck-bench-failed-1", "-o", str(tmp_path / "r.json"))
    assert res.exit_code in (1, 2), res.output
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.json").exists()


def test_help_shows_the_options_and_the_collect_subcommand() -> None:
    res = CliRunner(env={"COLUMNS": "100"}).invoke(app, ["bench", "--help"])
    assert res.exit_code == 0
    for text in ("--model", "--max-seconds", "--no-wait", "collect", "fitcheck bench collect"):
        assert text in res.stdout, text
    sub = CliRunner(env={"COLUMNS": "100"}).invoke(app, ["bench", "collect", "--help"])
    assert sub.exit_code == 0 and "REF" in sub.stdout and "--region" in sub.stdout and "-o" in sub.stdout
