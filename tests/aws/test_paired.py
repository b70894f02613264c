"""Paired compiler on/off jobs: the requests (pure), and the launch against moto_server.

moto replaces MetricDefinitions in what DescribeTrainingJob returns and completes jobs
instantly with no throughput metric, so the test reads the CreateTrainingJob bodies that
really reached the server from moto's request recorder, and checks that the results file
records both jobs as "failed: no throughput reported" (the honest outcome with moto).
"""

from __future__ import annotations

import json

import boto3
import pytest

from fitcheck.aws.paired import (
    STC,
    TORCH_COMPILE,
    PairSpec,
    bench_on_sagemaker,
    build_pair_requests,
    collect_results,
)
from fitcheck.errors import InputError

from .history import PT_IMAGE, ROLE, TRCOMP_IMAGE


def _diff(a, b, path=""):
    """Paths where two JSON-like values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _diff(a.get(k), b.get(k), f"{path}.{k}" if path else k)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [path]


def spec(compiler=STC, distributed=False):
    return PairSpec(
        workload="bert-nightly",
        model="bert-base-uncased",
        pair_id="abcd1234",
        role=ROLE,
        image=TRCOMP_IMAGE,
        program="train.py",
        submit_dir="s3://b/src/sourcedir.tar.gz",
        output_s3="s3://b/out",
        instance_type="ml.g5.2xlarge",
        instance_count=1,
        compiler=compiler,
        region="us-east-1",
        distributed=distributed,
    )


def test_stc_pair_differs_only_in_compiler_settings():
    eager, compiled = build_pair_requests(spec(STC, distributed=True))
    assert _diff(eager, compiled) == [
        "HyperParameters.sagemaker_pytorch_xla_multi_worker_enabled",
        "HyperParameters.sagemaker_training_compiler_enabled",
        "Tags[3].Value",
        "TrainingJobName",
    ]
    assert eager["HyperParameters"]["sagemaker_training_compiler_enabled"] == "false"
    assert compiled["HyperParameters"]["sagemaker_training_compiler_enabled"] == "true"
    assert compiled["HyperParameters"]["sagemaker_training_compiler_debug_mode"] == "false"
    assert compiled["HyperParameters"]["sagemaker_pytorch_xla_multi_worker_enabled"] == "true"
    assert (eager["Tags"][3], compiled["Tags"][3]) == (
        {"Key": "fitcheck:variant", "Value": "eager"},
        {"Key": "fitcheck:variant", "Value": "compiled"},
    )
    assert eager["TrainingJobName"] == "fc-bert-nightly-abcd1234-e"


def test_torch_compile_pair_uses_the_entry_point_flag():
    eager, compiled = build_pair_requests(spec(TORCH_COMPILE))
    assert _diff(eager, compiled) == [
        "HyperParameters.fitcheck_torch_compile",
        "Tags[3].Value",
        "TrainingJobName",
    ]


def test_results_from_two_completed_jobs():
    s = spec()
    reqs = build_pair_requests(s)

    def desc(req, sps, loss, secs):
        return {
            "TrainingJobName": req["TrainingJobName"],
            "TrainingJobStatus": "Completed",
            "TrainingTimeInSeconds": secs,
            "BillableTimeInSeconds": secs,
            "FinalMetricDataList": [
                {"MetricName": "fitcheck:samples_per_second", "Value": sps},
                {"MetricName": "fitcheck:final_loss", "Value": loss},
                {"MetricName": "fitcheck:compile_seconds", "Value": 140.0},
            ],
        }

    from datetime import UTC, datetime

    r = collect_results(
        s,
        reqs,
        desc(reqs[0], 200.0, 2.00, 3600),
        desc(reqs[1], 290.0, 2.02, 2700),
        datetime(2024, 6, 1, tzinfo=UTC),
    )
    comp = r["comparisons"][0]
    assert comp["speedup"] == {"low": 1.45, "mid": 1.45, "high": 1.45}
    assert comp["loss_parity"] == {"max_rel_diff": 0.01, "tolerance": 0.05, "ok": True}
    assert r["backends"][STC]["training_seconds"] == 2700 and r["backends"]["eager"]["status"] == "ok"
    assert comp["compile_seconds"] == 140.0


@pytest.fixture
def source(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text("print('fitcheck_throughput samples_per_second=1.0')\n")
    (src / "requirements.txt").write_text("transformers==4.21.1\n")
    return src


def test_launch_against_moto(aws, source, tmp_path, capsys):
    aws.start_recording()
    out = tmp_path / "bench.json"
    outcome = bench_on_sagemaker(
        workload="bert-nightly",
        role=ROLE,
        image=TRCOMP_IMAGE,
        entry_point="train.py",
        source_dir=source,
        instance_type="ml.g5.2xlarge",
        instance_count=1,
        compiler="stc",
        region="us-east-1",
        inventory=None,
        dry_run=False,
        wait=True,
        output=out,
    )
    sent = aws.sent("SageMaker.CreateTrainingJob")
    assert len(sent) == 2
    eager, compiled = sorted(sent, key=lambda b: b["TrainingJobName"].endswith("-c"))
    assert _diff(eager, compiled) == [
        "HyperParameters.sagemaker_training_compiler_enabled",
        "Tags[3].Value",
        "TrainingJobName",
    ]
    assert eager == outcome.requests[0] and compiled == outcome.requests[1]
    # Both jobs exist on the server and come back the same way.
    sm = boto3.client("sagemaker")
    back = [sm.describe_training_job(TrainingJobName=n) for n in outcome.job_names]
    assert back[0]["HyperParameters"]["sagemaker_training_compiler_enabled"] == "false"
    assert back[1]["HyperParameters"]["sagemaker_training_compiler_enabled"] == "true"
    for d in back:
        d.pop("ResponseMetadata")
    assert set(_diff(back[0], back[1])) <= {
        "HyperParameters.sagemaker_training_compiler_enabled",
        "TrainingJobName",
        "TrainingJobArn",
        "ModelArtifacts.S3ModelArtifacts",
        "CreationTime",
        "LastModifiedTime",
        "TrainingStartTime",
        "TrainingEndTime",
        "SecondaryStatusTransitions[0].StartTime",
        "SecondaryStatusTransitions[0].EndTime",
        "FinalMetricDataList[0].Timestamp",
    }
    # The source archive was uploaded where the requests point.
    s3_uri = eager["HyperParameters"]["sagemaker_submit_directory"]
    bucket, key = s3_uri.removeprefix("s3://").split("/", 1)
    assert bucket == "sagemaker-us-east-1-123456789012"
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert sorted(tar.getnames()) == ["requirements.txt", "train.py"]
    # moto reports no throughput: both backends are honestly "failed", no speedup.
    results = json.loads(out.read_text())
    assert results["kind"] == "fitcheck-bench-results" and results["host"]["device"] == "sagemaker"
    assert results["backends"]["eager"]["status"] == "failed"
    assert "reported no steady-state throughput" in results["backends"]["eager"]["reason"]
    assert results["comparisons"][0]["speedup"] is None
    assert results["backends"][STC]["job_name"] == outcome.job_names[1]


def test_results_file_loads_with_the_bench_reader(aws, source, tmp_path):
    from fitcheck.bench.results import load_bench_results

    out = tmp_path / "bench.json"
    bench_on_sagemaker(
        workload="w1",
        role=ROLE,
        image=PT_IMAGE,
        entry_point="train.py",
        source_dir=source,
        instance_type="ml.g5.2xlarge",
        instance_count=1,
        compiler="torch.compile",
        region="us-east-1",
        inventory=None,
        dry_run=False,
        wait=True,
        output=out,
    )
    loaded = load_bench_results(out)
    assert loaded.workload == "w1" and set(loaded.backends) == {"eager", "torch.compile"}


def test_dry_run_sends_nothing(aws, source, capsys):
    aws.start_recording()
    outcome = bench_on_sagemaker(
        workload="bert-nightly",
        role=ROLE,
        image=TRCOMP_IMAGE,
        entry_point="train.py",
        source_dir=source,
        instance_type="ml.p3.8xlarge",
        instance_count=1,
        compiler=STC,
        region="us-east-1",
        inventory=None,
        dry_run=True,
        wait=True,
        output=None,
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"eager": outcome.requests[0], "compiled": outcome.requests[1]}
    assert not outcome.sent and aws.recorded_requests() == []
    # ml.p3.8xlarge has 4 GPUs: the compiled job runs PyTorch/XLA multi-worker.
    assert printed["compiled"]["HyperParameters"]["sagemaker_pytorch_xla_multi_worker_enabled"] == "true"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "my-role"}, "--role: 'my-role' is not an IAM role ARN"),
        ({"image": PT_IMAGE}, "is not a SageMaker Training Compiler image"),
        ({"compiler": "xla"}, "--compiler: 'xla' is not one of"),
        ({"entry_point": "missing.py"}, "--entry-point: entry point not found"),
        ({"compiler": TORCH_COMPILE}, "torch.compile needs PyTorch >= 2.0"),
    ],
)
def test_bad_options(aws, source, kwargs, message):
    args = dict(
        workload="w",
        role=ROLE,
        image=TRCOMP_IMAGE,
        entry_point="train.py",
        source_dir=source,
        instance_type="ml.g5.2xlarge",
        instance_count=1,
        compiler=STC,
        region="us-east-1",
        inventory=None,
        dry_run=True,
        wait=False,
        output=None,
    )
    args.update(kwargs)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        bench_on_sagemaker(**args)
