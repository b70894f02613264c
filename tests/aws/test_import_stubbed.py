"""The importer on DescribeTrainingJob responses shaped like real AWS ones.

moto cannot report training or billable seconds (see ``conftest.py``), so this test serves
a realistic history with botocore's Stubber on a real botocore client: botocore checks every
request against the SageMaker API model and parses the responses as it would AWS's. The
written inventory is then loaded with the inventory reader and analyzed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber
from ruamel.yaml import YAML

from fitcheck.aws.importer import ImportInterrupted, import_sagemaker, partial_path

from .conftest import isolate_aws_env
from .history import HF_IMAGE, PT_IMAGE, TRCOMP_IMAGE, XGB_IMAGE, sdk_hyperparameters

NOW = datetime(2024, 6, 1, tzinfo=UTC)
T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


def _desc(
    name,
    created,
    image,
    instance,
    hp,
    secs,
    billable=None,
    *,
    count=1,
    spot=False,
    debugger=True,
    status="Completed",
    groups=None,
):
    start = created + timedelta(minutes=5)
    d = {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
        "TrainingJobStatus": status,
        "SecondaryStatus": status,
        "HyperParameters": sdk_hyperparameters(hp),
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
        "OutputDataConfig": {"S3OutputPath": "s3://acme/out"},
        "ResourceConfig": {"InstanceType": instance, "InstanceCount": count, "VolumeSizeInGB": 100},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "CreationTime": created,
        "TrainingStartTime": start,
        "TrainingEndTime": start + timedelta(seconds=secs),
        "LastModifiedTime": start + timedelta(seconds=secs + 60),
        "TrainingTimeInSeconds": secs,
        "BillableTimeInSeconds": billable if billable is not None else secs,
        "EnableManagedSpotTraining": spot,
        "ModelArtifacts": {"S3ModelArtifacts": f"s3://acme/out/{name}/output/model.tar.gz"},
    }
    if groups:
        d["ResourceConfig"] = {"InstanceGroups": groups, "VolumeSizeInGB": 100}
    if debugger:
        d["DebugHookConfig"] = {"S3OutputPath": "s3://acme/debug"}
        d["ProfilerConfig"] = {
            "S3OutputPath": "s3://acme/prof",
            "ProfilingIntervalInMilliseconds": 500,
        }
    return d


def realistic_history():
    bert_hp = {
        "model_name_or_path": "bert-base-uncased",
        "fp16": True,
        "per_device_train_batch_size": 32,
        "max_seq_length": 128,
        "pad_to_max_length": True,
    }
    jobs = [
        _desc(
            f"bert-nightly-{(T0 + timedelta(days=d)):%Y-%m-%d-%H-%M-%S}-{100 + d}",
            T0 + timedelta(days=d),
            HF_IMAGE,
            "ml.g5.12xlarge",
            bert_hp,
            7000 + 100 * d,
        )
        for d in range(14)
    ]
    jobs += [
        _desc(
            f"resnet50-weekly-{(T0 + timedelta(weeks=w)):%Y%m%d}",
            T0 + timedelta(weeks=w),
            PT_IMAGE,
            "ml.p3.8xlarge",
            {"arch": "resnet50", "batch-size": 64, "amp": True},
            6 * 3600,
            int(6 * 3600 * 0.32),
            count=2,
            spot=True,
            debugger=False,
        )
        for w in range(4)
    ]
    jobs.append(
        _desc(
            "gpt2-stc-a1b2c3d4",
            T0,
            TRCOMP_IMAGE,
            "ml.p3.2xlarge",
            {
                "model_name_or_path": "gpt2",
                "fp16": True,
                "sagemaker_training_compiler_enabled": True,
            },
            5400,
            debugger=False,
        )
    )
    jobs += [
        _desc(
            f"churn-xgb-{n:04d}",
            T0 + timedelta(days=7 * n),
            XGB_IMAGE,
            "ml.m5.2xlarge",
            {"num_round": 200},
            900,
            debugger=False,
        )
        for n in range(3)
    ]
    jobs.append(
        _desc(
            "llm-hetero-20240510",
            T0 + timedelta(days=9),
            PT_IMAGE,
            "",
            {"model_name_or_path": "meta-llama/Llama-2-7b-hf", "bf16": True},
            20000,
            groups=[
                {
                    "InstanceGroupName": "loaders",
                    "InstanceType": "ml.c5.18xlarge",
                    "InstanceCount": 2,
                },
                {
                    "InstanceGroupName": "gpus",
                    "InstanceType": "ml.p4d.24xlarge",
                    "InstanceCount": 1,
                },
            ],
        )
    )
    failed = {"TrainingJobName": "bert-nightly-broken", "TrainingJobStatus": "Failed"}
    return jobs, failed


def _summary(d):
    return {
        "TrainingJobName": d["TrainingJobName"],
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{d['TrainingJobName']}",
        "CreationTime": d.get("CreationTime", T0),
        "TrainingJobStatus": d["TrainingJobStatus"],
    }


@pytest.fixture
def stubbed(monkeypatch, tmp_path):
    isolate_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFITCHECKDUMMY0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "dummy")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    sm = boto3.Session().client("sagemaker", region_name="us-east-1")
    with Stubber(sm) as stub:
        yield sm, stub


def _queue(stub, jobs, failed, describe_error_after=None):
    summaries = [_summary(j) for j in jobs] + [_summary(failed)]
    stub.add_response(
        "list_training_jobs",
        {"TrainingJobSummaries": summaries[:15], "NextToken": "page-2"},
        {"MaxResults": 100, "CreationTimeAfter": ANY},
    )
    stub.add_response(
        "list_training_jobs",
        {"TrainingJobSummaries": summaries[15:]},
        {"MaxResults": 100, "CreationTimeAfter": ANY, "NextToken": "page-2"},
    )
    for i, j in enumerate(jobs):
        if describe_error_after is not None and i == describe_error_after:
            stub.add_client_error(
                "describe_training_job",
                "AccessDeniedException",
                "not authorized",
                expected_params={"TrainingJobName": j["TrainingJobName"]},
            )
            return
        stub.add_response("describe_training_job", j, {"TrainingJobName": j["TrainingJobName"]})


def test_realistic_history_to_inventory_to_analysis(stubbed, tmp_path):
    sm, stub = stubbed
    jobs, failed = realistic_history()
    _queue(stub, jobs, failed)
    out = tmp_path / "workloads.yaml"
    result = import_sagemaker(
        output=out,
        since="2024-04-01",
        show_progress=False,
        max_workers=1,
        now=NOW,
        sagemaker_client=sm,
    )
    stub.assert_no_pending_responses()
    assert result.not_imported_status == {"Failed": 1}
    assert (result.listed, result.described) == (len(jobs) + 1, len(jobs))
    data = YAML(typ="safe").load(out.read_text())
    w = {x["name"]: x for x in data["workloads"]}
    assert set(w) == {"bert-nightly", "resnet50-weekly", "gpt2-stc", "churn-xgb", "llm-hetero"}
    assert data["defaults"] == {"region": "us-east-1"}
    bert = w["bert-nightly"]
    assert bert["duration_hours"] == pytest.approx((7000 + 100 * 6.5) / 3600, abs=1e-4)  # median of 14
    assert bert["runs_per_week"] == pytest.approx(7.0)
    assert (bert["debugger"], bert["spot"], bert["precision"], bert["input_shapes"]) == (
        True,
        False,
        "fp16",
        "static",
    )
    resnet = w["resnet50-weekly"]
    assert (resnet["duration_hours"], resnet["instance_count"]) == (6.0, 2)
    assert resnet["spot"] is True and resnet["spot_discount"] == pytest.approx(0.68)
    assert resnet["runs_per_week"] == pytest.approx(1.0)
    assert w["gpt2-stc"]["compiler_enabled"] is True
    assert w["gpt2-stc"]["runs_per_week"] == pytest.approx(
        7 / 61, abs=1e-4
    )  # once in the 61-day window (--since to now)
    assert (w["churn-xgb"]["framework"], w["churn-xgb"]["model_family"]) == ("xgboost", "gbdt")
    hetero = w["llm-hetero"]
    assert (hetero["instance_type"], hetero["instance_count"]) == ("ml.p4d.24xlarge", 1)
    assert hetero["tags"]["heterogeneous"] == "ml.c5.18xlarge x2 + ml.p4d.24xlarge x1"
    text = out.read_text()
    assert "# not imported (status): 1 Failed" in text
    assert "heterogeneous cluster (ml.c5.18xlarge x2 + ml.p4d.24xlarge x1)" in text

    from fitcheck.io.inventory import load_inventory

    frame = load_inventory(out)
    assert sorted(frame["name"]) == sorted(w)

    from fitcheck import api

    analysis = api.analyze(out, now=NOW)
    table = analysis.table
    assert sorted(table["name"]) == sorted(w)
    decisions = dict(zip(table["name"], table["decision"], strict=True))
    assert decisions["churn-xgb"] == "skip"  # CPU gradient-boosted trees: out of scope


def test_failure_part_way_keeps_the_history_and_the_old_file(stubbed, tmp_path):
    sm, stub = stubbed
    jobs, failed = realistic_history()
    _queue(stub, jobs, failed, describe_error_after=16)
    out = tmp_path / "workloads.yaml"
    out.write_text("version: 1\n# the previous complete import\n")
    before = out.read_bytes()
    with pytest.raises(ImportInterrupted) as info:
        import_sagemaker(
            output=out,
            since="2024-04-01",
            show_progress=False,
            max_workers=1,
            now=NOW,
            sagemaker_client=sm,
        )
    err = info.value
    assert str(err).startswith("import stopped after describing 16 of 23 training jobs: access denied")
    assert f"to {partial_path(out)}" in str(err) and f"{out} was not changed" in str(err)
    assert err.input_error is True
    assert out.read_bytes() == before
    partial = YAML(typ="safe").load(partial_path(out).read_text())
    assert {x["name"] for x in partial["workloads"]} == {"bert-nightly", "resnet50-weekly"}
    assert partial_path(out).read_text().startswith("# PARTIAL IMPORT: stopped after describing 16 of 23")
