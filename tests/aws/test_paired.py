"""Paired compiler on/off jobs: the requests (pure), and the launch against moto_server.

moto replaces MetricDefinitions in what DescribeTrainingJob returns and completes jobs
instantly with no throughput metric, so the test reads the CreateTrainingJob bodies that
really reached the server from moto's request recorder, and checks that the results file
records both jobs as "failed: no throughput reported" (the honest outcome with moto).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

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

from .history import PT_IMAGE, ROLE, TRCOMP_IMAGE, XGB_IMAGE

NOW = datetime(2024, 6, 1, tzinfo=UTC)
TF_STC_IMAGE = (
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.11.0-gpu-py39-cu112-ubuntu20.04"
)


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
        "Environment.FITCHECK_TORCH_COMPILE",
        "Tags[3].Value",
        "TrainingJobName",
    ]
    # The flag travels in the environment: a strict argparse script never sees it.
    assert (
        eager["Environment"]["FITCHECK_TORCH_COMPILE"],
        compiled["Environment"]["FITCHECK_TORCH_COMPILE"],
    ) == (
        "0",
        "1",
    )
    assert not any(k.startswith("fitcheck_torch") for k in compiled["HyperParameters"])
    assert eager["ProfilerConfig"] == compiled["ProfilerConfig"] == {"DisableProfiler": True}


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
    comp = r.comparisons[0]
    # One pair of jobs is one measurement: no interval, no confidence claimed.
    assert (comp.measurement, comp.speedup, comp.point_estimate) == ("single-run", None, 1.45)
    assert comp.loss_parity is not None and (comp.loss_parity.max_rel_diff, comp.loss_parity.ok) == (
        0.01,
        True,
    )
    assert r.backends[STC].training_seconds == 2700 and r.backends["eager"].status == "ok"
    assert r.config["training_time"]["eager_over_compiled"] == pytest.approx(3600 / 2700, abs=1e-4)
    assert comp.compile_seconds == 140.0
    from fitcheck.core.benchresult import usable_as_measurement

    assert usable_as_measurement(comp) == (
        False,
        "a single pair of runs: no interval, so not used as a measurement",
    )


def test_loss_parity_only_when_measured():
    s = spec()
    reqs = build_pair_requests(s)
    done = {"TrainingJobStatus": "Completed", "TrainingTimeInSeconds": 100}
    metric = [{"MetricName": "fitcheck:samples_per_second", "Value": 10.0}]
    r = collect_results(
        s,
        reqs,
        {**done, "TrainingJobName": "a", "FinalMetricDataList": metric},
        {**done, "TrainingJobName": "b", "FinalMetricDataList": metric},
        NOW,
    )
    assert r.comparisons[0].loss_parity is None and r.comparisons[0].point_estimate == 1.0


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
        pairs=1,
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
    assert results["comparisons"][0]["measurement"] == "failed"
    assert results["kind"] == "fitcheck-bench-results" and results["host"]["device"] == "sagemaker"
    assert results["backends"]["eager"]["status"] == "failed"
    assert "reported no steady-state throughput" in results["backends"]["eager"]["reason"]
    assert results["comparisons"][0]["speedup"] is None
    assert results["backends"][STC]["job_name"] == outcome.job_names[1]


def test_results_file_loads_with_the_bench_reader(aws, source, tmp_path):
    from fitcheck.io.evidence import load_bench_results

    out = tmp_path / "bench.json"
    bench_on_sagemaker(
        pairs=1,
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
    assert loaded.comparisons[0].speedup is None  # nothing for analyze to decide from


def test_dry_run_sends_nothing(aws, source, capsys):
    aws.start_recording()
    outcome = bench_on_sagemaker(
        pairs=1,
        workload="bert-nightly",
        role=ROLE,
        image=TRCOMP_IMAGE,
        entry_point="train.py",
        source_dir=source,
        instance_type="ml.p3.2xlarge",
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
    # One GPU: neither job runs PyTorch/XLA multi-worker.
    assert printed["compiled"]["HyperParameters"]["sagemaker_pytorch_xla_multi_worker_enabled"] == "false"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "my-role"}, "--role: 'my-role' is not an IAM role ARN"),
        ({"image": PT_IMAGE}, "is not a SageMaker Training Compiler image"),
        ({"compiler": "xla"}, "--compiler: 'xla' is not one of"),
        ({"entry_point": "missing.py"}, "--entry-point: entry point not found"),
        ({"compiler": TORCH_COMPILE}, "torch.compile needs PyTorch >= 2.0"),
        ({"compiler": TORCH_COMPILE, "image": XGB_IMAGE}, "torch.compile runs only in a PyTorch image"),
        ({"instance_type": "ml.m5.xlarge"}, "ml.m5.xlarge has no GPU"),
        ({"instance_type": "ml.p3.8xlarge"}, "would not be like-for-like"),
        ({"instance_count": 2}, "would not be like-for-like: the compiled job runs PyTorch/XLA multi-worker"),
        (
            {"image": TF_STC_IMAGE, "instance_type": "ml.g5.12xlarge"},
            "would not be like-for-like: fitcheck sets up no distribution that both jobs of a TensorFlow",
        ),
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


def test_second_launch_failing_stops_the_first(aws):
    from botocore.awsrequest import AWSResponse

    from fitcheck.aws.paired import launch_pair
    from fitcheck.aws.session import AwsFailure, client, make_session

    sm = client(make_session("us-east-1"), "sagemaker", "us-east-1")

    class Body:
        def stream(self, **_):
            yield b'{"__type": "ResourceLimitExceeded", "message": "no capacity"}'

    def refuse_compiled(request, **_):
        if b'-c"' in request.body and b"CreateTrainingJob" in request.headers.get("X-Amz-Target", b""):
            return AWSResponse("https://x", 400, {"Content-Type": "application/x-amz-json-1.1"}, Body())
        return None

    sm.meta.events.register("before-send.sagemaker.CreateTrainingJob", refuse_compiled)
    requests = build_pair_requests(spec(TORCH_COMPILE))
    aws.start_recording()
    with pytest.raises(AwsFailure) as info:
        launch_pair(sm, requests, "us-east-1")
    first = requests[0]["TrainingJobName"]
    assert str(info.value).startswith("the compiled job could not be launched (AWS refused CreateTrainingJob")
    stops = aws.sent("SageMaker.StopTrainingJob")
    assert stops and all(b == {"TrainingJobName": first} for b in stops)
    # moto completes a job at once and answers StopTrainingJob with an HTTP 500 (retried by the
    # client); the message says the stop failed, so the user checks the job.
    text = str(info.value)
    assert f"stopped {first} (StopTrainingJob)" in text or f"StopTrainingJob on {first} failed" in text


def test_collect_a_pair_launched_without_waiting(aws, source, tmp_path):
    from fitcheck.aws.paired import collect_pair

    outcome = bench_on_sagemaker(
        pairs=1,
        workload="w2",
        role=ROLE,
        image=PT_IMAGE,
        entry_point="train.py",
        source_dir=source,
        instance_type="ml.g5.2xlarge",
        compiler="torch.compile",
        region="us-east-1",
        wait=False,
    )
    pair_id = outcome.job_names[0].rsplit("-", 2)[1]
    got = collect_pair(pair_id, region="us-east-1", output=tmp_path / "r.json")
    assert got.job_names == outcome.job_names
    assert got.results is not None and got.results.workload == "w2"
    assert set(got.results.backends) == {"eager", "torch.compile"}
    with pytest.raises(InputError, match="no fitcheck pair abcdef12"):
        collect_pair("abcdef12", region="us-east-1")


def test_like_clones_a_past_job_without_its_compiler_switches(aws, source, capsys):
    sm = boto3.client("sagemaker")
    channels = [
        {
            "ChannelName": "train",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": "s3://acme/train/",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
        }
    ]
    vpc = {"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": ["subnet-0123456789abcdef0"]}
    sm.create_training_job(
        TrainingJobName="bert-nightly-2024-05-01-02-00-00-000",
        HyperParameters={
            "epochs": "3",
            "learning-rate": "2e-5",
            "torch_compile": "true",
            "sagemaker_program": "old.py",
            "fitcheck_workload": "x",
        },
        AlgorithmSpecification={"TrainingImage": PT_IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        InputDataConfig=channels,
        OutputDataConfig={"S3OutputPath": "s3://acme/out", "KmsKeyId": "alias/ml"},
        ResourceConfig={"InstanceType": "ml.g5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 200},
        VpcConfig=vpc,
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        Environment={"HF_HOME": "/opt/ml/cache", "FITCHECK_TORCH_COMPILE": "1"},
    )
    outcome = bench_on_sagemaker(
        pairs=1,
        workload="bert-nightly",
        role=ROLE,
        image=PT_IMAGE,
        entry_point="train.py",
        source_dir=source,
        instance_type="ml.g5.2xlarge",
        compiler=TORCH_COMPILE,
        region="us-east-1",
        dry_run=True,
        like="bert-nightly-2024-05-01-02-00-00-000",
    )
    eager, compiled = outcome.requests
    assert _diff(eager, compiled) == [
        "Environment.FITCHECK_TORCH_COMPILE",
        "Tags[4].Value",
        "TrainingJobName",
    ]
    assert eager["InputDataConfig"] == channels and eager["VpcConfig"] == vpc
    assert (
        eager["OutputDataConfig"]["KmsKeyId"] == "alias/ml"
        and eager["ResourceConfig"]["VolumeSizeInGB"] == 200
    )
    # moto's DescribeTrainingJob returns no Environment: the cloning of it is tested below.
    assert eager["Environment"]["FITCHECK_TORCH_COMPILE"] == "0"
    hp = eager["HyperParameters"]
    assert (hp["epochs"], hp["learning-rate"], hp["sagemaker_program"]) == ("3", "2e-5", "train.py")
    assert "torch_compile" not in hp and "fitcheck_workload" not in hp
    assert {"Key": "fitcheck:like", "Value": "bert-nightly-2024-05-01-02-00-00-000"} in eager["Tags"]


def test_like_settings_clone_the_environment_but_not_fitcheck_switches():
    from fitcheck.aws.paired import like_settings

    like = like_settings(
        {
            "TrainingJobName": "past",
            "Environment": {"HF_HOME": "/opt/ml/cache", "FITCHECK_TORCH_COMPILE": "1"},
            "HyperParameters": {"--use-torch-compile": "true", "epochs": "3"},
            "ResourceConfig": {"InstanceType": "ml.g5.2xlarge", "InstanceCount": 1, "VolumeKmsKeyId": "k"},
        }
    )
    assert like["environment"] == {"HF_HOME": "/opt/ml/cache"}
    assert like["hyperparameters"] == {"epochs": "3"}
    s = spec(TORCH_COMPILE)
    from dataclasses import replace

    eager, compiled = build_pair_requests(replace(s, like=like))
    assert eager["Environment"] == {
        "HF_HOME": "/opt/ml/cache",
        "FITCHECK_WORKLOAD": "bert-nightly",
        "FITCHECK_TORCH_COMPILE": "0",
    }
    assert compiled["Environment"]["FITCHECK_TORCH_COMPILE"] == "1"
    assert eager["ResourceConfig"]["VolumeKmsKeyId"] == "k"


@pytest.mark.parametrize(
    ("image", "ok"),
    [
        (TRCOMP_IMAGE, True),
        ("763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.10.0-gpu-py39-cu112", True),
        ("763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.9.1-gpu-py39", True),
        ("763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.9.0-gpu-py39", False),
        ("763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.12.0-gpu-py310", False),
        (PT_IMAGE, False),
    ],
)
def test_stc_images_in_both_directions(image, ok):
    from fitcheck.aws.paired import stc_image

    assert stc_image(image) is ok


def test_several_pairs_interleave_and_report_a_spread_not_an_interval():
    from fitcheck.aws.paired import combine_pairs, launch_order, pair_specs
    from fitcheck.core.benchresult import usable_as_measurement

    assert launch_order(3) == [(0, 0), (0, 1), (1, 1), (1, 0), (2, 0), (2, 1)]
    specs = pair_specs(spec(TORCH_COMPILE), 3)
    assert [s.pair_id for s in specs] == ["abcd12340", "abcd12341", "abcd12342"]
    per_pair = []
    for s, compiled_sps, secs in zip(specs, (110.0, 130.0, 120.0), (3300, 2800, 3000), strict=True):
        reqs = build_pair_requests(s)

        def desc(req, sps, t):
            return {
                "TrainingJobName": req["TrainingJobName"],
                "TrainingJobStatus": "Completed",
                "TrainingTimeInSeconds": t,
                "FinalMetricDataList": [{"MetricName": "fitcheck:samples_per_second", "Value": sps}],
            }

        per_pair.append(
            collect_results(s, reqs, desc(reqs[0], 100.0, 3600), desc(reqs[1], compiled_sps, secs), NOW)
        )
    r = combine_pairs(per_pair)
    comp = r.comparisons[0]
    ratios = [p["ratio"] for p in r.config["pairs"]]
    print(f"ratios {ratios}, median {comp.point_estimate}, spread {r.config['spread']}")
    assert (comp.measurement, comp.speedup, comp.point_estimate, comp.blocks) == (
        "insufficient",
        None,
        1.2,
        3,
    )
    assert r.config["spread"] == {"low": 1.1, "high": 1.3}
    assert usable_as_measurement(comp)[0] is False


def test_several_pairs_against_moto(aws, source, tmp_path):
    aws.start_recording()
    outcome = bench_on_sagemaker(
        workload="w3",
        role=ROLE,
        image=PT_IMAGE,
        entry_point="train.py",
        source_dir=source,
        instance_type="ml.g5.2xlarge",
        compiler=TORCH_COMPILE,
        region="us-east-1",
        output=tmp_path / "r.json",
        pairs=3,
    )
    sent = [b["TrainingJobName"][-3:] for b in aws.sent("SageMaker.CreateTrainingJob")]
    assert sent == ["0-e", "0-c", "1-c", "1-e", "2-e", "2-c"]  # start order interleaved
    assert len(outcome.all_jobs) == 6
    # moto reports no throughput: every pair failed, so the combined result says so.
    assert outcome.results is not None and outcome.results.comparisons[0].measurement == "failed"
    assert len(outcome.results.config["pairs"]) == 3
    with pytest.raises(InputError, match="--pairs: 12 is not between 1 and 9"):
        bench_on_sagemaker(
            workload="w",
            role=ROLE,
            image=PT_IMAGE,
            entry_point="train.py",
            source_dir=source,
            instance_type="ml.g5.2xlarge",
            compiler=TORCH_COMPILE,
            dry_run=True,
            pairs=12,
        )


def test_analyze_never_decides_from_a_single_pair(tmp_path):
    from fitcheck import api

    inventory = tmp_path / "w.yaml"
    inventory.write_text(
        "version: 1\nworkloads:\n"
        "  - {name: bert-nightly, framework: pytorch, framework_version: '2.1.0', model: bert-base-uncased,\n"
        "     instance_type: ml.g5.2xlarge, duration_hours: 6, runs_per_week: 7, precision: fp16,\n"
        "     input_shapes: static, gpu_utilization: 0.95}\n"
    )
    s = spec(TORCH_COMPILE)
    reqs = build_pair_requests(s)

    def desc(req, sps):
        return {
            "TrainingJobName": req["TrainingJobName"],
            "TrainingJobStatus": "Completed",
            "TrainingTimeInSeconds": 3600,
            "FinalMetricDataList": [{"MetricName": "fitcheck:samples_per_second", "Value": sps}],
        }

    results = collect_results(s, reqs, desc(reqs[0], 100.0), desc(reqs[1], 190.0), NOW)  # "1.9x"
    bench = tmp_path / "pair.json"
    bench.write_text(results.model_dump_json())
    analysis = api.analyze(inventory, bench_paths=[bench], now=NOW)
    row = analysis.table.iloc[0]
    assert row["evidence"] == "prior"  # the single pair is not a measurement
    unmatched = analysis.meta["unmatched_bench_results"]
    assert any("a single pair of runs" in u["why"] for u in unmatched)


def test_like_clones_the_past_jobs_distribution_into_both_jobs_but_not_into_an_stc_pair():
    from dataclasses import replace

    from fitcheck.aws.paired import like_settings

    like = like_settings(
        {
            "TrainingJobName": "past",
            "HyperParameters": {
                "sagemaker_torch_distributed_enabled": "true",
                "sagemaker_pytorch_xla_multi_worker_enabled": "true",
                "sagemaker_program": "old.py",
                "epochs": "3",
            },
        }
    )
    assert like["hyperparameters"] == {"sagemaker_torch_distributed_enabled": "true", "epochs": "3"}
    eager, compiled = build_pair_requests(replace(spec(TORCH_COMPILE), like=like))
    for request in (eager, compiled):  # both jobs run torchrun, as the past job did
        assert request["HyperParameters"]["sagemaker_torch_distributed_enabled"] == "true"
        assert "sagemaker_pytorch_xla_multi_worker_enabled" not in request["HyperParameters"]
    eager, compiled = build_pair_requests(replace(spec(STC), like=like))
    for request in (eager, compiled):  # one GPU; STC's own switches decide the distribution
        assert "sagemaker_torch_distributed_enabled" not in request["HyperParameters"]
        assert request["HyperParameters"]["sagemaker_pytorch_xla_multi_worker_enabled"] == "false"
        assert request["HyperParameters"]["epochs"] == "3"


def test_the_results_file_keeps_no_secret_of_a_cloned_job():
    """A pair cloned from a past job carries its environment and hyperparameters; the results
    file names them but keeps only the values of the compiler switches and non-secret names."""
    from dataclasses import replace

    s = replace(
        spec(TORCH_COMPILE),
        like={
            "job": "past",
            "environment": {"HF_TOKEN": "hf_secretvalue123", "HF_HOME": "/opt/ml/cache"},
            "hyperparameters": {"hub_token": "hf_secretvalue123", "wandb-api-key": "k-secret", "epochs": "3"},
        },
    )
    reqs = build_pair_requests(s)
    done = {"TrainingJobStatus": "Completed", "TrainingTimeInSeconds": 100}
    r = collect_results(s, reqs, {**done, "TrainingJobName": "e"}, {**done, "TrainingJobName": "c"}, NOW)
    text = r.model_dump_json()
    assert "hf_secretvalue123" not in text and "k-secret" not in text
    eager = r.config["jobs"]["eager"]
    assert eager["environment"] == {
        "HF_TOKEN": "<not recorded>",
        "HF_HOME": "<not recorded>",
        "FITCHECK_WORKLOAD": "bert-nightly",
        "FITCHECK_TORCH_COMPILE": "0",
    }
    assert r.config["jobs"][TORCH_COMPILE]["environment"]["FITCHECK_TORCH_COMPILE"] == "1"
    hp = eager["hyperparameters"]
    assert (hp["hub_token"], hp["wandb-api-key"], hp["epochs"]) == ("<not recorded>", "<not recorded>", "3")
