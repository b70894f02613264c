"""Progress as plain lines when stderr is not a terminal, and the import's new options."""

from __future__ import annotations

import io

from typer.testing import CliRunner

from fitcheck.aws.progress import PlainReporter
from fitcheck.cli import app

from .history import create_history

runner = CliRunner()


def test_plain_lines_at_start_every_period_and_at_the_end():
    now = [0.0]
    out = io.StringIO()
    rep = PlainReporter(out, every_s=10.0, clock=lambda: now[0])
    rep.start("describing training jobs", 100)
    for _ in range(100):
        now[0] += 0.25  # one job every 0.25 s: 25 s in all
        rep.advance("describing training jobs")
    rep.finish("describing training jobs")
    assert out.getvalue().splitlines() == [
        "describing training jobs: started (100 to do)",
        "describing training jobs: 40/100 (40%) after 10 s",
        "describing training jobs: 80/100 (80%) after 20 s",
        "describing training jobs: 100/100 (100%) after 25 s",
    ]


def test_cli_prints_plain_progress_when_not_a_terminal(aws, tmp_path):
    import boto3

    create_history(boto3.client("sagemaker"))
    res = runner.invoke(app, ["import", "sagemaker", "-o", str(tmp_path / "w.yaml"), "--no-gpu-utilization"])
    assert res.exit_code == 2  # moto reports no durations: nothing to write
    assert "listing training jobs: started" in res.output
    assert "describing training jobs: 9/9 (100%)" in res.output
    assert "Traceback" not in res.output


def test_bad_new_options_are_one_line_exit_2(aws, tmp_path):
    res = runner.invoke(app, ["import", "sagemaker", "-o", str(tmp_path / "w.yaml"), "--stale-days", "0"])
    assert res.exit_code == 2 and res.output.strip().splitlines()[-1] == "error: --stale-days: 0.0 is not > 0"
    res = runner.invoke(
        app, ["import", "sagemaker", "-o", str(tmp_path / "w.yaml"), "--resume", "--no-progress"]
    )
    assert res.exit_code == 2
    assert res.output.strip().endswith("--resume: no partial import to resume (run without --resume)")


def test_group_tag_option_groups_by_another_tag(aws, tmp_path):
    import boto3

    from .history import ROLE, XGB_IMAGE

    sm = boto3.client("sagemaker")
    for name in ("nightly-a", "weekly-b", "adhoc-c"):
        sm.create_training_job(
            TrainingJobName=name,
            AlgorithmSpecification={"TrainingImage": XGB_IMAGE, "TrainingInputMode": "File"},
            RoleArn=ROLE,
            OutputDataConfig={"S3OutputPath": "s3://acme/out"},
            ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
            Tags=[{"Key": "project", "Value": "churn-model"}],
        )
    res = runner.invoke(
        app,
        ["import", "sagemaker", "-o", str(tmp_path / "w.yaml"), "--group-tag", "project", "--no-progress"],
    )
    assert res.exit_code == 2, res.output  # moto: no durations, but the group is reported
    assert "SKIPPED churn-model (3 job(s)): duration unknown" in res.output
