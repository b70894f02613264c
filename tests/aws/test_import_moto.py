"""``fitcheck import sagemaker`` against a real SageMaker API served by moto_server.

Covered through the real API: the ListTrainingJobs paginator (pages of 100), the name and
creation-time filters, concurrent DescribeTrainingJob calls, the mapping of what moto returns
(instance type/count, spot, Debugger hook, compiler hyperparameters, framework from the image,
precision/batch/sequence length from SDK-encoded hyperparameters), recurrence grouping,
the summary, the partial-history file on an access failure part-way, the exit codes.

Not covered here, because moto cannot show it: moto returns no TrainingTimeInSeconds or
BillableTimeInSeconds and completes jobs instantly (TrainingStartTime == TrainingEndTime), so
every moto workload has an unknown duration and is skipped (asserted below). Durations, billed
hours, the spot discount and the written inventory are tested with real-shaped responses in
``test_import_stubbed.py``.
"""

from __future__ import annotations

from pathlib import Path

import boto3
from typer.testing import CliRunner

from fitcheck.aws.importer import NothingToWrite, import_sagemaker
from fitcheck.cli import app

from .conftest import DUMMY_KEY_ID, DUMMY_SECRET
from .history import ROLE, XGB_IMAGE, create_history

runner = CliRunner()


def _sm():
    return boto3.client("sagemaker")


def test_history_maps_every_field_moto_returns(aws, tmp_path):
    create_history(_sm())
    out = tmp_path / "workloads.yaml"
    try:
        import_sagemaker(output=out, max_workers=4)
    except NothingToWrite as err:
        result = err.result
    else:  # pragma: no cover - moto would have to report durations
        raise AssertionError("moto reported training durations; update this test")
    assert not out.exists()
    assert (result.listed, result.described) == (9, 9)
    groups = {s.name: s for s in result.skipped}
    assert set(groups) == {"bert-nightly", "resnet50-weekly", "gpt2-stc", "tf-vit", "churn-xgb"}
    for s in groups.values():
        assert s.reason == (
            "duration unknown: no TrainingTimeInSeconds and TrainingEndTime is not after TrainingStartTime"
        )
    bert = groups["bert-nightly"].fields
    assert len(groups["bert-nightly"].jobs) == 3
    assert bert == {
        "framework": "pytorch",
        "framework_version": "1.13.1",
        "transformers_version": "4.26.0",
        "model": "bert-base-uncased",
        "model_family": "transformer",
        "instance_type": "ml.g5.12xlarge",
        "instance_count": 1,
        "runs_per_week": 3.0,  # three runs within seconds: read over a one-week window
        "precision": "fp16",
        "input_shapes": "static",
        "batch_size": 32,
        "sequence_length": 128,
        "debugger": True,
        "spot": False,
        "region": "us-east-1",
        "compiler_enabled": False,
    }
    resnet = groups["resnet50-weekly"].fields
    assert (resnet["instance_type"], resnet["instance_count"], resnet["spot"]) == (
        "ml.p3.8xlarge",
        2,
        True,
    )
    assert (resnet["debugger"], resnet["model_family"], resnet["precision"]) == (
        False,
        "cnn",
        "fp16",
    )
    assert "spot_discount" not in resnet  # no BillableTimeInSeconds from moto
    stc = groups["gpt2-stc"].fields
    assert stc["compiler_enabled"] is True and stc["framework_version"] == "1.11.0"
    tf = groups["tf-vit"].fields
    assert (tf["framework"], tf["precision"], tf["input_shapes"]) == (
        "tensorflow",
        "fp32",
        "dynamic",
    )
    xgb = groups["churn-xgb"].fields
    assert (xgb["framework"], xgb["model_family"], xgb["instance_type"]) == (
        "xgboost",
        "gbdt",
        "ml.m5.2xlarge",
    )


def test_cli_reports_skips_exit_2_and_never_prints_credentials(aws, tmp_path):
    create_history(_sm())
    out = tmp_path / "workloads.yaml"
    out.write_text("version: 1\n# an earlier inventory\n")
    before = out.read_bytes()
    res = runner.invoke(app, ["import", "sagemaker", "--output", str(out), "--no-progress"])
    assert res.exit_code == 2, res.output
    assert "SKIPPED bert-nightly (3 job(s)): duration unknown" in res.output
    assert "none of the 9 described job(s) could be written" in res.output
    assert "Traceback" not in res.output
    assert out.read_bytes() == before
    assert DUMMY_KEY_ID not in res.output and DUMMY_SECRET not in res.output


def _xgb_jobs(sm, n, prefix="hpo-sweep"):
    for i in range(n):
        sm.create_training_job(
            TrainingJobName=f"{prefix}-{i:04d}",
            AlgorithmSpecification={"TrainingImage": XGB_IMAGE, "TrainingInputMode": "File"},
            RoleArn=ROLE,
            OutputDataConfig={"S3OutputPath": "s3://acme/out"},
            ResourceConfig={
                "InstanceType": "ml.m5.xlarge",
                "InstanceCount": 1,
                "VolumeSizeInGB": 10,
            },
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
        )


def test_pagination_and_name_filter(aws, tmp_path):
    sm = _sm()
    _xgb_jobs(sm, 230)
    _xgb_jobs(sm, 3, prefix="other-job")
    try:
        import_sagemaker(output=tmp_path / "w.yaml", name_contains="hpo-sweep")
    except NothingToWrite as err:
        result = err.result
    assert result.listed == 230  # three pages of ListTrainingJobs (100 + 100 + 30)
    assert [s.name for s in result.skipped] == ["hpo-sweep"]
    assert len(result.skipped[0].jobs) == 230


def test_creation_time_filter_excludes_everything_before(aws, tmp_path):
    create_history(_sm())
    res = runner.invoke(
        app,
        [
            "import",
            "sagemaker",
            "--since",
            "2999-01-01",
            "--output",
            str(tmp_path / "w.yaml"),
            "--no-progress",
        ],
    )
    assert res.exit_code == 2
    assert (
        res.output.strip()
        .splitlines()[-1]
        .startswith("error: --region: no training jobs found in us-east-1 (created 2999-01-01 to now)")
    )
    assert not (tmp_path / "w.yaml").exists()


def test_bad_dates_are_input_errors(aws, tmp_path):
    res = runner.invoke(app, ["import", "sagemaker", "--since", "yesterday", "--no-progress"])
    assert res.exit_code == 2
    assert "error: --since: 'yesterday' is not a date" in res.output
    res = runner.invoke(app, ["import", "sagemaker", "--since", "2024-05-02", "--until", "2024-05-01"])
    assert res.exit_code == 2 and "is not after --since" in res.output


def test_recorded_list_requests_use_page_size_100(aws, tmp_path):
    sm = _sm()
    _xgb_jobs(sm, 3)
    aws.start_recording()
    try:
        import_sagemaker(output=tmp_path / "w.yaml", since="2020-01-01")
    except NothingToWrite:
        pass
    bodies = aws.sent("SageMaker.ListTrainingJobs")
    assert bodies and bodies[0]["MaxResults"] == 100
    assert "CreationTimeAfter" in bodies[0] and "CreationTimeBefore" not in bodies[0]
    recorded = Path(aws.recording).read_text()
    assert DUMMY_SECRET not in recorded  # the signature carries no secret either
